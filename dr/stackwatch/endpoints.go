package stackwatch

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/firedrill/firedrill/dr"
)

// PollInterval is how often a watcher reads a stack's state: the
// resolution of the instants it records (docs/measurement.md, "The HA
// stacks' events").
const PollInterval = 100 * time.Millisecond

// readTimeout bounds one read: a member cut off must not hold up the
// others' reads by more than a few polls.
const readTimeout = 300 * time.Millisecond

// endpoints remembers where each node's port is reached: the runtime's
// answer costs a container inspection, too much ten times a second. A
// read that fails forgets the node's, so that an address that changed is
// looked up again.
type endpoints struct {
	ep   dr.Endpoints
	port string
	mu   sync.Mutex
	at   map[string]string
}

func newEndpoints(ep dr.Endpoints, port string) *endpoints {
	return &endpoints{ep: ep, port: port, at: map[string]string{}}
}

func (e *endpoints) get(ctx context.Context, node string) (string, error) {
	e.mu.Lock()
	addr, ok := e.at[node]
	e.mu.Unlock()
	if ok {
		return addr, nil
	}
	addr, err := e.ep.Endpoint(ctx, node, e.port)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	e.at[node] = addr
	e.mu.Unlock()
	return addr, nil
}

func (e *endpoints) forget(node string) {
	e.mu.Lock()
	delete(e.at, node)
	e.mu.Unlock()
}

// newHTTPClient is the watchers' client: short reads, few idle
// connections, no proxy (the harness talks to the run's own networks
// only).
func newHTTPClient() *http.Client {
	return &http.Client{Timeout: readTimeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}}
}

// newTicker is the watchers' poll.
func newTicker() *time.Ticker { return time.NewTicker(PollInterval) }
