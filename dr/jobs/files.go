package jobs

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/firedrill/firedrill/dr/store"
)

// FilesBackup is `agent backup files`: a tar.gz of a directory (the app's
// uploads volume) streamed into the store, with names, contents, modes,
// owners and modification times.
type FilesBackup struct {
	Dir   string
	ID    string
	Keep  int
	Store Catalog
	Out   io.Writer
}

// Run takes the backup and writes its report lines.
func (b FilesBackup) Run(ctx context.Context) (store.Manifest, error) {
	m, detail, err := b.run(ctx)
	return m, Finish(b.Out, Report{BackupID: b.ID, Manifest: &m, Detail: detail}, err)
}

func (b FilesBackup) run(ctx context.Context) (store.Manifest, string, error) {
	start := time.Now()
	if fi, err := os.Stat(b.Dir); err != nil {
		return store.Manifest{}, "", fmt.Errorf("files backup: %w", err)
	} else if !fi.IsDir() {
		return store.Manifest{}, "", fmt.Errorf("files backup: %s is not a directory", b.Dir)
	}
	pr, pw := io.Pipe()
	files := 0
	go func() {
		n, err := WriteTarGz(ctx, pw, b.Dir)
		files = n
		// The uploader sees the archive's error in place of its end and
		// aborts the multipart upload.
		pw.CloseWithError(err)
	}()
	m, err := b.Store.Put(ctx, store.Manifest{ID: b.ID, Kind: store.KindFiles, Start: start, SnapshotTime: start}, pr,
		store.WithFinal(func(m *store.Manifest) error {
			// The writer has closed the pipe (the upload saw its end), so
			// files is final.
			m.Files = files
			m.End = time.Now()
			return nil
		}))
	pr.CloseWithError(errors.New("upload ended")) // unblocks the writer if the upload failed first
	if err != nil {
		return store.Manifest{}, "", fmt.Errorf("files backup: %w", err)
	}
	phase(b.Out, PhaseBackup, start, m.Size, m.ID, fmt.Sprintf("%d files", m.Files))
	return m, retain(ctx, b.Store, store.KindFiles, b.Keep), nil
}

// WriteTarGz writes dir's tree as a gzip'd tar to w, names relative to dir,
// and returns the number of regular files. Sockets and devices are
// skipped: an uploads directory holds neither, and they cannot be restored
// as data.
func WriteTarGz(ctx context.Context, w io.Writer, dir string) (int, error) {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if gone(err) && p != dir {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		file, err := archiveEntry(tw, dir, p, d)
		if file {
			files++
		}
		return err
	})
	if err != nil {
		return files, fmt.Errorf("archive %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return files, fmt.Errorf("archive %s: %w", dir, err)
	}
	if err := zw.Close(); err != nil {
		return files, fmt.Errorf("archive %s: %w", dir, err)
	}
	return files, nil
}

// gone says an entry vanished. The directory is live: the app writes
// uploads into it (through a temporary file it links into place and
// removes) while the archive is made; a file gone between the listing and
// its reading was a temporary one, or deleted, and is not part of the
// backup.
func gone(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// archiveEntry writes the entry p (d, under dir) to tw; file says it was a
// regular file. One that vanished meanwhile writes nothing.
func archiveEntry(tw *tar.Writer, dir, p string, d fs.DirEntry) (file bool, err error) {
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." {
		return false, err
	}
	info, err := d.Info()
	if err != nil {
		if gone(err) {
			return false, nil
		}
		return false, err
	}
	var link string
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		if link, err = os.Readlink(p); err != nil {
			if gone(err) {
				return false, nil
			}
			return false, err
		}
	case info.Mode().IsDir(), info.Mode().IsRegular():
	default:
		return false, nil
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return false, err
	}
	hdr.Name = filepath.ToSlash(rel)
	if info.IsDir() {
		hdr.Name += "/"
	}
	hdr.Format = tar.FormatPAX
	if !info.Mode().IsRegular() {
		return false, tw.WriteHeader(hdr)
	}
	// Opened before its header is written: a file that vanished leaves no
	// header without contents behind.
	f, err := os.Open(p)
	if err != nil {
		if gone(err) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return false, err
	}
	// A file that grows while it is read would break the header's size:
	// copy exactly that many bytes.
	if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
		return false, fmt.Errorf("%s: %w", p, err)
	}
	return true, nil
}

// FilesRestore is `agent restore files`: the newest valid files backup is
// put back into Dir, merged: every file it holds replaces the file of its
// name, atomically (written aside, renamed over), and the files it does not
// hold stay. The app may already be taking uploads into Dir (a rebuilt app
// serves as soon as it starts): a restore that emptied the directory first
// would lose them (docs/architecture.md, "Backups and the catalog").
type FilesRestore struct {
	Dir    string
	ID     string
	Store  Catalog
	TmpDir string
	Out    io.Writer
}

// Run restores and writes its report lines.
func (r FilesRestore) Run(ctx context.Context) (store.Manifest, error) {
	m, err := r.run(ctx)
	res := Report{BackupID: m.ID}
	if err == nil {
		res.Manifest = &m
	}
	return m, Finish(r.Out, res, err)
}

func (r FilesRestore) run(ctx context.Context) (store.Manifest, error) {
	m, f, remove, err := FetchNewestValid(ctx, r.Store, store.KindFiles, r.ID, r.TmpDir, r.Out)
	if err != nil {
		return store.Manifest{}, fmt.Errorf("files restore: %w", err)
	}
	defer remove()
	start := time.Now()
	n, err := ExtractTarGz(ctx, f, r.Dir)
	if err != nil {
		return m, fmt.Errorf("files restore of %s: %w", m.ID, err)
	}
	phase(r.Out, PhaseExtract, start, m.Size, m.ID, fmt.Sprintf("%d files", n))
	return m, nil
}

// ExtractTarGz unpacks a gzip'd tar (WriteTarGz's) into dir and returns
// the number of regular files. A file or link of the same name already in
// dir is replaced (a file atomically, by a rename); anything else there
// stays. Names that would leave dir are refused.
// Owners are restored when the job runs as root; directory modes and
// times are set last, so that a read-only directory can be filled first.
func ExtractTarGz(ctx context.Context, r io.Reader, dir string) (int, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("extract: %w", err)
	}
	tr := tar.NewReader(zr)
	asRoot := os.Geteuid() == 0
	var dirs []*tar.Header
	files := 0
	for {
		if ctx.Err() != nil {
			return files, ctx.Err()
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return files, fmt.Errorf("extract: %w", err)
		}
		name := path.Clean(hdr.Name)
		if name == "." || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return files, fmt.Errorf("extract: refusing entry %q outside the directory", hdr.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		mode := tarMode(hdr)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return files, fmt.Errorf("extract: %w", err)
			}
			dirs = append(dirs, hdr)
			continue
		case tar.TypeSymlink:
			if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return files, fmt.Errorf("extract: %w", err)
			}
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return files, fmt.Errorf("extract: %w", err)
			}
			if asRoot {
				_ = os.Lchown(target, hdr.Uid, hdr.Gid)
			}
			continue
		case tar.TypeReg:
			if err := extractFile(tr, target, hdr, mode, asRoot); err != nil {
				return files, fmt.Errorf("extract %s: %w", name, err)
			}
			files++
		}
	}
	// Deepest first, so that setting a parent's time is not undone by
	// its children.
	for i := len(dirs) - 1; i >= 0; i-- {
		hdr := dirs[i]
		target := filepath.Join(dir, filepath.FromSlash(path.Clean(hdr.Name)))
		if err := setMeta(target, hdr, tarMode(hdr), asRoot); err != nil {
			return files, err
		}
	}
	return files, nil
}

// extractFile writes one regular file beside its target, with its mode,
// owner and times, then renames it over the target: a reader of the
// directory sees the old file or the restored one, never half of one.
func extractFile(r io.Reader, target string, hdr *tar.Header, mode fs.FileMode, asRoot bool) error {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".restore-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp)
		}
	}()
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := setMeta(tmp, hdr, mode, asRoot); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	ok = true
	return nil
}

// tarMode is the mode os.Chmod takes for hdr: permissions and the
// setuid, setgid and sticky bits (tar's Mode holds them as Unix bits).
func tarMode(hdr *tar.Header) fs.FileMode {
	return hdr.FileInfo().Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

func setMeta(target string, hdr *tar.Header, mode fs.FileMode, asRoot bool) error {
	if asRoot {
		if err := os.Chown(target, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("extract: %w", err)
		}
	}
	if err := os.Chmod(target, mode); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	if err := os.Chtimes(target, hdr.ModTime, hdr.ModTime); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}
