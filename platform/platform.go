package platform

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"time"
)

// Runtime is what the engine needs from a container platform. Every
// method takes a topology node name. Methods that change a node return once
// the platform has done it (a stopped node has exited, a paused one is
// frozen) and are idempotent: stopping a stopped node or resuming a running
// one is not an error, so reverts can run more than once.
type Runtime interface {
	// Start starts a node that is stopped or exited (a no-op when it runs).
	Start(ctx context.Context, node string) error
	// Stop asks the node's processes to shut down (SIGTERM, or the image's
	// stop signal) and kills them after grace.
	Stop(ctx context.Context, node string, grace time.Duration) error
	// Kill sends SIGKILL to the node's processes: no clean shutdown.
	Kill(ctx context.Context, node string) error
	// Restart stops the node with grace and starts it again.
	Restart(ctx context.Context, node string, grace time.Duration) error
	// Pause freezes every process of the node; Resume thaws them.
	Pause(ctx context.Context, node string) error
	Resume(ctx context.Context, node string) error
	// State is what the platform says about the node now.
	State(ctx context.Context, node string) (State, error)

	// Disconnect cuts the node off a logical network (a region or
	// topology.WAN); Connect joins it again. The node's address on that
	// network may change: clients must re-dial.
	Disconnect(ctx context.Context, node, network string) error
	Connect(ctx context.Context, node, network string) error
	// Networks lists the logical networks the node is on now.
	Networks(ctx context.Context, node string) ([]string, error)

	// Endpoint is an address (host:port) at which the harness reaches a
	// node's port ("5432/tcp"), read afresh on every call: it changes when
	// a container restarts or reconnects.
	Endpoint(ctx context.Context, node, port string) (string, error)

	// Exec runs cmd in a sidecar that shares the node's network namespace
	// (the node's own image is never changed, and needs no shell) and
	// returns its combined output.
	Exec(ctx context.Context, node string, cmd []string, opts ...SidecarOption) (ExecResult, error)
	// Hold runs cmd in such a sidecar and keeps it running: cmd applies an
	// effect, prints one line, then reads its standard input and undoes
	// the effect when it reads a line or the input ends. Hold returns once
	// the first line is printed (the effect is in place); Held.Release
	// undoes it at once, without starting anything. If the harness dies,
	// the sidecar's input ends and the effect is undone all the same.
	Hold(ctx context.Context, node string, cmd []string, opts ...SidecarOption) (Held, error)

	// Addresses are the node's addresses now, by logical network (a
	// region or topology.WAN): what its peers reach it at, for faults
	// that name peers (a partition's other side). They change when a node
	// restarts or reconnects; a node that does not run has none.
	Addresses(ctx context.Context, node string) (map[string]netip.Addr, error)
}

// SidecarImage is what a sidecar runs (docs/architecture.md, "Sidecars").
type SidecarImage string

// Sidecar images.
const (
	// SidecarTools is the nettools image: a shell, iproute2, iptables.
	SidecarTools SidecarImage = "tools"
	// SidecarAgent is firedrill's own static binary (the app image): for
	// sidecars whose work is Go code, started as `firedrill agent ...`.
	SidecarAgent SidecarImage = "agent"
	// SidecarPostgres is the run's Postgres image (the one its Postgres
	// nodes run) with firedrill's static binary copied in at
	// /opt/firedrill/firedrill, its entrypoint: for jobs that need both,
	// such as a backup (`firedrill agent backup ...` running pg_dump).
	// cmd is the subcommand and its arguments ("agent", ...), run as root.
	SidecarPostgres SidecarImage = "postgres"
)

// SidecarConfig is what SidecarOptions set.
type SidecarConfig struct {
	Image SidecarImage
	// Volume mounts the node's data volume at the node's data directory
	// (topology.Node.Volume) in the sidecar, for faults on its disk.
	Volume bool
	// Env is the sidecar's environment. Values may be secrets: the
	// runtime never prints them.
	Env map[string]string
	// Output, when set, receives each line the sidecar prints (stdout
	// and stderr, secrets redacted) as it is printed, in order.
	Output func(line string)
}

// SidecarOption configures the sidecar of Exec and Hold.
type SidecarOption func(*SidecarConfig)

// WithImage runs the sidecar from image instead of the nettools image.
func WithImage(image SidecarImage) SidecarOption {
	return func(c *SidecarConfig) { c.Image = image }
}

// WithVolume mounts the node's data volume in the sidecar.
func WithVolume() SidecarOption { return func(c *SidecarConfig) { c.Volume = true } }

// WithEnv adds an environment variable to the sidecar.
func WithEnv(key, value string) SidecarOption {
	return func(c *SidecarConfig) {
		if c.Env == nil {
			c.Env = map[string]string{}
		}
		c.Env[key] = value
	}
}

// WithOutput streams the lines of an Exec sidecar's output to f as they
// are printed, for a caller that stamps a long job's progress; Exec still
// returns the whole output at the end. f runs on the runtime's reader: it
// must not block for long.
func WithOutput(f func(line string)) SidecarOption {
	return func(c *SidecarConfig) { c.Output = f }
}

// NewSidecarConfig applies opts to the defaults (the nettools image, no
// volume, no environment).
func NewSidecarConfig(opts ...SidecarOption) SidecarConfig {
	c := SidecarConfig{Image: SidecarTools}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Held is an effect kept in place by a sidecar (Runtime.Hold).
type Held interface {
	// Release undoes the effect and returns what the sidecar printed
	// after its first line; it may be called more than once. It returns
	// as soon as the sidecar prints its second line (the effect is
	// undone) or exits, whichever comes first.
	Release(ctx context.Context) (string, error)
	// Lines streams the lines the sidecar prints after its first, as it
	// prints them, for a sidecar that keeps reporting (a watcher) rather
	// than holding an effect silently. The same channel on every call; it
	// closes when the sidecar's output ends (it exited, or its container
	// went away), or once a released sidecar is gone. Lines also go to
	// Release's result; whoever does not read them loses nothing else.
	Lines() <-chan string
}

// Status is a node's lifecycle state.
type Status string

// Node statuses.
const (
	StatusRunning Status = "running"
	StatusPaused  Status = "paused"
	StatusExited  Status = "exited" // stopped, killed or crashed
	StatusCreated Status = "created"
	StatusMissing Status = "missing" // the platform has no such object (removed)
	StatusOther   Status = "other"   // restarting, being removed...
)

// State is what the platform reports about a node: the evidence a process
// fault records.
type State struct {
	Status Status
	// Pid is the node's main process on the host, 0 when not running.
	Pid int
	// ExitCode is the last exit code, meaningful when Status is exited
	// (137 after a SIGKILL).
	ExitCode int
	// StartedAt and FinishedAt are the platform's wall-clock stamps of the
	// last start and exit: labels for people, never used to measure.
	StartedAt, FinishedAt time.Time
	// OOMKilled is the platform's flag for a kill by the OOM killer.
	OOMKilled bool
}

// Running is true for a node whose processes run (not paused).
func (s State) Running() bool { return s.Status == StatusRunning }

// String is the evidence form: "exited (code 137) at 12:01:02.345".
func (s State) String() string {
	switch s.Status {
	case StatusExited:
		out := "exited (code " + strconv.Itoa(s.ExitCode) + ")"
		if !s.FinishedAt.IsZero() {
			out += " at " + s.FinishedAt.UTC().Format("15:04:05.000")
		}
		if s.OOMKilled {
			out += ", OOM-killed"
		}
		return out
	case StatusRunning:
		out := "running (pid " + strconv.Itoa(s.Pid) + ")"
		if !s.StartedAt.IsZero() {
			out += " since " + s.StartedAt.UTC().Format("15:04:05.000")
		}
		return out
	case "":
		return "unknown"
	}
	return string(s.Status)
}

// ExecResult is what a command run by Exec printed and how it ended.
type ExecResult struct {
	ExitCode int
	Output   string
}

// ErrNoNode is returned for a node name the runtime does not know.
var ErrNoNode = errors.New("no such node")
