package outfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Modes of the output files: results are for everyone who can read the
// directory; credentials for the owner alone.
const (
	ModeOutput  fs.FileMode = 0o644
	ModePrivate fs.FileMode = 0o600
)

// Write writes path with mode through write. It refuses a path
// whose last element is a symlink (O_NOFOLLOW) or is not a regular file, and
// sets the mode even when the file existed.
func Write(path string, mode fs.FileMode, write func(io.Writer) error) error {
	// O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader.
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, mode)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return fmt.Errorf("write %s: it is a symlink; refusing to write through it", path)
		}
		if errors.Is(err, syscall.ENXIO) {
			return fmt.Errorf("write %s: it is a FIFO or socket, not a regular file", path)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	err = func() error {
		st, err := fh.Stat()
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("it is a %s, not a regular file", fileKind(st.Mode()))
		}
		// Mode first, then content: a file that held 0644 results and is now
		// to hold passwords is never readable by others with them inside.
		if err := fh.Chmod(mode); err != nil {
			return err
		}
		if err := fh.Truncate(0); err != nil {
			return err
		}
		return write(fh)
	}()
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// CheckDir says whether out can become an output directory: it is a
// directory, or does not exist yet and its nearest existing parent is a
// writable directory. Callers check it before anything starts.
func CheckDir(out string) error {
	for dir := out; ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				if dir == out {
					return fmt.Errorf("%s is a %s, not a directory", out, fileKindOrFile(st.Mode()))
				}
				return fmt.Errorf("%s is not a directory", dir)
			}
			if err := syscall.Access(dir, 0o2 /* W_OK */); err != nil {
				return fmt.Errorf("%s is not writable", dir)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return err
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil
		}
	}
}

func fileKindOrFile(m fs.FileMode) string {
	if m.IsRegular() {
		return "file"
	}
	return fileKind(m)
}
