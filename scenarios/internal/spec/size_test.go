package spec

import (
	"math"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0B", 0},
		{"512B", 512},
		{"1KB", 1000},
		{"1KiB", 1024},
		{"1.5KiB", 1536},
		{"0.1GB", 100_000_000},
		{"128MiB", 128 << 20},
		{"1GiB", 1 << 30},
		{"1.0000000001B", 2}, // rounded up to a whole byte
		{"8589934591GiB", 8589934591 << 30},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "1", "1gib", "1 GiB", "-1GiB", "1TiB", "1e3B", "8589934592GiB", "99999999999999999999B"} {
		if got, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{1<<20 - 1, "1.0 MiB"}, // 1023.999 KiB rounds to 1024.0: said as 1.0 MiB
		{128 << 20, "128.0 MiB"},
		{1 << 30, "1.0 GiB"},
		{3 << 29, "1.5 GiB"},
		{-2048, "-2.0 KiB"},
		{math.MaxInt64, "8.0 EiB"},
		{math.MinInt64, "-8.0 EiB"},
	} {
		if got := FormatSize(tc.in); got != tc.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
