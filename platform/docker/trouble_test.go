package docker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// fakeDaemon answers the Docker events endpoint with body and then ends the
// stream, as a daemon that stops or restarts does. A real daemon restart
// would take every container on the machine down with it, so this one part
// is faked.
func fakeDaemon(t *testing.T, body string) *client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/_ping"):
			w.Header().Set("Api-Version", "1.47")
			w.WriteHeader(http.StatusOK)
		case strings.HasSuffix(r.URL.Path, "/events"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(body))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(client.WithHost("tcp://"+strings.TrimPrefix(srv.URL, "http://")), client.WithAPIVersion("1.47"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func watchOnce(t *testing.T, e *Env) *TroubleError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case tr := <-e.Watch(ctx):
		return tr
	case <-ctx.Done():
		t.Fatal("no trouble reported")
		return nil
	}
}

func TestWatchReportsLostDaemon(t *testing.T) {
	e := &Env{RunID: "20261201-120000-0123456789", docker: fakeDaemon(t, "")}
	tr := watchOnce(t, e)
	if tr == nil || !strings.Contains(tr.Error(), "lost the connection to the Docker daemon") {
		t.Fatalf("trouble %v, want the lost daemon", tr)
	}
	if strings.Contains(tr.Error(), "\n") {
		t.Errorf("trouble is not one line: %q", tr.Error())
	}
}

func TestWatchReportsRemovalFromOutside(t *testing.T) {
	id := "20261201-120000-0123456789"
	// Another run's removal, a kill of ours and the removal of one of our
	// sidecars come first: none is trouble.
	body := `{"Type":"container","Action":"destroy","Actor":{"ID":"x","Attributes":{"name":"firedrill-20261201-120000-aaaaaaaaaa-app"}}}
{"Type":"container","Action":"kill","Actor":{"ID":"y","Attributes":{"name":"firedrill-` + id + `-pg-primary"}}}
{"Type":"container","Action":"destroy","Actor":{"ID":"s","Attributes":{"name":"firedrill-` + id + `-sidecar-app-1","firedrill.sidecar-of":"app"}}}
{"Type":"container","Action":"destroy","Actor":{"ID":"z","Attributes":{"name":"firedrill-` + id + `-app"}}}
`
	e := &Env{RunID: id, docker: fakeDaemon(t, body)}
	tr := watchOnce(t, e)
	if tr == nil || tr.Error() != "container firedrill-"+id+"-app was removed from outside the run (docker rm or prune?)" {
		t.Fatalf("trouble %v", tr)
	}
}

// Ending the watch is not trouble.
func TestWatchEndsQuietly(t *testing.T) {
	e := &Env{RunID: "20261201-120000-0123456789", docker: fakeDaemon(t, "")}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if tr, ok := <-e.Watch(ctx); ok {
		t.Fatalf("trouble %v after the watch was stopped", tr)
	}
}
