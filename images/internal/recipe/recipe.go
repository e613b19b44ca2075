package recipe

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// Input is one named input of a recipe hash.
type Input struct {
	Name, Value string
}

// Hash hashes the inputs in order under format, the version of the way images
// are assembled (bump it to rebuild every image). Each input is framed by its
// name and length so that moving bytes from one input to the next changes the
// hash.
func Hash(format string, inputs ...Input) string {
	h := sha256.New()
	fmt.Fprintf(h, "firedrill-recipe %s\n", format)
	for _, in := range inputs {
		fmt.Fprintf(h, "%s %d\n%s\n", in.Name, len(in.Value), in.Value)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Tag formats a recipe image's tag: firedrill/<role>:<version>-<hash12>.
func Tag(role, version, hash string) string {
	return fmt.Sprintf("firedrill/%s:%s-%s", role, version, short(hash))
}

// BaseTag formats the tag of an imported root filesystem a recipe builds on:
// firedrill/base-<name>:<hash12>. name is the role's, or that of a base
// several roles share.
func BaseTag(name, hash string) string {
	return fmt.Sprintf("firedrill/base-%s:%s", name, short(hash))
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

// TagSafe keeps the characters a Docker tag allows, at most 64 of them.
func TagSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// PseudoVersionDate turns a Go pseudo-version (v0.0.0-20260212201848-7aac2a2c5b7c)
// into its date (20260212); another version is made tag-safe.
func PseudoVersionDate(v string) string {
	parts := strings.Split(v, "-")
	if len(parts) == 3 && len(parts[1]) >= 8 {
		return parts[1][:8]
	}
	return TagSafe(v)
}

// FileSHA256 is the hex sha256 of a file's content.
func FileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
