package netkit

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

var bg = context.Background()

func TestPeersOf(t *testing.T) {
	w := chaostest.NewNetWorld(t)
	cases := []struct {
		target string
		to     []string
		want   []string
	}{
		// By default, every node that is not the target.
		{scenarios.TargetApp, nil, []string{topology.NodePrimary, "pg-replica1", topology.NodeStorage}},
		// A region: the nodes of the other regions only.
		{"region.east", nil, []string{"pg-replica1", topology.NodeApp}},
		{"region.west", nil, []string{topology.NodePrimary, topology.NodeStorage}},
		// Named peers, resolved now (postgres.primary is the primary).
		{scenarios.TargetApp, []string{scenarios.TargetPrimary}, []string{topology.NodePrimary}},
		{"region.west", []string{"region.east"}, []string{topology.NodePrimary, topology.NodeStorage}},
		// The target's own nodes are never its own other side: traffic
		// within a region is untouched.
		{"region.east", []string{scenarios.TargetPrimary, scenarios.TargetApp}, []string{topology.NodeApp}},
	}
	for _, c := range cases {
		tg, _ := w.Target(t, c.target)
		peers, err := PeersOf(bg, tg, c.to)
		if err != nil {
			t.Errorf("%s to %v: %v", c.target, c.to, err)
			continue
		}
		var got []string
		for _, p := range peers {
			got = append(got, p.Node.Name)
			if len(p.addrList()) != 2 {
				t.Errorf("%s: addresses %v, want one per network", p.Node.Name, p.Addrs)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s to %v: peers %v, want %v", c.target, c.to, got, c.want)
		}
	}
	tg, _ := w.Target(t, "region.east")
	if _, err := PeersOf(bg, tg, []string{scenarios.TargetPrimary}); err == nil || !strings.Contains(err.Error(), "nothing on the other side") {
		t.Errorf("a partition of a region from its own node: %v", err)
	}
	if _, err := PeersOf(bg, tg, []string{"postgres.nosuch"}); err == nil {
		t.Error("an unknown peer resolved")
	}
	// A peer that does not run has no address, and says so.
	w.RT.Set("pg-replica1", platform.State{Status: platform.StatusExited})
	peers, err := PeersOf(bg, tg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := DescribePeers(peers); !strings.Contains(got, "pg-replica1 (not running: no address)") || !strings.Contains(got, "app (10.") {
		t.Errorf("peers: %s", got)
	}
	if got := PeerAddrs(peers); len(got) != 2 {
		t.Errorf("addresses of the running peers: %v, want the app's two", got)
	}
}

// An HA stack's coordination nodes are nodes of the drill: a region's
// other side holds the other regions' etcd members too, or a partition
// of the primary's region leaves its etcd member in its quorum.
func TestPeersOfIncludesCoordination(t *testing.T) {
	w := chaostest.NewNetWorldOf(t, chaostest.NetScenario+"dr:\n  failover:\n    manager: patroni\n    patroni: {ttl: 10s, loop_wait: 1s, retry_timeout: 4s}\n")
	tg, _ := w.Target(t, "region.west")
	peers, err := PeersOf(bg, tg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range peers {
		got = append(got, p.Node.Name)
	}
	if want := []string{topology.NodePrimary, topology.NodeStorage, topology.EtcdNode("east")}; !slices.Equal(got, want) {
		t.Errorf("peers of region.west %v, want %v", got, want)
	}
}

func TestNewInjectionName(t *testing.T) {
	seen := map[string]bool{}
	handles := map[uint16]bool{}
	for _, a := range scenarios.ActionNames() {
		for range 3 {
			chain, handle := NewInjectionName(a)
			if seen[chain] || handles[handle] {
				t.Errorf("%s: %s / %x given twice", a, chain, handle)
			}
			seen[chain], handles[handle] = true, true
			if len(chain) > maxChainName || !strings.HasPrefix(chain, "FIREDRILL-") || strings.Contains(chain, " ") {
				t.Errorf("chain %q: longer than %d or not ours", chain, maxChainName)
			}
			if chain == "FIREDRILL-PAUSE" {
				t.Errorf("%s takes pause's chain", a)
			}
			if handle == 0 || handle >= 0x8000 {
				t.Errorf("handle %x: the kernel's automatic range or none", handle)
			}
		}
	}
	if c, _ := NewInjectionName(scenarios.ActionS3Outage); !strings.HasPrefix(c, "FIREDRILL-S3OUTAGE-") {
		t.Errorf("s3-outage's chain %q", c)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"iptables": "iptables", "10.0.0.2/32": "10.0.0.2/32", "": "''", "a b": "'a b'",
		"it's": `'it'\''s'`, "$(x)": "'$(x)'", "! -i lo": "'! -i lo'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := cmdLine("echo", "a b", "c"); got != "echo 'a b' c" {
		t.Errorf("cmdLine: %s", got)
	}
}

// stubTools puts stand-ins for iptables and tc first on PATH: each logs
// its arguments to the returned file, fails when they contain FAIL_ON,
// and prints REPORT for a listing (-S).
func stubTools(t *testing.T) (path, log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "log")
	for _, tool := range []string{"iptables", "tc"} {
		stub := "#!/bin/bash\necho \"" + tool + " $*\" >> " + log + "\n" +
			`if [ -n "${FAIL_ON:-}" ] && [[ "$*" == *"$FAIL_ON"* ]]; then echo "no such thing: $*" >&2; exit 1; fi` + "\n" +
			`if [[ "$*" == *" -S "* ]]; then printf '%s\n' "${REPORT:-}"; fi` + "\n"
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir + string(os.PathListSeparator) + os.Getenv("PATH"), log
}

// runHold runs a hold script with bash as a sidecar would, with env; it
// returns the first line, then what follows once input is sent (or the
// input closed, for input ""), and the exit error.
func runHold(t *testing.T, h HoldScript, env []string, input string) (first, rest string, err error) {
	t.Helper()
	argv := h.Argv()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	first, _ = r.ReadString('\n')
	if input != "" {
		io.WriteString(stdin, input)
	}
	stdin.Close()
	b, _ := io.ReadAll(r)
	return strings.TrimSpace(first), string(b), cmd.Wait()
}

func readLog(t *testing.T, log string) []string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	os.Remove(log)
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// The Hold sidecar's protocol, run by bash: apply, "held", wait, report,
// undo, "released <report>" on one line; on the end of its input (the
// harness died) the same; an apply that fails undoes what it did and
// says "failed" then why.
func TestHoldScript(t *testing.T) {
	path, log := stubTools(t)
	env := []string{"PATH=" + path}
	h := HoldScript{
		Apply:  "run iptables -w -N C\nrun iptables -w -A C -j DROP\n" + InsertJump(JumpInput("C")),
		Report: "iptables -w -S C -v",
		Undo:   DeleteJump(JumpInput("C")) + "\niptables -w -F C\niptables -w -X C",
	}
	for _, input := range []string{"release\n", ""} {
		first, rest, err := runHold(t, h, append(env, "REPORT=-A C -c 12 480 -j DROP\n-A C -c 1 2"), input)
		if first != "held" || err != nil {
			t.Fatalf("input %q: first line %q, %v", input, first, err)
		}
		rep, ok := releasedReport(rest)
		if !ok || strings.Count(rest, "\n") != 1 || !slices.Equal(rep, []string{"-A C -c 12 480 -j DROP", "-A C -c 1 2"}) {
			t.Errorf("input %q: after the release %q (report %q): want one released line with the report", input, rest, rep)
		}
		want := []string{"iptables -w -N C", "iptables -w -A C -j DROP", "iptables -w -I INPUT 1 ! -i lo -j C",
			"iptables -w -S C -v", "iptables -w -D INPUT ! -i lo -j C", "iptables -w -F C", "iptables -w -X C"}
		if got := readLog(t, log); !slices.Equal(got, want) {
			t.Errorf("input %q: ran\n%s\nwant\n%s", input, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	first, rest, err := runHold(t, h, append(env, "FAIL_ON=-I INPUT"), "release\n")
	if first != "failed" || err == nil || !strings.Contains(rest, "iptables -w -I INPUT 1 ! -i lo -j C: no such thing") || strings.Count(rest, "\n") != 1 {
		t.Errorf("a failing apply: first %q, then %q, %v", first, rest, err)
	}
	if got := readLog(t, log); !slices.Contains(got, "iptables -w -F C") || slices.Contains(got, "iptables -w -S C -v") {
		t.Errorf("a failing apply must undo (and report nothing): ran %v", got)
	}
}

// A sidecar stopped by a signal undoes its effect before it exits.
func TestHoldScriptUndoesOnTERM(t *testing.T) {
	path, log := stubTools(t)
	argv := HoldScript{Apply: "run iptables -w -N C", Undo: "iptables -w -X C"}.Argv()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "PATH="+path)
	stdin, _ := cmd.StdinPipe()
	defer stdin.Close()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if l, _ := bufio.NewReader(stdout).ReadString('\n'); l != "held\n" {
		t.Fatalf("first line %q", l)
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if got := readLog(t, log); !slices.Contains(got, "iptables -w -X C") {
		t.Errorf("not undone on a signal: %v", got)
	}
}

func TestReleasedReport(t *testing.T) {
	if rep, ok := releasedReport("released a|b| |c|"); !ok || !slices.Equal(rep, []string{"a", "b", "c"}) {
		t.Errorf("%q %v", rep, ok)
	}
	if rep, ok := releasedReport("released"); !ok || rep != nil {
		t.Errorf("an empty report: %q %v", rep, ok)
	}
	if _, ok := releasedReport("iptables: no chain\n"); ok {
		t.Error("a sidecar that failed counts as released")
	}
}

// The probe script, run by bash against 127.0.0.1: an open port, a
// closed one; ParseProbe reads it back in the dests' order.
func TestProbeScript(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	lo := netip.MustParseAddr("127.0.0.1")
	dests := []TCPDest{{Node: "open", Addr: lo, Port: ln.Addr().(*net.TCPAddr).Port}, {Node: "closed", Addr: lo, Port: closedPort}}
	out, err := exec.Command("bash", "-c", ProbeScript(dests, time.Second)).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	res, err := ParseProbe(string(out), dests, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Outcome != probeOpen || res[1].Outcome != probeRefused || !res[0].Answered() || !res[1].Answered() {
		t.Errorf("results %+v", res)
	}
	if !strings.HasPrefix(res[1].String(), "closed 127.0.0.1:") || !strings.HasSuffix(res[1].String(), " refused") {
		t.Errorf("evidence %q", res[1])
	}
}

func TestParseProbe(t *testing.T) {
	a := netip.MustParseAddr("10.2.0.1")
	dests := []TCPDest{{"pg-primary", a, 5432}, {"minio", a, 9000}, {"app", a, 8080}}
	out := "probe 10.2.0.1 9000 124 501 \nnoise\nprobe 10.2.0.1 5432 0 2 \nprobe 10.2.0.1 8080 1 3 No route to host\n"
	res, err := ParseProbe(out, dests, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pg-primary 10.2.0.1:5432 open", "minio 10.2.0.1:9000 no answer in 500ms", "app 10.2.0.1:8080 no route to host"}
	for i, r := range res {
		if r.String() != want[i] {
			t.Errorf("%d: %q, want %q", i, r, want[i])
		}
	}
	if res[1].Answered() || res[2].Answered() || !res[0].Answered() {
		t.Errorf("answered: %v %v %v", res[0].Answered(), res[1].Answered(), res[2].Answered())
	}
	if _, err := ParseProbe("probe 10.2.0.1 5432 0 2 \n", dests, time.Second); err == nil {
		t.Error("a probe without a result for every dest must be an error")
	}
}

func TestDestsFrom(t *testing.T) {
	primary := &topology.Node{Name: "pg-primary", Ports: []string{topology.PortPostgres}}
	peers := []Peer{{Node: primary, Addrs: map[string]netip.Addr{"east": netip.MustParseAddr("10.1.0.1"), "wan": netip.MustParseAddr("10.3.0.1")}}}
	// Only the addresses on a network the prober is on: another network's
	// is not reachable from it, cut or not.
	got := DestsFrom(map[string]netip.Addr{"west": netip.MustParseAddr("10.2.0.4"), "wan": netip.MustParseAddr("10.3.0.4")}, peers)
	if len(got) != 1 || got[0].String() != "pg-primary 10.3.0.1:5432" {
		t.Errorf("dests %v", got)
	}
}

func TestParseRuleCounters(t *testing.T) {
	// iptables -S C -v, as iptables-nft 1.8.9 prints it.
	lines := []string{
		"# Warning: iptables-legacy tables present, use iptables-legacy to see them",
		"-N FIREDRILL-LOSS-1",
		"-A FIREDRILL-LOSS-1 -s 172.18.0.3/32 -c 100 4000",
		"-A FIREDRILL-LOSS-1 -s 172.18.0.3/32 -m statistic --mode random --probability 0.29999999981 -c 29 1160 -j DROP",
		"-A OTHER -c 5 5 -j DROP",
	}
	got := ParseRuleCounters(lines, "FIREDRILL-LOSS-1")
	if len(got) != 2 || got[0].Packets != 100 || got[0].Target != "" || got[1].Packets != 29 || got[1].Bytes != 1160 || got[1].Target != "DROP" ||
		got[1].Spec != "-A FIREDRILL-LOSS-1 -s 172.18.0.3/32 -m statistic --mode random --probability 0.29999999981 -j DROP" {
		t.Errorf("%+v", got)
	}
}

func TestChainListingAndGone(t *testing.T) {
	lines := []string{"-N C", "-A C -d 10.0.0.1/32 -j DROP", "-A INPUT ! -i lo -j C", "-A OUTPUT ! -o lo -j C", "-A OUTPUT -j CX"}
	rules, jumps := ParseChainListing(lines, "C")
	if len(rules) != 1 || !slices.Equal(jumps, []string{"INPUT ! -i lo -j C", "OUTPUT ! -o lo -j C"}) {
		t.Errorf("rules %v jumps %v", rules, jumps)
	}
	for out, want := range map[string][2]bool{"chain C gone\n": {true, false}, "chain C leftover removed": {true, true}, "chain C still there": {false, false}, "": {false, false}} {
		if g, l := ChainState(out, "C"); g != want[0] || l != want[1] {
			t.Errorf("chainState(%q) = %v %v", out, g, l)
		}
	}
	// The leftover check, run by bash on stand-ins: it deletes the jumps
	// and the chain, and says whether anything was there.
	path, log := stubTools(t)
	out, err := exec.Command("bash", "-c", "export PATH="+shellQuote(path)+"\n"+ChainGone("C", JumpInput("C"), JumpOutput("C"))).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "chain C leftover removed" {
		t.Errorf("%q %v", out, err)
	}
	if got := readLog(t, log); !slices.Contains(got, "iptables -w -D INPUT ! -i lo -j C") || !slices.Contains(got, "iptables -w -X C") {
		t.Errorf("ran %v", got)
	}
}

func TestEachNodeKeepsNodeOrder(t *testing.T) {
	var nodes []*topology.Node
	for i := range 20 {
		nodes = append(nodes, &topology.Node{Name: strconv.Itoa(i)})
	}
	got := EachNode(nodes, func(n *topology.Node) string {
		i, _ := strconv.Atoi(n.Name)
		time.Sleep(time.Duration(20-i) * time.Millisecond)
		return n.Name
	})
	if !slices.Equal(got, topology.Names(nodes)) {
		t.Errorf("%v", got)
	}
}

func TestRegionOf(t *testing.T) {
	for name, want := range map[string]string{"region.east": "east", "app": "", "": "", "postgres.primary": ""} {
		if got := RegionOf(&chaos.Target{Name: name}); got != want {
			t.Errorf("regionOf(%q) = %q", name, got)
		}
	}
}
