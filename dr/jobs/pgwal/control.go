package pgwal

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/firedrill/firedrill/dr/store"
)

// ControlFile is pg_control's path in a data directory.
const ControlFile = "global/pg_control"

// controlHead is what SystemIDFromControl reads of pg_control: the struct
// ControlFileData begins with `uint64 system_identifier`, then `uint32
// pg_control_version`; both have kept their place since Postgres 8.x.
const controlHead = 12

// Plausible pg_control_version values (960 is Postgres 9.6, 1300 is 13,
// 1800 is 18): a version outside them means the bytes are not a pg_control
// file in the byte order read.
const (
	minControlVersion = 900
	maxControlVersion = 10000
)

// SystemIDFromControl reads the system identifier from the start of a
// pg_control file, in decimal. The server writes the file in its native
// byte order; firedrill reads it little-endian, the order of every
// platform it supports (amd64 and arm64), and a big-endian file is refused
// rather than misread: its pg_control_version would be absurd.
func SystemIDFromControl(b []byte) (string, error) {
	if len(b) < controlHead {
		return "", fmt.Errorf("pg_control: %d bytes, too short", len(b))
	}
	if v := binary.LittleEndian.Uint32(b[8:12]); v < minControlVersion || v >= maxControlVersion {
		return "", fmt.Errorf("pg_control: version %d is not one of Postgres (not a pg_control file, or not little-endian)", v)
	}
	id := strconv.FormatUint(binary.LittleEndian.Uint64(b[0:8]), 10)
	if !store.ValidSystemID(id) {
		return "", fmt.Errorf("pg_control: system identifier %s is not valid", id)
	}
	return id, nil
}

// ReadControl reads the system identifier from a pg_control file's
// start (SystemIDFromControl): a data directory's, or one streaming by in
// a base backup's tar.
func ReadControl(r io.Reader) (string, error) {
	b := make([]byte, controlHead)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read pg_control: %w", err)
	}
	return SystemIDFromControl(b)
}

// ReadSystemID reads the system identifier of the cluster in dataDir from
// its global/pg_control.
func ReadSystemID(dataDir string) (string, error) {
	f, err := os.Open(filepath.Join(dataDir, ControlFile))
	if err != nil {
		return "", err
	}
	defer f.Close()
	id, err := ReadControl(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Name(), err)
	}
	return id, nil
}
