package pgwal

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// controlFile is a pg_control file of Postgres 15 (version 1300) of the
// cluster id, as an amd64 or arm64 server writes it: little-endian.
func controlFile(id uint64) []byte {
	b := make([]byte, 8192)
	binary.LittleEndian.PutUint64(b, id)
	binary.LittleEndian.PutUint32(b[8:], 1300)
	return b
}

func TestSystemIDFromControl(t *testing.T) {
	// The head of a Postgres 15 pg_control as an amd64 server writes it:
	// system_identifier 7301234567890123456, pg_control_version 1300.
	head := []byte{0xC0, 0xBA, 0xE4, 0xE8, 0x27, 0x32, 0x53, 0x65, 0x14, 0x05, 0x00, 0x00}
	if id, err := SystemIDFromControl(head); err != nil || id != "7301234567890123456" {
		t.Errorf("SystemIDFromControl = %q, %v", id, err)
	}
	if id, err := SystemIDFromControl(controlFile(1)); err != nil || id != "1" {
		t.Errorf("a whole pg_control file: %q, %v", id, err)
	}
	bigEndian := make([]byte, 16)
	binary.BigEndian.PutUint64(bigEndian, 7301234567890123456)
	binary.BigEndian.PutUint32(bigEndian[8:], 1300)
	zero := controlFile(0)
	for name, b := range map[string][]byte{"short": head[:11], "big-endian": bigEndian, "zero id": zero, "not pg_control": []byte("PostgreSQL 15 data directory")} {
		if id, err := SystemIDFromControl(b); err == nil {
			t.Errorf("%s: read as %s", name, id)
		}
	}
}

func writeControl(t *testing.T, dir string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "global"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ControlFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReadSystemID(t *testing.T) {
	pgdata := t.TempDir()
	writeControl(t, pgdata, controlFile(7301234567890123456))
	if id, err := ReadSystemID(pgdata); err != nil || id != "7301234567890123456" {
		t.Errorf("ReadSystemID = %q, %v", id, err)
	}
	short := t.TempDir()
	writeControl(t, short, []byte{1, 2, 3})
	if _, err := ReadSystemID(short); err == nil {
		t.Error("read a pg_control of 3 bytes")
	}
	if _, err := ReadSystemID(t.TempDir()); err == nil {
		t.Error("read a pg_control that is not there")
	}
}
