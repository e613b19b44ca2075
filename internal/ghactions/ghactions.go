package ghactions

import (
	"strconv"
	"strings"
)

// Annotation formats a workflow command such as
// ::error file=F,line=L,col=C,title=T::message. Line and col are left out
// when unknown (0).
func Annotation(level, file string, line, col int, title, msg string) string {
	props := []string{"file=" + EscapeProperty(file)}
	if line > 0 {
		props = append(props, "line="+strconv.Itoa(line))
		if col > 0 {
			props = append(props, "col="+strconv.Itoa(col))
		}
	}
	props = append(props, "title="+EscapeProperty(title))
	return "::" + level + " " + strings.Join(props, ",") + "::" + EscapeData(msg)
}

// EscapeData escapes a workflow command's message (GitHub's
// actions/toolkit escapeData): %, CR and LF.
func EscapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// EscapeText escapes text printed on a line of its own, which must not
// become a workflow command: as data, plus a leading ':' (a line starting
// with :: is a command) and the ##[ of the old command syntax.
func EscapeText(s string) string {
	s = strings.ReplaceAll(EscapeData(s), "##[", "##%5B")
	if rest := strings.TrimLeft(s, " \t"); strings.HasPrefix(rest, ":") {
		s = s[:len(s)-len(rest)] + "%3A" + rest[1:]
	}
	return s
}

// EscapeProperty escapes a workflow command's property value (GitHub's
// escapeProperty): as data, plus : and , which delimit properties.
func EscapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
