package hostneeds

import (
	"fmt"
	"go/version"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Need is one thing a build needs on the machine that runs it.
type Need struct {
	// Name is what to call it in messages ("debootstrap", "root").
	Name string
	// Why says what the need is for, in messages.
	Why string
	// Executable is looked up on PATH, then in Dirs ("" for a need that is no
	// program, such as root).
	Executable string
	// Dirs are searched after PATH: debootstrap lives in /usr/sbin, which a
	// non-root PATH often lacks.
	Dirs []string
	// Package is the system package providing Executable ("" when the system's
	// package is no good, as for Go, whose distribution packages are too old).
	Package string
	// Root is set for the need to run as root.
	Root bool
	// MinGo is the oldest Go toolchain that will do ("1.21"), for the go need.
	MinGo string
	// Hint is how to satisfy a need that no package satisfies.
	Hint string
}

// Host is what needs are checked against; tests fake it.
type Host struct {
	LookPath  func(string) (string, error)
	Stat      func(string) (os.FileInfo, error)
	Euid      func() int
	GoVersion func(goBin string) (string, error) // "go1.26.8"
}

// Real is this machine.
var Real = Host{LookPath: exec.LookPath, Stat: os.Stat, Euid: os.Geteuid, GoVersion: goVersion}

func goVersion(goBin string) (string, error) {
	out, err := exec.Command(goBin, "env", "GOVERSION").Output()
	return strings.TrimSpace(string(out)), err
}

// Find returns the path of n's executable, or "" when there is none.
func (h Host) Find(n Need) string {
	if p, err := h.LookPath(n.Executable); err == nil {
		return p
	}
	for _, d := range n.Dirs {
		p := filepath.Join(d, n.Executable)
		if st, err := h.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// Check returns whether n is met and, when its executable is there but will
// not do, why.
func (h Host) Check(n Need) (ok bool, why string) {
	if n.Root {
		return h.Euid() == 0, ""
	}
	p := h.Find(n)
	if p == "" {
		return false, ""
	}
	if n.MinGo != "" {
		v, err := h.GoVersion(p)
		if err != nil || !version.IsValid(v) {
			return false, fmt.Sprintf("%s does not say its version: %v", p, err)
		}
		if version.Compare(v, "go"+n.MinGo) < 0 {
			return false, fmt.Sprintf("%s is %s, older than %s", p, v, n.MinGo)
		}
	}
	return true, ""
}

// packageManagers in order of preference, with how each installs a package.
var packageManagers = []struct{ name, install string }{
	{"apt-get", "apt-get install"},
	{"dnf", "dnf install"},
	{"yum", "yum install"},
	{"zypper", "zypper install"},
	{"pacman", "pacman -S"},
	{"apk", "apk add"},
}

// InstallCommand is the command that installs pkg with the first package
// manager present, with sudo unless we are root.
func (h Host) InstallCommand(pkg string) string {
	sudo := "sudo "
	if h.Euid() == 0 {
		sudo = ""
	}
	for _, pm := range packageManagers {
		if _, err := h.LookPath(pm.name); err == nil {
			return sudo + pm.install + " " + pkg
		}
	}
	return "install the " + pkg + " package with your system's package manager"
}
