//go:build integration

package docker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/images"
	"github.com/firedrill/firedrill/internal/itest"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

var (
	dockerCli *client.Client
	appBinary string
)

func TestMain(m *testing.M) {
	var cleanup func()
	appBinary, dockerCli, cleanup = itest.Setup()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func newImages() *images.Images {
	return images.NewImages(dockerCli, images.WithAppBinary(appBinary), images.WithProgress(os.Stderr))
}

func upPrimaryKillEnv(t testing.TB) *docker.Env {
	t.Helper()
	scn, err := scenarios.Builtin("primary-kill")
	if err != nil {
		t.Fatal(err)
	}
	return upEnv(t, scn)
}

// upEnv starts the scenario's environment, taken down at the test's end.
func upEnv(t testing.TB, scn *scenarios.Scenario) *docker.Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	env, err := docker.Up(ctx, dockerCli, newImages(), scn, docker.WithRunProgress(os.Stderr))
	if env != nil {
		t.Cleanup(func() {
			if err := env.Down(context.Background()); err != nil {
				t.Errorf("down: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	return env
}

// appURL is the app's base URL through the runtime's endpoint.
func appURL(t *testing.T, env *docker.Env) string {
	t.Helper()
	ep, err := env.Endpoint(context.Background(), topology.NodeApp, topology.PortApp)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + ep
}

// eventually polls cond every 200ms until it returns nil or the deadline passes.
func eventually(t *testing.T, d time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", d, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestIntegrationEnvironment(t *testing.T) {
	env := upPrimaryKillEnv(t)
	ctx := context.Background()
	replica := topology.ReplicaNode("replica1")

	t.Run("replication", func(t *testing.T) {
		if err := env.Cluster().Exec(ctx, topology.NodePrimary, "CREATE TABLE itest_replication (v text)"); err != nil {
			t.Fatal(err)
		}
		if err := env.Cluster().Exec(ctx, topology.NodePrimary, "INSERT INTO itest_replication VALUES ($1)", "from-primary"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, func() error {
			n, err := env.Cluster().QueryInt(ctx, replica, "SELECT count(*) FROM itest_replication WHERE v = 'from-primary'")
			if err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("replica has %d rows", n)
			}
			return nil
		})
		// The replica is a standby: it refuses writes.
		if err := env.Cluster().Exec(ctx, replica, "INSERT INTO itest_replication VALUES ('x')"); err == nil {
			t.Fatal("write on the standby succeeded")
		}
	})

	t.Run("minio", func(t *testing.T) {
		c, err := env.S3(ctx)
		if err != nil {
			t.Fatal(err)
		}
		body := bytes.Repeat([]byte("firedrill "), 1000)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(env.Bucket), Key: aws.String("itest/object"),
			Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(env.Bucket), Key: aws.String("itest/object")})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("read back %d bytes, want %d identical bytes", len(got), len(body))
		}
	})

	t.Run("app", func(t *testing.T) {
		base := appURL(t, env)
		req, _ := http.NewRequest(http.MethodPut, base+"/records/itest-1", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var w struct{ ID, Node string }
		json.NewDecoder(resp.Body).Decode(&w)
		resp.Body.Close()
		if resp.StatusCode != 200 || w.Node != topology.NodePrimary {
			t.Fatalf("write: status %d node %q, want 200 from %s", resp.StatusCode, w.Node, topology.NodePrimary)
		}
		eventually(t, 30*time.Second, func() error {
			resp, err := http.Get(base + "/records/itest-1")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("read status %d", resp.StatusCode)
			}
			return nil
		})
		ids, node, err := env.Cluster().ReadBack(ctx)
		if err != nil || node != topology.NodePrimary || !ids["itest-1"] {
			t.Fatalf("read back: node %q, has itest-1 %v, err %v", node, ids["itest-1"], err)
		}
	})

	t.Run("failover by hand", func(t *testing.T) {
		if err := env.Kill(ctx, topology.NodePrimary); err != nil {
			t.Fatal(err)
		}
		if running, _ := env.Cluster().Running(ctx, topology.NodePrimary); running {
			t.Fatal("primary still running after kill")
		}
		if err := env.Cluster().Check(ctx, topology.NodePrimary); err == nil {
			t.Fatal("health check of a killed primary passed")
		}
		if _, err := env.Cluster().ReceivedLSN(ctx, replica); err != nil {
			t.Fatal(err)
		}
		if err := env.Cluster().Promote(ctx, replica); err != nil {
			t.Fatal(err)
		}
		p, err := env.Cluster().Primary(ctx)
		if err != nil || p != replica {
			t.Fatalf("current primary %q, %v; want %s", p, err, replica)
		}
		// The app finds the new primary by itself (target_session_attrs).
		base := appURL(t, env)
		eventually(t, 30*time.Second, func() error {
			req, _ := http.NewRequest(http.MethodPut, base+fmt.Sprintf("/records/itest-after-%d", time.Now().UnixNano()), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			var w struct{ Node string }
			json.NewDecoder(resp.Body).Decode(&w)
			resp.Body.Close()
			if resp.StatusCode != 200 || w.Node != replica {
				return fmt.Errorf("status %d node %q", resp.StatusCode, w.Node)
			}
			return nil
		})
	})

	t.Run("teardown leaves nothing", func(t *testing.T) { downLeavesNothing(t, env) })
}

// Clean acts only on objects carrying the firedrill.run label.
func TestIntegrationCleanSparesUnlabelled(t *testing.T) {
	ctx := context.Background()
	name := "firedrill-itest-not-ours-" + docker.NewRunID()
	if _, err := dockerCli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge"}); err != nil {
		t.Fatal(err)
	}
	defer dockerCli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
	ours := "firedrill-itest-ours-" + docker.NewRunID()
	if _, err := dockerCli.NetworkCreate(ctx, ours, client.NetworkCreateOptions{Driver: "bridge",
		Labels: map[string]string{docker.LabelRun: "itest-clean"}}); err != nil {
		t.Fatal(err)
	}
	rep, err := docker.Clean(ctx, dockerCli, docker.CleanRun("itest-clean"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Networks) != 1 || rep.Networks[0] != ours {
		t.Fatalf("clean removed %v, want only %s", rep.Networks, ours)
	}
	if _, err := dockerCli.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); err != nil {
		t.Fatalf("unlabelled network was touched: %v", err)
	}
}

// BenchmarkEnvUp measures how long the primary-kill environment takes to
// come up (images already built) and to be torn down.
func BenchmarkEnvUp(b *testing.B) {
	scn, err := scenarios.Builtin("primary-kill")
	if err != nil {
		b.Fatal(err)
	}
	im := newImages()
	ctx := context.Background()
	// Resolve images outside the timed part.
	for _, r := range images.Roles() {
		if _, err := im.Resolve(ctx, r, ""); err != nil {
			b.Fatal(err)
		}
	}
	var up, down time.Duration
	for b.Loop() {
		t0 := time.Now()
		env, err := docker.Up(ctx, dockerCli, im, scn)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := env.Down(ctx); err != nil {
			b.Fatal(err)
		}
		up += t1.Sub(t0)
		down += time.Since(t1)
	}
	b.ReportMetric(float64(up.Milliseconds())/float64(b.N), "up-ms/op")
	b.ReportMetric(float64(down.Milliseconds())/float64(b.N), "down-ms/op")
}
