// Package tinybin builds tiny Go programs for the tests of the image packages:
// a static one, or one that uses cgo and so is dynamically linked against libc,
// as a plain `go build` of firedrill is.
package tinybin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles a program printing msg (and its arguments, when static) into
// dir and returns its path.
func Build(dir, msg string, cgo bool) (string, error) {
	src := "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Println(\"" + msg + "\", os.Args[1:]) }\n"
	env := "CGO_ENABLED=0"
	if cgo {
		src = "package main\n\n// #include <stdio.h>\nimport \"C\"\n\nfunc main() { C.puts(C.CString(\"" + msg + "\")) }\n"
		env = "CGO_ENABLED=1"
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module tiny\n\ngo 1.22\n"), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "tiny")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env, "GOOS=linux", "GOFLAGS=", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build (%s): %w\n%s", env, err, b)
	}
	return out, nil
}
