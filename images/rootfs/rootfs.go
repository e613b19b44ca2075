package rootfs

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// DefaultMirror is used when the host's apt sources name no mirror for the suite.
const DefaultMirror = "http://deb.debian.org/debian"

// DebianMirror returns the first http(s) mirror the apt sources under
// root list for suite itself (not suite-updates or suite-security), in either
// format (one-line .list or deb822 .sources), or the default mirror. Using the
// host's mirror respects a local proxy or mirror the machine is set up with.
func DebianMirror(root, suite string) string {
	files := []string{filepath.Join(root, "etc/apt/sources.list")}
	for _, pattern := range []string{"*.list", "*.sources"} {
		m, _ := filepath.Glob(filepath.Join(root, "etc/apt/sources.list.d", pattern))
		files = append(files, m...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var uri string
		if strings.HasSuffix(f, ".sources") {
			uri = mirrorDeb822(string(data), suite)
		} else {
			uri = mirrorOneLine(string(data), suite)
		}
		if uri != "" {
			return strings.TrimRight(uri, "/")
		}
	}
	return DefaultMirror
}

func isHTTP(uri string) bool {
	return strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://")
}

func mirrorOneLine(data, suite string) string {
	for line := range strings.Lines(data) {
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(line)
		if len(fields) < 3 || fields[0] != "deb" {
			continue
		}
		fields = fields[1:]
		if strings.HasPrefix(fields[0], "[") { // [ option=value ... ]
			for len(fields) > 0 && !strings.HasSuffix(fields[0], "]") {
				fields = fields[1:]
			}
			if len(fields) > 0 {
				fields = fields[1:]
			}
		}
		if len(fields) >= 2 && isHTTP(fields[0]) && fields[1] == suite {
			return fields[0]
		}
	}
	return ""
}

func mirrorDeb822(data, suite string) string {
	for _, stanza := range strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n\n") {
		fields := map[string]string{}
		for line := range strings.Lines(stanza) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if ok {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !slices.Contains(strings.Fields(fields["types"]), "deb") ||
			!slices.Contains(strings.Fields(fields["suites"]), suite) ||
			strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		for _, uri := range strings.Fields(fields["uris"]) {
			if isHTTP(uri) {
				return uri
			}
		}
	}
	return ""
}

// FilterVersion is part of the base hash: change it with Skip.
const FilterVersion = "1"

// Skip reports whether the rootfs entry rel (slash-separated, relative)
// stays out of the image: what debootstrap leaves behind for its own use (the
// downloaded packages and index files, about 150 MB), documentation (keeping
// copyright notices), the contents of the pseudo-filesystems Docker provides at
// run time, and temporary files.
func Skip(rel string, isDir bool) bool {
	dir, base := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	switch dir {
	case "dev", "proc", "sys", "tmp", "var/tmp":
		return true
	case "var/cache/apt/archives":
		return !isDir && strings.HasSuffix(base, ".deb")
	case "var/cache/apt":
		return !isDir && strings.HasSuffix(base, ".bin")
	case "var/lib/apt/lists":
		return !isDir
	}
	for _, docs := range []string{"usr/share/doc/", "usr/share/man/", "usr/share/info/"} {
		if strings.HasPrefix(rel, docs) && !isDir {
			return base != "copyright"
		}
	}
	return false
}

// WriteTar writes root as a tar with numeric owners, keeping hard links,
// symlinks and special files (sockets aside). Extended attributes (file
// capabilities) are not carried over: none of the recipes' packages relies on
// them (iputils' ping, which does, is not installed).
func WriteTar(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if Skip(rel, d.IsDir()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		hdr.Name = rel
		if d.IsDir() {
			hdr.Name += "/"
		}
		// Owners are numeric ids of the rootfs, not names of the host's users.
		hdr.Uname, hdr.Gname = "", ""
		hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
			if info.Mode().IsRegular() && st.Nlink > 1 {
				key := [2]uint64{uint64(st.Dev), uint64(st.Ino)}
				if first, ok := links[key]; ok {
					hdr.Typeflag = tar.TypeLink
					hdr.Linkname = first
					hdr.Size = 0
				} else {
					links[key] = rel
				}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
