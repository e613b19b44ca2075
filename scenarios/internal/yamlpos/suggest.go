package yamlpos

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Suggest returns the candidate closest to s, or "" when none is close
// enough to be a likely typo. Case, '_' and '-' differences count as a match
// (writesPerSecond → writes_per_second).
func Suggest(s string, candidates []string) string {
	if s == "" || utf8.RuneCountInString(s) > 64 {
		return ""
	}
	norm, n := normalizeName(s), utf8.RuneCountInString(s)
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == s {
			continue
		}
		if normalizeName(c) == norm {
			return c
		}
		if m := utf8.RuneCountInString(c); m-n > max(1, n/3) || n-m > max(1, m/3) {
			continue // too different in length to be within the allowed edits
		}
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// Allow one edit in short names, up to a third of the length in long
	// ones: "rgion" → region, "failures_before_actoin" → ...action.
	// The edits must leave something in common: "c" is no typo of "a".
	shorter := min(utf8.RuneCountInString(s), utf8.RuneCountInString(best))
	if bestDist >= 0 && bestDist <= max(1, shorter/3) && bestDist < shorter {
		return best
	}
	return ""
}

// DidYouMean is a hint naming the closest candidate, or listing them all.
func DidYouMean(s string, candidates []string, what string) string {
	if c := Suggest(s, candidates); c != "" {
		return "did you mean " + c + "?"
	}
	if len(candidates) == 0 {
		return ""
	}
	return what + ": " + strings.Join(candidates, ", ")
}

// normalizeName lowercases s and drops '_' and '-'. It runs once per
// candidate of every hint, so it allocates at most once.
func normalizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// editDistance is the Damerau–Levenshtein (optimal string alignment)
// distance between a and b, in runes: a transposition counts as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
