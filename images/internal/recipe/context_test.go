package recipe

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

func TestWriteContext(t *testing.T) {
	src := t.TempDir() + "/bin"
	if err := os.WriteFile(src, []byte("ELF..."), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := WriteContext(&buf, []ContextFile{
		{Name: "Dockerfile", Mode: 0o644, Data: []byte("FROM scratch\n")},
		{Name: "rootfs/firedrill", Mode: 0o755, Src: src},
		{Name: "rootfs/tmp", Mode: 0o1777, Dir: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	var names []string
	h, err := tr.Next()
	for ; err == nil; h, err = tr.Next() {
		names = append(names, h.Name)
		if h.Name == "rootfs/firedrill" && (h.Mode != 0o755 || h.Size != 6) {
			t.Errorf("firedrill header %+v", h)
		}
		if h.Name == "rootfs/tmp/" && h.Mode != 0o1777 {
			t.Errorf("tmp mode %o", h.Mode)
		}
		if h.Name == "Dockerfile" {
			body, _ := io.ReadAll(tr)
			if string(body) != "FROM scratch\n" {
				t.Errorf("Dockerfile %q", body)
			}
		}
	}
	if err != io.EOF {
		t.Fatalf("read the context: %v", err)
	}
	if strings.Join(names, ",") != "Dockerfile,rootfs/,rootfs/firedrill,rootfs/tmp/" {
		t.Fatalf("names %v", names)
	}
	if err := WriteContext(io.Discard, []ContextFile{{Name: "x", Src: src + ".missing"}}); err == nil {
		t.Fatal("a missing source file wrote a context")
	}
}
