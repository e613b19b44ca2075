//go:build unix

package scenarios

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO blocks whoever opens it for reading until a writer comes: Load
// refuses it without waiting. The test gives up after 10s (a hang), far
// above the microseconds it takes.
func TestLoadRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "drill.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Load(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		wantFileError(t, err, fifo, "the scenario is a named pipe (FIFO), not a regular file")
	case <-time.After(10 * time.Second):
		t.Fatal("Load blocked on a FIFO")
	}
}

func TestLoadRefusesDevice(t *testing.T) {
	_, err := Load("/dev/null")
	wantFileError(t, err, "/dev/null", "the scenario is a device, not a regular file")
}
