package markdown

import "strings"

// markdownEscaper neutralises what GitHub-flavoured Markdown would read in
// untrusted text (a scenario's name, an error from Docker, a detail): the
// characters of emphasis, links, code, headings and tables are
// backslash-escaped, HTML's are written as entities so that no tag opens
// (a <details> of ours cannot be closed from inside), and a line break
// becomes a space, which keeps a table row on one line.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "#", `\#`, "~", `\~`, "!", `\!`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// Escape makes s safe to write as text in Markdown, in a paragraph or a
// table cell.
func Escape(s string) string { return markdownEscaper.Replace(s) }

// htmlEscaper is for text inside an HTML tag of ours (a <summary>).
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "\n", " ")

func htmlEscape(s string) string { return htmlEscaper.Replace(s) }
