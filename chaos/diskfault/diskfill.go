package diskfault

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/chaos"
	"github.com/firedrill/firedrill/platform"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/topology"
)

func init() {
	chaos.Register(chaos.Spec{Action: scenarios.ActionDiskFill, New: newDiskFill})
}

// diskFill fills the size-limited data volume of every target Postgres
// node (environment.postgres.disk_size), never the host's disk: a Hold
// sidecar with the node's volume mounted writes one file of its own into
// it, to params.percent of the volume (counting what is used) or by
// params.size, and deletes exactly that file when it is released or when
// its input ends (the harness died). Postgres then fails writes that need
// a new page with SQLSTATE 53100 (disk full) and keeps serving; a
// checkpoint or a new WAL segment on the full disk makes it PANIC, and
// the revert's evidence says so (docs/architecture.md, "Disk faults").
// Evidence: the volume's use measured from a sidecar before the fill and
// during it, and at the revert the space back and whether Postgres ran
// throughout; a fill that did not take the volume where it was asked is an
// error.
type diskFill struct {
	req fillRequest

	mu    sync.Mutex
	fills map[string]*nodeFill // by node: this injection's
}

// nodeFill is the fill of one node.
type nodeFill struct {
	file    string // the fill file, in the volume
	plan    fillPlan
	before  volumeUsage
	started time.Time // the container's start, to tell a restart at the revert
	held    platform.Held
}

func newDiskFill(p scenarios.Params) (chaos.Fault, error) {
	req, err := newFillRequest(p)
	if err != nil {
		return nil, err
	}
	return &diskFill{req: req}, nil
}

// postgresPage is Postgres's block size: a table or index grows by one
// page at a time, so a disk with less free than this refuses every write
// that needs a new page.
const postgresPage = 8 << 10

// fillRequest is what an injection asks for: a percentage of the volume
// used, or a number of bytes written.
type fillRequest struct {
	percent float64 // when bytes is 0
	bytes   int64
}

func newFillRequest(p scenarios.Params) (fillRequest, error) {
	if p.Size != "" {
		n, err := scenarios.ParseSize(p.Size)
		if err != nil {
			return fillRequest{}, err
		}
		if n <= 0 {
			return fillRequest{}, fmt.Errorf("size %s: want more than 0 bytes", p.Size)
		}
		return fillRequest{bytes: n}, nil
	}
	pct := 100.0
	if p.Percent != nil {
		pct = *p.Percent
	}
	if !(pct > 0 && pct <= 100) {
		return fillRequest{}, fmt.Errorf("percent %v: want more than 0 and at most 100", pct)
	}
	return fillRequest{percent: pct}, nil
}

func (r fillRequest) String() string {
	if r.bytes > 0 {
		return "by " + scenarios.FormatSize(r.bytes)
	}
	return "to " + percentDown(r.percent)
}

// volumeUsage is a volume as a sidecar reads it (usageScript): statvfs
// in blocks, Postgres's postmaster.pid, and the fill file.
type volumeUsage struct {
	BlockSize, Blocks, Free int64
	// PIDMark is postmaster.pid's modification time (Unix seconds with
	// nanoseconds) and status ("ready"); "" when there is none. The
	// postmaster rewrites it when it starts and when it restarts after a
	// crash, so a mark that changed during a fill is a restart.
	PIDMark string
	// FillBytes is what the fill file has allocated, -1 when there is no
	// such file.
	FillBytes int64
}

func (v volumeUsage) Size() int64      { return v.Blocks * v.BlockSize }
func (v volumeUsage) Used() int64      { return (v.Blocks - v.Free) * v.BlockSize }
func (v volumeUsage) FreeBytes() int64 { return v.Free * v.BlockSize }

// UsedPercent is rounded down: "100.0%" means nothing is free.
func (v volumeUsage) UsedPercent() float64 {
	if v.Blocks <= 0 {
		return 0
	}
	return float64(v.Blocks-v.Free) * 100 / float64(v.Blocks)
}

func percentDown(p float64) string {
	return strconv.FormatFloat(math.Floor(p*10)/10, 'f', 1, 64) + "%"
}

// pidChangedAt is when postmaster.pid was rewritten, from its mark.
func (v volumeUsage) pidChangedAt() time.Time {
	sec, _, _ := strings.Cut(v.PIDMark, " ")
	f, err := strconv.ParseFloat(sec, 64)
	if err != nil {
		return time.Time{}
	}
	whole := math.Floor(f)
	return time.Unix(int64(whole), int64((f-whole)*1e9))
}

// usageScript prints a volume's usage (bash; $1 the volume, $2 the fill
// file, $3 "remove" to delete the fill file first):
//
//	vol <block size> <blocks> <free blocks>
//	pid <mtime> <status> | pid -
//	fill <allocated blocks> <block bytes> | fill -
//
// Free counts what root may use: the sidecar fills as root.
const usageScript = `set -u
d=$1 f=$2
if [ "${3:-}" = remove ]; then rm -f "$f"; fi
stat -f -c 'vol %S %b %f' "$d" || exit 1
if [ -e "$d/postmaster.pid" ]; then
  echo "pid $(stat -c %.9Y "$d/postmaster.pid") $(sed -n 8p "$d/postmaster.pid")"
else
  echo "pid -"
fi
if [ -e "$f" ]; then echo "fill $(stat -c '%b %B' "$f")"; else echo "fill -"; fi
`

func usageCommand(dir, file string, remove bool) []string {
	cmd := []string{"bash", "-c", usageScript, "usage", dir, file}
	if remove {
		cmd = append(cmd, "remove")
	}
	return cmd
}

// parseUsage reads usageScript's output back.
func parseUsage(out string) (volumeUsage, error) {
	v := volumeUsage{FillBytes: -1}
	var vol, pid, fill bool
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "vol" && len(f) == 4:
			n, err := parseInts(f[1:])
			if err != nil || n[0] <= 0 || n[1] <= 0 || n[2] < 0 || n[2] > n[1] {
				return v, fmt.Errorf("the volume's statvfs %q does not read", line)
			}
			v.BlockSize, v.Blocks, v.Free, vol = n[0], n[1], n[2], true
		case f[0] == "pid" && len(f) >= 2:
			if f[1] != "-" {
				v.PIDMark = strings.Join(f[1:], " ")
			}
			pid = true
		case f[0] == "fill" && (len(f) == 3 || len(f) == 2 && f[1] == "-"):
			if len(f) == 3 {
				n, err := parseInts(f[1:])
				if err != nil || n[0] < 0 || n[1] <= 0 {
					return v, fmt.Errorf("the fill file's size %q does not read", line)
				}
				v.FillBytes = n[0] * n[1]
			}
			fill = true
		}
	}
	if !vol || !pid || !fill {
		return v, fmt.Errorf("no volume usage in the sidecar's output %q", out)
	}
	return v, nil
}

func parseInts(fields []string) ([]int64, error) {
	out := make([]int64, len(fields))
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// readUsage reads a node's volume from a sidecar that mounts it.
func readUsage(ctx context.Context, rt platform.Runtime, n *topology.Node, file string, remove bool) (volumeUsage, error) {
	r, err := rt.Exec(ctx, n.Name, usageCommand(n.Volume, file, remove), platform.WithVolume())
	if err != nil {
		return volumeUsage{}, fmt.Errorf("read the data volume of %s: %w", n.Name, err)
	}
	v, err := parseUsage(r.Output)
	if err != nil {
		return v, fmt.Errorf("read the data volume of %s (exit %d): %w", n.Name, r.ExitCode, err)
	}
	return v, nil
}

// checkVolume refuses a volume that is not the node's size-limited one:
// filling anything else could fill the host's disk.
func checkVolume(n *topology.Node, v volumeUsage) error {
	if n.Volume == "" || n.VolumeSize <= 0 {
		return fmt.Errorf("%s has no size-limited data volume: disk-fill fills only one (environment.postgres.disk_size), never the host's disk", n.Name)
	}
	// tmpfs rounds its size up to whole pages.
	want := (n.VolumeSize + v.BlockSize - 1) / v.BlockSize * v.BlockSize
	if v.Size() != want {
		return fmt.Errorf("the volume at %s of %s is %s, not its %s data disk: refusing to fill it (it may be the host's disk)",
			n.Volume, n.Name, scenarios.FormatSize(v.Size()), scenarios.FormatSize(n.VolumeSize))
	}
	return nil
}

// fillPlan is what the sidecar does: bring the volume to target bytes
// used (percent), or write bytes.
type fillPlan struct {
	req    fillRequest
	target int64 // bytes used to reach, for a percent
	bytes  int64 // bytes to write, for a size
}

// plan works out the fill for a volume as it is now; an error when there
// is nothing to fill (the volume is already that full) or the size does
// not fit: such a fill could not take effect.
func (r fillRequest) plan(v volumeUsage) (fillPlan, error) {
	size := v.Size()
	if r.bytes > 0 {
		if r.bytes > v.FreeBytes() {
			return fillPlan{}, fmt.Errorf("cannot fill by %s: only %s of the %s volume is free",
				scenarios.FormatSize(r.bytes), scenarios.FormatSize(v.FreeBytes()), scenarios.FormatSize(size))
		}
		return fillPlan{req: r, bytes: r.bytes}, nil
	}
	target := size
	if r.percent < 100 {
		// Exact to the byte (size * percent / 100, rounded up), then up to
		// a whole block: the volume allocates blocks.
		t := new(big.Rat).Mul(new(big.Rat).SetInt64(size), new(big.Rat).SetFloat64(r.percent))
		t.Quo(t, big.NewRat(100, 1))
		target = ceilRat(t)
		target = min((target+v.BlockSize-1)/v.BlockSize*v.BlockSize, size)
	}
	if v.Used() >= target {
		return fillPlan{}, fmt.Errorf("the volume is already %s used (%s of %s), at or above the %s asked: nothing to fill",
			percentDown(v.UsedPercent()), scenarios.FormatSize(v.Used()), scenarios.FormatSize(size), percentDown(r.percent))
	}
	return fillPlan{req: r, target: target}, nil
}

// ceilRat rounds r (>= 0) up to an integer.
func ceilRat(r *big.Rat) int64 {
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if rem.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// took checks the volume during the fill: the fill file is there and the
// volume is where the plan took it (within less than a Postgres page for
// a percent, since the database may have grown or shrunk meanwhile).
func (p fillPlan) took(during volumeUsage) error {
	if during.FillBytes < 0 {
		return errors.New("the fill file is not in the volume")
	}
	if p.bytes > 0 {
		if during.FillBytes < p.bytes {
			return fmt.Errorf("the fill file holds %s, not the %s asked", scenarios.FormatSize(during.FillBytes), scenarios.FormatSize(p.bytes))
		}
		return nil
	}
	if during.Used() <= p.target-postgresPage {
		return fmt.Errorf("the volume is %s used (%s free), not the %s asked",
			percentDown(during.UsedPercent()), scenarios.FormatSize(during.FreeBytes()), percentDown(p.req.percent))
	}
	return nil
}

// fillScript is the program of the fill's Hold sidecar (bash; $1 the
// volume, $2 the fill file, $3 "percent" or "bytes", $4 the bytes used to
// reach or the bytes to write). It creates the fill file (never an
// existing one) and grows it with fallocate, or with zeros where a
// filesystem has no fallocate. For a percent it grows the file by at most
// 64MiB at a time, measuring before each step: the database keeps taking
// space meanwhile, and tmpfs undoes a whole fallocate that finds the
// space gone, so one allocation of everything free raced a busy server
// (at 500 writes/s, for 35s) while small steps lose at most the last one,
// which is retried. Then it prints "held"
// and waits for a line or the end of its input, deletes exactly its file
// and prints "released <used> <free>". On failure it deletes its file and
// prints "failed" and the reason: Hold takes "failed" for the first line,
// so the fault checks the volume after Hold (its evidence) and reads the
// reason with Release. Nothing else is printed before.
const fillScript = `set -u
dir=$1 file=$2 mode=$3 amount=$4
chunk=$((64 << 20))
out= ours=
unfill() { if [ -n "$ours" ]; then rm -f "$file"; fi; }
fail() { unfill; echo failed; printf '%s\n' "$1" | tr '\n' ' '; echo; exit 1; }
trap 'unfill; exit 143' TERM INT HUP
usage() { read -r bs blocks free < <(stat -f -c '%S %b %f' "$dir") || return 1; used=$(( (blocks - free) * bs )); freeb=$(( free * bs )); }
grow() {
  local cur
  cur=$(stat -c %s "$file") || return 1
  out=$(fallocate -o "$cur" -l "$1" "$file" 2>&1) && return 0
  case $out in *"No space"*) return 1 ;; esac
  out=$(head -c "$1" /dev/zero 2>&1 >>"$file") && return 0
  return 1
}
( set -C; : >"$file" ) 2>/dev/null || fail "cannot create the fill file $file (it exists, or the volume is not writable)"
ours=1
case $mode in
percent)
  misses=0
  while usage && [ "$used" -lt "$amount" ] && [ "$freeb" -gt 0 ]; do
    want=$(( amount - used ))
    [ "$want" -le "$freeb" ] || want=$freeb
    [ "$want" -le "$chunk" ] || want=$chunk
    grow "$want" && continue
    misses=$((misses + 1))
    [ "$misses" -le 50 ] || fail "the volume did not reach $amount bytes used: 50 writes failed ($used used, $freeb free): $out"
  done
  usage || fail "cannot read the volume $dir"
  ;;
bytes)
  usage || fail "cannot read the volume $dir"
  [ "$amount" -le "$freeb" ] || fail "cannot write $amount bytes: only $freeb free"
  grow "$amount" || fail "cannot write $amount bytes into $file: $out"
  ;;
*) fail "unknown mode $mode" ;;
esac
echo held
read -r _ || true
unfill
usage
echo "released $used $freeb"
`

func fillCommand(dir, file string, p fillPlan) []string {
	mode, amount := "percent", p.target
	if p.bytes > 0 {
		mode, amount = "bytes", p.bytes
	}
	return []string{"bash", "-c", fillScript, "disk-fill", dir, file, mode, strconv.FormatInt(amount, 10)}
}

// fillFileName is a fill file of the injection's own, at the root of the
// volume: no Postgres file starts with a dot.
func fillFileName(dir string) string {
	return path.Join(dir, ".firedrill-disk-fill-"+strings.ToLower(rand.Text()))
}

func (f *diskFill) Inject(ctx context.Context, t *chaos.Target) (ev string, err error) {
	fills := map[string]*nodeFill{}
	// Nothing is left in effect by a fill that fails part way: the
	// injection is inconclusive, and its revert finds nothing to undo.
	defer func() {
		if err != nil {
			for _, n := range t.Nodes {
				if nf := fills[n.Name]; nf != nil && nf.held != nil {
					if out, rerr := nf.held.Release(context.WithoutCancel(ctx)); rerr == nil && out != "" && !strings.HasPrefix(out, "released") {
						err = fmt.Errorf("%w (the fill's sidecar: %s)", err, out)
					}
					nf.held = nil
				}
			}
		}
	}()
	// Prepare every node first: the effect starts at the first fill.
	for _, n := range t.Nodes {
		nf := &nodeFill{file: fillFileName(n.Volume)}
		if n.Volume == "" || n.VolumeSize <= 0 {
			return "", checkVolume(n, volumeUsage{})
		}
		if nf.before, err = readUsage(ctx, t.Runtime, n, nf.file, false); err != nil {
			return "", err
		}
		if err := checkVolume(n, nf.before); err != nil {
			return "", err
		}
		if nf.plan, err = f.req.plan(nf.before); err != nil {
			return "", fmt.Errorf("fill %s's data volume %s: %w", n.Name, f.req, err)
		}
		st, err := t.Runtime.State(ctx, n.Name)
		if err != nil {
			return "", fmt.Errorf("state of %s: %w", n.Name, err)
		}
		nf.started = st.StartedAt
		fills[n.Name] = nf
	}
	f.mu.Lock()
	f.fills = fills
	f.mu.Unlock()
	t.Applying()
	for _, n := range t.Nodes {
		nf := fills[n.Name]
		h, err := t.Runtime.Hold(ctx, n.Name, fillCommand(n.Volume, nf.file, nf.plan), platform.WithVolume())
		if err != nil {
			return "", fmt.Errorf("fill %s's data volume: %w", n.Name, err)
		}
		nf.held = h
	}
	if t.Applied != nil {
		t.Applied()
	}
	var evs []string
	for _, n := range t.Nodes {
		nf := fills[n.Name]
		during, err := readUsage(ctx, t.Runtime, n, nf.file, false)
		if err != nil {
			return strings.Join(evs, "; "), err
		}
		if err := nf.plan.took(during); err != nil {
			return strings.Join(evs, "; "), fmt.Errorf("disk-fill did not take effect on %s (asked %s): %w", n.Name, f.req, err)
		}
		evs = append(evs, fmt.Sprintf("%s data volume %s: %s used before, %s used during (%s free)%s",
			n.Name, scenarios.FormatSize(during.Size()), percentDown(nf.before.UsedPercent()),
			percentDown(during.UsedPercent()), scenarios.FormatSize(during.FreeBytes()), filledBy(nf.plan, during)))
	}
	return strings.Join(evs, "; "), nil
}

// filledBy says how much a fill by size wrote.
func filledBy(p fillPlan, during volumeUsage) string {
	if p.bytes == 0 {
		return ""
	}
	return ", filled by " + scenarios.FormatSize(during.FillBytes)
}

func (f *diskFill) Revert(ctx context.Context, t *chaos.Target) (string, error) {
	f.mu.Lock()
	fills := f.fills
	f.mu.Unlock()
	// Release every fill first (each sidecar deletes its file), then
	// measure: the revert's instant is the release, not the measuring.
	released := map[string]error{}
	for _, n := range t.Nodes {
		if nf := fills[n.Name]; nf != nil && nf.held != nil {
			t.Applying()
			released[n.Name] = f.release(ctx, n, nf)
		}
	}
	if t.Applied != nil {
		t.Applied()
	}
	var evs []string
	var errs []error
	for _, n := range t.Nodes {
		nf := fills[n.Name]
		if nf == nil {
			continue // never filled: the inject failed before
		}
		ev, err := f.measureAfter(ctx, t, n, nf, released[n.Name])
		if ev != "" {
			evs = append(evs, ev)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return strings.Join(evs, "; "), errors.Join(errs...)
}

// release tells a fill's sidecar to delete its file, and waits until it
// says it did.
func (f *diskFill) release(ctx context.Context, n *topology.Node, nf *nodeFill) error {
	out, err := nf.held.Release(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("release the fill of %s: %w", n.Name, err)
	case !strings.HasPrefix(out, "released"):
		return fmt.Errorf("release the fill of %s: the sidecar did not delete its file: %s", n.Name, out)
	}
	f.mu.Lock()
	nf.held = nil
	f.mu.Unlock()
	return nil
}

// measureAfter measures a node's volume after its release (deleting the
// fill file itself when the release failed), saying whether Postgres ran
// through the fill.
func (f *diskFill) measureAfter(ctx context.Context, t *chaos.Target, n *topology.Node, nf *nodeFill, releaseErr error) (string, error) {
	st, err := t.Runtime.State(ctx, n.Name)
	if err != nil {
		return "", errors.Join(releaseErr, fmt.Errorf("state of %s: %w", n.Name, err))
	}
	if !chaos.Running(st) && !chaos.Paused(st) {
		// No sidecar can join a node that does not run: what the fill's
		// own sidecar said is all there is.
		ev := exitedDuringFill(t, n, st)
		if releaseErr != nil {
			return ev, fmt.Errorf("%w; the fill file %s may remain in the volume until the environment is removed", releaseErr, nf.file)
		}
		return ev + "; its fill file deleted", nil
	}
	// rm of a file that is gone is nothing: when the release failed, the
	// measuring sidecar deletes it.
	after, err := readUsage(ctx, t.Runtime, n, nf.file, releaseErr != nil)
	if err != nil {
		return "", errors.Join(releaseErr, err)
	}
	if after.FillBytes >= 0 {
		return "", errors.Join(releaseErr, fmt.Errorf("the fill file %s is still in %s's data volume", nf.file, n.Name))
	}
	// The file is gone: a failed release left nothing behind.
	return fmt.Sprintf("%s data volume %s: fill file deleted, %s used after (%s free); %s", n.Name,
		scenarios.FormatSize(after.Size()), percentDown(after.UsedPercent()), scenarios.FormatSize(after.FreeBytes()),
		postgresThrough(nf, st, after)), nil
}

// exitedDuringFill says how a node that does not run now ended: Postgres
// exits with code 1 when it stops on its own, after a PANIC it could not
// recover from on the full disk.
func exitedDuringFill(t *chaos.Target, n *topology.Node, st platform.State) string {
	ev := n.Name + " " + st.String() + " during the fill: "
	switch st.ExitCode {
	case 1:
		ev += "Postgres stopped on its own, as it does when it cannot write WAL or a checkpoint on a full disk (a PANIC)"
	case 137:
		ev += "killed"
	default:
		ev += "stopped"
	}
	if t.Fences != nil {
		if method, fenced := t.Fences.Fenced(n.Name); fenced {
			ev += "; the failover manager fenced it (" + method + ")"
		}
	}
	return ev
}

// postgresThrough says whether Postgres ran through the fill: the
// container restarted (another fault, a manager), or the postmaster
// restarted in place after a crash (postmaster.pid rewritten: a PANIC),
// or neither.
func postgresThrough(nf *nodeFill, st platform.State, after volumeUsage) string {
	switch {
	case !nf.started.IsZero() && !st.StartedAt.Equal(nf.started):
		return "the container restarted during the fill (" + st.String() + ")"
	case after.PIDMark != nf.before.PIDMark && after.PIDMark != "":
		when := ""
		if at := after.pidChangedAt(); !at.IsZero() {
			when = " at " + at.UTC().Format("15:04:05.000")
		}
		return "Postgres crashed and restarted during the fill (postmaster.pid rewritten" + when +
			"): a PANIC, as when it cannot write WAL or a checkpoint on a full disk"
	case after.PIDMark == "":
		return "Postgres is not running (no postmaster.pid)"
	}
	return "Postgres ran throughout (no crash, no restart)"
}
