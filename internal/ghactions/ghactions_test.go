package ghactions

import "testing"

func TestEscaping(t *testing.T) {
	if got := EscapeProperty("builtin:a,b%\r\n"); got != "builtin%3Aa%2Cb%25%0D%0A" {
		t.Errorf("EscapeProperty = %q", got)
	}
	if got := EscapeData("a: b, 5%\r\n"); got != "a: b, 5%25%0D%0A" {
		t.Errorf("EscapeData = %q", got)
	}
	if got := EscapeText(" ::x ##[y] 1%\n"); got != " %3A:x ##%5By] 1%25%0A" {
		t.Errorf("EscapeText = %q", got)
	}
}

func TestAnnotation(t *testing.T) {
	if got := Annotation("error", "builtin:x", 0, 0, "firedrill validate", "m"); got != "::error file=builtin%3Ax,title=firedrill validate::m" {
		t.Errorf("annotation without a position = %q", got)
	}
	if got := Annotation("warning", "a.yaml", 3, 0, "t", "m\nn"); got != "::warning file=a.yaml,line=3,title=t::m%0An" {
		t.Errorf("annotation with a line only = %q", got)
	}
	if got := Annotation("error", "a.yaml", 3, 7, "t", "m"); got != "::error file=a.yaml,line=3,col=7,title=t::m" {
		t.Errorf("annotation with a position = %q", got)
	}
}
