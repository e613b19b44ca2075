//go:build integration

package jobs_test

import (
	"strings"
	"testing"
)

// makeTree builds an uploads directory with nested dirs, odd modes, an
// empty file and a symlink; listTree prints every entry with its mode,
// size and checksum, so two listings are equal only if the trees are.
const (
	makeTree = `set -e
mkdir -p /uploads/2025/05 /uploads/private
printf 'hello' > /uploads/top.txt
head -c 300000 /dev/urandom > /uploads/2025/05/photo.jpg
: > /uploads/empty
printf '#!/bin/sh\n' > /uploads/private/run.sh
chmod 0755 /uploads/private/run.sh; chmod 0600 /uploads/top.txt; chmod 0700 /uploads/private; chmod 2750 /uploads/2025
ln -s top.txt /uploads/link
`
	listTree = `cd /uploads && find . -mindepth 1 | sort | while read -r p; do
  if [ -L "$p" ]; then echo "$p link $(readlink "$p")";
  elif [ -f "$p" ]; then echo "$p $(stat -c %a "$p") $(stat -c %s "$p") $(sha256sum < "$p" | cut -c1-16)";
  else echo "$p $(stat -c %a "$p") dir"; fi
done
`
)

// treeLines keeps the listing lines of a job's output (they start "./").
func treeLines(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "./") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// A files backup of a directory restored into another container's
// directory gives the same names, contents and modes, and keeps what that
// directory held besides.
func TestFilesBackupRoundTrip(t *testing.T) {
	r := newRig(t)
	backup := r.job(jobEnv(nil), makeTree+listTree+binInJob+" agent backup files --dir /uploads --keep 3")
	res := mustResult(t, backup)
	if res.Manifest.Files != 4 || res.Manifest.Object != "files/"+res.Manifest.ID+"/uploads.tar.gz" {
		t.Fatalf("manifest %+v, want 4 files", res.Manifest)
	}
	before := treeLines(backup.output)
	if strings.Count(before, "\n") < 7 {
		t.Fatalf("the listing before the backup is short:\n%s", before)
	}
	restore := r.job(jobEnv(nil), "set -e; mkdir -p /uploads; echo stale > /uploads/stale; "+binInJob+" agent restore files --dir /uploads\n"+listTree)
	got := mustResult(t, restore)
	if got.Manifest.ID != res.Manifest.ID {
		t.Fatalf("restored %s, want %s", got.Manifest.ID, res.Manifest.ID)
	}
	// The restore merges: what the directory held that the backup does
	// not (a file written after it) stays beside the restored tree.
	var restored []string
	stale := false
	for _, l := range strings.Split(treeLines(restore.output), "\n") {
		if strings.HasPrefix(l, "./stale ") {
			stale = true
			continue
		}
		restored = append(restored, l)
	}
	if after := strings.Join(restored, "\n"); after != before || !stale {
		t.Fatalf("restored tree differs (stale file kept: %v):\n%s\nwant:\n%s", stale, after, before)
	}
}
