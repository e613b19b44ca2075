package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// WAL errors.
var (
	// ErrNoWAL: the WAL file is not in the archive (for restore_command,
	// the end of recovery).
	ErrNoWAL = errors.New("wal file not archived")
	// ErrWALConflict: the archive holds a different file under that name;
	// archive_command must fail rather than overwrite it.
	ErrWALConflict = errors.New("wal file archived with different content")
)

// walPrefix is the WAL archive's prefix; under it one prefix per cluster,
// named by its system identifier (docs/architecture.md, "WAL archiving and
// point-in-time recovery").
const walPrefix = "wal/"

// walName matches the names Postgres archives: segments (24 hex digits),
// partial segments, backup history files and timeline history files.
var walName = regexp.MustCompile(`^([0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$`)

// ValidWALName reports whether name is a WAL file name Postgres archives.
func ValidWALName(name string) bool { return walName.MatchString(name) }

// ValidSystemID reports whether id is a cluster's system identifier as
// the archive names it: the uint64 in decimal, without a sign or leading
// zeros (one cluster, one prefix), and not 0, which no cluster has. It
// goes into object keys, so nothing else may pass.
func ValidSystemID(id string) bool {
	if id == "" || len(id) > 20 || strings.Trim(id, "0123456789") != "" {
		return false
	}
	v, err := strconv.ParseUint(id, 10, 64)
	return err == nil && v != 0 && strconv.FormatUint(v, 10) == id
}

// walSystemPrefix is the prefix of system's archived WAL.
func walSystemPrefix(systemID string) string { return walPrefix + systemID + "/" }

func walKey(systemID, name string) string { return walSystemPrefix(systemID) + name + ".gz" }

// checkWAL validates what goes into a WAL key.
func checkWAL(op, systemID, name string) error {
	if !ValidSystemID(systemID) {
		return fmt.Errorf("store: %s: invalid system identifier %q", op, systemID)
	}
	if !ValidWALName(name) {
		return fmt.Errorf("store: %s: invalid name %q", op, name)
	}
	return nil
}

// PutWAL stores the WAL file read from r under name in the archive of the
// cluster systemID, gzip'd. When that archive already holds name with the
// same content it returns nil (an archive_command retried after a lost
// answer); with a different content ErrWALConflict.
func (s *Store) PutWAL(ctx context.Context, systemID, name string, r io.Reader) error {
	if err := checkWAL("put wal", systemID, name); err != nil {
		return err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("store: put wal %s: read: %w", name, err)
	}
	key := walKey(systemID, name)
	exists, err := s.exists(ctx, key)
	if err != nil {
		return fmt.Errorf("store: put wal %s: %w", name, err)
	}
	if exists {
		var have bytes.Buffer
		if err := s.GetWAL(ctx, systemID, name, &have); err != nil {
			return fmt.Errorf("store: put wal %s: compare with archived: %w", name, err)
		}
		if bytes.Equal(have.Bytes(), data) {
			return nil
		}
		return fmt.Errorf("store: put wal %s: %w", name, ErrWALConflict)
	}
	var gz bytes.Buffer
	// BestSpeed: a segment switched by archive_timeout is mostly zeros and
	// shrinks to almost nothing at any level; a full one is not worth the
	// archiver's wait for a better ratio.
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(data); err != nil {
		return fmt.Errorf("store: put wal %s: gzip: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("store: put wal %s: gzip: %w", name, err)
	}
	if _, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
		Body:   bytes.NewReader(gz.Bytes()),
	}); err != nil {
		return fmt.Errorf("store: put wal %s: %w", name, err)
	}
	return nil
}

// GetWAL writes the WAL file name of the cluster systemID, gunzip'd, to
// w; ErrNoWAL (wrapped) when it is not archived.
func (s *Store) GetWAL(ctx context.Context, systemID, name string, w io.Writer) error {
	if err := checkWAL("get wal", systemID, name); err != nil {
		return err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(walKey(systemID, name))})
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("store: get wal %s: %w", name, ErrNoWAL)
		}
		return fmt.Errorf("store: get wal %s: %w", name, err)
	}
	defer out.Body.Close()
	zr, err := gzip.NewReader(out.Body)
	if err != nil {
		return fmt.Errorf("store: get wal %s: gunzip: %w", name, err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		return fmt.Errorf("store: get wal %s: %w", name, err)
	}
	if err := zr.Close(); err != nil {
		return fmt.Errorf("store: get wal %s: gunzip: %w", name, err)
	}
	return nil
}

// ListWAL returns the names of the archived WAL files of the cluster
// systemID, sorted.
func (s *Store) ListWAL(ctx context.Context, systemID string) ([]string, error) {
	if !ValidSystemID(systemID) {
		return nil, fmt.Errorf("store: list wal: invalid system identifier %q", systemID)
	}
	prefix := walSystemPrefix(systemID)
	var names []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: list wal of system %s: %w", systemID, err)
		}
		for _, o := range page.Contents {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(o.Key), prefix), ".gz")
			if ValidWALName(name) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// DeleteWAL deletes the archived WAL files names of the cluster systemID
// with DeleteObjects (WAL retention, docs/architecture.md, "WAL archiving
// and point-in-time recovery"). It returns how many were deleted: on an
// error, the batches before the failed one.
func (s *Store) DeleteWAL(ctx context.Context, systemID string, names []string) (int, error) {
	keys := make([]string, len(names))
	for i, n := range names {
		if err := checkWAL("delete wal", systemID, n); err != nil {
			return 0, err
		}
		keys[i] = walKey(systemID, n)
	}
	done := 0
	for len(keys) > 0 {
		n := min(len(keys), deleteBatch)
		if err := s.deleteKeys(ctx, keys[:n]); err != nil {
			return done, fmt.Errorf("store: delete wal of system %s: %w", systemID, err)
		}
		done += n
		keys = keys[n:]
	}
	return done, nil
}
