package agenttar

import (
	"archive/tar"
	"bytes"
	"io"
	"slices"
	"testing"
)

func TestAgentTar(t *testing.T) {
	bin := []byte("\x7fELF not really")
	archive, err := Archive(bin)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(archive))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Mode != 0o755 || h.Uid != 0 {
			t.Errorf("%s: mode %o uid %d, want 0755 root", h.Name, h.Mode, h.Uid)
		}
	}
	if !slices.Equal(names, []string{"opt/firedrill/", "opt/firedrill/firedrill"}) {
		t.Fatalf("entries %q", names)
	}
	got, err := FirstFile(bytes.NewReader(archive))
	if err != nil || !bytes.Equal(got, bin) {
		t.Fatalf("FirstFile: %q, %v", got, err)
	}
	if _, err := FirstFile(bytes.NewReader(nil)); err == nil {
		t.Fatal("FirstFile of an empty archive: no error")
	}
}
