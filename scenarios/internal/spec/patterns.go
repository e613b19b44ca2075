package spec

import "strings"

// The patterns of names and values. The validator compiles them and the
// JSON Schema publishes them (schema:"pattern=name", see Patterns), so an
// editor and the loader agree.
const (
	NamePattern     = `^[a-z0-9][a-z0-9-]*$`
	BucketPattern   = `^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`
	LabelKeyPattern = `^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`
	EnvNamePattern  = `^[A-Za-z_][A-Za-z0-9_]*$`
	RatePattern     = `^[0-9]+(\.[0-9]+)?(bit|kbit|mbit|gbit)$`
	SizePattern     = `^[0-9]+(\.[0-9]+)?(B|KB|MB|GB|KiB|MiB|GiB)$`
)

// Patterns are the patterns schema tags may name (pattern=, keyPattern=).
var Patterns = map[string]string{
	"name":     NamePattern,
	"bucket":   BucketPattern,
	"labelKey": LabelKeyPattern,
	"envName":  EnvNamePattern,
	"rate":     RatePattern,
	"size":     SizePattern,
}

// ReservedEnvPrefix starts the environment variables firedrill sets for
// the app itself.
const ReservedEnvPrefix = "FIREDRILL_"

// BucketRules are the S3 bucket naming rules beyond BucketPattern (length
// and characters), each with why it refuses a name; the schema publishes
// them as one "not" pattern (ReservedBucketPattern).
var BucketRules = []struct{ Pattern, Why string }{
	{`\.\.`, "two dots in a row"},
	{`^[0-9]+(\.[0-9]+){3}$`, "it is formatted as an IP address"},
	{`^xn--`, "the prefix xn-- is reserved"},
	{`^sthree-`, "the prefix sthree- is reserved"},
	{`^amzn-s3-demo-`, "the prefix amzn-s3-demo- is reserved"},
	{`-s3alias$`, "the suffix -s3alias is reserved"},
	{`--ol-s3$`, "the suffix --ol-s3 is reserved"},
	{`\.mrap$`, "the suffix .mrap is reserved"},
	{`--x-s3$`, "the suffix --x-s3 is reserved"},
	{`--table-s3$`, "the suffix --table-s3 is reserved"},
}

// ReservedBucketPattern matches a name any of BucketRules refuses.
var ReservedBucketPattern = func() string {
	alts := make([]string, len(BucketRules))
	for i, r := range BucketRules {
		alts[i] = "(" + r.Pattern + ")"
	}
	return strings.Join(alts, "|")
}()
