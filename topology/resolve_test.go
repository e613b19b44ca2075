package topology

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// state is a State a test sets: primary "" means it cannot be determined.
type state struct {
	primary string
	down    map[string]bool
	// runErr fails Running for these nodes.
	runErr map[string]bool
}

var errUnreachable = errors.New("no Postgres node answers")

func (s state) Primary(context.Context) (string, error) {
	if s.primary == "" {
		return "", errUnreachable
	}
	return s.primary, nil
}

func (s state) Running(_ context.Context, node string) (bool, error) {
	if s.runErr[node] {
		return false, errors.New("the platform does not answer")
	}
	return !s.down[node], nil
}

// afterFailover: the primary was killed and pg-zeta promoted.
var afterFailover = state{primary: "pg-zeta", down: map[string]bool{NodePrimary: true}}

func target(t string) scenarios.Fault { return scenarios.Fault{Target: t} }

func selector(sel scenarios.Selector) scenarios.Fault { return scenarios.Fault{Selector: &sel} }

func resolve(t *testing.T, topo *Topology, st State, f scenarios.Fault, rng *rand.Rand) []string {
	t.Helper()
	nodes, err := topo.Resolve(context.Background(), st, f, rng)
	if err != nil {
		t.Fatalf("resolve %+v: %v", f, err)
	}
	return Names(nodes)
}

func TestResolveTargets(t *testing.T) {
	topo := New(load(t, threeRegions))
	initial := topo.Initial()
	for _, c := range []struct {
		name   string
		st     State
		target string
		want   []string
	}{
		{"the primary at the start", initial, scenarios.TargetPrimary, []string{"pg-primary"}},
		{"the primary after a failover", afterFailover, scenarios.TargetPrimary, []string{"pg-zeta"}},
		{"a replica at the start: the first standby", initial, scenarios.TargetAnyReplica, []string{"pg-zeta"}},
		// The old primary is down and pg-zeta is primary now: the next
		// running Postgres node in start order.
		{"a replica after a failover", afterFailover, scenarios.TargetAnyReplica, []string{"pg-alpha"}},
		{"a replica after a failover with the old primary back", state{primary: "pg-zeta"}, scenarios.TargetAnyReplica, []string{"pg-primary"}},
		{"a replica whose state cannot be read is skipped", state{primary: "pg-primary", runErr: map[string]bool{"pg-zeta": true}}, scenarios.TargetAnyReplica, []string{"pg-alpha"}},
		{"a named replica", initial, "postgres.alpha", []string{"pg-alpha"}},
		// postgres.<name> is the node, whatever its role by then.
		{"a named replica that is primary now", afterFailover, "postgres.zeta", []string{"pg-zeta"}},
		{"the storage", initial, scenarios.TargetStorage, []string{"minio"}},
		{"the app", initial, scenarios.TargetApp, []string{"app"}},
		{"a region: every node in it, in start order", initial, "region.west", []string{"pg-zeta", "pg-mid", "app"}},
		{"a region whatever runs", afterFailover, "region.east", []string{"pg-primary"}},
		{"another region", initial, "region.north", []string{"pg-alpha", "minio"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := resolve(t, topo, c.st, target(c.target), nil); !slices.Equal(got, c.want) {
				t.Errorf("%s resolves to %q, want %q", c.target, got, c.want)
			}
		})
	}
}

// Issue item 6f: without a known primary, postgres.replica is an error,
// never a guess (a guess could be the primary).
func TestResolveReplicaWithoutPrimaryIsAnError(t *testing.T) {
	topo := New(load(t, threeRegions))
	nodes, err := topo.Resolve(context.Background(), state{}, target(scenarios.TargetAnyReplica), nil)
	if err == nil {
		t.Fatalf("resolved to %q without a primary", Names(nodes))
	}
	if nodes != nil {
		t.Errorf("an error and nodes %q", Names(nodes))
	}
	if !errors.Is(err, errUnreachable) || !strings.Contains(err.Error(), "postgres.replica") {
		t.Errorf("the error neither wraps the cause nor names the target: %v", err)
	}
}

func TestResolveTargetErrors(t *testing.T) {
	topo := New(load(t, threeRegions))
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		st     State
		target string
		is     error
	}{
		{"the primary cannot be determined", state{}, scenarios.TargetPrimary, errUnreachable},
		{"no replica runs", state{primary: "pg-primary", down: map[string]bool{"pg-zeta": true, "pg-alpha": true, "pg-mid": true}}, scenarios.TargetAnyReplica, ErrNoMatch},
		{"an unknown replica", topo.Initial(), "postgres.nope", ErrNoMatch},
		{"an unknown region", topo.Initial(), "region.south", ErrNoMatch},
		{"an unknown target", topo.Initial(), "database", ErrNoMatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			nodes, err := topo.Resolve(ctx, c.st, target(c.target), nil)
			if !errors.Is(err, c.is) {
				t.Errorf("%s: %q, %v; want %v", c.target, Names(nodes), err, c.is)
			}
		})
	}
	// The primary a State names must be a node of the drill.
	if nodes, err := topo.Resolve(ctx, state{primary: "pg-stranger"}, target(scenarios.TargetPrimary), nil); err == nil {
		t.Errorf("a primary outside the topology resolved to %q", Names(nodes))
	}
	// Disabled storage has no node to hit.
	small := New(load(t, strings.Replace(threeRegions, "  storage:\n    region: north\n    bucket: drills\n    labels: {tier: s3}\n",
		"  storage: {enabled: false}\n", 1)))
	if _, ok := small.Node(NodeStorage); ok {
		t.Fatal("the test scenario still has storage")
	}
	if nodes, err := small.Resolve(ctx, small.Initial(), target(scenarios.TargetStorage), nil); !errors.Is(err, ErrNoMatch) {
		t.Errorf("storage without storage: %q, %v", Names(nodes), err)
	}
}

func TestResolveSelectors(t *testing.T) {
	topo := New(load(t, threeRegions))
	initial := topo.Initial()
	for _, c := range []struct {
		name string
		st   State
		sel  scenarios.Selector
		want []string
	}{
		{"role primary at the start", initial, scenarios.Selector{Role: scenarios.RolePrimary}, []string{"pg-primary"}},
		// Roles are the current ones: the promoted replica is primary,
		// the old primary (even down) is a replica.
		{"role primary after a failover", afterFailover, scenarios.Selector{Role: scenarios.RolePrimary}, []string{"pg-zeta"}},
		{"role replica at the start", initial, scenarios.Selector{Role: scenarios.RoleReplica}, []string{"pg-zeta", "pg-alpha", "pg-mid"}},
		{"role replica after a failover", afterFailover, scenarios.Selector{Role: scenarios.RoleReplica}, []string{"pg-primary", "pg-alpha", "pg-mid"}},
		{"role postgres", initial, scenarios.Selector{Role: scenarios.RolePostgres}, []string{"pg-primary", "pg-zeta", "pg-alpha", "pg-mid"}},
		{"role postgres needs no primary", state{}, scenarios.Selector{Role: scenarios.RolePostgres}, []string{"pg-primary", "pg-zeta", "pg-alpha", "pg-mid"}},
		{"role storage", initial, scenarios.Selector{Role: scenarios.RoleStorage}, []string{"minio"}},
		{"role app", initial, scenarios.Selector{Role: scenarios.RoleApp}, []string{"app"}},
		{"region", initial, scenarios.Selector{Region: "west"}, []string{"pg-zeta", "pg-mid", "app"}},
		{"region needs no primary", state{}, scenarios.Selector{Region: "north"}, []string{"pg-alpha", "minio"}},
		{"a label", initial, scenarios.Selector{Labels: map[string]string{"tier": "db"}}, []string{"pg-primary", "pg-zeta", "pg-alpha"}},
		{"two labels", initial, scenarios.Selector{Labels: map[string]string{"tier": "db", "zone": "w1"}}, []string{"pg-zeta"}},
		{"role and region", initial, scenarios.Selector{Role: scenarios.RoleReplica, Region: "west"}, []string{"pg-zeta", "pg-mid"}},
		{"role, region and label", afterFailover, scenarios.Selector{Role: scenarios.RoleReplica, Region: "east", Labels: map[string]string{"zone": "e1"}}, []string{"pg-primary"}},
		{"mode all is every match", initial, scenarios.Selector{Role: scenarios.RolePostgres, Mode: scenarios.ModeAll}, []string{"pg-primary", "pg-zeta", "pg-alpha", "pg-mid"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := resolve(t, topo, c.st, selector(c.sel), nil); !slices.Equal(got, c.want) {
				t.Errorf("%s resolves to %q, want %q", c.sel, got, c.want)
			}
		})
	}
}

func TestResolveSelectorErrors(t *testing.T) {
	topo := New(load(t, threeRegions))
	ctx := context.Background()
	for _, c := range []struct {
		name string
		st   State
		sel  scenarios.Selector
		is   error
	}{
		{"role primary without a primary", state{}, scenarios.Selector{Role: scenarios.RolePrimary}, errUnreachable},
		{"role replica without a primary", state{}, scenarios.Selector{Role: scenarios.RoleReplica}, errUnreachable},
		{"nothing matches", topo.Initial(), scenarios.Selector{Role: scenarios.RoleStorage, Region: "east"}, ErrNoMatch},
		{"a label value nobody has", topo.Initial(), scenarios.Selector{Labels: map[string]string{"tier": "cache"}}, ErrNoMatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			nodes, err := topo.Resolve(ctx, c.st, selector(c.sel), rand.New(rand.NewPCG(1, 2)))
			if !errors.Is(err, c.is) {
				t.Errorf("%s: %q, %v; want %v", c.sel, Names(nodes), err, c.is)
			}
		})
	}
	// Mode one draws from the run's source; without one it cannot pick.
	if nodes, err := topo.Resolve(ctx, topo.Initial(), selector(scenarios.Selector{Role: scenarios.RoleReplica, Mode: scenarios.ModeOne}), nil); err == nil {
		t.Errorf("mode one without a random source picked %q", Names(nodes))
	}
}

// Mode one picks one match with the run's seeded source: the same seed
// picks the same nodes in the same order (a drill replays), the pick is
// always a match, and the seed does decide it (a resolver always taking
// the first match would pass the other checks).
func TestResolveModeOneIsSeeded(t *testing.T) {
	topo := New(load(t, threeRegions))
	f := selector(scenarios.Selector{Role: scenarios.RoleReplica, Mode: scenarios.ModeOne})
	matches := resolve(t, topo, topo.Initial(), selector(scenarios.Selector{Role: scenarios.RoleReplica}), nil)
	picks := func(seed uint64) []string {
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		var out []string
		for range 8 {
			got := resolve(t, topo, topo.Initial(), f, rng)
			if len(got) != 1 || !slices.Contains(matches, got[0]) {
				t.Fatalf("mode one resolved to %q, want one of %q", got, matches)
			}
			out = append(out, got[0])
		}
		return out
	}
	seen := map[string]bool{}
	for seed := range uint64(10) {
		a, b := picks(seed), picks(seed)
		if !slices.Equal(a, b) {
			t.Errorf("seed %d picks %q, then %q", seed, a, b)
		}
		for _, n := range a {
			seen[n] = true
		}
	}
	if len(seen) != len(matches) {
		t.Errorf("80 seeded picks hit only %v of %q", seen, matches)
	}
	// Selectors see roles as they are now: after a failover mode one
	// never picks the new primary as a replica.
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		if got := resolve(t, topo, afterFailover, f, rng); got[0] == "pg-zeta" {
			t.Errorf("seed %d: mode one picked the current primary as a replica", seed)
		}
	}
}
