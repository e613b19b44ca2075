//go:build integration

package docker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/firedrill/firedrill/internal/itest"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// upDREnv is the primary-kill environment with a physical backup
// scheduled, so that every Postgres node archives its WAL.
func upDREnv(t *testing.T) *docker.Env {
	t.Helper()
	scn, err := scenarios.Builtin("primary-kill")
	if err != nil {
		t.Fatal(err)
	}
	scn.DR.Backups = []scenarios.Backup{{Kind: scenarios.BackupPhysical, Every: scenarios.Duration{Duration: time.Hour}, Keep: 1}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env, err := docker.Up(ctx, dockerCli, newImages(), scn, docker.WithRunProgress(os.Stderr))
	if env != nil {
		t.Cleanup(func() { _ = env.Down(context.Background()) })
	}
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	return env
}

func jobEnv(env *docker.Env) []platform.SidecarOption {
	var opts []platform.SidecarOption
	for k, v := range env.JobEnv() {
		opts = append(opts, platform.WithEnv(k, v))
	}
	return opts
}

// put writes one record through the app and returns the node that
// acknowledged it.
func put(base, id string) (string, error) {
	req, _ := http.NewRequest(http.MethodPut, base+"/records/"+id, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var w struct{ Node string }
	_ = json.NewDecoder(resp.Body).Decode(&w)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("write %s: status %d", id, resp.StatusCode)
	}
	return w.Node, nil
}

func TestIntegrationDR(t *testing.T) {
	env := upDREnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	replica := topology.ReplicaNode("replica1")
	c := env.Cluster()

	t.Run("the binary runs in a postgres sidecar", func(t *testing.T) {
		r, err := env.Exec(ctx, topology.NodeApp, []string{"version"}, platform.WithImage(platform.SidecarPostgres))
		if err != nil || r.ExitCode != 0 || !strings.HasPrefix(r.Output, "firedrill ") {
			t.Fatalf("version: exit %d, %q, %v", r.ExitCode, r.Output, err)
		}
	})

	t.Run("output streams while the command runs", func(t *testing.T) {
		// The command cannot end before the test has seen its first line:
		// it waits for a file the test creates on that line.
		var mu sync.Mutex
		var got []string
		touched := make(chan error, 1)
		onLine := func(line string) {
			mu.Lock()
			got = append(got, line)
			mu.Unlock()
			if line == "first" {
				go func() {
					_, err := env.Exec(ctx, topology.NodeApp, []string{"touch", "/uploads/go"}, platform.WithVolume())
					touched <- err
				}()
			}
		}
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		defer wcancel()
		r, err := env.Exec(wctx, topology.NodeApp, []string{"bash", "-c", `echo first; echo err >&2; until [ -e /uploads/go ]; do sleep 0.1; done; echo second`},
			platform.WithVolume(), platform.WithOutput(onLine))
		if err != nil || r.ExitCode != 0 {
			t.Fatalf("exec: exit %d, %v (lines so far %q): the first line did not arrive while the command ran", r.ExitCode, err, got)
		}
		if err := <-touched; err != nil {
			t.Fatal(err)
		}
		// stdout and stderr are two pipes: Docker keeps the order within
		// each, not between them, so "err" may come before "first".
		sorted := slices.Sorted(slices.Values(got))
		first, second := slices.Index(got, "first"), slices.Index(got, "second")
		if !slices.Equal(sorted, []string{"err", "first", "second"}) || first > second ||
			!slices.Contains([]string{"first\nerr\nsecond", "err\nfirst\nsecond"}, r.Output) {
			t.Fatalf("lines %q, output %q: want first, err and second, first before second", got, r.Output)
		}
	})

	t.Run("WAL is archived to the bucket", func(t *testing.T) {
		s3c, err := env.S3(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Exec(ctx, topology.NodePrimary, "CREATE TABLE itest_wal AS SELECT 1 AS v; SELECT pg_switch_wal()"); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, func() error {
			out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(env.Bucket), Prefix: aws.String("wal/")})
			if err != nil {
				return err
			}
			if len(out.Contents) == 0 {
				return fmt.Errorf("no archived WAL yet")
			}
			return nil
		})
	})

	base := appURL(t, env)
	t.Run("a job reaches the primary and the bucket from the app", func(t *testing.T) {
		if _, err := put(base, "before-backup"); err != nil {
			t.Fatal(err)
		}
		var lines []string
		opts := append(jobEnv(env), platform.WithImage(platform.SidecarPostgres), platform.WithOutput(func(l string) { lines = append(lines, l) }))
		r, err := env.Exec(ctx, topology.NodeApp, []string{"agent", "backup", "logical"}, opts...)
		if err != nil || r.ExitCode != 0 {
			t.Fatalf("logical backup: exit %d, %v:\n%s", r.ExitCode, err, r.Output)
		}
		if len(lines) == 0 {
			t.Fatal("no line streamed")
		}
		_, secret := env.S3Credentials()
		if strings.Contains(r.Output, secret) || strings.Contains(r.Output, env.PostgresCredentials().Password) {
			t.Fatal("a secret in the job's output")
		}
		if _, err := put(base, "after-backup"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ReplacePostgres restores a physical backup and replays the archived WAL", func(t *testing.T) {
		var jobLines []string
		opts := append(jobEnv(env), platform.WithImage(platform.SidecarPostgres), platform.WithOutput(func(l string) { jobLines = append(jobLines, l) }))
		if r, err := env.Exec(ctx, topology.NodeApp, []string{"agent", "backup", "physical"}, opts...); err != nil || r.ExitCode != 0 {
			t.Fatalf("physical backup: exit %d, %v:\n%s\nlines %q", r.ExitCode, err, r.Output, jobLines)
		}
		if _, err := put(base, "after-physical"); err != nil {
			t.Fatal(err)
		}
		// The segment holding the write is switched and must be archived
		// before the primary is lost.
		if err := c.Exec(ctx, topology.NodePrimary, "CREATE TABLE itest_seg AS SELECT pg_walfile_name(pg_switch_wal()) AS seg"); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, func() error {
			n, err := c.QueryInt(ctx, topology.NodePrimary, "SELECT count(*) FROM pg_stat_archiver, itest_seg WHERE last_archived_wal >= seg")
			if err == nil && n != 1 {
				err = fmt.Errorf("the write's segment is not archived yet")
			}
			return err
		})
		if err := env.Kill(ctx, topology.NodePrimary); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var lines []string
		err := env.ReplacePostgres(ctx, topology.NodePrimary, docker.Replacement{
			BeforeStart: []string{"agent", "restore", "physical", "--pgdata", topology.PostgresData},
			OnLine:      func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() },
		})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		n := len(lines)
		mu.Unlock()
		if n == 0 {
			t.Fatal("no line of the restored node's log was handed on")
		}
		eventually(t, 2*time.Minute, func() error {
			rec, err := c.InRecovery(ctx, topology.NodePrimary)
			if err == nil && rec {
				err = fmt.Errorf("still in recovery")
			}
			return err
		})
		ids, _, err := c.ReadBack(ctx)
		if err != nil || !ids["before-backup"] || !ids["after-physical"] {
			t.Fatalf("after the point-in-time restore: ids %v, %v", ids, err)
		}
	})

	t.Run("ReplacePostgres gives a fresh empty primary", func(t *testing.T) {
		if err := env.Kill(ctx, topology.NodePrimary); err != nil {
			t.Fatal(err)
		}
		if err := c.Fence(ctx, topology.NodePrimary, "stop"); err != nil {
			t.Fatal(err)
		}
		if err := env.ReplacePostgres(ctx, topology.NodePrimary, docker.Replacement{}); err != nil {
			t.Fatal(err)
		}
		if _, fenced := c.Fenced(topology.NodePrimary); fenced {
			t.Fatal("the replaced node is still fenced")
		}
		n, err := c.QueryInt(ctx, topology.NodePrimary, "SELECT count(*) FROM pg_tables WHERE tablename IN ('firedrill_writes', 'itest_wal')")
		if err != nil || n != 0 {
			t.Fatalf("fresh primary has %d of the old tables (%v)", n, err)
		}
	})

	t.Run("ReplacePostgres restores a logical backup before the app can write", func(t *testing.T) {
		var mu sync.Mutex
		var lines []string
		err := env.ReplacePostgres(ctx, topology.NodePrimary, docker.Replacement{
			InitDB: []string{"agent", "restore", "logical", "--dsn-socket"},
			OnLine: func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() },
		})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		log := strings.Join(lines, "\n")
		mu.Unlock()
		if !strings.Contains(log, "running /docker-entrypoint-initdb.d/20-firedrill-restore.sh") {
			t.Fatalf("the restore script did not run, log:\n%s", log)
		}
		ids, node, err := c.ReadBack(ctx)
		if err != nil || node != topology.NodePrimary {
			t.Fatalf("read back from %q: %v", node, err)
		}
		if !ids["before-backup"] || ids["after-backup"] {
			t.Fatalf("restored ids %v: want before-backup and not after-backup", ids)
		}
		// The app reaches the new primary under the old name.
		eventually(t, time.Minute, func() error {
			node, err := put(base, fmt.Sprintf("after-restore-%d", time.Now().UnixNano()))
			if err == nil && node != topology.NodePrimary {
				err = fmt.Errorf("acknowledged by %s", node)
			}
			return err
		})
	})

	t.Run("ReplaceReplica re-seeds from the primary", func(t *testing.T) {
		if err := env.ReplaceReplica(ctx, replica, topology.NodePrimary); err != nil {
			t.Fatal(err)
		}
		ok, err := c.Streaming(ctx, topology.NodePrimary, replica)
		if err != nil || !ok {
			t.Fatalf("streaming %v, %v", ok, err)
		}
		n, err := c.QueryInt(ctx, replica, "SELECT count(*) FROM firedrill_writes WHERE id = 'before-backup'")
		if err != nil || n != 1 {
			t.Fatalf("the fresh replica has %d of the restored rows (%v)", n, err)
		}
	})

	t.Run("ReplaceApp gives an empty uploads volume", func(t *testing.T) {
		r, err := env.Exec(ctx, topology.NodeApp, []string{"bash", "-c", "ls -A /uploads | wc -l"}, platform.WithVolume())
		if err != nil || strings.TrimSpace(r.Output) == "0" {
			t.Fatalf("before: %q, %v: want the file of the streaming test", r.Output, err)
		}
		if err := env.ReplaceApp(ctx); err != nil {
			t.Fatal(err)
		}
		r, err = env.Exec(ctx, topology.NodeApp, []string{"bash", "-c", "ls -A /uploads | wc -l"}, platform.WithVolume())
		if err != nil || strings.TrimSpace(r.Output) != "0" {
			t.Fatalf("after: %q files, %v", r.Output, err)
		}
		if _, err := put(appURL(t, env), "from-the-new-app"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("teardown leaves nothing", func(t *testing.T) { downLeavesNothing(t, env) })
}

// downLeavesNothing tears env down and fails if anything labelled with its
// run id is left in Docker.
func downLeavesNothing(t *testing.T, env *docker.Env) {
	t.Helper()
	ctx := context.Background()
	if err := env.Down(ctx); err != nil {
		t.Fatal(err)
	}
	left, err := itest.Leftovers(ctx, dockerCli, env.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("left behind after Down: %v", left)
	}
}
