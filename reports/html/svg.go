package html

import (
	"fmt"
	"html/template"
	"strings"
)

// The report's colours. Each one means one thing on every chart, so that
// the legend holds for all of them, and the headless test
// (chromium_integration_test.go) looks for the objective band and the
// recovery marker by their colour in a screenshot: no other shape may use
// colBand, colRecovered or colFault.
const (
	colBand        = "#cfe9d4" // the RTO objective band: T to T + the rto target
	colFault       = "#e8590c" // a fault in effect: injection to revert
	colRecovered   = "#0b6b2f" // the measured RTO, inside the target (or no target)
	colMissed      = "#b3001b" // the measured RTO past the target; never recovered
	colUnconfirmed = "#b7791f" // unconfirmed recovery, no-data
	colWriteOK     = "#74c476"
	colWriteFailed = "#e45756"
	colWriteIndet  = "#f2b447"
	colReadOK      = "#9ecae1"
	colReadFailed  = "#fb6a4a"
	colP50         = "#3b6fd6"
	colP99         = "#7b3fbf"
	colDetect      = "#f59f00"
	colFence       = "#d9480f"
	colPromote     = "#1864ab"
	colBlind       = "#adb5bd"
	colBackup      = "#9e9ac8"
	colProvision   = "#c6dbef"
	colDownload    = "#6baed6"
	colRestore     = "#2171b5"
	colReplay      = "#08519c"
	colFirstWrite  = "#41ab5d"
	colStepOK      = "#8fbc8f"
	colStepSkipped = "#d0d0d0"
	colRedundancy  = "#2f9e44"
	colNotice      = "#6c757d" // aborts, notifications, other events
	colTrendRTO    = "#1864ab"
	colTrendRPO    = "#7b3fbf"
	colGrid        = "#e9ecef"
	colInk         = "#212529"
	colMuted       = "#6c757d"
)

// lagColours tell the standbys apart on the lag charts, in the order each
// first appears in the readings.
var lagColours = []string{"#1f77b4", "#17becf", "#8c564b", "#e377c2", "#bcbd22"}

// shapeClasses are the SVG classes and their paint, written once into
// the page's style sheet: a shape names its class, the legend shows the
// same class's swatch.
var shapeClasses = []struct{ class, css string }{
	{"band", "fill:" + colBand + ";stroke:#8cc79a;stroke-width:1"},
	{"fault", "fill:" + colFault},
	{"fault-open", "fill:" + colFault + ";opacity:.45"},
	{"rto-met", "stroke:" + colRecovered + ";stroke-width:3;fill:" + colRecovered},
	{"rto-missed", "stroke:" + colMissed + ";stroke-width:3;fill:" + colMissed},
	{"rto-unsure", "stroke:" + colUnconfirmed + ";stroke-width:2;stroke-dasharray:4 3;fill:" + colUnconfirmed},
	{"w-ok", "fill:" + colWriteOK},
	{"w-failed", "fill:" + colWriteFailed},
	{"w-indet", "fill:" + colWriteIndet},
	{"r-ok", "fill:" + colReadOK},
	{"r-failed", "fill:" + colReadFailed},
	{"p50", "stroke:" + colP50 + ";stroke-width:1.5;fill:none"},
	{"p99", "stroke:" + colP99 + ";stroke-width:1.5;fill:none"},
	{"detect", "fill:" + colDetect},
	{"fence", "fill:" + colFence},
	{"promote", "fill:" + colPromote},
	{"blind", "fill:" + colBlind},
	{"withheld", "fill:none;stroke:" + colDetect + ";stroke-width:2"},
	{"demote", "fill:none;stroke:" + colPromote + ";stroke-width:2"},
	{"error", "fill:" + colMissed},
	{"backup", "fill:" + colBackup},
	{"backup-failed", "fill:#fff;stroke:" + colMissed + ";stroke-width:1.5"},
	{"ph-provision", "fill:" + colProvision},
	{"ph-download", "fill:" + colDownload},
	{"ph-restore", "fill:" + colRestore},
	{"ph-replay", "fill:" + colReplay},
	{"ph-first_write", "fill:" + colFirstWrite},
	{"restore-failed", "fill:none;stroke:" + colMissed + ";stroke-width:2"},
	{"step-ok", "fill:" + colStepOK},
	{"step-skipped", "fill:" + colStepSkipped},
	{"step-failed", "fill:" + colMissed},
	{"redundancy", "fill:" + colRedundancy},
	{"notice", "fill:" + colNotice},
	{"grid", "stroke:" + colGrid + ";stroke-width:1"},
	{"axis", "stroke:" + colMuted + ";stroke-width:1"},
	{"end", "stroke:" + colMuted + ";stroke-width:1;stroke-dasharray:3 3"},
	{"hit", "fill:transparent"},
	{"unmeasured", "fill:none;stroke:" + colMuted + ";stroke-width:1.5"},
	{"never", "fill:" + colMissed},
	{"t-rto", "fill:" + colTrendRTO},
	{"t-rpo", "fill:" + colTrendRPO},
	{"t-rto-line", "stroke:" + colTrendRTO + ";stroke-width:1.5;fill:none"},
	{"t-rpo-line", "stroke:" + colTrendRPO + ";stroke-width:1.5;fill:none"},
	{"t-rto-text", "fill:" + colTrendRTO + ";font-size:11px"},
	{"t-rpo-text", "fill:" + colTrendRPO + ";font-size:11px"},
	{"v-pass", "fill:" + colWriteOK},
	{"v-fail", "fill:" + colWriteFailed},
	{"v-unsure", "fill:" + colWriteIndet},
	{"lbl", "fill:" + colInk + ";font-size:11px"},
	{"small", "fill:" + colMuted + ";font-size:10px"},
	{"warn", "fill:" + colMissed + ";font-size:11px;font-weight:600"},
}

// shapeCSS is the style sheet of the charts' classes, lag colours
// included. It is built from the constants above alone, never from a
// result, so it is trusted as CSS.
func shapeCSS() template.CSS {
	var b strings.Builder
	for _, c := range shapeClasses {
		fmt.Fprintf(&b, "svg .%s{%s}\n", c.class, c.css)
		if colour := swatchColour(c.css); colour != "" {
			fmt.Fprintf(&b, ".sw.%s{background:%s}\n", c.class, colour)
		}
	}
	for i, c := range lagColours {
		fmt.Fprintf(&b, "svg .lag%d{stroke:%s;stroke-width:1.5;fill:none}\nsvg .lagpt%d{fill:%s}\n", i, c, i, c)
	}
	return template.CSS(b.String())
}

// swatchColour is the colour a legend swatch shows for a class: its
// fill, or its stroke when it has no fill (a line).
func swatchColour(css string) string {
	fill, stroke := "", ""
	for _, decl := range strings.Split(css, ";") {
		k, v, _ := strings.Cut(decl, ":")
		switch {
		case k == "fill" && v != "none" && v != "transparent" && v != "#fff":
			fill = v
		case k == "stroke":
			stroke = v
		}
	}
	if fill != "" {
		return fill
	}
	return stroke
}
