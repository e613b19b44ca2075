package notify

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// redacted stands where a URL could not be reduced to its scheme and host:
// what cannot be parsed cannot be shown safely either.
const redacted = "[redacted]"

// Redact returns the scheme and host (with its port) of rawURL, the only
// parts of a webhook URL that may be printed: its user info, path and query
// carry the receiver's secret (Slack's incoming-webhook token is the path)
// (docs/architecture.md, "Notifications"). A URL that does not parse, or
// has no host, gives "[redacted]": url.Parse's own error quotes the input.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return redacted
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host
}

// secrets are the strings of a webhook that must never be printed: the
// whole URL, its path, query and user info, and the routing key.
func secrets(rawURL, routingKey string) []string {
	out := []string{rawURL}
	if routingKey != "" {
		out = append(out, routingKey)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return out
	}
	if len(u.EscapedPath()) > 1 {
		out = append(out, u.EscapedPath(), u.Path)
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
	}
	if u.User != nil {
		out = append(out, u.User.String(), u.User.Username())
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
	}
	return out
}

// scrubbedError is an error whose message had a webhook's secrets removed;
// it still unwraps to the original, so errors.Is keeps working (on
// context.DeadlineExceeded, for instance).
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// redactError returns err with every secret of the webhook taken out of its
// message. net/http's *url.Error quotes the full URL it was given: its URL
// is replaced by Redact's scheme://host first; then any secret still
// quoted anywhere else in the chain (a wrapped transport error, a
// redirect's Location) is replaced by "[redacted]".
func redactError(err error, rawURL, routingKey string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" {
		msg = strings.ReplaceAll(msg, ue.URL, Redact(ue.URL))
	}
	msg = scrub(msg, secrets(rawURL, routingKey))
	return &scrubbedError{msg: msg, err: err}
}

// scrub replaces each secret in s, the longest first so that a secret that
// contains another is replaced whole.
func scrub(s string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range sorted {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}
