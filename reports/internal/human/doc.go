// Package human writes a drill's values for people — durations, sizes of
// WAL, a missing value — the same way in the scoring's reasons and details
// (reports/score) and in the renderers (reports).
package human
