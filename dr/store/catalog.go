package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Entry is one backup of the catalog. Incomplete is set when it has no
// (readable) manifest: the job is running or failed, and it is never
// restored (docs/architecture.md, "Backups and the catalog").
type Entry struct {
	ID         string
	Kind       string
	Manifest   *Manifest
	Incomplete bool
}

// maxManifestBytes bounds what List reads of a manifest: a manifest is a
// few hundred bytes, and a larger object at that key is not one.
const maxManifestBytes = 1 << 20

// List returns every backup of kind, newest first. It lists the kind's
// prefix with a delimiter (one entry per backup, not per object), then
// reads each backup's manifest; a backup whose manifest is missing or
// unreadable JSON is Incomplete.
func (s *Store) List(ctx context.Context, kind string) ([]Entry, error) {
	if !validKind(kind) {
		return nil, fmt.Errorf("store: list: unknown kind %q", kind)
	}
	var ids []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket:    aws.String(s.bucket),
		Prefix:    aws.String(kind + "/"),
		Delimiter: aws.String("/"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: list %s: %w", kind, err)
		}
		for _, cp := range page.CommonPrefixes {
			id := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), kind+"/"), "/")
			// Anything else under the prefix is not firedrill's.
			if ValidID(id) {
				ids = append(ids, id)
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	entries := make([]Entry, 0, len(ids))
	for _, id := range ids {
		m, err := s.manifest(ctx, kind, id)
		if err != nil {
			return nil, err
		}
		entries = append(entries, Entry{ID: id, Kind: kind, Manifest: m, Incomplete: m == nil})
	}
	return entries, nil
}

// manifest reads the manifest of kind/id: nil when it is absent or is not
// a manifest of that backup.
func (s *Store) manifest(ctx context.Context, kind, id string) (*Manifest, error) {
	key := Key(kind, id, manifestName)
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("store: read %s: %w", key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, maxManifestBytes))
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", key, err)
	}
	return parseManifest(body, kind, id), nil
}

// parseManifest decodes a manifest, nil when it is not a manifest of
// kind/id: a backup that cannot be trusted to describe itself is treated
// as incomplete rather than stopping the whole catalog.
func parseManifest(body []byte, kind, id string) *Manifest {
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil
	}
	if m.ID != id || m.Kind != kind || m.Object == "" {
		return nil
	}
	return &m
}

// Retain deletes all but the newest keep complete backups of kind, and
// the incomplete ones older than the oldest kept; it returns the ids
// deleted. Incomplete backups newer than that may be running and stay.
func (s *Store) Retain(ctx context.Context, kind string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("store: retain %s: keep must be at least 1, got %d", kind, keep)
	}
	entries, err := s.List(ctx, kind)
	if err != nil {
		return nil, err
	}
	doomed := ChooseDeletions(entries, keep)
	for i, id := range doomed {
		if err := s.deletePrefix(ctx, Key(kind, id, "")); err != nil {
			return doomed[:i], fmt.Errorf("store: retain %s: delete %s: %w", kind, id, err)
		}
	}
	return doomed, nil
}

// ChooseDeletions is Retain's rule on a catalog listed newest first.
func ChooseDeletions(entries []Entry, keep int) []string {
	kept := 0
	oldestKept := ""
	var doomed []string
	for _, e := range entries {
		if e.Incomplete {
			continue
		}
		if kept < keep {
			kept++
			oldestKept = e.ID
			continue
		}
		doomed = append(doomed, e.ID)
	}
	// Only prune incomplete backups once the kept ones are all there:
	// with fewer than keep complete backups everything stays.
	if kept < keep {
		return doomed
	}
	for _, e := range entries {
		if e.Incomplete && e.ID < oldestKept {
			doomed = append(doomed, e.ID)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(doomed)))
	return doomed
}

// deleteBatch is the most keys one DeleteObjects call takes.
const deleteBatch = 1000

// deletePrefix deletes every object under prefix with DeleteObjects, the
// manifest first, so that a backup half deleted reads as incomplete and is
// never restored.
func (s *Store) deletePrefix(ctx context.Context, prefix string) error {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	manifestKey := prefix + manifestName
	sort.SliceStable(keys, func(i, j int) bool { return keys[i] == manifestKey && keys[j] != manifestKey })
	for len(keys) > 0 {
		n := min(len(keys), deleteBatch)
		if keys[0] == manifestKey {
			n = 1
		}
		if err := s.deleteKeys(ctx, keys[:n]); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func (s *Store) deleteKeys(ctx context.Context, keys []string) error {
	objs := make([]types.ObjectIdentifier, len(keys))
	for i, k := range keys {
		objs[i] = types.ObjectIdentifier{Key: aws.String(k)}
	}
	out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(s.bucket),
		Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("delete objects: %w", err)
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return fmt.Errorf("delete %s: %s: %s (and %d more)", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
	}
	return nil
}

// isNotFound reports whether err is S3's answer for an absent key
// (GetObject says NoSuchKey, HeadObject only NotFound).
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "404":
			return true
		}
	}
	return false
}
