package dr

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// The watcher sidecar's protocol (SidecarVantage starts it; `firedrill
// agent watch` serves it with ServeWatcher). Its command line carries the
// schedule and the nodes, its environment the connection strings (they
// hold the password, and a command line is printed in places). It follows
// Hold's contract: one line once it watches, then a line per round, and a
// last line after a line or the end of its input.
const (
	// EnvWatchDSNs is the watcher's environment variable holding the
	// nodes' connection strings, a JSON object by node.
	EnvWatchDSNs = "FIREDRILL_WATCH_DSNS"

	// Flags of `firedrill agent watch`.
	FlagWatchFirst    = "first-unix-nano"
	FlagWatchInterval = "interval"
	FlagWatchTimeout  = "timeout"

	watchingPrefix = "watching "
	stoppedLine    = "stopped"
)

// WatcherCommand is the agent command a watcher sidecar runs for spec:
// `agent watch --first-unix-nano N --interval D --timeout D -- node...`.
func WatcherCommand(spec WatchSpec) []string {
	return append([]string{"agent", "watch",
		"--" + FlagWatchFirst, strconv.FormatInt(spec.First.UnixNano(), 10),
		"--" + FlagWatchInterval, spec.Interval.String(),
		"--" + FlagWatchTimeout, spec.Timeout.String(),
		"--"}, spec.Nodes...)
}

// EncodeRound is a round as the watcher prints it: one JSON line.
func EncodeRound(r Round) string {
	b, _ := json.Marshal(r) // a Round always encodes
	return string(b)
}

// DecodeRound reads a line the watcher printed; anything else (a log line
// on its stderr, its last line) is an error.
func DecodeRound(line string) (Round, error) {
	var r Round
	if !strings.HasPrefix(line, "{") {
		return Round{}, fmt.Errorf("not a round: %q", line)
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Round{}, fmt.Errorf("not a round: %q: %w", line, err)
	}
	return r, nil
}

// ServeWatcher is the watcher sidecar's side: it prints one line naming
// what it watches, then runs spec's rounds with check, printing each as
// a line (EncodeRound), until it reads a line or the end of in (a release,
// or the harness gone: docs/architecture.md, "Sidecars"); then it prints
// its last line and returns. It fails when out can no longer be written.
func ServeWatcher(ctx context.Context, spec WatchSpec, check CheckFunc, in io.Reader, out io.Writer) error {
	if len(spec.Nodes) == 0 || spec.Interval <= 0 || spec.Timeout <= 0 {
		return errors.New("watch: nodes, an interval and a timeout are needed")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var werr error
	say := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if werr != nil {
			return
		}
		if _, err := io.WriteString(out, line+"\n"); err != nil {
			werr = fmt.Errorf("watch: write: %w", err)
			cancel()
		}
	}
	say(watchingPrefix + strings.Join(spec.Nodes, " ") + fmt.Sprintf(" every %s (timeout %s)", spec.Interval, spec.Timeout))
	go func() {
		// A line or the end of the input: stop.
		_, _ = bufio.NewReader(in).ReadString('\n')
		cancel()
	}()
	RunRounds(ctx, spec, check, func(r Round) { say(EncodeRound(r)) })
	say(stoppedLine)
	mu.Lock()
	defer mu.Unlock()
	return werr
}
