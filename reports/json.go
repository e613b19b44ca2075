package reports

import (
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
