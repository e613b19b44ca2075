// Package recipe holds the pure parts of an image recipe of package images:
// the hash of a recipe's inputs, the tags that carry it
// (firedrill/<role>:<version>-<hash12>, firedrill/base-<name>:<hash12>), and
// the build context written as a tar for the daemon. It talks to no Docker
// and knows no role: package images says what goes in.
package recipe
