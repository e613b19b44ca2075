package reports

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/score"
)

// WriteJSON writes r as result.json: indented JSON, one trailing newline,
// with "<" and ">" left unescaped so that targets read "<= 15s". At most
// score.MaxLostIDs lost ids are written; writes.lost keeps the exact count. Nil
// lists are written as [] (objectives, faults, events) so readers need not
// tell null from empty.
func WriteJSON(w io.Writer, r firedrill.Result) error {
	r.SchemaVersion = firedrill.ResultSchemaVersion
	if len(r.Writes.LostIDs) > score.MaxLostIDs {
		r.Writes.LostIDs = r.Writes.LostIDs[:score.MaxLostIDs:score.MaxLostIDs]
	}
	if r.Objectives == nil {
		r.Objectives = []firedrill.ObjectiveResult{}
	}
	if r.Faults == nil {
		r.Faults = []firedrill.FaultResult{}
	}
	if r.Events == nil {
		r.Events = []firedrill.Event{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeJSONResults writes one result as WriteJSON does, and several as
// WriteJSONArray does.
func writeJSONResults(w io.Writer, results []firedrill.Result) error {
	if len(results) == 1 {
		return WriteJSON(w, results[0])
	}
	return WriteJSONArray(w, results)
}

// WriteJSONArray writes results as a JSON array of result.json objects,
// in order, one per line group: the output of a run of several drills,
// even when only one of them produced a result.
func WriteJSONArray(w io.Writer, results []firedrill.Result) error {
	var b bytes.Buffer
	b.WriteString("[")
	for i, r := range results {
		var one bytes.Buffer
		if err := WriteJSON(&one, r); err != nil {
			return err
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n")
		b.Write(bytes.TrimRight(one.Bytes(), "\n"))
	}
	if len(results) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := w.Write(b.Bytes())
	return err
}

func init() {
	Register(Format{Name: "json", File: "result.json", Doc: "result.json: the versioned result (docs/result.md); an array for several drills",
		New: func(Options) Renderer { return RendererFunc(writeJSONResults) }})
	Register(Format{Name: "terminal", Doc: "the end-of-run summary, one per drill",
		New: func(o Options) Renderer {
			return RendererFunc(func(w io.Writer, results []firedrill.Result) error {
				for i, r := range results {
					if i > 0 {
						if _, err := io.WriteString(w, "\n"); err != nil {
							return err
						}
					}
					if err := WriteTerminal(w, r, TerminalOptions{Color: o.Color}); err != nil {
						return err
					}
				}
				return nil
			})
		}})
}
