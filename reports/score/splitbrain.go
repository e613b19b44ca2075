package score

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/internal/human"
)

// splitResult says whether two primaries acknowledged writes at once.
type splitResult struct {
	measured bool // some write was acknowledged after the first injection
	split    bool
	detail   string
}

// splitBrain looks for two nodes acting as primary at once
// (docs/measurement.md, "Split brain"). writes are ordered by Sent, events
// by time; only ok writes that name their node count.
//
// Order by ack: a node A that acknowledges a write z after another node B
// acknowledged y, A having acknowledged x before, in certain order
// (x.Done < y.Sent and y.Done < z.Sent: each finished before the next
// began), had a split brain with B unless A was promoted in between (a
// failover.promote of A with y.Done <= At <= z.Done): a sequential
// failback A→B→A is not one. So is A acknowledging a write sent after
// another node's promotion had returned (P.At+P.Span < z.Sent), unless A
// was promoted itself after P and by z's ack. It is measured when some
// write was acknowledged at or after the first injection.
func splitBrain(writes []firedrill.Op, events []firedrill.Event, firstInjection *time.Duration) splitResult {
	if firstInjection == nil {
		return splitResult{detail: "no fault was injected"}
	}
	var acked []*firedrill.Op // by Sent
	first := map[string]*firedrill.Op{}
	var nodes []string
	measured := false
	for i := range writes {
		o := &writes[i]
		if o.Outcome != firedrill.OutcomeOK || o.Node == "" {
			continue
		}
		acked = append(acked, o)
		measured = measured || o.Done >= *firstInjection
		if f := first[o.Node]; f == nil || o.Done < f.Done {
			if f == nil {
				nodes = append(nodes, o.Node)
			}
			first[o.Node] = o
		}
	}
	if !measured {
		return splitResult{detail: "no write was acknowledged after the first fault"}
	}
	var promotes []firedrill.Event // by time
	for _, e := range events {
		if e.Kind == firedrill.EventPromote {
			promotes = append(promotes, e)
		}
	}
	// promoted reports whether node was promoted with from <= At <= to.
	promoted := func(node string, from, to time.Duration) bool {
		return slices.ContainsFunc(promotes, func(e firedrill.Event) bool {
			return e.Target == node && e.At >= from && e.At <= to
		})
	}

	if r, ok := interleaved(acked, first, nodes, promoted); ok {
		return r
	}
	if r, ok := ackedAfterPromotion(acked, promotes, promoted); ok {
		return r
	}
	order := slices.Clone(nodes)
	sort.SliceStable(order, func(i, j int) bool { return first[order[i]].Done < first[order[j]].Done })
	if len(order) == 1 {
		return splitResult{measured: true, detail: "every ack came from " + order[0]}
	}
	return splitResult{measured: true, detail: "acks moved " + strings.Join(order, " → ")}
}

// interleaved finds A…B…A in certain order without a promotion of A
// between y's and z's acks. acked is ordered by Sent; first holds every
// node's first ack.
func interleaved(acked []*firedrill.Op, first map[string]*firedrill.Op, nodes []string,
	promoted func(string, time.Duration, time.Duration) bool) (splitResult, bool) {
	byDone := slices.Clone(acked)
	sort.SliceStable(byDone, func(i, j int) bool { return byDone[i].Done < byDone[j].Done })
	// best[a][b] is, among the writes y of node b acknowledged so far with
	// y.Sent after a's first ack, the one acknowledged last: the one
	// leaving the least room for a promotion of a before z.
	best := map[string]map[string]*firedrill.Op{}
	for _, a := range nodes {
		best[a] = map[string]*firedrill.Op{}
	}
	next := 0
	for _, z := range acked {
		for ; next < len(byDone) && byDone[next].Done < z.Sent; next++ {
			y := byDone[next]
			for _, a := range nodes {
				if a != y.Node && first[a].Done < y.Sent {
					if b := best[a][y.Node]; b == nil || y.Done > b.Done {
						best[a][y.Node] = y
					}
				}
			}
		}
		for _, b := range nodes {
			y := best[z.Node][b]
			if y == nil || promoted(z.Node, y.Done, z.Done) {
				continue
			}
			x := first[z.Node]
			return splitResult{measured: true, split: true, detail: fmt.Sprintf(
				"%s acknowledged %s at %s, %s acknowledged %s at %s, then %s acknowledged %s at %s without being promoted in between",
				x.Node, x.ID, human.Duration(x.Done), y.Node, y.ID, human.Duration(y.Done), z.Node, z.ID, human.Duration(z.Done))}, true
		}
	}
	return splitResult{}, false
}

// ackedAfterPromotion finds a node acknowledging a write sent after
// another node's promotion had returned, without a promotion of its own
// since. acked is ordered by Sent, promotes by time.
func ackedAfterPromotion(acked []*firedrill.Op, promotes []firedrill.Event,
	promoted func(string, time.Duration, time.Duration) bool) (splitResult, bool) {
	for _, z := range acked {
		var p *firedrill.Event // the latest promotion that returned before z was sent
		for k := range promotes {
			if e := &promotes[k]; e.At+e.Span < z.Sent && (p == nil || e.At >= p.At) {
				p = e
			}
		}
		if p == nil || p.Target == z.Node || promoted(z.Node, p.At, z.Done) {
			continue
		}
		return splitResult{measured: true, split: true, detail: fmt.Sprintf(
			"%s acknowledged %s, sent at %s, after %s had been promoted at %s",
			z.Node, z.ID, human.Duration(z.Sent), p.Target, human.Duration(p.At))}, true
	}
	return splitResult{}, false
}
