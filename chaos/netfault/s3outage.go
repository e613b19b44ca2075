package netfault

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() {
	chaos.Register(chaos.Spec{Action: scenarios.ActionS3Outage, New: func(scenarios.Params) (chaos.Fault, error) {
		chain, _ := netkit.NewInjectionName(scenarios.ActionS3Outage)
		return &s3Outage{chain: chain}, nil
	}})
}

// s3HealthPath is MinIO's liveness check: it answers without credentials,
// so a request to it shows whether the storage answers S3 at all.
const s3HealthPath = "/minio/health/live"

// s3CheckTimeout bounds one check of the storage: it answers in
// milliseconds, and refuses at once during an outage.
const s3CheckTimeout = time.Second

// s3Outage makes the storage refuse every S3 request: in the storage
// node's namespace, a chain of the injection's own answers every TCP
// packet to the S3 port with a reset, so clients in the environment and
// the harness's own S3 client fail at once, and connections already open
// are reset at their next packet. The revert lets requests through again.
// Evidence: a request from inside a client node (the app's namespace) and
// one from the harness answer before and are refused during the outage;
// at the revert, they answer again (docs/architecture.md, "Network
// faults").
type s3Outage struct {
	chain string
	held  netkit.HeldSet
}

func (s *s3Outage) rules() netkit.HoldScript {
	port := servedPortOf(topology.PortS3)
	apply := strings.Join([]string{
		"run iptables -w -N " + s.chain,
		fmt.Sprintf("run iptables -w -A %s -p tcp --dport %d -j REJECT --reject-with tcp-reset", s.chain, port),
		netkit.InsertJump(netkit.JumpInput(s.chain)),
	}, "\n")
	undo := strings.Join([]string{netkit.DeleteJump(netkit.JumpInput(s.chain)), "iptables -w -F " + s.chain, "iptables -w -X " + s.chain}, "\n")
	return netkit.HoldScript{Apply: apply, Report: "iptables -w -S " + s.chain + " -v", Undo: undo}
}

func servedPortOf(port string) int {
	return netkit.ServedPort(&topology.Node{Ports: []string{port}})
}

// s3RequestScript is the bash of a client's S3 request to dest, from
// inside its namespace: it prints "s3 <status line>" when the storage
// answers, "s3 refused" when the connection is refused or reset, "s3 no
// answer" on a timeout, else "s3 <error>" (parseS3Request).
func s3RequestScript(dest netkit.TCPDest, timeout time.Duration) string {
	return fmt.Sprintf(`out=$(timeout %g bash -c 'exec 3<>/dev/tcp/%s/%d && printf "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" >&3 && IFS= read -r line <&3 && echo "status $line"' 2>&1); rc=$?
case "$out" in *"status "*) echo "s3 ${out##*status }" | tr -d '\r';; *refused*|*reset*) echo "s3 refused";; *) if [ $rc = 124 ]; then echo "s3 no answer"; else echo "s3 ${out##*: }"; fi;; esac
`, timeout.Seconds(), dest.Addr, dest.Port, s3HealthPath, dest.Node)
}

// s3Answer is what one request to the storage saw.
type s3Answer struct {
	Answered bool   // the storage sent an HTTP status
	Refused  bool   // refused or reset: the outage's answer
	Text     string // the status line or the error
}

// parseS3Request reads s3RequestScript's output.
func parseS3Request(out string) s3Answer {
	for _, l := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "s3 ")
		if !ok {
			continue
		}
		switch {
		case rest == "refused":
			return s3Answer{Refused: true, Text: "refused"}
		case strings.HasPrefix(rest, "HTTP/"):
			return s3Answer{Answered: true, Text: rest}
		}
		return s3Answer{Text: rest}
	}
	return s3Answer{Text: fmt.Sprintf("no result: %q", out)}
}

// harnessS3 is the harness's own request to the storage's S3 endpoint.
func harnessS3(ctx context.Context, rt platform.Runtime, storage string) s3Answer {
	ep, err := rt.Endpoint(ctx, storage, topology.PortS3)
	if err != nil {
		return s3Answer{Text: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, s3CheckTimeout)
	defer cancel()
	url := "http://" + ep + s3HealthPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s3Answer{Text: err.Error()}
	}
	// A fresh connection each time: a kept-alive one would not show what
	// a new client meets.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	resp, err := c.Do(req)
	if err != nil {
		refused := strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), "reset")
		return s3Answer{Refused: refused, Text: "GET " + url + ": " + shortNetError(err)}
	}
	resp.Body.Close()
	return s3Answer{Answered: true, Text: "GET " + url + ": " + resp.Status}
}

// shortNetError is the last part of a network error: "connection refused".
func shortNetError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// s3Client is the node from whose namespace the storage is asked: the app
// when it runs, else any other running node; its address of the storage
// on a network both are on.
func s3Client(ctx context.Context, t *chaos.Target, storage *topology.Node) (string, netkit.TCPDest, error) {
	saddrs, err := t.Runtime.Addresses(ctx, storage.Name)
	if err != nil {
		return "", netkit.TCPDest{}, err
	}
	candidates := slices.Clone(t.Topology.Nodes)
	slices.SortStableFunc(candidates, func(a, b *topology.Node) int {
		return boolRank(a.Name != topology.NodeApp) - boolRank(b.Name != topology.NodeApp)
	})
	for _, n := range candidates {
		if n.Name == storage.Name {
			continue
		}
		if ok, err := netkit.Runs(ctx, t.Runtime, n.Name); err != nil || !ok {
			continue
		}
		own, err := t.Runtime.Addresses(ctx, n.Name)
		if err != nil {
			continue
		}
		if d := netkit.DestsFrom(own, []netkit.Peer{{Node: storage, Addrs: saddrs}}); len(d) > 0 {
			d[0].Port = servedPortOf(topology.PortS3)
			return n.Name, d[0], nil
		}
	}
	return "", netkit.TCPDest{}, fmt.Errorf("no running node shares a network with %s to ask it from", storage.Name)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// s3Checks asks the storage from inside client and from the harness.
func s3Checks(ctx context.Context, rt platform.Runtime, client string, dest netkit.TCPDest) (inside, harness s3Answer, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		harness = harnessS3(ctx, rt, dest.Node)
	}()
	r, err := rt.Exec(ctx, client, []string{"bash", "-c", s3RequestScript(dest, s3CheckTimeout)})
	<-done
	if err != nil {
		return s3Answer{}, harness, fmt.Errorf("ask %s from inside %s: %w", dest.Node, client, err)
	}
	return parseS3Request(r.Output), harness, nil
}

func (s *s3Outage) Inject(ctx context.Context, t *chaos.Target) (string, error) {
	if len(t.Nodes) != 1 {
		return "", fmt.Errorf("s3-outage acts on the storage alone, got %v", topology.Names(t.Nodes))
	}
	storage := t.Nodes[0]
	client, dest, err := s3Client(ctx, t, storage)
	if err != nil {
		return "", err
	}
	inBefore, hBefore, err := s3Checks(ctx, t.Runtime, client, dest)
	if err != nil {
		return "", err
	}

	if err := netkit.HoldEach(ctx, t, &s.held, t.Nodes, s.rules().Argv(), "make %s refuse S3")[0]; err != nil {
		return "", err
	}

	type listing struct {
		out string
		err error
	}
	lc := make(chan listing, 1)
	go func() {
		r, err := t.Runtime.Exec(ctx, storage.Name, []string{"bash", "-c", netkit.ChainListing(s.chain, false)})
		lc <- listing{r.Output, err}
	}()
	inDuring, hDuring, err := s3Checks(ctx, t.Runtime, client, dest)
	l := <-lc
	if err != nil {
		return "", err
	}
	if l.err != nil {
		return "", fmt.Errorf("check the outage from inside %s: %w", storage.Name, l.err)
	}
	rules, jumps := netkit.ParseChainListing(strings.Split(l.out, "\n"), s.chain)
	ev := fmt.Sprintf("%s refuses S3 (tcp port %d) with a reset, chain %s (%d rule, %d jump); from inside %s, a request to %s: before %s, during %s; the harness's: before %s, during %s",
		storage.Name, dest.Port, s.chain, len(rules), len(jumps), client, netip.AddrPortFrom(dest.Addr, uint16(dest.Port)), inBefore.Text, inDuring.Text, hBefore.Text, hDuring.Text)
	var errs []error
	if len(rules) != 1 || len(jumps) != 1 {
		errs = append(errs, fmt.Errorf("the outage is not in place: %d of 1 rule and %d of 1 jump of chain %s inside %s (%s)", len(rules), len(jumps), s.chain, storage.Name, s.held.WhyNot(ctx, storage.Name)))
	}
	if !inDuring.Refused {
		errs = append(errs, fmt.Errorf("a request from inside %s was not refused: %s", client, inDuring.Text))
	}
	if !hDuring.Refused {
		errs = append(errs, fmt.Errorf("the harness's request was not refused: %s", hDuring.Text))
	}
	if err := errors.Join(errs...); err != nil {
		return ev, fmt.Errorf("%w (evidence: %s)", err, ev)
	}
	return ev, nil
}

func (s *s3Outage) Revert(ctx context.Context, t *chaos.Target) (string, error) {
	t.Applying()
	rels := netkit.ReleaseEach(ctx, t, &s.held)
	res := netkit.EachNode(t.Nodes, func(n *topology.Node) netkit.NodeResult {
		rel := rels[slices.Index(t.Nodes, n)]
		if !rel.Tried {
			return netkit.NodeResult{}
		}
		relErr := rel.Err
		_, leftover, settled := netkit.ChainUndone(ctx, t, n.Name, s.chain, []string{netkit.JumpInput(s.chain)}, relErr, "")
		if settled != nil {
			return *settled
		}
		e := n.Name + " lets S3 requests through again"
		if client, dest, err := s3Client(ctx, t, n); err == nil {
			if in, hs, err := s3Checks(ctx, t.Runtime, client, dest); err == nil {
				e += fmt.Sprintf("; from inside %s: %s; the harness's: %s", client, in.Text, hs.Text)
			}
		}
		return netkit.NodeResult{Evidence: e + netkit.SidecarNote(relErr, leftover, "chain "+s.chain)}
	})
	return netkit.JoinResults(res)
}
