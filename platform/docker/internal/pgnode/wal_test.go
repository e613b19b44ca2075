package pgnode

import (
	"slices"
	"strings"
	"testing"
)

func TestWALArgs(t *testing.T) {
	for _, tc := range []struct {
		size int64
		want []string
	}{
		{0, []string{"wal_keep_size=256MB"}},
		{1 << 30, []string{"max_wal_size=256MB", "min_wal_size=80MB", "wal_keep_size=256MB", "max_slot_wal_keep_size=256MB"}},
		{4 << 30, []string{"max_wal_size=1024MB", "min_wal_size=80MB", "wal_keep_size=256MB", "max_slot_wal_keep_size=1024MB"}},
		{512 << 20, []string{"max_wal_size=128MB", "min_wal_size=64MB", "wal_keep_size=128MB", "max_slot_wal_keep_size=128MB"}},
		// The smallest disk: Postgres wants two 16MB segments at least.
		{128 << 20, []string{"max_wal_size=32MB", "min_wal_size=32MB", "wal_keep_size=32MB", "max_slot_wal_keep_size=32MB"}},
	} {
		args := WALArgs(tc.size)
		var got []string
		for i := 0; i < len(args); i += 2 {
			if args[i] != "-c" {
				t.Fatalf("WALArgs(%d) = %q: want -c pairs", tc.size, args)
			}
			got = append(got, args[i+1])
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("WALArgs(%d) = %q, want %q", tc.size, got, tc.want)
		}
	}
}

func TestWALArgsHalfTheDisk(t *testing.T) {
	for size := int64(128 << 20); size <= 64<<30; size *= 2 {
		var walMB int64
		for _, a := range WALArgs(size) {
			for _, key := range []string{"max_wal_size=", "max_slot_wal_keep_size="} {
				if v, ok := strings.CutPrefix(a, key); ok {
					var n int64
					for _, c := range strings.TrimSuffix(v, "MB") {
						n = n*10 + int64(c-'0')
					}
					walMB += n
				}
			}
		}
		if walMB<<20 > size/2 {
			t.Errorf("disk %d MiB: WAL may take %d MB, more than half", size>>20, walMB)
		}
	}
}
