package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The kinds of backup; each is a top-level prefix of the bucket.
const (
	KindLogical  = "logical"
	KindPhysical = "physical"
	KindFiles    = "files"
)

// ManifestVersion is the Version written in every manifest.
const ManifestVersion = 1

// manifestName is the object written last in a backup's prefix: its
// presence is what makes a backup complete.
const manifestName = "manifest.json"

// idLayout is the layout of backup ids: UTC to the millisecond, so that ids
// sort by time as strings.
const idLayout = "20060102T150405.000Z"

// partSize is the size of a multipart part, up and down: 16 MiB parts
// allow objects up to 160 GB (10,000 parts) while the uploader holds only
// partSize × concurrency in memory.
const (
	partSize    = 16 << 20
	concurrency = 4
)

// ErrCorrupt is wrapped by Fetch when the data object is missing or its
// size or SHA-256 differs from the manifest.
var ErrCorrupt = errors.New("backup failed verification")

// Manifest describes one backup; it is the JSON object kind/<id>/manifest.json
// (docs/architecture.md, "Backups and the catalog").
type Manifest struct {
	Version         int       `json:"version"`
	ID              string    `json:"id"`
	Kind            string    `json:"kind"`
	Object          string    `json:"object"` // key of the data object
	Database        string    `json:"database,omitempty"`
	PostgresVersion string    `json:"postgres_version,omitempty"`
	Start           time.Time `json:"start"` // wall clock of the job
	End             time.Time `json:"end"`
	// SnapshotTime/SnapshotLSN: logical = the exported snapshot pg_dump
	// used (every commit before it is in the dump, none after); physical =
	// the backup's start LSN and time (consistent from StopLSN on).
	SnapshotTime time.Time `json:"snapshot_time"`
	SnapshotLSN  string    `json:"snapshot_lsn,omitempty"`
	StopLSN      string    `json:"stop_lsn,omitempty"`
	Timeline     int       `json:"timeline,omitempty"`
	// SystemID (physical) is the backed-up cluster's system identifier
	// (pg_control's uint64, in decimal): the prefix of the WAL archive its
	// recovery reads (docs/architecture.md, "WAL archiving and
	// point-in-time recovery").
	SystemID string `json:"system_id,omitempty"`
	Size     int64  `json:"size"`            // bytes of the data object
	SHA256   string `json:"sha256"`          // hex of the data object
	Files    int    `json:"files,omitempty"` // files backups: number of files
}

// Config names the bucket and how to reach it.
type Config struct {
	Endpoint, Bucket, AccessKey, SecretKey, Region string
}

// DefaultRegion is used when FIREDRILL_S3_REGION is unset: MinIO accepts
// any region, and the harness sets this one.
const DefaultRegion = "us-east-1"

// ConfigFromEnv reads the FIREDRILL_S3_* variables the harness sets on
// every job (docs/architecture.md, "Backups and the catalog"). The error
// names the first missing variable, never a value.
func ConfigFromEnv() (Config, error) {
	cfg := Config{Region: os.Getenv("FIREDRILL_S3_REGION")}
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"FIREDRILL_S3_ENDPOINT", &cfg.Endpoint},
		{"FIREDRILL_S3_BUCKET", &cfg.Bucket},
		{"FIREDRILL_S3_ACCESS_KEY", &cfg.AccessKey},
		{"FIREDRILL_S3_SECRET_KEY", &cfg.SecretKey},
	} {
		*v.dst = os.Getenv(v.name)
		if *v.dst == "" {
			return Config{}, fmt.Errorf("store: %s is not set", v.name)
		}
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg, nil
}

// Store is a bucket of backups.
type Store struct {
	client *s3.Client
	bucket string
}

// New returns the store of cfg. It makes no request: the first one tells
// whether the storage is reachable.
func New(_ context.Context, cfg Config) (*Store, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("store: endpoint and bucket are required")
	}
	region := cfg.Region
	if region == "" {
		region = DefaultRegion
	}
	c := s3.New(s3.Options{
		BaseEndpoint: aws.String(cfg.Endpoint),
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		// MinIO serves buckets by path, not by virtual host.
		UsePathStyle: true,
	})
	return NewFromClient(c, cfg.Bucket), nil
}

// NewFromClient returns the store of bucket through c (tests and the
// harness, which reach MinIO through a published port).
func NewFromClient(c *s3.Client, bucket string) *Store {
	return &Store{client: c, bucket: bucket}
}

// NewID is the id of a backup started at t.
func NewID(t time.Time) string {
	return t.UTC().Format(idLayout)
}

var idPattern = regexp.MustCompile(`^\d{8}T\d{6}\.\d{3}Z$`)

// ValidID reports whether id has NewID's form; ids are used in object keys
// and must not carry slashes or anything else.
func ValidID(id string) bool {
	if !idPattern.MatchString(id) {
		return false
	}
	_, err := time.Parse(idLayout, id)
	return err == nil
}

func validKind(kind string) bool {
	return kind == KindLogical || kind == KindPhysical || kind == KindFiles
}

// DefaultObject is the data object's name of each kind (docs/architecture.md,
// "Backups and the catalog").
func DefaultObject(kind string) string {
	switch kind {
	case KindLogical:
		return "dump.pgc"
	case KindPhysical:
		return "base.tar.gz"
	case KindFiles:
		return "uploads.tar.gz"
	}
	return ""
}

// Key is the object key of name in the backup id of kind.
func Key(kind, id, name string) string {
	return kind + "/" + id + "/" + name
}

// Put streams r to kind/<m.ID>/<object name> with the multipart upload
// manager (no temporary file), hashing on the way; then writes the manifest
// with Size and SHA256 filled. m.Object may be empty (the kind's default
// name), a bare name, or the full key; the manifest returned holds the full
// key. WithFinal fills in what the job learnt on the way. If ctx ends or r fails, the multipart upload is aborted, so no part
// of the object stays, and no manifest is written.
func (s *Store) Put(ctx context.Context, m Manifest, r io.Reader, opts ...PutOption) (Manifest, error) {
	if !validKind(m.Kind) {
		return Manifest{}, fmt.Errorf("store: put: unknown kind %q", m.Kind)
	}
	if !ValidID(m.ID) {
		return Manifest{}, fmt.Errorf("store: put: invalid id %q", m.ID)
	}
	name := m.Object
	if name == "" {
		name = DefaultObject(m.Kind)
	}
	prefix := Key(m.Kind, m.ID, "")
	name = strings.TrimPrefix(name, prefix)
	if name == "" || strings.Contains(name, "/") || name == manifestName {
		return Manifest{}, fmt.Errorf("store: put: invalid object name %q", m.Object)
	}
	m.Object = prefix + name
	m.Version = ManifestVersion
	manifestKey := prefix + manifestName
	// Ids are unique per kind: a second backup with the same id would
	// silently replace the first.
	if exists, err := s.exists(ctx, manifestKey); err != nil {
		return Manifest{}, fmt.Errorf("store: put %s: %w", m.Object, err)
	} else if exists {
		return Manifest{}, fmt.Errorf("store: put: backup %s/%s already exists", m.Kind, m.ID)
	}

	h := sha256.New()
	counted := &countingReader{r: io.TeeReader(r, h)}
	up := manager.NewUploader(s.client, func(u *manager.Uploader) {
		u.PartSize = partSize
		u.Concurrency = concurrency
		u.LeavePartsOnError = false
	})
	if _, err := up.Upload(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(m.Object),
		Body:   counted,
	}); err != nil {
		return Manifest{}, fmt.Errorf("store: upload %s: %w", m.Object, err)
	}
	m.Size = counted.n
	m.SHA256 = hex.EncodeToString(h.Sum(nil))
	for _, o := range opts {
		if err := o(&m); err != nil {
			return Manifest{}, fmt.Errorf("store: put %s: %w", m.Object, err)
		}
	}

	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("store: manifest %s: %w", manifestKey, err)
	}
	if _, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(manifestKey),
		Body:        bytes.NewReader(body),
		ContentType: aws.String("application/json"),
	}); err != nil {
		return Manifest{}, fmt.Errorf("store: write manifest %s: %w", manifestKey, err)
	}
	return m, nil
}

// PutOption changes the manifest once the data object is stored and
// before the manifest is written.
type PutOption func(m *Manifest) error

// WithFinal fills what a job knows only once its stream has ended (a
// physical backup's stop LSN, the job's end): it runs after the upload and
// before the manifest is written; its error leaves the backup incomplete.
func WithFinal(f func(m *Manifest) error) PutOption { return f }

// countingReader counts the bytes read through it. It hides any Seek of
// the reader below: the uploader must read the stream once, in order, so
// that the hash is of the object's bytes.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Fetch downloads the data object of m to w and verifies size and SHA-256
// at the end: ErrCorrupt (wrapped, the detail says expected vs got) when
// they differ or the object is gone. When w is also an io.ReaderAt (a
// file), the download runs in parallel ranges and the hash is taken by
// reading w back; otherwise the ranges come one after the other and are
// hashed as they are written.
func (s *Store) Fetch(ctx context.Context, m Manifest, w io.WriterAt) (int64, error) {
	if m.Object == "" {
		return 0, fmt.Errorf("store: fetch %s/%s: manifest names no object: %w", m.Kind, m.ID, ErrCorrupt)
	}
	readBack, canReadBack := w.(io.ReaderAt)
	var seq *hashingWriterAt
	dst := w
	conc := concurrency
	if !canReadBack {
		seq = &hashingWriterAt{w: w, h: sha256.New()}
		dst, conc = seq, 1
	}
	down := manager.NewDownloader(s.client, func(d *manager.Downloader) {
		d.PartSize = partSize
		d.Concurrency = conc
	})
	n, err := down.Download(ctx, dst, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(m.Object),
	})
	if err != nil {
		if isNotFound(err) {
			return 0, fmt.Errorf("store: fetch %s: data object missing: %w", m.Object, ErrCorrupt)
		}
		return n, fmt.Errorf("store: fetch %s: %w", m.Object, err)
	}
	if seq != nil {
		if seq.err != nil {
			return n, fmt.Errorf("store: fetch %s: %w", m.Object, seq.err)
		}
		return n, verifySum(m, n, hex.EncodeToString(seq.h.Sum(nil)))
	}
	return n, Verify(m, io.NewSectionReader(readBack, 0, n))
}

// Verify reads r to its end and checks it against m's size and SHA-256.
func Verify(m Manifest, r io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("store: verify %s: %w", m.Object, err)
	}
	return verifySum(m, n, hex.EncodeToString(h.Sum(nil)))
}

func verifySum(m Manifest, size int64, sum string) error {
	if size != m.Size {
		return fmt.Errorf("store: %s: size: expected %d bytes, got %d: %w", m.Object, m.Size, size, ErrCorrupt)
	}
	if !strings.EqualFold(sum, m.SHA256) {
		return fmt.Errorf("store: %s: sha256: expected %s, got %s: %w", m.Object, m.SHA256, sum, ErrCorrupt)
	}
	return nil
}

// hashingWriterAt hashes writes that come in order (a download of
// concurrency 1) and fails on any other.
type hashingWriterAt struct {
	w   io.WriterAt
	h   hash.Hash
	off int64
	err error
}

func (s *hashingWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if off != s.off {
		s.err = fmt.Errorf("out-of-order write at %d, expected %d", off, s.off)
		return 0, s.err
	}
	n, err := s.w.WriteAt(p, off)
	s.h.Write(p[:n])
	s.off += int64(n)
	return n, err
}

func (s *Store) exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err == nil {
		return true, nil
	}
	if isNotFound(err) {
		return false, nil
	}
	return false, fmt.Errorf("head %s: %w", key, err)
}
