package recipe

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"time"
)

// ContextFile is one entry of a build context: embedded Data, a file on disk
// (Src, streamed: the MinIO binary is 150 MB), or an empty directory (Dir).
type ContextFile struct {
	Name string
	Mode int64
	Data []byte
	Src  string
	Dir  bool
}

// WriteContext writes a build context as a tar, parent directories first, as
// a tar of a real tree would have them.
func WriteContext(w io.Writer, files []ContextFile) error {
	tw := tar.NewWriter(w)
	now := time.Unix(0, 0) // fixed times: the build cache keys on content, not on when we ran
	dirs := map[string]bool{}
	for _, f := range files {
		for i := range len(f.Name) {
			if f.Name[i] != '/' || dirs[f.Name[:i]] {
				continue
			}
			dirs[f.Name[:i]] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: f.Name[:i+1], Mode: 0o755, ModTime: now, Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
		if f.Dir {
			dirs[f.Name] = true
		}
		if err := writeEntry(tw, f, now); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeEntry(tw *tar.Writer, f ContextFile, now time.Time) error {
	hdr := &tar.Header{Name: f.Name, Mode: f.Mode, ModTime: now, Format: tar.FormatPAX}
	switch {
	case f.Dir:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		return tw.WriteHeader(hdr)
	case f.Src != "":
		src, err := os.Open(f.Src)
		if err != nil {
			return err
		}
		defer src.Close()
		st, err := src.Stat()
		if err != nil {
			return err
		}
		hdr.Typeflag = tar.TypeReg
		hdr.Size = st.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, src); err != nil {
			return fmt.Errorf("%s: %w", f.Src, err)
		}
		return nil
	default:
		hdr.Typeflag = tar.TypeReg
		hdr.Size = int64(len(f.Data))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(f.Data)
		return err
	}
}
