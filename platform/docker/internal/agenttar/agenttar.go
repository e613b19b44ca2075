// Package agenttar makes and reads the tar archives that carry
// firedrill's binary into and out of containers (docs/architecture.md,
// "Sidecars"). Nothing in it talks to Docker.
package agenttar

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/firedrill/firedrill/platform/docker/internal/pgnode"
)

// FirstFile returns the content of the first regular file of a tar
// stream (CopyFromContainer of a file gives an archive of it alone).
func FirstFile(r io.Reader) ([]byte, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("the archive holds no regular file")
			}
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("read %s from the archive: %w", h.Name, err)
			}
			return b, nil
		}
	}
}

// Archive is an uncompressed archive, extracted at "/", of pgnode.AgentPath's
// directory and the binary, owned by root and mode 0755: every user may
// run it, none may change it. Uncompressed: it is copied into every
// Postgres container and sidecar, and gzip of 40MB would cost a second of
// CPU each time.
func Archive(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := path.Dir(pgnode.AgentPath)[1:] + "/"
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755}); err != nil {
		return nil, fmt.Errorf("archive the binary: %w", err)
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: pgnode.AgentPath[1:], Mode: 0o755, Size: int64(len(bin))}); err != nil {
		return nil, fmt.Errorf("archive the binary: %w", err)
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, fmt.Errorf("archive the binary: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("archive the binary: %w", err)
	}
	return buf.Bytes(), nil
}
