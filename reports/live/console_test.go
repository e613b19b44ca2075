package live

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/firedrill/firedrill"
)

// fakeTerminal is a screen that interprets what the console writes: text,
// newlines, carriage returns, cursor up (ESC[nA), erase line (ESC[K,
// ESC[2K) and erase to the end of the screen (ESC[J); colours are
// dropped. It has no height limit: what scrolled is still on it.
type fakeTerminal struct {
	mu        sync.Mutex
	rows      [][]rune
	row, col  int
	raw       strings.Builder
	cursorUps int
}

func (f *fakeTerminal) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.raw.Write(p)
	s := string(p)
	for i := 0; i < len(s); {
		if n := escapeLen(s[i:]); n > 0 {
			f.escape(s[i : i+n])
			i += n
			continue
		}
		r, n := []rune(s[i:])[0], len(string([]rune(s[i:])[0]))
		i += n
		switch r {
		case '\n':
			f.row, f.col = f.row+1, 0
		case '\r':
			f.col = 0
		default:
			f.put(r)
		}
	}
	return len(p), nil
}

func (f *fakeTerminal) line() []rune {
	for len(f.rows) <= f.row {
		f.rows = append(f.rows, nil)
	}
	return f.rows[f.row]
}

func (f *fakeTerminal) put(r rune) {
	l := f.line()
	for len(l) <= f.col {
		l = append(l, ' ')
	}
	l[f.col] = r
	f.rows[f.row] = l
	f.col++
}

func (f *fakeTerminal) escape(seq string) {
	arg, final := seq[2:len(seq)-1], seq[len(seq)-1]
	switch final {
	case 'A':
		n, _ := strconv.Atoi(arg)
		f.row = max(0, f.row-max(n, 1))
		f.cursorUps++
	case 'K':
		l := f.line()
		if arg == "2" {
			f.rows[f.row] = nil
		} else if f.col < len(l) {
			f.rows[f.row] = l[:f.col]
		}
	case 'J':
		l := f.line()
		if f.col < len(l) {
			f.rows[f.row] = l[:f.col]
		}
		f.rows = f.rows[:f.row+1]
	case 'm':
	default:
		panic("fake terminal: unexpected escape " + strconv.Quote(seq))
	}
}

// screen is what the terminal shows, trailing empty lines dropped.
func (f *fakeTerminal) screen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.rows {
		out = append(out, strings.TrimRight(string(r), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func noColor(key string) string {
	if key == "NO_COLOR" {
		return "1"
	}
	return "xterm"
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got: %q\nwant: %q", what, got, want)
	}
}

func TestTTYConsoleScrollsLinesAboveTheBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		term := &fakeTerminal{}
		c := NewConsole(term, WithMode(ModeTTY), WithWidth(func() int { return 100 }), WithEnv(noColor))
		c.Begin()
		fmt.Fprintf(c, "firedrill: starting environment\n")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		equalLines(t, "while starting", term.screen(), []string{"firedrill: starting environment", "starting environment 2s"})

		d := newDrill(t, nil)
		src := d.tr.src
		c.Watch(src)
		d.writes(0, 3*time.Second, 30, firedrill.OutcomeOK)
		time.Sleep(3 * time.Second)
		fmt.Fprintf(c, "  %6.1fs  fault f0 -> pg-1\n", 3.0)
		// A line written in two parts is shown once, whole.
		fmt.Fprint(c, "postgres ")
		time.Sleep(time.Second) // redraws between the parts
		fmt.Fprint(c, "primary ready\n")
		d.event(4*time.Second, firedrill.EventFaultInjected, "f0", "pg-1")
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()

		want := []string{"firedrill: starting environment", "     3.0s  fault f0 -> pg-1", "postgres primary ready"}
		block := Block(NewTracker(src).Snapshot(d.tl.Now()), RenderOptions{Width: 100})
		if len(block) < 2 || len(block) > 4 {
			t.Fatalf("block of %d lines, want 2 to 4: %q", len(block), block)
		}
		equalLines(t, "lines above the latest block", term.screen(), append(want, block...))
		if !strings.Contains(block[0], "fault in effect") || !strings.Contains(block[2], "fault f0 partition pg-1 since 4s until 9s") {
			t.Errorf("block does not show the fault in effect: %q", block)
		}
		if term.cursorUps < 10 {
			t.Errorf("%d redraws in 6.5s at 4 Hz, want the block redrawn in place", term.cursorUps)
		}

		c.End()
		equalLines(t, "after End", term.screen(), want)
		// The console is still a writer, and draws nothing any more.
		fmt.Fprintln(c, "summary")
		time.Sleep(time.Second)
		synctest.Wait()
		equalLines(t, "after End and a line", term.screen(), append(want, "summary"))
	})
}

func TestPlainConsole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out fakeTerminal
		c := NewConsole(&out, WithMode(ModePlain), WithEnv(func(string) string { return "" }))
		c.Begin()
		time.Sleep(6 * time.Second) // no line while starting, as before
		d := newDrill(t, nil)
		c.Watch(d.tr.src)
		d.writes(0, 5*time.Second, 50, firedrill.OutcomeOK)
		fmt.Fprintln(c, "firedrill: drill running for 1m0s")
		time.Sleep(11 * time.Second)
		synctest.Wait()
		c.End()
		got := out.screen()
		if len(got) != 3 || got[0] != "firedrill: drill running for 1m0s" {
			t.Fatalf("plain output %q, want the line then a status line every 5s", got)
		}
		for _, l := range got[1:] {
			if !strings.Contains(l, "s / 1m00s  baseline · writes 50 ok, 0 failed, 0 indeterminate") {
				t.Errorf("status line %q", l)
			}
		}
		if !strings.HasPrefix(got[1], "     5.0s / 1m00s  ") || !strings.HasPrefix(got[2], "    10.0s / 1m00s  ") {
			t.Errorf("status lines %q, want them every 5s from Watch", got[1:])
		}
		if strings.Contains(out.raw.String(), "\x1b") {
			t.Errorf("plain output has escape sequences: %q", out.raw.String())
		}
	})
}

func TestNoneConsolePassesLinesOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out fakeTerminal
		c := NewConsole(&out, WithMode(ModeNone))
		c.Begin()
		d := newDrill(t, nil)
		c.Watch(d.tr.src)
		fmt.Fprintln(c, "  read back 10 rows from pg-1")
		time.Sleep(20 * time.Second)
		c.End()
		equalLines(t, "none", out.screen(), []string{"  read back 10 rows from pg-1"})
	})
}

func TestAutoMode(t *testing.T) {
	for _, tc := range []struct {
		terminal bool
		term     string
		want     Mode
	}{
		{true, "xterm-256color", ModeTTY},
		{true, "dumb", ModePlain},
		{false, "xterm", ModePlain},
	} {
		env := func(k string) string {
			if k == "TERM" {
				return tc.term
			}
			return ""
		}
		c := NewConsole(&fakeTerminal{}, WithEnv(env), WithTerminal(func() (int, bool) { return 80, tc.terminal }))
		if c.Mode() != tc.want {
			t.Errorf("terminal %v, TERM=%s: mode %s, want %s", tc.terminal, tc.term, c.Mode(), tc.want)
		}
	}
	if _, err := ParseMode("fancy"); err == nil {
		t.Error("ParseMode(fancy) accepted")
	}
}

func TestColorAndNoColor(t *testing.T) {
	for _, noColorSet := range []bool{false, true} {
		env := func(k string) string {
			if k == "NO_COLOR" && noColorSet {
				return "1"
			}
			return ""
		}
		synctest.Test(t, func(t *testing.T) {
			term := &fakeTerminal{}
			c := NewConsole(term, WithMode(ModeTTY), WithEnv(env), WithWidth(func() int { return 0 }))
			c.Begin()
			d := newDrill(t, nil)
			c.Watch(d.tr.src)
			d.event(0, firedrill.EventFaultInjected, "f0", "pg-1")
			time.Sleep(time.Second)
			c.End()
			if colored := strings.Contains(term.raw.String(), red); colored == noColorSet {
				t.Errorf("NO_COLOR set %v: red in the output %v", noColorSet, colored)
			}
		})
	}
}

func TestFit(t *testing.T) {
	long := strings.Repeat("abcdefghij", 10)
	if got := fit(long, 0); got != long {
		t.Errorf("fit to an unknown width cut the line: %q", got)
	}
	got := fit(long, 20)
	if visible(got) != 19 || !strings.HasSuffix(got, "…") {
		t.Errorf("fit(100 columns, 20) = %q (%d columns), want 19 ending with …", got, visible(got))
	}
	colored := red + long + reset
	got = fit(colored, 20)
	if visible(got) != 19 || !strings.HasPrefix(got, red) || !strings.HasSuffix(got, reset) {
		t.Errorf("fit of a coloured line = %q, want 19 columns, the colour closed", got)
	}
	if short := "abc"; fit(short, 20) != short {
		t.Errorf("fit cut a short line")
	}
}

func TestBlockFitsTheWidth(t *testing.T) {
	d := newDrill(t, nil)
	d.event(10*time.Second, firedrill.EventFaultInjected, "f0", "pg-1")
	d.eventDetail(11*time.Second, firedrill.EventManagerStart, "pg-1", "")
	for _, l := range Block(d.tr.Snapshot(12*time.Second), RenderOptions{Width: 40, Color: true}) {
		if visible(l) > 39 {
			t.Errorf("block line of %d columns at width 40: %q", visible(l), l)
		}
	}
}

func TestLineShowsWhatTheIssueAsks(t *testing.T) {
	d := newDrill(t, nil)
	d.eventDetail(100*time.Millisecond, firedrill.EventManagerStart, "pg-1", "")
	d.writes(0, 12*time.Second, 120, firedrill.OutcomeOK)
	d.event(10*time.Second, firedrill.EventFaultInjected, "f0", "pg-1")
	line := Line(d.tr.Snapshot(12*time.Second), RenderOptions{})
	for _, want := range []string{
		"    12.0s / 1m00s  fault in effect since 10s ·",
		"writes 120 ok, 0 failed, 0 indeterminate (last second: 10 ok, 0 failed, 0 indeterminate)",
		"fault f0 partition pg-1 since 10s until 15s",
		"next f1 kill postgres.primary in 18s",
		"failover manager watching pg-1",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q\nlacks %q", line, want)
		}
	}
}

func TestManagerText(t *testing.T) {
	for state, want := range map[ManagerState]string{
		ManagerDisabled:  "failover manager disabled",
		ManagerStarting:  "failover manager starting",
		ManagerWatching:  "failover manager watching pg-1",
		ManagerFencing:   "failover manager fencing pg-1 since 20s",
		ManagerPromoting: "failover manager promoting a standby (pg-1 fenced) since 20s",
		ManagerWithheld:  "failover manager withheld a failover of pg-1 since 20s",
		ManagerFailed:    "failover manager: a failover of pg-1 failed at 20s (it retries)",
		ManagerStoodDown: "failover manager stood down for the recovery plan since 20s",
	} {
		if got := managerText(Manager{State: state, Since: 20 * time.Second, Primary: "pg-1"}); got != want {
			t.Errorf("%s: %q, want %q", state, got, want)
		}
	}
}
