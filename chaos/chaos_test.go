package chaos

import (
	"context"
	"errors"
	"testing"
)

type fakeEnv struct {
	primary string
	nodes   []string
	down    map[string]bool
	killed  []string
}

func (f *fakeEnv) CurrentPrimary(context.Context) (string, error) {
	if f.primary == "" {
		return "", errors.New("no primary")
	}
	return f.primary, nil
}
func (f *fakeEnv) PostgresNodes() []string { return f.nodes }
func (f *fakeEnv) Running(_ context.Context, n string) (bool, error) {
	return !f.down[n], nil
}
func (f *fakeEnv) Kill(_ context.Context, n string) error {
	f.killed = append(f.killed, n)
	return nil
}

func TestResolveAtInjectionTime(t *testing.T) {
	env := &fakeEnv{primary: "pg-primary", nodes: []string{"pg-primary", "pg-r1", "pg-r2"}, down: map[string]bool{}}
	ctx := context.Background()
	cases := []struct{ target, want string }{
		{"postgres.primary", "pg-primary"},
		{"postgres.replica", "pg-r1"},
		{"postgres.r2", "pg-r2"},
		{"storage", "minio"},
		{"app", "app"},
		{"pg-r2", "pg-r2"},
	}
	for _, c := range cases {
		got, err := Resolve(ctx, env, c.target)
		if err != nil || got != c.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", c.target, got, err, c.want)
		}
	}
	// After a failover the same role names the new primary.
	env.primary = "pg-r1"
	env.down["pg-primary"] = true
	if got, _ := Resolve(ctx, env, "postgres.primary"); got != "pg-r1" {
		t.Errorf("primary after failover = %q, want pg-r1", got)
	}
	if got, _ := Resolve(ctx, env, "postgres.replica"); got != "pg-r2" {
		t.Errorf("replica after failover = %q, want pg-r2", got)
	}
	env.primary = ""
	if _, err := Resolve(ctx, env, "postgres.primary"); err == nil {
		t.Error("resolving the primary with none up must fail")
	}
}

func TestKillAndLookup(t *testing.T) {
	f, err := Lookup("kill")
	if err != nil {
		t.Fatal(err)
	}
	env := &fakeEnv{}
	if err := f.Inject(context.Background(), env, "pg-primary"); err != nil {
		t.Fatal(err)
	}
	if len(env.killed) != 1 || env.killed[0] != "pg-primary" {
		t.Fatalf("killed %v", env.killed)
	}
	if _, err := Lookup("explode"); err == nil {
		t.Fatal("unknown action accepted")
	}
}
