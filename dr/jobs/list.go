package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/firedrill/firedrill/dr/store"
)

// CatalogLine is one backup as `agent backups list` prints it, one JSON
// object a line.
type CatalogLine struct {
	Kind       string          `json:"kind"`
	ID         string          `json:"id"`
	Incomplete bool            `json:"incomplete,omitempty"`
	Manifest   *store.Manifest `json:"manifest,omitempty"`
	// Verified, with --verify: "ok", or "corrupt: <why>".
	Verified string `json:"verified,omitempty"`
}

// ListCatalog writes the backups of kinds, newest first within a kind.
// With verify it downloads each complete backup to a temporary file in
// tmpDir and checks its size and SHA-256; a corrupt backup is a line, not
// an error.
func ListCatalog(ctx context.Context, cat Catalog, kinds []string, verify bool, tmpDir string, w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, kind := range kinds {
		entries, err := cat.List(ctx, kind)
		if err != nil {
			return err
		}
		for _, e := range entries {
			line := CatalogLine{Kind: e.Kind, ID: e.ID, Incomplete: e.Incomplete, Manifest: e.Manifest}
			if verify && !e.Incomplete {
				if line.Verified, err = verifyBackup(ctx, cat, *e.Manifest, tmpDir); err != nil {
					return err
				}
			}
			if err := enc.Encode(line); err != nil {
				return fmt.Errorf("jobs: list: %w", err)
			}
		}
	}
	return nil
}

func verifyBackup(ctx context.Context, cat Catalog, m store.Manifest, tmpDir string) (string, error) {
	f, remove, err := tempFile(tmpDir, "firedrill-verify-*")
	if err != nil {
		return "", err
	}
	defer remove()
	_, err = cat.Fetch(ctx, m, f)
	switch {
	case errors.Is(err, store.ErrCorrupt):
		return "corrupt: " + err.Error(), nil
	case err != nil:
		return "", err
	}
	return "ok", nil
}
