package firedrill

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The Runner's gates: an injection the drill deliberately does not make
// (a monkey fault over max_at_once or with nothing to hit, anything due
// after an abort) and the abort itself (docs/architecture.md, "The monkey"
// and "Abort conditions").

// monkeyFault is what max_at_once needs of one monkey fault: launched and
// still being applied, a reversible fault until its revert succeeded, an
// irreversible one (kill) until every node it hit runs again.
type monkeyFault struct {
	in      Injection
	pending bool         // Inject has not returned yet
	nodes   []string     // what it hit, once applied
	active  *activeFault // its revert, for a reversible fault
	over    bool         // it failed without effect, or was skipped
}

// nodeStateTimeout bounds the question whether a node a monkey fault hit
// runs again.
const nodeStateTimeout = 5 * time.Second

// launch records that in is being injected now, before its goroutine
// starts: the next monkey fault sees it however fast it is.
func (d *drill) launch(in Injection) *monkeyFault {
	if in.Source != SourceMonkey {
		return nil
	}
	mf := &monkeyFault{in: in, pending: true}
	d.mu.Lock()
	d.monkey = append(d.monkey, mf)
	d.mu.Unlock()
	return mf
}

// applied records what Inject did to a monkey fault.
func (d *drill) applied(mf *monkeyFault, ap Applied, af *activeFault, err error) {
	if mf == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	mf.pending, mf.nodes, mf.active = false, ap.Nodes, af
	// A failed fault with no revert had no effect to count; one with a
	// revert may have landed part way and counts until it is undone.
	mf.over = err != nil && af == nil
}

// monkeyFull says why the next monkey fault must be skipped: max_at_once
// targets are still faulted by the monkey. "" when there is room. A node
// whose state cannot be read counts as faulted: the limit is never
// exceeded on a guess. Without NodeStates (an Injector that cannot say), a
// killed node counts until the end of the drill.
func (d *drill) monkeyFull(ctx context.Context) string {
	m := d.Scenario.Monkey
	if m == nil || m.MaxAtOnce < 1 {
		return ""
	}
	states, _ := d.Injector.(NodeStates)
	type irreversible struct {
		mf    *monkeyFault
		nodes []string
	}
	var holders []string
	var killed []irreversible
	d.mu.Lock()
	for _, mf := range d.monkey {
		switch {
		case mf.over:
		case mf.pending:
			holders = append(holders, mf.in.Label()+" being injected")
		case mf.active != nil:
			if !mf.active.undone {
				holders = append(holders, mf.in.Label()+" in effect")
			}
		default:
			killed = append(killed, irreversible{mf, mf.nodes})
		}
	}
	d.mu.Unlock()
	for _, k := range killed {
		down := d.notRunning(ctx, states, k.nodes)
		if len(down) > 0 {
			holders = append(holders, k.mf.in.Label()+": "+strings.Join(down, ", ")+" not running again yet")
		}
	}
	if len(holders) < m.MaxAtOnce {
		return ""
	}
	return fmt.Sprintf("monkey.max_at_once %d reached: %s", m.MaxAtOnce, strings.Join(holders, "; "))
}

// notRunning returns the nodes that do not run now, or whose state cannot
// be read (said so).
func (d *drill) notRunning(ctx context.Context, states NodeStates, nodes []string) []string {
	if states == nil {
		return nodes
	}
	var down []string
	for _, n := range nodes {
		sctx, cancel := context.WithTimeout(ctx, nodeStateTimeout)
		ok, err := states.Running(sctx, n)
		cancel()
		switch {
		case err != nil:
			down = append(down, n+" (state unknown: "+err.Error()+")")
		case !ok:
			down = append(down, n)
		}
	}
	return down
}

// skip records that in is deliberately not injected, and why.
func (d *drill) skip(in Injection, why string) {
	tl := d.Timeline
	d.mu.Lock()
	for _, mf := range d.monkey {
		if mf.in.ID == in.ID {
			mf.pending, mf.over = false, true
		}
	}
	d.mu.Unlock()
	tl.Add(Event{At: tl.Now(), Kind: EventFaultSkipped, Injection: in.ID, Detail: why})
	fmt.Fprintf(d.progress, "  %6.1fs  fault %s skipped: %s\n", tl.Now().Seconds(), in.Label(), why)
}

// trip stops the drill early for a tripped abort condition, unless the
// measured part is already over. It stamps drill.abort and ends the
// schedule's context: the Runner then goes to its normal end.
func (d *drill) trip(a *AbortResult, stopSchedule context.CancelFunc) {
	d.mu.Lock()
	if d.ended || d.aborted != nil {
		d.mu.Unlock()
		return
	}
	d.aborted = a
	d.mu.Unlock()
	tl := d.Timeline
	tl.Add(Event{At: a.At, Kind: EventAbort, Detail: a.Detail})
	fmt.Fprintf(d.progress, "  %6.1fs  ABORT %s; stopping the drill\n", a.At.Seconds(), a.Detail)
	stopSchedule()
}

// abortResult is the condition that stopped the drill, or nil.
func (d *drill) abortResult() *AbortResult {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.aborted
}
