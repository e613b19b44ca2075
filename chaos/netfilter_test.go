package chaos

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// netTopologyYAML: the primary and the storage in east, the replica and
// the app in west.
const netTopologyYAML = `apiVersion: firedrill/v1
name: net
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas: [{name: replica1, region: west}]
  storage: {region: east}
  app: {region: west}
timeline:
  duration: 30s
`

// netWorld is a topology on a fake runtime whose nodes are on their
// networks, so that each has an address on each (10.1.0.x on its region,
// 10.2.0.x on the WAN).
type netWorld struct {
	topo *topology.Topology
	rt   *fakert.Runtime
	ns   *fakeNetns
}

func newNetWorld(t *testing.T) *netWorld {
	t.Helper()
	scn, err := scenarios.LoadBytes("net.yaml", []byte(netTopologyYAML))
	if err != nil {
		t.Fatal(err)
	}
	w := &netWorld{topo: topology.New(scn), rt: fakert.New()}
	for _, n := range w.topo.Nodes {
		w.rt.Add(n.Name, n.Networks...)
	}
	w.ns = &fakeNetns{rt: w.rt}
	w.rt.HandleExec(w.ns.handle)
	return w
}

// target is the Target of target (a service or region.<r>), resolved on
// the initial state, with a counter of Applying and Applied calls.
func (w *netWorld) target(t *testing.T, target string) (*Target, *instants) {
	t.Helper()
	nodes, err := w.topo.ResolveTarget(bg, w.topo.Initial(), target)
	if err != nil {
		t.Fatal(err)
	}
	in := &instants{rt: w.rt, applyingAt: -1, appliedAt: -1}
	return &Target{Nodes: nodes, Runtime: w.rt, Topology: w.topo, State: w.topo.Initial(), Name: target,
		Applying: in.applying, Applied: in.applied}, in
}

// instants records how many runtime calls had been made when Applying and
// Applied were first called.
type instants struct {
	rt                    *fakert.Runtime
	applyingAt, appliedAt int
}

func (in *instants) applying() {
	if in.applyingAt < 0 {
		in.applyingAt = len(in.rt.Calls())
	}
}

func (in *instants) applied() {
	if in.appliedAt < 0 {
		in.appliedAt = len(in.rt.Calls())
	}
}

// check says that Applying came right before the first call of op and
// Applied after the last call of op, before any probe.
func (in *instants) check(t *testing.T, op string) {
	t.Helper()
	calls := in.rt.Calls()
	if in.applyingAt < 0 || in.applyingAt >= len(calls) || calls[in.applyingAt].Op != op {
		t.Errorf("Applying is not right before the first %s: at %d of %v", op, in.applyingAt, calls)
	}
	if in.appliedAt < 0 {
		t.Fatalf("Applied was never called")
	}
	for _, c := range calls[in.appliedAt:] {
		if c.Op == op {
			t.Errorf("a %s came after Applied: the span must end when the effect is certain", c)
		}
	}
}

// fakeNetns plays the nodes' network namespaces for the sidecars the
// network faults run: a Hold sidecar's rules or qdiscs are in effect from
// its Hold until its Release (as fakert records them), and the probes,
// listings and checks the faults run with Exec see them.
type fakeNetns struct {
	rt *fakert.Runtime
	mu sync.Mutex
	// inert nodes take a hold without its effect (its sidecar failed).
	inert map[string]bool
	// foreign is a root qdisc someone else put on a node.
	foreign map[string]string
	// leaked nodes keep their effect after the release (the sidecar was
	// removed before it could undo it) until a revert's check removes it.
	leaked  map[string]bool
	removed map[string]bool // leftovers a check removed
	// lossless: the rules are there and drop nothing.
	lossless bool
}

func (f *fakeNetns) set(m *map[string]bool, node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[node] = true
}

// active are the hold scripts in effect on node.
func (f *fakeNetns) active(node string) []string {
	f.mu.Lock()
	inert, leaked, removed := f.inert[node], f.leaked[node], f.removed[node]
	f.mu.Unlock()
	if inert || removed {
		return nil
	}
	var out []string
	for _, c := range f.rt.Calls(fakert.OpHold, fakert.OpRelease) {
		if c.Node != node {
			continue
		}
		if c.Op == fakert.OpHold {
			out = append(out, c.Arg)
		} else if i := slices.Index(out, c.Arg); i >= 0 && !leaked {
			out = slices.Delete(out, i, i+1)
		}
	}
	return out
}

var (
	ruleLine   = regexp.MustCompile(`(?m)^run iptables -w -A (\S+)(.*)$`)
	jumpLine   = regexp.MustCompile(`(?m)^run iptables -w -I (INPUT|OUTPUT) 1 (.*)$`)
	qdiscLine  = regexp.MustCompile(`run tc qdisc add dev "\$i" root handle (\S+) (tbf|htb)( rate (\S+))?`)
	classLine  = regexp.MustCompile(`run tc class add dev "\$i" parent \S+ classid (\S+) htb rate (\S+)`)
	filterLine = regexp.MustCompile(`run tc filter add dev "\$i" .* match ip dst (\S+)/32`)
	probeLine  = regexp.MustCompile(`(?m)^probe (\S+) (\d+) &$`)
	burstLine  = regexp.MustCompile(`seq (\d+)\); do \{ : 3<>/dev/tcp/(\S+)/(\d+);`)
	s3Line     = regexp.MustCompile(`/dev/tcp/(\S+)/9000 && printf "GET`)
	chainName  = regexp.MustCompile(`iptables -w -S (FIREDRILL-\S+)`)
)

// rules are the iptables rules and jumps in effect on node, as iptables
// -S prints them.
func (f *fakeNetns) rules(node string) (rules, jumps []string) {
	for _, s := range f.active(node) {
		for _, m := range ruleLine.FindAllStringSubmatch(s, -1) {
			rules = append(rules, "-A "+m[1]+m[2])
		}
		for _, m := range jumpLine.FindAllStringSubmatch(s, -1) {
			jumps = append(jumps, "-A "+m[1]+" "+m[2])
		}
	}
	return rules, jumps
}

// dropsTo reports whether node's rules drop what it sends to addr, and
// the share of what it receives from addr they drop.
func (f *fakeNetns) drops(node, addr string) (out bool, in float64) {
	rules, _ := f.rules(node)
	for _, r := range rules {
		if !strings.HasSuffix(r, "-j DROP") {
			continue
		}
		if strings.Contains(r, " -d "+addr+"/32") {
			out = true
		}
		if strings.Contains(r, " -s "+addr+"/32") || !strings.Contains(r, " -s ") && !strings.Contains(r, " -d ") {
			p := 1.0
			if i := strings.Index(r, "--probability "); i >= 0 {
				p, _ = strconv.ParseFloat(strings.Fields(r[i:])[1], 64)
			}
			in = max(in, p)
		}
	}
	return out, in
}

// owner is the node with address addr.
func (f *fakeNetns) owner(addr string) string {
	for _, n := range []string{topology.NodePrimary, "pg-replica1", topology.NodeStorage, topology.NodeApp} {
		as, _ := f.rt.Addresses(bg, n)
		for _, a := range as {
			if a.String() == addr {
				return n
			}
		}
	}
	return ""
}

func (f *fakeNetns) handle(node string, cmd []string) (platform.ExecResult, error) {
	script := cmd[len(cmd)-1]
	if strings.Contains(script, "echo held") {
		return platform.ExecResult{}, nil // a Hold: its effect lasts until its release
	}
	var out strings.Builder
	if m := chainName.FindStringSubmatch(script); m != nil && !strings.Contains(script, "left=0") {
		rules, jumps := f.rules(node)
		for _, r := range rules {
			if strings.HasPrefix(r, "-A "+m[1]+" ") || r == "-A "+m[1] {
				out.WriteString(r + "\n")
			}
		}
		for _, j := range jumps {
			if strings.HasSuffix(j, "-j "+m[1]) {
				out.WriteString(j + "\n")
			}
		}
	}
	for _, m := range probeLine.FindAllStringSubmatch(script, -1) {
		if cut, _ := f.drops(node, m[1]); cut {
			fmt.Fprintf(&out, "probe %s %s 124 500 \n", m[1], m[2])
		} else {
			fmt.Fprintf(&out, "probe %s %s 0 1 \n", m[1], m[2])
		}
	}
	if m := burstLine.FindStringSubmatch(script); m != nil {
		n, _ := strconv.Atoi(m[1])
		_, p := f.drops(node, m[2])
		if f.lossless {
			p = 0
		}
		for range n - int(p*float64(n)) {
			out.WriteString("answer 1\n")
		}
		fmt.Fprintf(&out, "burst %d\n", n)
	}
	if m := s3Line.FindStringSubmatch(script); m != nil {
		rules, _ := f.rules(f.owner(m[1]))
		if slices.ContainsFunc(rules, func(r string) bool { return strings.Contains(r, "REJECT") }) {
			out.WriteString("s3 refused\n")
		} else {
			out.WriteString("s3 HTTP/1.1 200 OK\n")
		}
	}
	if strings.Contains(script, "left=0") { // chainGone
		c := chainName.FindStringSubmatch(strings.Replace(script, "-F ", "-S ", 1))
		rules, _ := f.rules(node)
		if len(rules) > 0 {
			f.set(&f.removed, node)
			fmt.Fprintf(&out, "chain %s leftover removed\n", c[1])
		} else {
			fmt.Fprintf(&out, "chain %s gone\n", c[1])
		}
	}
	if strings.Contains(script, "tc qdisc show") {
		out.WriteString(f.qdiscs(node, script))
	}
	if script == interfacesScript {
		nets, _ := f.rt.Networks(bg, node)
		addrs, _ := f.rt.Addresses(bg, node)
		for i, n := range nets {
			fmt.Fprintf(&out, "%d: eth%d    inet %s/16 brd 10.0.255.255 scope global eth%d\\       valid_lft forever\n", 40+i, i, addrs[n], i)
		}
		out.WriteString("routes\n")
		for i := range nets {
			fmt.Fprintf(&out, "10.%d.0.0/16 dev eth%d proto kernel scope link\n", i+1, i)
		}
	}
	return platform.ExecResult{Output: out.String()}, nil
}

// qdiscs answers a bandwidth listing or leftover check on node's two
// interfaces.
func (f *fakeNetns) qdiscs(node, script string) string {
	var b strings.Builder
	if strings.Contains(script, "echo \"leftover $i\"") {
		f.mu.Lock()
		leaked := f.leaked[node]
		f.mu.Unlock()
		if leaked && len(f.active(node)) > 0 {
			f.set(&f.removed, node)
			b.WriteString("leftover eth0\nleftover eth1\n")
		}
	}
	var qdisc, class string
	filters := 0
	for _, s := range f.active(node) {
		if m := qdiscLine.FindStringSubmatch(s); m != nil {
			qdisc = fmt.Sprintf("qdisc %s %s root refcnt 2", m[2], m[1])
			if m[4] != "" {
				qdisc += " rate " + strings.TrimSuffix(m[4], "000000bit") + "Mbit burst 15000b lat 100ms"
			}
		}
		if m := classLine.FindStringSubmatch(s); m != nil {
			class = fmt.Sprintf("class htb %s root prio 0 rate %sMbit ceil 1Mbit", m[1], strings.TrimSuffix(m[2], "000000bit"))
		}
		filters += len(filterLine.FindAllString(s, -1))
	}
	f.mu.Lock()
	foreign := f.foreign[node]
	f.mu.Unlock()
	for _, dev := range []string{"eth0", "eth1"} {
		b.WriteString("dev " + dev + "\n")
		switch {
		case qdisc != "":
			b.WriteString(qdisc + "\n")
		case foreign != "":
			b.WriteString(foreign + "\n")
		default:
			b.WriteString("qdisc noqueue 0: root refcnt 2\n")
		}
		if class != "" {
			b.WriteString(class + "\n")
		}
		fmt.Fprintf(&b, "filters %d\n", filters)
	}
	return b.String()
}

func TestPeersOf(t *testing.T) {
	w := newNetWorld(t)
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
		tg, _ := w.target(t, c.target)
		peers, err := peersOf(bg, tg, c.to)
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
	tg, _ := w.target(t, "region.east")
	if _, err := peersOf(bg, tg, []string{scenarios.TargetPrimary}); err == nil || !strings.Contains(err.Error(), "nothing on the other side") {
		t.Errorf("a partition of a region from its own node: %v", err)
	}
	if _, err := peersOf(bg, tg, []string{"postgres.nosuch"}); err == nil {
		t.Error("an unknown peer resolved")
	}
	// A peer that does not run has no address, and says so.
	w.rt.Set("pg-replica1", platform.State{Status: platform.StatusExited})
	peers, err := peersOf(bg, tg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := describePeers(peers); !strings.Contains(got, "pg-replica1 (not running: no address)") || !strings.Contains(got, "app (10.") {
		t.Errorf("peers: %s", got)
	}
	if got := peerAddrs(peers); len(got) != 2 {
		t.Errorf("addresses of the running peers: %v, want the app's two", got)
	}
}

func TestNewInjectionName(t *testing.T) {
	seen := map[string]bool{}
	handles := map[uint16]bool{}
	for _, a := range scenarios.ActionNames() {
		for range 3 {
			chain, handle := newInjectionName(a)
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
	if c, _ := newInjectionName(scenarios.ActionS3Outage); !strings.HasPrefix(c, "FIREDRILL-S3OUTAGE-") {
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
func runHold(t *testing.T, h holdScript, env []string, input string) (first, rest string, err error) {
	t.Helper()
	argv := h.argv()
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
	h := holdScript{
		Apply:  "run iptables -w -N C\nrun iptables -w -A C -j DROP\n" + insertJump(jumpInput("C")),
		Report: "iptables -w -S C -v",
		Undo:   deleteJump(jumpInput("C")) + "\niptables -w -F C\niptables -w -X C",
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
	argv := holdScript{Apply: "run iptables -w -N C", Undo: "iptables -w -X C"}.argv()
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
// closed one; parseProbe reads it back in the dests' order.
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
	dests := []tcpDest{{Node: "open", Addr: lo, Port: ln.Addr().(*net.TCPAddr).Port}, {Node: "closed", Addr: lo, Port: closedPort}}
	out, err := exec.Command("bash", "-c", probeScript(dests, time.Second)).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	res, err := parseProbe(string(out), dests, time.Second)
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
	dests := []tcpDest{{"pg-primary", a, 5432}, {"minio", a, 9000}, {"app", a, 8080}}
	out := "probe 10.2.0.1 9000 124 501 \nnoise\nprobe 10.2.0.1 5432 0 2 \nprobe 10.2.0.1 8080 1 3 No route to host\n"
	res, err := parseProbe(out, dests, 500*time.Millisecond)
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
	if _, err := parseProbe("probe 10.2.0.1 5432 0 2 \n", dests, time.Second); err == nil {
		t.Error("a probe without a result for every dest must be an error")
	}
}

func TestDestsFrom(t *testing.T) {
	primary := &topology.Node{Name: "pg-primary", Ports: []string{topology.PortPostgres}}
	peers := []peer{{Node: primary, Addrs: map[string]netip.Addr{"east": netip.MustParseAddr("10.1.0.1"), "wan": netip.MustParseAddr("10.3.0.1")}}}
	// Only the addresses on a network the prober is on: another network's
	// is not reachable from it, cut or not.
	got := destsFrom(map[string]netip.Addr{"west": netip.MustParseAddr("10.2.0.4"), "wan": netip.MustParseAddr("10.3.0.4")}, peers)
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
	got := parseRuleCounters(lines, "FIREDRILL-LOSS-1")
	if len(got) != 2 || got[0].Packets != 100 || got[0].Target != "" || got[1].Packets != 29 || got[1].Bytes != 1160 || got[1].Target != "DROP" ||
		got[1].Spec != "-A FIREDRILL-LOSS-1 -s 172.18.0.3/32 -m statistic --mode random --probability 0.29999999981 -j DROP" {
		t.Errorf("%+v", got)
	}
	if r, d := lossCounts(got); r != 100 || d != 29 {
		t.Errorf("loss counts %d %d", r, d)
	}
	in, out := droppedInOut(parseRuleCounters([]string{"-A P -s 10.0.0.1/32 -c 7 1 -j DROP", "-A P -d 10.0.0.1/32 -c 3 1 -j DROP"}, "P"))
	if in != 7 || out != 3 {
		t.Errorf("partition counts in %d out %d", in, out)
	}
}

func TestChainListingAndGone(t *testing.T) {
	lines := []string{"-N C", "-A C -d 10.0.0.1/32 -j DROP", "-A INPUT ! -i lo -j C", "-A OUTPUT ! -o lo -j C", "-A OUTPUT -j CX"}
	rules, jumps := parseChainListing(lines, "C")
	if len(rules) != 1 || !slices.Equal(jumps, []string{"INPUT ! -i lo -j C", "OUTPUT ! -o lo -j C"}) {
		t.Errorf("rules %v jumps %v", rules, jumps)
	}
	for out, want := range map[string][2]bool{"chain C gone\n": {true, false}, "chain C leftover removed": {true, true}, "chain C still there": {false, false}, "": {false, false}} {
		if g, l := chainState(out, "C"); g != want[0] || l != want[1] {
			t.Errorf("chainState(%q) = %v %v", out, g, l)
		}
	}
	// The leftover check, run by bash on stand-ins: it deletes the jumps
	// and the chain, and says whether anything was there.
	path, log := stubTools(t)
	out, err := exec.Command("bash", "-c", "export PATH="+shellQuote(path)+"\n"+chainGone("C", jumpInput("C"), jumpOutput("C"))).CombinedOutput()
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
	got := eachNode(nodes, func(n *topology.Node) string {
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
		if got := regionOf(&Target{Name: name}); got != want {
			t.Errorf("regionOf(%q) = %q", name, got)
		}
	}
}
