package dr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/firedrill/firedrill/platform"
)

// SidecarVantage judges from inside a node's network namespace, the
// app's: a watcher sidecar of firedrill's own binary (`firedrill agent
// watch`, platform.SidecarAgent) runs the rounds there with the app's
// DNS, routes and firewall, so it sees every partition the app sees,
// whichever side its rules are on (docs/architecture.md, "The failover
// manager"). It prints a line per round, streamed through Held.Lines.
type SidecarVantage struct {
	rt   platform.Runtime
	from string
	dsns map[string]string
	log  *slog.Logger
}

var _ Vantage = (*SidecarVantage)(nil)

// NewSidecarVantage watches from from's network namespace; dsns are the
// connection strings of the nodes as the app dials them (they hold the
// password: they travel in the sidecar's environment, never printed).
func NewSidecarVantage(rt platform.Runtime, from string, dsns map[string]string, log *slog.Logger) *SidecarVantage {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &SidecarVantage{rt: rt, from: from, dsns: dsns, log: log}
}

// Where is the node the watcher shares its namespace with.
func (v *SidecarVantage) Where() string { return v.from }

// Watch starts the watcher sidecar and returns once it watches. The
// watcher lives in the namespace the node has now: when the node stops or
// restarts (a new namespace), the watcher is ended, since what it would
// see from the old one is no longer what the app sees.
func (v *SidecarVantage) Watch(ctx context.Context, spec WatchSpec) (Watch, error) {
	dsns := map[string]string{}
	for _, n := range spec.Nodes {
		d, ok := v.dsns[n]
		if !ok {
			return nil, fmt.Errorf("watch from %s: no connection string for %s", v.from, n)
		}
		dsns[n] = d
	}
	st, err := v.rt.State(ctx, v.from)
	if err != nil {
		return nil, fmt.Errorf("watch from %s: %w", v.from, err)
	}
	if !hasNamespace(st) {
		return nil, fmt.Errorf("watch from %s: it is %s: no network namespace to watch from", v.from, st)
	}
	env, err := json.Marshal(dsns)
	if err != nil {
		return nil, fmt.Errorf("watch from %s: %w", v.from, err)
	}
	h, err := v.rt.Hold(ctx, v.from, WatcherCommand(spec), platform.WithImage(platform.SidecarAgent), platform.WithEnv(EnvWatchDSNs, string(env)))
	if err != nil {
		return nil, fmt.Errorf("start the watcher in %s: %w", v.from, err)
	}
	w := &sidecarWatch{v: v, held: h, started: st.StartedAt, rounds: make(chan Round, 4), ended: make(chan struct{}),
		readerDone: make(chan struct{}), guardDone: make(chan struct{})}
	go w.read()
	go w.guard(spec.Interval)
	return w, nil
}

// hasNamespace reports whether a node in st has a network namespace a
// sidecar can share (a frozen one has).
func hasNamespace(st platform.State) bool {
	return st.Status == platform.StatusRunning || st.Status == platform.StatusPaused
}

// sidecarWatch is one watcher sidecar.
type sidecarWatch struct {
	v       *SidecarVantage
	held    platform.Held
	started time.Time // the node's start when the watcher joined it

	rounds     chan Round
	ended      chan struct{} // closed by end
	endOnce    sync.Once
	readerDone chan struct{}
	guardDone  chan struct{}

	mu  sync.Mutex
	err error
}

func (w *sidecarWatch) Rounds() <-chan Round { return w.rounds }

func (w *sidecarWatch) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// end stops delivering rounds, with why (nil: stopped).
func (w *sidecarWatch) end(why error) {
	w.endOnce.Do(func() {
		w.mu.Lock()
		w.err = why
		w.mu.Unlock()
		close(w.ended)
	})
}

// read turns the sidecar's lines into rounds. Lines that are not rounds
// (the watcher's last line, a log line on its stderr) are skipped.
func (w *sidecarWatch) read() {
	defer close(w.readerDone)
	defer close(w.rounds)
	lines := w.held.Lines()
	for {
		select {
		case <-w.ended:
			return
		case line, ok := <-lines:
			if !ok {
				w.end(errors.New("the watcher's output ended: its sidecar exited or was removed"))
				return
			}
			r, err := DecodeRound(line)
			if err != nil {
				w.v.log.Debug("watcher line skipped", "from", w.v.from, "line", line)
				continue
			}
			select {
			case w.rounds <- r:
			case <-w.ended:
				return
			}
		}
	}
}

// guard ends the watch when the node it shares a namespace with stops or
// restarts: the sidecar would be left in a namespace the app no longer
// uses (Docker does not move it), reporting nothing reachable for ever.
func (w *sidecarWatch) guard(every time.Duration) {
	defer close(w.guardDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.ended:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		st, err := w.v.rt.State(ctx, w.v.from)
		cancel()
		switch {
		case err != nil:
			w.v.log.Debug("watcher guard: state unknown", "from", w.v.from, "err", err)
		case !hasNamespace(st):
			w.end(fmt.Errorf("%s is %s: the watcher's network namespace is gone", w.v.from, st))
			return
		case !st.StartedAt.Equal(w.started):
			w.end(fmt.Errorf("%s restarted (%s): the watcher is left in its old network namespace", w.v.from, st))
			return
		}
	}
}

// Stop ends the watch and releases the sidecar (which then exits and is
// removed).
func (w *sidecarWatch) Stop(ctx context.Context) error {
	w.end(nil)
	<-w.readerDone
	<-w.guardDone
	if _, err := w.held.Release(ctx); err != nil {
		return fmt.Errorf("stop the watcher in %s: %w", w.v.from, err)
	}
	return nil
}
