package docker

// Replacing a lost node with a fresh one (docs/architecture.md, "Replacing
// a lost node"): the same name, network aliases and labels, a new empty
// data volume of the same size, the old container, its volume and the
// volume's holder removed first. The node registry points at the new
// container, so Endpoint, State and Networks follow it.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker/internal/lines"
	"github.com/firedrill/firedrill/platform/docker/internal/logs"
	"github.com/firedrill/firedrill/platform/docker/internal/pgnode"
	"github.com/firedrill/firedrill/platform/docker/internal/runobj"
	"github.com/firedrill/firedrill/topology"
)

// Replacement is how a fresh Postgres node gets its data. The zero value
// is a fresh, empty primary. The restore jobs are firedrill agent
// arguments (["agent", "restore", ...]) run in the new container, with the
// primary's environment (POSTGRES_USER/PASSWORD/DB, PGDATA) and the
// bucket's (FIREDRILL_S3_*).
type Replacement struct {
	// InitDB (a logical restore) runs as an init script of the image's
	// entrypoint, after initdb, while the temporary server listens on its
	// unix socket only: no client can write before the restore is done.
	InitDB []string
	// BeforeStart (a physical restore) runs as the postgres user before
	// the server starts, when the data directory is empty: it fills the
	// directory (a base backup and recovery settings); the server then
	// starts on it, replaying WAL.
	BeforeStart []string
	// OnLine receives each line of the new container's log (secrets
	// redacted) as it is printed, until ReplacePostgres returns: the
	// restore job's progress.
	OnLine func(line string)
	// Until, when set, holds ReplacePostgres's return until a line of the
	// log (seen after OnLine saw it) satisfies it, as well as the server
	// accepting connections: a point-in-time restore's promotion, which
	// only the server's log dates to the millisecond.
	Until func(line string) bool
}

func (r Replacement) restores() bool { return len(r.InitDB) > 0 || len(r.BeforeStart) > 0 }

// apply adds the restore to a primary's service, whose server arguments
// are args.
func (r Replacement) apply(s *service, args []string) {
	if len(r.InitDB) > 0 {
		s.files = append(s.files, testcontainers.ContainerFile{Reader: strings.NewReader(pgnode.InitDBScript(r.InitDB)),
			ContainerFilePath: "/docker-entrypoint-initdb.d/20-firedrill-restore.sh", FileMode: 0o755})
	}
	if len(r.BeforeStart) > 0 {
		s.env["PGDATA"] = topology.PostgresData
		s.user, s.entrypoint, s.cmd = "postgres", []string{"bash", "-c", pgnode.BeforeStartScript(r.BeforeStart), "restore"}, args
	}
}

// ReplacePostgres replaces a Postgres node with a fresh primary of the
// same name, restored as r says. It returns once the server accepts
// connections: for BeforeStart it may still be replaying WAL (the caller
// waits for the promotion). A restore takes as long as the database is
// large: only ctx bounds it. On failure the new container is left in
// place for people to look at (the run's teardown removes it), and the
// error carries its last log lines.
func (e *Env) ReplacePostgres(ctx context.Context, node string, r Replacement) error {
	tn, err := e.replaceable(node, topology.KindPostgres)
	if err != nil {
		return err
	}
	t := time.Now()
	if err := e.removeNode(ctx, tn); err != nil {
		return err
	}
	n, err := e.run(ctx, e.postgresService(tn, pgStart{restore: r}))
	if err != nil {
		return err
	}
	seen := make(chan struct{})
	if r.OnLine != nil || r.Until != nil {
		var once sync.Once
		each := func(line string) {
			if r.OnLine != nil {
				r.OnLine(line)
			}
			if r.Until != nil && r.Until(line) {
				once.Do(func() { close(seen) })
			}
		}
		lines := &lines.Writer{Each: each, Redact: e.redact}
		_, stop, err := e.followLog(ctx, n.id(), lines, true)
		if err != nil {
			return fmt.Errorf("replace %s: follow the new container's log: %w", node, err)
		}
		// Every line printed before the return is handed on, none after.
		defer func() {
			stop()
			logs.CatchUp(context.WithoutCancel(ctx), e.docker, n.id(), each, e.redact, lines.Emitted)
		}()
	}
	if err := e.waitAccepting(ctx, n); err != nil {
		return fmt.Errorf("replace %s: %w%s", node, err, e.logTail(ctx, n))
	}
	if r.Until != nil {
		if err := e.waitLine(ctx, n, seen); err != nil {
			return fmt.Errorf("replace %s: %w%s", node, err, e.logTail(ctx, n))
		}
	}
	e.say("postgres %s replaced by a fresh node in region %s (%s)", node, tn.Region, time.Since(t).Round(100*time.Millisecond))
	return nil
}

// waitAccepting polls until the node's server accepts connections, and
// gives up when its container exits (a failed restore).
func (e *Env) waitAccepting(ctx context.Context, n *node) error {
	t := time.Now()
	for {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		last := e.cluster.Check(cctx, n.Name)
		cancel()
		if last == nil {
			return nil
		}
		if st, err := e.State(ctx, n.Name); err == nil && (st.Status == platform.StatusExited || st.Status == platform.StatusMissing) {
			return fmt.Errorf("the new container %s: %s", n.ContainerName, st)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections after %s: %w", time.Since(t).Round(time.Second), errors.Join(ctx.Err(), last))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitLine waits until seen closes (the line Until looked for was
// printed), and gives up when the node's container exits.
func (e *Env) waitLine(ctx context.Context, n *node, seen <-chan struct{}) error {
	t := time.Now()
	for {
		select {
		case <-seen:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("the line awaited in the log not printed after %s: %w", time.Since(t).Round(time.Second), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
		if st, err := e.State(ctx, n.Name); err == nil && (st.Status == platform.StatusExited || st.Status == platform.StatusMissing) {
			return fmt.Errorf("the new container %s: %s", n.ContainerName, st)
		}
	}
}

// ReplaceReplica replaces a Postgres node with a fresh standby of the
// same name cloned from primary with pg_basebackup, and returns once it
// streams from primary: after a failover, the replicas (or the old
// primary) are re-seeded from the new primary. Only ctx bounds the clone.
func (e *Env) ReplaceReplica(ctx context.Context, node, primary string) error {
	tn, err := e.replaceable(node, topology.KindPostgres)
	if err != nil {
		return err
	}
	if node == primary {
		return fmt.Errorf("replace %s: a replica cannot clone itself", node)
	}
	if err := e.removeNode(ctx, tn); err != nil {
		return err
	}
	return e.startPostgres(ctx, tn, pgStart{from: primary}, 0)
}

// ReplaceApp replaces the app with a fresh container and a fresh, empty
// uploads volume, and returns once its health check passes.
func (e *Env) ReplaceApp(ctx context.Context) error {
	tn, err := e.replaceable(topology.NodeApp, topology.KindApp)
	if err != nil {
		return err
	}
	if err := e.removeNode(ctx, tn); err != nil {
		return err
	}
	return e.startApp(ctx, tn)
}

func (e *Env) replaceable(node, kind string) (*topology.Node, error) {
	tn, ok := e.Topology.Node(node)
	if !ok {
		return nil, fmt.Errorf("replace %s: %w in run %s", node, platform.ErrNoNode, e.RunID)
	}
	if tn.Kind != kind {
		return nil, fmt.Errorf("replace %s: it is a %s node, not %s", node, tn.Kind, kind)
	}
	return tn, nil
}

// removeNode removes a node's container, its volume's holder and its
// volume, each only if it is there. The trouble watcher is told first:
// these removals are the run's own. A fenced node is fenced no more: the
// server that was fenced is gone.
func (e *Env) removeNode(ctx context.Context, tn *topology.Node) error {
	for _, name := range []string{topology.ContainerName(e.RunID, tn.Name), runobj.VolumeHolderName(e.RunID, tn.Name)} {
		ins, err := e.docker.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("replace %s: inspect %s: %w", tn.Name, name, err)
		}
		e.expectRemoval(ins.Container.ID)
		if err := removeContainer(ctx, e.docker, ins.Container.ID); err != nil {
			return fmt.Errorf("replace %s: remove %s: %w", tn.Name, name, err)
		}
	}
	if tn.Volume != "" {
		vol := topology.VolumeName(e.RunID, tn.Name)
		if _, err := e.docker.VolumeInspect(ctx, vol, client.VolumeInspectOptions{}); err == nil {
			e.expectRemoval(vol)
			if _, err := e.docker.VolumeRemove(ctx, vol, client.VolumeRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
				return fmt.Errorf("replace %s: remove volume %s: %w", tn.Name, vol, err)
			}
		} else if !isNotFound(err) {
			return fmt.Errorf("replace %s: inspect volume %s: %w", tn.Name, vol, err)
		}
	}
	if tn.Kind == topology.KindPostgres {
		e.cluster.Unfence(tn.Name)
	}
	return nil
}

// expectRemoval records that the run removes the object whose event
// actor id is id (a container's id, a volume's name).
func (e *Env) expectRemoval(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ownRemovals == nil {
		e.ownRemovals = map[string]int{}
	}
	e.ownRemovals[id]++
}

// ownRemoval reports, once per expected removal, whether the removal of
// the object with event actor id id is the run's own.
func (e *Env) ownRemoval(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ownRemovals[id] == 0 {
		return false
	}
	e.ownRemovals[id]--
	return true
}
