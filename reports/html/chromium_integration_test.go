//go:build integration

package html

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "copy the timeline's screenshot to docs/images/report-timeline.png")

// screenshotSize is the browser window the report is shot in: wide
// enough for the page's full width, tall enough for the first drill's
// timeline.
const screenshotWidth, screenshotHeight = 1280, 1300

// chromium finds Debian's headless browser; its absence fails the test
// (the integration tier must run it), saying what installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is missing: the HTML report's browser test needs it; install it with " +
		"`sudo apt-get install -y --no-install-recommends chromium` (scripts/setup.sh test does)")
	return ""
}

// runChromium runs the headless browser on a local file with args and
// returns its stdout and stderr.
func runChromium(t *testing.T, page string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--no-first-run", "--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, chromium(t), append(append(base, args...), "file://"+page)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errOut.Bytes())
	}
	return out.Bytes(), errOut.Bytes()
}

// consoleLine is how Chromium logs a page's console message (an error, an
// uncaught exception, a log) with --enable-logging=stderr:
// [pid:tid:date/time.us:INFO:CONSOLE(12)] "Uncaught Error: …", source: file:///… (12)
var consoleLine = regexp.MustCompile(`(?m)^.*:CONSOLE[:(]\d*\)?\].*$`)

// consoleMessages loads page and returns every console message it logged,
// and whether the page's script ran to its end (it marks the document).
func consoleMessages(t *testing.T, page string) (messages []string, enhanced bool) {
	t.Helper()
	dom, stderr := runChromium(t, page, "--virtual-time-budget=3000", "--dump-dom")
	if !bytes.Contains(dom, []byte("</html>")) {
		t.Fatalf("chromium dumped no DOM:\n%s", stderr)
	}
	return consoleLine.FindAllString(string(stderr), -1), bytes.Contains(dom, []byte(`data-enhanced="yes"`))
}

func writePage(t *testing.T, dir, name string, page []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestChromium loads the DR drill's report in headless Chromium: no
// console message at all, the page's script ran, and the screenshot shows
// the timeline drawn — the objective bands, the faults and the RTO
// markers, each marker inside its band.
func TestChromium(t *testing.T) {
	dir := t.TempDir()
	page := render(t, drDrill())
	report := writePage(t, dir, "report.html", page)

	t.Run("console", func(t *testing.T) {
		msgs, enhanced := consoleMessages(t, report)
		if len(msgs) > 0 {
			t.Errorf("the report logged to the console:\n%s", strings.Join(msgs, "\n"))
		}
		if !enhanced {
			t.Error("the page's script did not run to its end (no data-enhanced mark)")
		}
		// The check must be able to fail: a deliberate error is caught.
		broken := bytes.Replace(page, []byte("</body>"), []byte(`<script>throw new Error("deliberate")</script></body>`), 1)
		msgs, _ = consoleMessages(t, writePage(t, dir, "broken.html", broken))
		if len(msgs) != 1 || !strings.Contains(msgs[0], "Uncaught Error: deliberate") {
			t.Errorf("a deliberate error was not caught: %q", msgs)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		runChromium(t, report, "--force-device-scale-factor=1", "--virtual-time-budget=3000",
			fmt.Sprintf("--window-size=%d,%d", screenshotWidth, screenshotHeight), "--screenshot="+shot)
		raw, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		checkTimelineDrawn(t, img)
		if *updateScreenshot {
			if err := os.WriteFile(filepath.Join("..", "..", "docs", "images", "report-timeline.png"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// rgb parses "#rrggbb".
func rgb(t *testing.T, hex string) [3]int {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	return [3]int{int(v >> 16), int(v >> 8 & 0xff), int(v & 0xff)}
}

// pixels finds the pixels of colour c (within a little rounding).
type pixels struct {
	n          int
	cols       map[int]int // x → how many in that column
	minX, maxX int
}

func find(img image.Image, c [3]int, region image.Rectangle) pixels {
	p := pixels{cols: map[int]int{}, minX: 1 << 30, maxX: -1}
	b := region.Intersect(img.Bounds())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img, x, y, c) {
				p.n++
				p.cols[x]++
				p.minX, p.maxX = min(p.minX, x), max(p.maxX, x)
			}
		}
	}
	return p
}

func near(img image.Image, x, y int, c [3]int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	d := func(a uint32, want int) int { return max(int(a>>8)-want, want-int(a>>8)) }
	return d(r, c[0]) <= 3 && d(g, c[1]) <= 3 && d(b, c[2]) <= 3
}

// timelineRegion is where the timeline is in the screenshot: the rows
// that the column with the most band colour spans (a band runs the
// chart's height), across the whole width. The legend's swatches, under
// the chart, are outside it.
func timelineRegion(t *testing.T, img image.Image) image.Rectangle {
	t.Helper()
	all := find(img, rgb(t, colBand), img.Bounds())
	best, n := 0, 0
	for x, c := range all.cols {
		if c > n {
			best, n = x, c
		}
	}
	if n < 200 {
		t.Fatalf("no column has more than %d pixels of the objective band's colour: the timeline is not drawn", n)
	}
	b := img.Bounds()
	top, bottom := b.Max.Y, b.Min.Y
	for y := b.Min.Y; y < b.Max.Y; y++ {
		if near(img, best, y, rgb(t, colBand)) {
			top, bottom = min(top, y), max(bottom, y)
		}
	}
	return image.Rect(b.Min.X, top, b.Max.X, bottom+1)
}

// checkTimelineDrawn reads the screenshot: the objective bands, the
// reverted fault's span and the RTO markers are there, each marker (a
// vertical line) has band on both sides of it, and the fault's span
// starts at a band's left edge (both start at the injection's T).
func checkTimelineDrawn(t *testing.T, img image.Image) {
	t.Helper()
	region := timelineRegion(t, img)
	band, marker, fault := find(img, rgb(t, colBand), region), find(img, rgb(t, colRecovered), region), find(img, rgb(t, colFault), region)
	t.Logf("timeline %v: band %d px (x %d–%d), recovery markers %d px, fault %d px (x %d–%d)", region, band.n, band.minX, band.maxX, marker.n, fault.n, fault.minX, fault.maxX)
	if band.n < 5000 {
		t.Fatalf("%d pixels of the objective band's colour: the timeline is not drawn", band.n)
	}
	if fault.n < 200 {
		t.Fatalf("%d pixels of the fault's colour", fault.n)
	}
	// Marker lines: columns with a tall run of the marker's colour.
	var lines []int
	for x, n := range marker.cols {
		if n >= 100 {
			lines = append(lines, x)
		}
	}
	// The fixture's two faults both recovered inside their bands: two
	// marker lines, each a few adjacent columns wide.
	slices.Sort(lines)
	clusters := 0
	for i, x := range lines {
		if i == 0 || x > lines[i-1]+1 {
			clusters++
		}
	}
	if clusters != 2 {
		t.Fatalf("%d recovery marker lines in the marker's colour, want 2 (%d pixels of its colour)", clusters, marker.n)
	}
	for _, x := range lines {
		inside := 0
		for y := region.Min.Y; y < region.Max.Y; y++ {
			if near(img, x, y, rgb(t, colRecovered)) && near(img, x-4, y, rgb(t, colBand)) && near(img, x+4, y, rgb(t, colBand)) {
				inside++
			}
		}
		if inside < 50 {
			t.Errorf("the recovery marker at x=%d is not inside an objective band (%d rows with band on both sides)", x, inside)
		}
	}
	// The fault's span begins where a band does.
	startsAtBand := false
	for x := fault.minX - 2; x <= fault.minX+2; x++ {
		if band.cols[x] > 0 && band.cols[x-3] == 0 {
			startsAtBand = true
		}
	}
	if !startsAtBand {
		t.Errorf("the fault's span starts at x=%d, at no band's left edge", fault.minX)
	}
}
