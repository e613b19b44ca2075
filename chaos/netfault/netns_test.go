package netfault

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/topology"
)

var bg = context.Background()

// netWorld is the network faults' world: the nodes' network namespaces
// played by fakeNetns.
type netWorld struct {
	*chaostest.NetWorld
	ns *fakeNetns
}

func newNetWorld(t *testing.T) *netWorld {
	t.Helper()
	w := &netWorld{NetWorld: chaostest.NewNetWorld(t)}
	w.ns = &fakeNetns{rt: w.RT}
	w.RT.HandleExec(w.ns.handle)
	return w
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
	if strings.Contains(script, "left=0") { // ChainGone
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
