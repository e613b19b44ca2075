package spec

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"
)

// Sizes of the language (SizePattern): a number and a unit, decimal (KB,
// MB, GB: powers of 1000) or binary (KiB, MiB, GiB: powers of 1024), as
// environment.postgres.disk_size and a disk-fill's params.size write them.

// sizeUnits are the byte multiples of the units SizePattern accepts.
var sizeUnits = map[string]int64{
	"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
}

var sizeRE = regexp.MustCompile(SizePattern)

// ParseSize returns the bytes a size stands for, rounded up to a whole
// byte ("1.5KiB" is 1536): an error for text SizePattern does not match
// and for a size beyond what an int64 holds.
func ParseSize(s string) (int64, error) {
	if !sizeRE.MatchString(s) {
		return 0, fmt.Errorf("invalid size %q: want a number and a unit (B, KB, MB, GB, KiB, MiB or GiB), such as 512MiB", s)
	}
	num := strings.TrimRight(s, "BKMGi")
	unit := s[len(num):]
	// Exact arithmetic: "0.1GB" is 100000000 bytes, not a float's guess.
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(sizeUnits[unit]))
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if rem.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("size %s is too large", s)
	}
	return q.Int64(), nil
}

// FormatSize writes bytes for people, in binary units with one decimal:
// "0 B", "512 B", "1.5 KiB", "1.0 GiB". Evidence and plans use it.
func FormatSize(bytes int64) string {
	if bytes < 0 {
		return "-" + FormatSize(-max(bytes, -math.MaxInt64))
	}
	if bytes < 1<<10 {
		return fmt.Sprintf("%d B", bytes)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(bytes) / (1 << 10)
	i := 0
	// Move up while the rounded value would print as 1024.0 or more.
	for i < len(units)-1 && v >= 1023.95 {
		v /= 1 << 10
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
