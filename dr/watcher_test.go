package dr

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The watcher sidecar's protocol: a first line once it watches, a JSON
// line per round, and on a line (or the end) of its input a last line.
func TestServeWatcherProtocol(t *testing.T) {
	for _, stop := range []string{"line", "eof"} {
		t.Run(stop, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				spec := WatchSpec{Nodes: []string{"pg-primary", "pg-replica1"}, First: start.Add(300 * time.Millisecond),
					Interval: time.Second, Timeout: time.Second}
				inR, inW := io.Pipe()
				outR, outW := io.Pipe()
				errc := make(chan error, 1)
				go func() {
					errc <- ServeWatcher(context.Background(), spec, func(ctx context.Context, node string) error {
						if node == "pg-primary" && time.Since(start) > 2*time.Second {
							return errors.New("connection refused")
						}
						return nil
					}, inR, outW)
					outW.Close()
				}()
				lines := bufio.NewScanner(outR)
				next := func() string {
					if !lines.Scan() {
						t.Fatalf("output ended early: %v", lines.Err())
					}
					return lines.Text()
				}
				if first := next(); !strings.HasPrefix(first, "watching pg-primary pg-replica1") {
					t.Fatalf("first line %q", first)
				}
				var rounds []Round
				for range 4 {
					r, err := DecodeRound(next())
					if err != nil {
						t.Fatal(err)
					}
					rounds = append(rounds, r)
				}
				if stop == "line" {
					io.WriteString(inW, "release\n")
				} else {
					inW.Close()
				}
				var rest []string
				for lines.Scan() {
					rest = append(rest, lines.Text())
				}
				if err := <-errc; err != nil {
					t.Fatal(err)
				}
				if len(rest) == 0 || rest[len(rest)-1] != "stopped" {
					t.Errorf("after the release: %q, want it to end with stopped", rest)
				}
				// Rounds 0..3 at 0.3s, 1.3s, 2.3s, 3.3s: the primary is down from 2s.
				for i, r := range rounds {
					if r.Seq != i || !r.Reachable("pg-replica1") || r.Reachable("pg-primary") != (i < 2) {
						t.Errorf("round %d: %+v", i, r)
					}
				}
				if rounds[2].Down["pg-primary"] != "connection refused" {
					t.Errorf("down reason %q", rounds[2].Down["pg-primary"])
				}
			})
		})
	}
}

func TestDecodeRoundRefusesOtherLines(t *testing.T) {
	for _, l := range []string{"stopped", `time=... level=WARN msg="x"`, `{"round":1,"extra":2}`, `{"round":`} {
		if _, err := DecodeRound(l); err == nil {
			t.Errorf("DecodeRound(%q) accepted it", l)
		}
	}
	r := Round{Seq: 7, Up: []string{"a"}, Down: map[string]string{"b": "refused"}}
	got, err := DecodeRound(EncodeRound(r))
	if err != nil || got.Seq != 7 || !got.Reachable("a") || got.Down["b"] != "refused" {
		t.Errorf("round trip: %+v, %v", got, err)
	}
}

func TestWatcherCommandCarriesNoSecret(t *testing.T) {
	spec := WatchSpec{Nodes: []string{"pg-primary"}, First: time.Unix(0, 1234567890), Interval: time.Second, Timeout: 500 * time.Millisecond}
	got := strings.Join(WatcherCommand(spec), " ")
	want := "agent watch --first-unix-nano 1234567890 --interval 1s --timeout 500ms -- pg-primary"
	if got != want {
		t.Errorf("command %q, want %q", got, want)
	}
}
