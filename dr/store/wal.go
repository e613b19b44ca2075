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

const walPrefix = "wal/"

// walName matches the names Postgres archives: segments (24 hex digits),
// partial segments, backup history files and timeline history files.
var walName = regexp.MustCompile(`^([0-9A-F]{24}(\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$`)

// ValidWALName reports whether name is a WAL file name Postgres archives.
func ValidWALName(name string) bool { return walName.MatchString(name) }

func walKey(name string) string { return walPrefix + name + ".gz" }

// PutWAL stores the WAL file read from r under name, gzip'd. When the
// archive already holds name with the same content it returns nil (an
// archive_command retried after a lost answer); with a different content
// ErrWALConflict.
func (s *Store) PutWAL(ctx context.Context, name string, r io.Reader) error {
	if !ValidWALName(name) {
		return fmt.Errorf("store: put wal: invalid name %q", name)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("store: put wal %s: read: %w", name, err)
	}
	key := walKey(name)
	exists, err := s.exists(ctx, key)
	if err != nil {
		return fmt.Errorf("store: put wal %s: %w", name, err)
	}
	if exists {
		var have bytes.Buffer
		if err := s.GetWAL(ctx, name, &have); err != nil {
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

// GetWAL writes the archived WAL file name, gunzip'd, to w; ErrNoWAL
// (wrapped) when it is not archived.
func (s *Store) GetWAL(ctx context.Context, name string, w io.Writer) error {
	if !ValidWALName(name) {
		return fmt.Errorf("store: get wal: invalid name %q", name)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(walKey(name))})
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

// ListWAL returns the names of the archived WAL files, sorted.
func (s *Store) ListWAL(ctx context.Context) ([]string, error) {
	var names []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(walPrefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: list wal: %w", err)
		}
		for _, o := range page.Contents {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(o.Key), walPrefix), ".gz")
			if ValidWALName(name) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}
