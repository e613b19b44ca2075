package live

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill"
)

// Mode is how a Console shows the status (`firedrill run --progress`).
type Mode string

// The modes.
const (
	// ModeAuto is ModeTTY when the output is a terminal and TERM is not
	// "dumb", else ModePlain.
	ModeAuto Mode = "auto"
	// ModeTTY redraws the status block in place, about four times a second.
	ModeTTY Mode = "tty"
	// ModePlain writes one status line every period (5s by default).
	ModePlain Mode = "plain"
	// ModeNone writes no status; the other progress lines still pass.
	ModeNone Mode = "none"
)

// ParseMode reads a --progress value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeAuto, ModeTTY, ModePlain, ModeNone:
		return m, nil
	}
	return "", fmt.Errorf("--progress %q: want auto, tty, plain or none", s)
}

// Defaults of a Console.
const (
	// DefaultEvery is the plain line's period: today's status line's.
	DefaultEvery = 5 * time.Second
	// redrawEvery is the block's: often enough to look live, rarely
	// enough to cost nothing.
	redrawEvery = 250 * time.Millisecond
)

// Console is the writer of a drill's progress: every progress line and
// log record goes through it, and it shows the live status between them.
// In tty mode it clears its block before a line, writes the line and
// draws the block again below it, so the lines scroll above the block; in
// plain mode it writes a status line every period among the others. It is
// safe for concurrent use; one line is written whole.
type Console struct {
	out      io.Writer
	mode     Mode
	every    time.Duration
	width    func() int
	color    bool
	getenv   func(string) string
	terminal func() (width int, isTerminal bool)

	mu       sync.Mutex
	tracker  *Tracker
	timeline *firedrill.Timeline
	began    time.Time
	active   bool
	drawn    int    // lines of the block on the screen, the cursor below them
	partial  []byte // tty: the start of a line not finished yet
	stop     chan struct{}
	// rewind restarts the period at Watch: the first plain line comes one
	// period after the drill's records are there, as it always has.
	rewind chan struct{}
	done   sync.WaitGroup
}

// Option configures a Console.
type Option func(*Console)

// WithMode sets the mode (default ModeAuto).
func WithMode(m Mode) Option { return func(c *Console) { c.mode = m } }

// WithEvery sets the plain line's period (default DefaultEvery); 0 or
// less keeps the default.
func WithEvery(d time.Duration) Option {
	return func(c *Console) {
		if d > 0 {
			c.every = d
		}
	}
}

// WithWidth sets how wide the terminal is, asked at every draw (default:
// the output's window size when it is a terminal; 0: unknown).
func WithWidth(width func() int) Option { return func(c *Console) { c.width = width } }

// WithEnv sets how the environment is read (TERM, NO_COLOR; default
// os.Getenv).
func WithEnv(getenv func(string) string) Option { return func(c *Console) { c.getenv = getenv } }

// WithTerminal sets whether the output is a terminal, and its width, for
// ModeAuto and the width (default: asked of the output itself).
func WithTerminal(terminal func() (width int, isTerminal bool)) Option {
	return func(c *Console) { c.terminal = terminal }
}

// NewConsole writes to out. ModeAuto is resolved here; colour is used in
// tty mode unless NO_COLOR is set (https://no-color.org).
func NewConsole(out io.Writer, opts ...Option) *Console {
	c := &Console{out: out, mode: ModeAuto, every: DefaultEvery, getenv: os.Getenv}
	c.terminal = func() (int, bool) { return terminalWidth(out) }
	for _, o := range opts {
		o(c)
	}
	_, isTerm := c.terminal()
	if c.mode == ModeAuto {
		c.mode = ModePlain
		if isTerm && c.getenv("TERM") != "dumb" {
			c.mode = ModeTTY
		}
	}
	if c.width == nil {
		c.width = func() int { w, _ := c.terminal(); return w }
	}
	c.color = c.mode == ModeTTY && c.getenv("NO_COLOR") == ""
	return c
}

// Of is w itself when it is a Console, else a plain Console over w (the
// status line every period, as before there were modes).
func Of(w io.Writer, opts ...Option) *Console {
	if c, ok := w.(*Console); ok {
		return c
	}
	return NewConsole(w, append([]Option{WithMode(ModePlain)}, opts...)...)
}

// Mode is the console's mode, ModeAuto resolved.
func (c *Console) Mode() Mode { return c.mode }

// Begin starts showing a drill's status: "starting environment" until
// Watch is given its records. Begin on a console already showing one
// does nothing.
func (c *Console) Begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active {
		return
	}
	c.active, c.began, c.tracker, c.timeline = true, time.Now(), nil, nil
	if c.mode == ModeNone {
		return
	}
	period := c.every
	if c.mode == ModeTTY {
		period = redrawEvery
		c.redraw()
	}
	c.stop, c.rewind = make(chan struct{}), make(chan struct{}, 1)
	stop, rewind := c.stop, c.rewind
	c.done.Go(func() { c.tick(period, stop, rewind) })
}

// Watch gives the console the drill's records, once its timeline exists.
func (c *Console) Watch(src Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tracker, c.timeline = NewTracker(src), src.Timeline
	select {
	case c.rewind <- struct{}{}:
	default:
	}
}

// Stage says the drill entered a stage the timeline does not show
// (StageSettle, StageReadBack, StageTeardown).
func (c *Console) Stage(stage string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tracker != nil && c.timeline != nil {
		c.tracker.Stage(stage, c.timeline.Now())
	}
}

// End stops showing the status and clears the block: what is written
// next (the summary) starts where the block was. The console stays a
// writer. End without Begin does nothing.
func (c *Console) End() {
	c.mu.Lock()
	if !c.active {
		c.mu.Unlock()
		return
	}
	c.active = false
	stop := c.stop
	c.stop = nil
	c.mu.Unlock()
	if stop != nil {
		close(stop)
	}
	c.done.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clear()
	if len(c.partial) > 0 {
		c.out.Write(c.partial)
		c.partial = nil
	}
	c.tracker, c.timeline = nil, nil
}

func (c *Console) tick(period time.Duration, stop, rewind <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-rewind:
			t.Reset(period)
		case <-t.C:
			c.mu.Lock()
			switch {
			case !c.active:
			case c.mode == ModeTTY:
				c.redraw()
			case c.tracker != nil:
				if s := c.snapshot(); s.Phase != PhaseStarting {
					fmt.Fprintln(c.out, Line(s, RenderOptions{Width: c.width()}))
				}
			}
			c.mu.Unlock()
		}
	}
}

// Write writes progress lines. In tty mode a line not finished yet is
// held until its newline, so that the block is never drawn on its end.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode != ModeTTY || !c.active {
		return c.out.Write(p)
	}
	c.partial = append(c.partial, p...)
	end := bytes.LastIndexByte(c.partial, '\n')
	if end < 0 {
		return len(p), nil
	}
	lines := c.partial[:end+1]
	var buf bytes.Buffer
	c.clearInto(&buf)
	buf.Write(lines)
	c.partial = append([]byte(nil), c.partial[end+1:]...)
	c.drawInto(&buf)
	if _, err := c.out.Write(buf.Bytes()); err != nil {
		return 0, fmt.Errorf("progress: %w", err)
	}
	return len(p), nil
}

// snapshot is the drill's state now; before Watch, starting.
func (c *Console) snapshot() Snapshot {
	if c.tracker == nil || c.timeline == nil {
		return Snapshot{Phase: PhaseStarting, Elapsed: time.Since(c.began)}
	}
	s := c.tracker.Snapshot(c.timeline.Now())
	if s.Phase == PhaseStarting {
		s.Elapsed, s.PhaseSince = time.Since(c.began), 0
	}
	return s
}

// redraw draws the block again over itself, in one write.
func (c *Console) redraw() {
	var buf bytes.Buffer
	c.clearInto(&buf)
	c.drawInto(&buf)
	c.out.Write(buf.Bytes())
}

func (c *Console) clear() {
	var buf bytes.Buffer
	c.clearInto(&buf)
	if buf.Len() > 0 {
		c.out.Write(buf.Bytes())
	}
}

// clearInto moves the cursor up to the block's first line and erases to
// the end of the screen. The cursor is at the start of the line below the
// block: every block line ends with a newline and none wraps (fit).
func (c *Console) clearInto(buf *bytes.Buffer) {
	if c.drawn == 0 {
		return
	}
	fmt.Fprintf(buf, "\r\x1b[%dA\x1b[J", c.drawn)
	c.drawn = 0
}

func (c *Console) drawInto(buf *bytes.Buffer) {
	lines := Block(c.snapshot(), RenderOptions{Width: c.width(), Color: c.color})
	buf.WriteString(strings.Join(lines, "\n") + "\n")
	c.drawn = len(lines)
}
