package netfault

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/chaos/internal/chaostest"
	"github.com/firedrill/firedrill/chaos/internal/netkit"
	"github.com/firedrill/firedrill/internal/fakert"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

// s3World is a netWorld whose storage's S3 endpoint is a local server
// standing in for MinIO; while an outage's sidecar holds, the endpoint
// refuses (a closed port on 127.0.0.1), as the reset rule makes it.
func s3World(t *testing.T) *netWorld {
	t.Helper()
	w := newNetWorld(t)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != s3HealthPath {
			rw.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := closed.Addr().String()
	closed.Close()
	live := strings.TrimPrefix(srv.URL, "http://")
	w.RT.SetEndpoint(topology.NodeStorage, topology.PortS3, live)
	w.RT.HandleExec(func(node string, cmd []string) (platform.ExecResult, error) {
		r, err := w.ns.handle(node, cmd)
		ep := live
		if rules, _ := w.ns.rules(topology.NodeStorage); len(rules) > 0 {
			ep = refusing
		}
		w.RT.SetEndpoint(topology.NodeStorage, topology.PortS3, ep)
		return r, err
	})
	return w
}

func TestS3OutageRules(t *testing.T) {
	s := chaostest.NewFault(t, scenarios.ActionS3Outage, scenarios.Params{}).(*s3Outage)
	h := s.rules()
	wantIn(t, "rules", h.Apply, "run iptables -w -A "+s.chain+" -p tcp --dport 9000 -j REJECT --reject-with tcp-reset",
		"run iptables -w -I INPUT 1 ! -i lo -j "+s.chain)
	if strings.Contains(h.Apply, "OUTPUT") {
		t.Error("an s3-outage cuts what the storage sends")
	}
}

func TestParseS3Request(t *testing.T) {
	for out, want := range map[string]s3Answer{
		"s3 HTTP/1.1 200 OK\n": {Answered: true, Text: "HTTP/1.1 200 OK"},
		"s3 refused":           {Refused: true, Text: "refused"},
		"s3 no answer":         {Text: "no answer"},
		"":                     {Text: `no result: ""`},
	} {
		if got := parseS3Request(out); got != want {
			t.Errorf("parseS3Request(%q) = %+v, want %+v", out, got, want)
		}
	}
}

// The request script, run by bash against a local server and a closed
// port on 127.0.0.1.
func TestS3RequestScript(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ap := netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "http://"))
	out, err := exec.Command("bash", "-c", s3RequestScript(netkit.TCPDest{Node: "minio", Addr: ap.Addr(), Port: int(ap.Port())}, time.Second)).CombinedOutput()
	if got := parseS3Request(string(out)); err != nil || !got.Answered || got.Text != "HTTP/1.1 200 OK" {
		t.Errorf("a live server: %+v (%q, %v)", got, out, err)
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	port := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	out, _ = exec.Command("bash", "-c", s3RequestScript(netkit.TCPDest{Node: "minio", Addr: ap.Addr(), Port: port}, time.Second)).CombinedOutput()
	if got := parseS3Request(string(out)); !got.Refused {
		t.Errorf("a closed port: %+v (%q)", got, out)
	}
}

func TestS3Outage(t *testing.T) {
	w := s3World(t)
	tg, in := w.Target(t, scenarios.TargetStorage)
	f := chaostest.NewFault(t, scenarios.ActionS3Outage, scenarios.Params{}).(*s3Outage)
	ev, err := f.Inject(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	in.Check(t, fakert.OpHold)
	wantIn(t, "evidence", ev, "minio refuses S3 (tcp port 9000) with a reset, chain "+f.chain+" (1 rule, 1 jump)",
		"from inside app, a request to 10.2.0.3:9000: before HTTP/1.1 200 OK, during refused",
		"the harness's: before GET http://127.0.0.1:", "/minio/health/live: 200 OK, during GET", "connection refused")
	ev, err = chaostest.AsReverter(t, f).Revert(bg, tg)
	if err != nil {
		t.Fatal(err)
	}
	wantIn(t, "revert evidence", ev, "minio lets S3 requests through again; from inside app: HTTP/1.1 200 OK; the harness's: GET", ": 200 OK")
}

// An outage whose rule is not there: requests are answered, the
// injection fails and says so.
func TestS3OutageThatDidNotTakeEffect(t *testing.T) {
	w := s3World(t)
	w.ns.set(&w.ns.inert, topology.NodeStorage)
	tg, _ := w.Target(t, scenarios.TargetStorage)
	f := chaostest.NewFault(t, scenarios.ActionS3Outage, scenarios.Params{})
	_, err := f.Inject(bg, tg)
	for _, want := range []string{"the outage is not in place", "a request from inside app was not refused: HTTP/1.1 200 OK", "the harness's request was not refused"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("inject: %v, want %q", err, want)
		}
	}
	if _, err := chaostest.AsReverter(t, f).Revert(bg, tg); err != nil {
		t.Errorf("revert: %v", err)
	}
}

// The client is the app; when it does not run, another node.
func TestS3Client(t *testing.T) {
	w := newNetWorld(t)
	tg, _ := w.Target(t, scenarios.TargetStorage)
	client, dest, err := s3Client(bg, tg, tg.Nodes[0])
	if err != nil || client != topology.NodeApp || dest.String() != "minio 10.2.0.3:9000" {
		t.Errorf("%s %s %v", client, dest, err)
	}
	w.RT.Set(topology.NodeApp, platform.State{Status: platform.StatusExited})
	if client, _, err := s3Client(bg, tg, tg.Nodes[0]); err != nil || client != topology.NodePrimary {
		t.Errorf("without the app: %s %v", client, err)
	}
}
