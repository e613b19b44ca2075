package main

import (
	"bytes"
	"context"
	"fmt"
	"net"

	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/platform/docker"
	"github.com/firedrill/firedrill/topology"
)

// keepInstructions tells a person how to reach each service of a kept
// environment and how to remove it. It names where the credentials are
// but does not print them.
func keepInstructions(ctx context.Context, env *docker.Env, credentialsFile string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "environment %s kept running:\n", env.RunID)
	cluster := env.Cluster()
	primary, _ := cluster.Primary(ctx)
	pg := env.PostgresCredentials()
	for _, n := range env.Topology.Nodes {
		ctr := env.ContainerName(n.Name)
		if st, err := env.State(ctx, n.Name); err == nil && st.Status != platform.StatusRunning {
			fmt.Fprintf(&b, "  %-12s %s (killed, stopped or fenced during the drill): docker logs %s\n", n.Name, st, ctr)
			continue
		}
		switch n.Kind {
		case topology.KindPostgres:
			role := "standby"
			if n.Name == primary {
				role = "primary"
			}
			ep, err := env.Endpoint(ctx, n.Name, topology.PortPostgres)
			if err != nil {
				fmt.Fprintf(&b, "  %-12s %s (not reachable: %v)\n", n.Name, ctr, err)
				continue
			}
			host, port, _ := net.SplitHostPort(ep)
			fmt.Fprintf(&b, "  %-12s %s: psql -h %s -p %s -U %s %s    or: docker exec -it %s psql -U %s %s\n",
				n.Name, role, host, port, pg.User, pg.Database, ctr, pg.User, pg.Database)
		case topology.KindStorage:
			ep, err := env.Endpoint(ctx, n.Name, topology.PortS3)
			cons, err2 := env.Endpoint(ctx, n.Name, topology.PortConsole)
			if err != nil || err2 != nil {
				fmt.Fprintf(&b, "  %-12s %s (not reachable)\n", n.Name, ctr)
				continue
			}
			access, _ := env.S3Credentials()
			fmt.Fprintf(&b, "  %-12s S3 http://%s (bucket %s)   console http://%s   user %s\n", n.Name, ep, env.Bucket, cons, access)
		case topology.KindApp:
			ep, err := env.Endpoint(ctx, n.Name, topology.PortApp)
			if err != nil {
				fmt.Fprintf(&b, "  %-12s %s (not reachable)\n", n.Name, ctr)
				continue
			}
			fmt.Fprintf(&b, "  %-12s http://%s/healthz   http://%s/records/<id>\n", n.Name, ep, ep)
		}
	}
	if credentialsFile != "" {
		fmt.Fprintf(&b, "  passwords: %s (PGPASSWORD, S3 secret; readable by you only)\n", credentialsFile)
	}
	fmt.Fprintf(&b, "remove it with: firedrill clean --run %s\n", env.RunID)
	return b.String()
}
