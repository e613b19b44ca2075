// Package elfdeps finds what a dynamically linked linux executable needs at run
// time: its program interpreter and, recursively, every shared library, as the
// host's dynamic loader would find them. Package images copies them into the app
// image, so that a firedrill built with cgo on (plain go build, the default)
// runs FROM scratch too.
package elfdeps

import (
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// multiarch is Debian's multiarch triplet per GOARCH: the first place its
// loader looks.
var multiarch = map[string]string{
	"amd64":   "x86_64-linux-gnu",
	"arm64":   "aarch64-linux-gnu",
	"386":     "i386-linux-gnu",
	"arm":     "arm-linux-gnueabihf",
	"riscv64": "riscv64-linux-gnu",
	"ppc64le": "powerpc64le-linux-gnu",
	"s390x":   "s390x-linux-gnu",
}

// SearchDirs returns where the host's loader finds libraries by default:
// the directories ld.so.conf lists (what ld.so.cache is made from), then the
// standard ones. root is "/" except in tests.
func SearchDirs(root, goarch string) []string {
	dirs := ldSoConf(filepath.Join(root, "etc/ld.so.conf"), root, 0)
	if t := multiarch[goarch]; t != "" {
		dirs = append(dirs, "/lib/"+t, "/usr/lib/"+t)
	}
	dirs = append(dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib")
	var out []string
	for _, d := range dirs {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// ldSoConf reads an ld.so.conf: one directory a line, `include GLOB` for
// more files, comments with #. Anything fancier (hwcap lines) is ignored: the
// standard directories follow anyway.
func ldSoConf(file, root string, depth int) []string {
	f, err := os.Open(file)
	if err != nil || depth > 4 {
		return nil
	}
	defer f.Close()
	var dirs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "include "):
			pattern := strings.TrimSpace(strings.TrimPrefix(line, "include "))
			if !path.IsAbs(pattern) {
				pattern = path.Join(path.Dir(strings.TrimPrefix(file, root)), pattern)
			}
			matches, _ := filepath.Glob(filepath.Join(root, pattern))
			slices.Sort(matches)
			for _, m := range matches {
				dirs = append(dirs, ldSoConf(m, root, depth+1)...)
			}
		case path.IsAbs(line) && !strings.ContainsAny(line, " \t"):
			dirs = append(dirs, path.Clean(line))
		}
	}
	return dirs
}

// Deps is what a dynamically linked executable needs at run time.
type Deps struct {
	// Interp is the program interpreter (PT_INTERP), "" for a static binary.
	Interp string
	// Libs are the shared libraries, as paths the loader finds them at, in the
	// order they were found (breadth first, as the loader does).
	Libs []string
}

// Files returns the interpreter and the libraries: what the image must hold.
func (d Deps) Files() []string {
	if d.Interp == "" {
		return slices.Clone(d.Libs)
	}
	out := []string{d.Interp}
	for _, l := range d.Libs {
		if l != d.Interp {
			out = append(out, l)
		}
	}
	return out
}

// LibDirs returns the directories of the libraries, each once, for LD_LIBRARY_PATH.
func (d Deps) LibDirs() []string {
	var out []string
	for _, l := range d.Libs {
		if dir := path.Dir(l); !slices.Contains(out, dir) {
			out = append(out, dir)
		}
	}
	return out
}

// Resolve finds the interpreter and, recursively, every DT_NEEDED
// library of binary, searching as the loader does: the requesting object's
// DT_RPATH (when it has no DT_RUNPATH), its DT_RUNPATH, then dirs. A library of
// another class or machine in a search directory (a 32-bit one in /usr/lib) is
// passed over, as the loader does.
func Resolve(binary string, dirs []string) (Deps, error) {
	f, err := elf.Open(binary)
	if err != nil {
		return Deps{}, err
	}
	defer f.Close()
	var deps Deps
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(io.LimitReader(p.Open(), 4096))
			if err != nil {
				return Deps{}, fmt.Errorf("%s: read interpreter: %w", binary, err)
			}
			deps.Interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if deps.Interp != "" {
		if _, err := os.Stat(deps.Interp); err != nil {
			return Deps{}, fmt.Errorf("%s needs the interpreter %s: %w", binary, deps.Interp, err)
		}
	}

	type object struct {
		path string
		file *elf.File
	}
	seen := map[string]bool{}
	queue := []object{{binary, f}}
	defer func() {
		for _, o := range queue {
			if o.file != f {
				o.file.Close()
			}
		}
	}()
	for i := 0; i < len(queue); i++ {
		obj := queue[i]
		needed, err := obj.file.DynString(elf.DT_NEEDED)
		if err != nil {
			return Deps{}, fmt.Errorf("%s: %w", obj.path, err)
		}
		search := objectSearchPath(obj.file, obj.path)
		search = append(search, dirs...)
		for _, name := range needed {
			found, lib, err := findLib(name, search, f)
			if err != nil {
				return Deps{}, fmt.Errorf("%s needs %s: %w", obj.path, name, err)
			}
			if seen[found] {
				lib.Close()
				continue
			}
			seen[found] = true
			deps.Libs = append(deps.Libs, found)
			queue = append(queue, object{found, lib})
		}
	}
	return deps, nil
}

// objectSearchPath is an object's own DT_RPATH or DT_RUNPATH, $ORIGIN
// expanded.
func objectSearchPath(f *elf.File, file string) []string {
	runpath, _ := f.DynString(elf.DT_RUNPATH)
	list := runpath
	if len(runpath) == 0 {
		list, _ = f.DynString(elf.DT_RPATH)
	}
	origin := filepath.Dir(file)
	if abs, err := filepath.Abs(origin); err == nil {
		origin = abs
	}
	var out []string
	for _, entry := range list {
		for _, d := range strings.Split(entry, ":") {
			d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", origin), "$ORIGIN", origin)
			if path.IsAbs(d) {
				out = append(out, path.Clean(d))
			}
		}
	}
	return out
}

// findLib looks name up in dirs (or takes it as a path when it has a slash)
// and returns the first file of want's class and machine.
func findLib(name string, dirs []string, want *elf.File) (string, *elf.File, error) {
	candidates := []string{name}
	if !strings.Contains(name, "/") {
		candidates = candidates[:0]
		for _, d := range dirs {
			candidates = append(candidates, path.Join(d, name))
		}
	}
	for _, c := range candidates {
		lib, err := elf.Open(c)
		if err != nil {
			continue
		}
		if lib.Class != want.Class || lib.Machine != want.Machine {
			lib.Close()
			continue
		}
		return c, lib, nil
	}
	return "", nil, errors.New("not found in " + strings.Join(dirs, ", "))
}
