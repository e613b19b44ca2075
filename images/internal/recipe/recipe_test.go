package recipe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHashStableAndSensitive(t *testing.T) {
	base := []Input{{"role", "postgres"}, {"suite", "bookworm"}, {"packages", "postgresql-15"}}
	h1 := Hash("1", base...)
	h2 := Hash("1", append([]Input(nil), base...)...)
	if h1 != h2 {
		t.Fatalf("same inputs, different hashes: %s %s", h1, h2)
	}
	if len(h1) != 64 {
		t.Fatalf("hash %q is not hex sha256", h1)
	}
	changed := []Input{{"role", "postgres"}, {"suite", "bookworm"}, {"packages", "postgresql-15,curl"}}
	if Hash("1", changed...) == h1 {
		t.Fatal("a changed package list kept the hash")
	}
	if Hash("2", base...) == h1 {
		t.Fatal("the recipe format is not part of the hash")
	}
	// Framing: moving bytes across the input boundary must change the hash.
	a := Hash("1", Input{"x", "ab"}, Input{"y", "c"})
	b := Hash("1", Input{"x", "a"}, Input{"y", "bc"})
	if a == b {
		t.Fatal("hash does not frame its inputs")
	}
}

func TestTagFormat(t *testing.T) {
	h := strings.Repeat("3fa9c2e01b7d", 5) + "abcd"
	for _, c := range []struct{ got, want string }{
		{Tag("postgres", "15", h), "firedrill/postgres:15-3fa9c2e01b7d"},
		{Tag("pg_auto_failover", "2.0", h), "firedrill/pg_auto_failover:2.0-3fa9c2e01b7d"},
		{BaseTag("nettools", h), "firedrill/base-nettools:3fa9c2e01b7d"},
		{BaseTag("ha", "abc"), "firedrill/base-ha:abc"},
		{PseudoVersionDate("v0.0.0-20260212201848-7aac2a2c5b7c"), "20260212"},
		{PseudoVersionDate("v1.2+x"), "v1.2_x"},
		{TagSafe("v1.2.3+dirty"), "v1.2.3_dirty"},
		{TagSafe(strings.Repeat("a", 70)), strings.Repeat("a", 64)},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestFileSHA256(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := FileSHA256(p)
	if err != nil {
		t.Fatal(err)
	}
	// sha256("abc"), the FIPS 180-2 test vector.
	if got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("sha256 %s", got)
	}
	if _, err := FileSHA256(p + ".missing"); err == nil {
		t.Fatal("a missing file hashed")
	}
}
