package netkit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/topology"
)

// Peer is a node on the other side of a network fault.
type Peer struct {
	Node *topology.Node
	// Addrs are its addresses when the fault resolved it, by logical
	// network; empty when it does not run.
	Addrs map[string]netip.Addr
}

// addrList is the peer's IPv4 addresses in network order.
func (p Peer) addrList() []netip.Addr {
	var out []netip.Addr
	for _, n := range slices.Sorted(maps.Keys(p.Addrs)) {
		if a := p.Addrs[n]; a.Is4() {
			out = append(out, a)
		}
	}
	return out
}

// String is the evidence form: "pg-primary (172.18.0.3, 172.20.0.3)", or
// "pg-primary (not running: no address)".
func (p Peer) String() string {
	addrs := p.addrList()
	if len(addrs) == 0 {
		return p.Node.Name + " (not running: no address)"
	}
	return p.Node.Name + " (" + joinAddrs(addrs) + ")"
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// PeersOf resolves the other side of a fault on t now: the targets in to
// (topology.ResolveTarget, as the fault's own target was resolved), or
// every node of the drill when to is empty (an HA stack's coordination
// too: Topology.All), less the fault's own nodes:
// traffic among the target's nodes (a region's own) is never a network
// fault's (docs/architecture.md, "Network faults"). Each peer comes with
// its addresses now; the nodes keep the topology's start order.
func PeersOf(ctx context.Context, t *chaos.Target, to []string) ([]Peer, error) {
	if t.Topology == nil {
		return nil, fmt.Errorf("no topology to resolve the other side from")
	}
	own := map[string]bool{}
	for _, n := range t.Nodes {
		own[n.Name] = true
	}
	chosen := map[string]bool{}
	if len(to) == 0 {
		for _, n := range t.Topology.All() {
			chosen[n.Name] = true
		}
	}
	for _, target := range to {
		nodes, err := t.Topology.ResolveTarget(ctx, t.State, target)
		if err != nil {
			return nil, fmt.Errorf("the other side: %w", err)
		}
		for _, n := range nodes {
			chosen[n.Name] = true
		}
	}
	var out []Peer
	for _, n := range t.Topology.All() {
		if !chosen[n.Name] || own[n.Name] {
			continue
		}
		addrs, err := t.Runtime.Addresses(ctx, n.Name)
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", n.Name, err)
		}
		out = append(out, Peer{Node: n, Addrs: addrs})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("nothing on the other side: %v are all of the target %v", to, topology.Names(t.Nodes))
	}
	return out, nil
}

// PeerAddrs are the peers' IPv4 addresses, each once, sorted.
func PeerAddrs(peers []Peer) []netip.Addr {
	var out []netip.Addr
	for _, p := range peers {
		out = append(out, p.addrList()...)
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return slices.Compact(out)
}

// DescribePeers lists the peers for evidence.
func DescribePeers(peers []Peer) string {
	s := make([]string, len(peers))
	for i, p := range peers {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

var injectionSeq atomic.Int64

// maxChainName is iptables' limit on a chain name.
const maxChainName = 28

// NewInjectionName returns a name of this injection's own for action,
// FIREDRILL-<ACTION>-<n> (an iptables chain), and a qdisc handle major
// number of its own; n counts the injections of this process, so two
// injections on one node never share a chain, and a chain of another tool
// (or of pause, FIREDRILL-PAUSE) is never touched.
func NewInjectionName(action string) (chain string, handle uint16) {
	n := injectionSeq.Add(1)
	chain = fmt.Sprintf("FIREDRILL-%s-%d", strings.ToUpper(strings.ReplaceAll(action, "-", "")), n)
	if len(chain) > maxChainName {
		chain = fmt.Sprintf("FIREDRILL-%d", n)
	}
	// Majors 0x8000 and above are the kernel's automatic handles.
	return chain, uint16(0x1000 + n%0x6000)
}

// shellQuote quotes s for bash when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cmdLine is one shell command line from its arguments, each quoted.
func cmdLine(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// HoldScript is the program of a Hold sidecar (docs/architecture.md,
// "Sidecars"). Apply is bash that applies the effect, calling each
// command through run (run iptables -w -N X): a command that fails stops
// it, Undo runs, and the sidecar prints "failed" and then, on one line, the
// command with its output, and exits; Hold has taken "failed" for its
// first line, so the caller must check the effect after Hold (every fault
// here does: that is its evidence) and read the reason with Release. On
// success it prints "held" and waits for a line or the end of its input
// (the harness died); then it runs Report (bash; its output, stderr
// aside, joined into one line with "|") and Undo, and prints
// "released <report>" once the effect is undone. Undo must tolerate what
// is not there, as it also runs after a partial Apply; its errors are
// ignored. Nothing else is printed: a stray line would be taken as the
// first.
type HoldScript struct {
	Apply, Report, Undo string
}

// Argv is the sidecar's command.
func (h HoldScript) Argv() []string {
	script := `set -u
undo() {
` + Indent(h.Undo) + `
  :
}
fail() { echo failed; printf '%s\n' "$1" | tr '\n' ' '; echo; undo >/dev/null 2>&1; exit 1; }
run() { local out; out=$("$@" 2>&1) || fail "$*: $out"; }
trap 'undo >/dev/null 2>&1; exit 143' TERM INT HUP
` + h.Apply + `
echo held
read -r _ || true
report=$( { ` + orTrue(h.Report) + `
} 2>/dev/null | tr '\n' '|')
undo >/dev/null 2>&1
echo "released $report"
`
	return []string{"bash", "-c", script}
}

// Indent indents each line of the bash s by two spaces, for a body in a
// loop or a function; "" for a blank s.
func Indent(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

func orTrue(s string) string {
	if strings.TrimSpace(s) == "" {
		return ":"
	}
	return s
}

// releasedReport returns the report of a Release's output
// ("released <report>"), split at "|"; ok is false when the sidecar did
// not say it undid its effect (it failed or was removed).
func releasedReport(out string) (lines []string, ok bool) {
	for _, l := range strings.Split(out, "\n") {
		rest, found := strings.CutPrefix(l, "released")
		if !found {
			continue
		}
		for _, r := range strings.Split(strings.TrimSpace(rest), "|") {
			if r = strings.TrimSpace(r); r != "" {
				lines = append(lines, r)
			}
		}
		return lines, true
	}
	return nil, false
}

// TCPDest is one TCP port of a peer to connect to.
type TCPDest struct {
	Node string
	Addr netip.Addr
	Port int
}

func (d TCPDest) String() string {
	return d.Node + " " + netip.AddrPortFrom(d.Addr, uint16(d.Port)).String()
}

// probeOutcome is what one connect saw.
type probeOutcome string

// Probe outcomes: open and refused mean packets went both ways (the
// peer's kernel answered); silent means nothing came back in time, as
// over a cut link.
const (
	probeOpen    probeOutcome = "open"
	probeRefused probeOutcome = "refused"
	probeSilent  probeOutcome = "silent"
	probeError   probeOutcome = "error" // no route, unreachable...: Detail says
)

// ProbeResult is one connect's outcome.
type ProbeResult struct {
	Dest    TCPDest
	Outcome probeOutcome
	Detail  string // the error, for probeError
	Took    time.Duration
	Timeout time.Duration
}

// Answered reports whether the peer's kernel answered: the path is open.
func (r ProbeResult) Answered() bool { return r.Outcome == probeOpen || r.Outcome == probeRefused }

func (r ProbeResult) String() string {
	switch r.Outcome {
	case probeSilent:
		return fmt.Sprintf("%s no answer in %s", r.Dest, r.Timeout)
	case probeError:
		return fmt.Sprintf("%s %s", r.Dest, r.Detail)
	}
	return fmt.Sprintf("%s %s", r.Dest, r.Outcome)
}

// ProbeScript is the bash program connecting to every dest at once, each
// bounded by timeout, printing one line per dest:
// "probe <addr> <port> <exit code> <ms> <error>".
func ProbeScript(dests []TCPDest, timeout time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, `probe() { local s e out rc; s=$(date +%%s%%N); out=$(timeout %s bash -c ": 3<>/dev/tcp/$1/$2" 2>&1); rc=$?; e=$(date +%%s%%N); echo "probe $1 $2 $rc $(( (e-s)/1000000 )) ${out##*: }"; }`+"\n",
		strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	for _, d := range dests {
		fmt.Fprintf(&b, "probe %s %d &\n", d.Addr, d.Port)
	}
	b.WriteString("wait\n")
	return b.String()
}

// ParseProbe reads ProbeScript's output back, in dests' order; a dest
// without a line is an error (the probe did not run).
func ParseProbe(out string, dests []TCPDest, timeout time.Duration) ([]ProbeResult, error) {
	type key struct {
		addr string
		port int
	}
	seen := map[key]ProbeResult{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 5 || f[0] != "probe" {
			continue
		}
		port, err1 := strconv.Atoi(f[2])
		rc, err2 := strconv.Atoi(f[3])
		ms, err3 := strconv.Atoi(f[4])
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		r := ProbeResult{Took: time.Duration(ms) * time.Millisecond, Timeout: timeout}
		msg := strings.Join(f[5:], " ")
		switch {
		case rc == 0:
			r.Outcome = probeOpen
		case rc == 124:
			r.Outcome = probeSilent
		case strings.Contains(msg, "refused"):
			r.Outcome = probeRefused
		default:
			r.Outcome, r.Detail = probeError, strings.ToLower(msg)
			if r.Detail == "" {
				r.Detail = "exit " + f[3]
			}
		}
		seen[key{f[1], port}] = r
	}
	res := make([]ProbeResult, len(dests))
	for i, d := range dests {
		r, ok := seen[key{d.Addr.String(), d.Port}]
		if !ok {
			return nil, fmt.Errorf("no result for %s in the probe's output: %q", d, out)
		}
		r.Dest = d
		res[i] = r
	}
	return res, nil
}

// ProbeTCP connects from inside node's network namespace to every dest at
// once, each bounded by timeout (one sidecar).
func ProbeTCP(ctx context.Context, rt platform.Runtime, node string, dests []TCPDest, timeout time.Duration) ([]ProbeResult, error) {
	if len(dests) == 0 {
		return nil, nil
	}
	r, err := rt.Exec(ctx, node, []string{"bash", "-c", ProbeScript(dests, timeout)})
	if err != nil {
		return nil, fmt.Errorf("probe from inside %s: %w", node, err)
	}
	res, err := ParseProbe(r.Output, dests, timeout)
	if err != nil {
		return nil, fmt.Errorf("probe from inside %s (exit %d): %w", node, r.ExitCode, err)
	}
	return res, nil
}

// DescribeProbes lists probe results for evidence.
func DescribeProbes(rs []ProbeResult) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}

// DestsFrom are the ports of peers a node reaches: each peer's address on
// every network the node is on too (an address on another network is not
// reachable from it at all, cut or not), at the first port the peer
// serves.
func DestsFrom(nodeAddrs map[string]netip.Addr, peers []Peer) []TCPDest {
	var out []TCPDest
	for _, p := range peers {
		port := ServedPort(p.Node)
		for _, net := range slices.Sorted(maps.Keys(p.Addrs)) {
			if _, shared := nodeAddrs[net]; shared && p.Addrs[net].Is4() {
				out = append(out, TCPDest{Node: p.Node.Name, Addr: p.Addrs[net], Port: port})
			}
		}
	}
	return out
}

// ServedPort is the first port a node serves, as a number (5432 for
// "5432/tcp"); 0 when it serves none.
func ServedPort(n *topology.Node) int {
	if len(n.Ports) == 0 {
		return 0
	}
	num, _, _ := strings.Cut(n.Ports[0], "/")
	p, _ := strconv.Atoi(num)
	return p
}

// EachNode calls f for every node at once and returns the results in
// node order: a fault on a region acts on all its nodes in the same
// instant, not one after the other.
func EachNode[T any](nodes []*topology.Node, f func(n *topology.Node) T) []T {
	out := make([]T, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { out[i] = f(n) })
	}
	wg.Wait()
	return out
}

// RuleCounter is one rule of a chain with its counters, as iptables -S -v
// prints it ("-A C -s 10.0.0.2/32 -c 12 480 -j DROP").
type RuleCounter struct {
	Spec    string // the rule without its counters
	Target  string // the -j target, "" for a counting rule
	Packets uint64
	Bytes   uint64
}

// ParseRuleCounters reads the rules of chain from `iptables -S chain -v`
// output (lines of a "|"-joined report included); other lines are skipped.
func ParseRuleCounters(lines []string, chain string) []RuleCounter {
	var out []RuleCounter
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 || f[0] != "-A" || f[1] != chain {
			continue
		}
		var rc RuleCounter
		var spec []string
		for i := 0; i < len(f); i++ {
			switch {
			case f[i] == "-c" && i+2 < len(f):
				rc.Packets, _ = strconv.ParseUint(f[i+1], 10, 64)
				rc.Bytes, _ = strconv.ParseUint(f[i+2], 10, 64)
				i += 2
				continue
			case f[i] == "-j" && i+1 < len(f):
				rc.Target = f[i+1]
			}
			spec = append(spec, f[i])
		}
		rc.Spec = strings.Join(spec, " ")
		out = append(out, rc)
	}
	return out
}

// ChainGone is the bash that deletes chain and the jumps to it from the
// built-in chains if they are still there (a sidecar removed before it
// could undo its effect) and prints "chain <name> gone" or
// "chain <name> leftover removed". jumps are the jump rules as added
// ("INPUT ! -i lo -j C").
func ChainGone(chain string, jumps ...string) string {
	var b strings.Builder
	b.WriteString("left=0\n")
	for _, j := range jumps {
		fmt.Fprintf(&b, "iptables -w -D %s >/dev/null 2>&1 && left=1\n", j)
	}
	fmt.Fprintf(&b, "iptables -w -F %[1]s >/dev/null 2>&1 && { iptables -w -X %[1]s >/dev/null 2>&1; left=1; }\n", shellQuote(chain))
	fmt.Fprintf(&b, `if [ $left = 1 ]; then echo "chain %[1]s leftover removed"; elif iptables -w -S %[1]s >/dev/null 2>&1; then echo "chain %[1]s still there"; else echo "chain %[1]s gone"; fi`+"\n", chain)
	return b.String()
}

// ChainState reads ChainGone's line back: gone reports whether nothing of
// the chain is left, leftover whether it had to be removed here.
func ChainState(out, chain string) (gone, leftover bool) {
	switch {
	case strings.Contains(out, "chain "+chain+" leftover removed"):
		return true, true
	case strings.Contains(out, "chain "+chain+" gone"):
		return true, false
	}
	return false, false
}

// JumpInput and JumpOutput are the jumps a chain of a network fault gets
// from the built-in chains: every packet but loopback's (the node's own
// traffic to itself, Docker's DNS at 127.0.0.11 among it, is never a
// network fault's), inserted at the top so that no rule of someone else
// accepts the packet first.
func JumpInput(chain string) string  { return "INPUT ! -i lo -j " + chain }
func JumpOutput(chain string) string { return "OUTPUT ! -o lo -j " + chain }

// InsertJump is the apply line adding a jump built by JumpInput or
// JumpOutput at the top of its built-in chain.
func InsertJump(jump string) string {
	builtin, rule, _ := strings.Cut(jump, " ")
	return "run iptables -w -I " + builtin + " 1 " + rule
}

// DeleteJump is the undo line removing it.
func DeleteJump(jump string) string { return "iptables -w -D " + jump }

// ChainListing is the bash that prints chain's rules and the jumps to it
// from INPUT and OUTPUT, as iptables -S prints them, with counters when
// counters is set: read back from inside the node, the evidence that the
// rules are in place (ParseChainListing).
func ChainListing(chain string, counters bool) string {
	v := ""
	if counters {
		v = " -v"
	}
	return fmt.Sprintf("iptables -w -S %[1]s%[2]s 2>/dev/null\nfor c in INPUT OUTPUT; do iptables -w -S $c 2>/dev/null | grep -e '-j %[1]s$' || true; done\n", chain, v)
}

// ParseChainListing reads ChainListing's output: the chain's rules and the
// jump rules to it ("-A INPUT ! -i lo -j C").
func ParseChainListing(lines []string, chain string) (rules []RuleCounter, jumps []string) {
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "-A" && f[1] != chain && strings.HasSuffix(l, "-j "+chain) {
			jumps = append(jumps, strings.Join(f[1:], " "))
		}
	}
	return ParseRuleCounters(lines, chain), jumps
}

// HeldSet is the sidecars an injection holds, by node, and the nodes it
// tried to hold (their revert checks for leftovers), safe for the
// goroutines of EachNode.
type HeldSet struct {
	mu    sync.Mutex
	held  map[string]platform.Held
	tried map[string]bool
}

func (s *HeldSet) try(node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tried == nil {
		s.tried = map[string]bool{}
	}
	s.tried[node] = true
}

func (s *HeldSet) add(node string, h platform.Held) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		s.held = map[string]platform.Held{}
	}
	s.held[node] = h
}

// Take removes node's sidecar from the set and says whether the node was
// tried at all; a second revert finds nothing.
func (s *HeldSet) Take(node string) (h platform.Held, tried bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, tried = s.held[node], s.tried[node]
	delete(s.held, node)
	delete(s.tried, node)
	return h, tried
}

// Release releases node's sidecar, if any, and returns its report; a
// sidecar that failed at apply time or was removed returns what it said
// instead, as the error.
func Release(ctx context.Context, node string, h platform.Held) ([]string, error) {
	if h == nil {
		return nil, nil
	}
	out, err := h.Release(ctx)
	if err != nil {
		return nil, fmt.Errorf("release the sidecar of %s: %w", node, err)
	}
	rep, ok := releasedReport(out)
	if !ok {
		return nil, fmt.Errorf("the sidecar of %s did not undo its effect: %s", node, strings.TrimSpace(out))
	}
	return rep, nil
}

// applyFailure is the reason a Hold sidecar gave for not applying its
// effect (HoldScript): Release returns what it printed after "failed".
func applyFailure(ctx context.Context, h platform.Held) string {
	if h == nil {
		return ""
	}
	out, err := h.Release(ctx)
	out = strings.TrimSpace(out)
	if _, ok := releasedReport(out); ok || out == "" {
		if err != nil {
			return err.Error()
		}
		return ""
	}
	return out
}

// Runs reports whether node runs (or is paused: its network namespace is
// there, a sidecar can join it).
func Runs(ctx context.Context, rt platform.Runtime, node string) (bool, error) {
	st, err := rt.State(ctx, node)
	if err != nil {
		return false, err
	}
	return st.Status == platform.StatusRunning || st.Status == platform.StatusPaused, nil
}

// SidecarNote is what a revert's evidence says when the sidecar did not
// undo the effect itself (relErr): the check from inside found the rules
// gone, or removed what was left (leftover).
func SidecarNote(relErr error, leftover bool, what string) string {
	switch {
	case relErr != nil && leftover:
		return fmt.Sprintf(" (its sidecar did not undo it: %v; the leftover %s removed from inside)", relErr, what)
	case relErr != nil:
		return fmt.Sprintf(" (its sidecar did not say so: %v; %s found gone from inside)", relErr, what)
	case leftover:
		return fmt.Sprintf(" (a leftover %s removed from inside)", what)
	}
	return ""
}

// NodeResult is one node's share of a fault's evidence, or its error.
type NodeResult struct {
	Evidence string
	Err      error
}

// JoinResults joins the evidence and errors of one result per node, in
// node order, skipping nodes with neither; "nothing left to undo" when no
// node has anything (a second revert).
func JoinResults(res []NodeResult) (string, error) {
	var ev []string
	var errs []error
	for _, r := range res {
		if r.Evidence != "" {
			ev = append(ev, r.Evidence)
		}
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	if len(ev) == 0 && len(errs) == 0 {
		return "nothing left to undo", nil
	}
	return strings.Join(ev, "; "), errors.Join(errs...)
}

// RegionOf is the region a fault's target names (region.east: "east"),
// "" for a service or a selector. A network fault on a service acts on
// everything the service sends or receives, loopback aside; on a region,
// only on the traffic crossing its boundary, to and from the nodes of the
// other regions: the region's links, not its own network
// (docs/architecture.md, "Network faults").
func RegionOf(t *chaos.Target) string {
	r, _ := strings.CutPrefix(t.Name, "region.")
	if r == t.Name {
		return ""
	}
	return r
}

// MarkApplied marks the instant the effect is certain, before the fault
// measures its evidence (Target.Applied); a Target built without one (a
// test) has nothing to mark.
func MarkApplied(t *chaos.Target) {
	if t.Applied != nil {
		t.Applied()
	}
}

// releasedNode is what releasing one node's sidecar gave: whether the
// injection tried to hold anything there, the sidecar's report, or why it
// did not undo the effect itself.
type releasedNode struct {
	Tried  bool
	Report []string
	Err    error
}

// ReleaseEach releases, all at once, the sidecars set holds on t's nodes
// (their effects end in the same instant), marks the instant the effect
// is undone (Target.Applied), and returns per node what the release gave,
// in node order; the revert checks from inside each node afterwards.
func ReleaseEach(ctx context.Context, t *chaos.Target, set *HeldSet) []releasedNode {
	rel := EachNode(t.Nodes, func(n *topology.Node) releasedNode {
		h, tried := set.Take(n.Name)
		if !tried {
			return releasedNode{}
		}
		report, err := Release(ctx, n.Name, h)
		return releasedNode{Tried: true, Report: report, Err: err}
	})
	MarkApplied(t)
	return rel
}

// HoldEach starts a Hold sidecar running script on each of nodes at once:
// the injection's instant is marked right before (Target.Applying), the
// instant every effect is in place right after (MarkApplied). Each
// sidecar is recorded in set; the errors come in node order, each saying
// what could not be done to the node (what: "cut %s off").
func HoldEach(ctx context.Context, t *chaos.Target, set *HeldSet, nodes []*topology.Node, script []string, what string) []error {
	t.Applying()
	errs := HoldOn(ctx, t.Runtime, set, nodes, func(*topology.Node) []string { return script }, what)
	MarkApplied(t)
	return errs
}

// HoldOn starts a Hold sidecar on each of nodes at once, running the
// node's cmd (with opts), and records each in set, without marking an
// instant: HoldEach's for an effect, or alone for a preparation (latency's
// delayers). The errors come in node order, each saying what could not
// be done to the node (what: "start the delayer in %s").
func HoldOn(ctx context.Context, rt platform.Runtime, set *HeldSet, nodes []*topology.Node, cmd func(n *topology.Node) []string, what string, opts ...platform.SidecarOption) []error {
	return EachNode(nodes, func(n *topology.Node) error {
		set.try(n.Name)
		h, err := rt.Hold(ctx, n.Name, cmd(n), opts...)
		if err != nil {
			return fmt.Errorf(what+": %w", n.Name, err)
		}
		set.add(n.Name, h)
		return nil
	})
}

// WhyNot is the reason node's sidecar gave for an effect that is not in
// place (HoldScript's "failed"), "" if it gave none; the sidecar is
// released, and the node stays tried, so the revert still looks for
// leftovers.
func (s *HeldSet) WhyNot(ctx context.Context, node string) string {
	h, _ := s.Take(node)
	s.try(node)
	return applyFailure(ctx, h)
}

// ChainUndone looks from inside node, once its sidecar is released, that
// chain and its jumps are gone, removing what is left (a sidecar removed
// before it could undo them), and runs more (bash: a probe after the
// revert) in the same sidecar; out is what it printed. settled is the
// node's whole result when the check decides it: a node that does not run
// has nothing left (its namespace went with it; started again it gets a
// new one, without the rules); a check that could not run, or found the
// chain still there, is an error (relErr, why the sidecar did not say it
// undid it, joins it).
func ChainUndone(ctx context.Context, t *chaos.Target, node, chain string, jumps []string, relErr error, more string) (out string, leftover bool, settled *NodeResult) {
	if ok, err := Runs(ctx, t.Runtime, node); err != nil || !ok {
		return "", false, &NodeResult{Evidence: node + " not running: nothing left to undo"}
	}
	r, err := t.Runtime.Exec(ctx, node, []string{"bash", "-c", ChainGone(chain, jumps...) + more})
	if err != nil {
		return "", false, &NodeResult{Err: errors.Join(relErr, fmt.Errorf("check the revert from inside %s: %w", node, err))}
	}
	gone, leftover := ChainState(r.Output, chain)
	if !gone {
		return r.Output, false, &NodeResult{Err: errors.Join(relErr, fmt.Errorf("chain %s is still in %s: %s", chain, node, r.Output))}
	}
	return r.Output, leftover, nil
}

// ReachableDests says whether node runs and, if it does, the ports of
// peers it reaches (DestsFrom, with its addresses now).
func ReachableDests(ctx context.Context, rt platform.Runtime, node string, peers []Peer) (dests []TCPDest, running bool, err error) {
	if ok, err := Runs(ctx, rt, node); err != nil || !ok {
		return nil, false, err
	}
	own, err := rt.Addresses(ctx, node)
	if err != nil {
		return nil, true, fmt.Errorf("addresses of %s: %w", node, err)
	}
	return DestsFrom(own, peers), true, nil
}
