package pgnode

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// ShellQuote's words come back unchanged through a real shell.
func TestShellQuote(t *testing.T) {
	words := []string{"agent", "it's", `a "b" $HOME`, "`x`", "back\\slash", "", "semi;colon && rm -rf /", "new\nline"}
	out, err := exec.Command("sh", "-c", `printf '%s\0' `+ShellQuote(words)).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if !slices.Equal(got, words) {
		t.Fatalf("through sh: %q, want %q", got, words)
	}
}

// The init script runs the binary with its arguments through a real shell.
func TestInitDBScriptRunsTheArgs(t *testing.T) {
	script := InitDBScript([]string{"agent", "it's", "two words"})
	if !strings.HasPrefix(script, "#!/bin/sh\n") {
		t.Fatalf("no interpreter line:\n%s", script)
	}
	// The binary replaced by printf: what it would receive.
	script = strings.Replace(script, "'"+AgentPath+"'", `printf '%s|'`, 1)
	out, err := exec.Command("sh", "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "agent|it's|two words|" {
		t.Fatalf("the job got %q", out)
	}
}

// The restore script runs the binary only on an empty data directory, and
// then the server itself.
func TestBeforeStartScript(t *testing.T) {
	dir := t.TempDir()
	script := BeforeStartScript([]string{"agent", "it's"})
	// The binary and postgres replaced by printf: what each would receive.
	script = strings.Replace(script, "'"+AgentPath+"'", `printf 'restore %s|'`, 1)
	script = strings.Replace(script, "exec postgres", `exec printf 'postgres %s|'`, 1)
	run := func() string {
		cmd := exec.Command("bash", "-c", script, "restore", "-c", "x=1")
		cmd.Env = []string{"PGDATA=" + dir + "/data"}
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got := run(); got != "restore agent|restore it's|postgres -c|postgres x=1|" {
		t.Fatalf("empty PGDATA: %q", got)
	}
	if err := exec.Command("sh", "-c", "echo 15 > "+dir+"/data/PG_VERSION").Run(); err != nil {
		t.Fatal(err)
	}
	if got := run(); got != "postgres -c|postgres x=1|" {
		t.Fatalf("PGDATA with a cluster: %q", got)
	}
}
