package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func refs(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Ref)
	}
	return out
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "drills", "b.yaml"), "")
	write(t, filepath.Join(dir, "drills", "a.yml"), "")
	write(t, filepath.Join(dir, "drills", "notes.txt"), "")
	write(t, filepath.Join(dir, "lists", "more", "c.yaml"), "")
	list := write(t, filepath.Join(dir, "lists", "ci.list"), `# the CI suite
primary-kill
more/c.yaml   # relative to the list
../drills

	# indented comment
`)
	got, err := Expand([]string{"replica-kill", filepath.Join(dir, "drills"), "@" + list})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"replica-kill",
		filepath.Join(dir, "drills", "a.yml"), filepath.Join(dir, "drills", "b.yaml"),
		"primary-kill", filepath.Join(dir, "lists", "more", "c.yaml"),
		filepath.Join(dir, "drills", "a.yml"), filepath.Join(dir, "drills", "b.yaml")}
	if strings.Join(refs(got), "\n") != strings.Join(want, "\n") {
		t.Errorf("refs:\n%s\nwant:\n%s", strings.Join(refs(got), "\n"), strings.Join(want, "\n"))
	}
	if got[4].From != list+":3" || got[0].From != "" {
		t.Errorf("from = %q, %q", got[4].From, got[0].From)
	}
}

// Every problem of every argument at once.
func TestExpandErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	list := write(t, filepath.Join(dir, "bad.list"), "@other.list\nempty\n")
	emptyList := write(t, filepath.Join(dir, "empty.list"), "# nothing\n\n")
	_, err := Expand([]string{empty, "@" + list, "@" + filepath.Join(dir, "missing.list"), "@", "@" + emptyList})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		empty + ": the directory holds no .yaml or .yml file",
		list + ":1: a list file cannot name another list file",
		list + ":2: " + empty + ": the directory holds no .yaml or .yml file",
		"@" + filepath.Join(dir, "missing.list") + ": cannot read the list file: no such file or directory",
		"@: no file after @",
		"@" + emptyList + ": the list file names no scenario",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
