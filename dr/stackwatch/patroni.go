package stackwatch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() { dr.RegisterManager(scenarios.ManagerPatroni, newPatroni) }

// patroniLeaderKey is where Patroni keeps its leader's name in etcd:
// under its default namespace, /service/, and the run's scope.
var patroniLeaderKey = "/service/" + topology.PatroniScope + "/leader"

// Patroni watches a Patroni cluster fail over by itself: it reads the
// leader key from etcd and every member's REST API each PollInterval.
type Patroni struct {
	settings scenarios.Patroni
	members  []string // the Postgres nodes, the initial primary first
	etcd     []string // etcd's members
	api      *endpoints
	etcdAt   *endpoints
	tl       *firedrill.Timeline
	log      *slog.Logger
	hc       *http.Client

	mu       sync.Mutex
	answered string // the etcd member that answered last: asked first
}

var _ firedrill.Part = (*Patroni)(nil)

func newPatroni(cfg scenarios.Failover, deps dr.ManagerDeps) (firedrill.Part, error) {
	if cfg.Patroni == nil {
		return nil, fmt.Errorf("patroni: the scenario's dr.failover.patroni has no settings (defaults not applied)")
	}
	if deps.Endpoints == nil {
		return nil, fmt.Errorf("patroni: the watcher needs the runtime's endpoints")
	}
	p := &Patroni{settings: *cfg.Patroni, members: deps.Topology.Postgres(), tl: deps.Timeline, log: deps.Logger,
		api: newEndpoints(deps.Endpoints, topology.PortPatroniAPI), etcdAt: newEndpoints(deps.Endpoints, topology.PortEtcdClient),
		hc: newHTTPClient()}
	for _, n := range deps.Topology.OfKind(topology.KindEtcd) {
		p.etcd = append(p.etcd, n.Name)
	}
	if len(p.members) == 0 || len(p.etcd) == 0 {
		return nil, fmt.Errorf("patroni: the topology has no Postgres nodes or no etcd members")
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p, nil
}

// Name is the manager's name in events and logs.
func (p *Patroni) Name() string { return scenarios.ManagerPatroni }

// Run watches until ctx ends.
func (p *Patroni) Run(ctx context.Context) error {
	s := p.settings
	leader := p.members[0]
	if key, err := p.readLeader(ctx); err == nil && key.Value != "" {
		leader = key.Value
	}
	p.tl.Add(firedrill.Event{At: p.tl.Now(), Kind: firedrill.EventStackWatch, Target: leader,
		Detail: fmt.Sprintf("patroni watched: ttl %s, loop_wait %s, retry_timeout %s, maximum_lag_on_failover %d bytes; leader %s; the harness reads the leader key from etcd (%s) and every member's REST API every %s",
			s.TTL, s.LoopWait, s.RetryTimeout, s.MaximumLagOnFailover, leader, strings.Join(p.etcd, ", "), PollInterval)})
	t := newPatroniTracker(leader, s.TTL.Duration, p.tl.Now())
	var held []heldPromotion // promotions waiting for Patroni's history
	tick := newTicker()
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for _, h := range held {
				p.tl.Add(h.ev)
			}
			for _, ev := range t.finish(p.tl.Now()) {
				p.tl.Add(ev)
			}
			return nil
		case <-tick.C:
		}
		start := p.tl.Now()
		key, keyErr := p.readLeader(ctx)
		members := p.readMembers(ctx)
		if ctx.Err() != nil {
			continue // the reads were cut short by the end, not by the stack
		}
		for _, ev := range t.observe(poll{start, p.tl.Now()}, key, keyErr, members) {
			p.log.Info("patroni event", "kind", ev.Kind, "node", ev.Target, "detail", ev.Detail)
			if ev.Kind == firedrill.EventPromote {
				held = append(held, heldPromotion{ev: ev, until: start + historyWait})
				continue
			}
			p.tl.Add(ev)
		}
		held = p.releaseHeld(ctx, held, start)
	}
}

// historyWait bounds how long a promotion waits for Patroni's history of
// it (written by the new leader's next loop) before it is recorded
// without.
const historyWait = 3 * time.Second

// heldPromotion is a promotion seen, waiting for its history entry.
type heldPromotion struct {
	ev    firedrill.Event
	until time.Duration
}

// releaseHeld records each held promotion whose history has been written,
// or whose wait is over. The events keep the instants the polls gave them.
func (p *Patroni) releaseHeld(ctx context.Context, held []heldPromotion, now time.Duration) []heldPromotion {
	var keep []heldPromotion
	for _, h := range held {
		if hist := p.history(ctx, h.ev.Target); hist != "" {
			h.ev.Evidence += hist
		} else if now < h.until {
			keep = append(keep, h)
			continue
		}
		p.tl.Add(h.ev)
	}
	return keep
}

// readLeader reads the leader key from the first etcd member that
// answers, the one that answered last first.
func (p *Patroni) readLeader(ctx context.Context) (keyReading, error) {
	p.mu.Lock()
	order := append([]string{}, p.etcd...)
	if i := slices.Index(order, p.answered); i > 0 {
		order[0], order[i] = order[i], order[0]
	}
	p.mu.Unlock()
	var errs []string
	for _, m := range order {
		addr, err := p.etcdAt.get(ctx, m)
		if err == nil {
			var r keyReading
			rctx, cancel := context.WithTimeout(ctx, readTimeout)
			r, err = readKey(rctx, p.hc, addr, patroniLeaderKey)
			cancel()
			if err == nil {
				r.Member = m
				p.mu.Lock()
				p.answered = m
				p.mu.Unlock()
				return r, nil
			}
			p.etcdAt.forget(m)
		}
		errs = append(errs, m+": "+err.Error())
	}
	return keyReading{}, fmt.Errorf("%s", strings.Join(errs, "; "))
}

// readMembers reads every member's GET /patroni at once.
func (p *Patroni) readMembers(ctx context.Context) map[string]memberStatus {
	out := make(map[string]memberStatus, len(p.members))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, m := range p.members {
		wg.Go(func() {
			var st memberStatus
			err := p.getJSON(ctx, m, "/patroni", &st)
			st.Err = err
			mu.Lock()
			out[m] = st
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// history is Patroni's own record of the timeline switch the promotion
// made, for the evidence: the last entry of GET /history (timeline, LSN,
// reason, Patroni's timestamp, new leader), "" until it names node.
func (p *Patroni) history(ctx context.Context, node string) string {
	var h [][]any
	if err := p.getJSON(ctx, node, "/history", &h); err != nil || len(h) == 0 {
		return ""
	}
	last := h[len(h)-1]
	if len(last) < 5 || last[4] != node {
		return ""
	}
	return fmt.Sprintf("; Patroni's history: timeline %v from LSN %v at %v (%v)", last[0], last[1], last[3], last[2])
}

func (p *Patroni) getJSON(ctx context.Context, node, path string, v any) error {
	addr, err := p.api.get(ctx, node)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		p.api.forget(node)
		return err
	}
	defer resp.Body.Close()
	// /patroni answers 503 on a replica and 200 on the leader: either way
	// the body is the member's status.
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
