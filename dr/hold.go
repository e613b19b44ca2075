package dr

import "sync"

// Hold is how the recovery engine tells the failover manager to stand
// down while a recovery plan rebuilds the cluster (docs/architecture.md,
// "Recovery plans"): a node being replaced is down on purpose, and a
// promotion then would race the restore and crown a standby that holds
// the very damage being repaired. The zero value holds nothing; both
// sides share one.
type Hold struct {
	mu     sync.Mutex
	reason string
	active bool
}

// Begin holds failovers off, saying why.
func (h *Hold) Begin(reason string) {
	h.mu.Lock()
	h.reason, h.active = reason, true
	h.mu.Unlock()
}

// End lets failovers happen again.
func (h *Hold) End() {
	h.mu.Lock()
	h.reason, h.active = "", false
	h.mu.Unlock()
}

// Active says whether failovers are held off, and why.
func (h *Hold) Active() (reason string, held bool) {
	if h == nil {
		return "", false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reason, h.active
}
