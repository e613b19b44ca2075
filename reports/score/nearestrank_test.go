package score

import "testing"

func TestNearestRank(t *testing.T) {
	v := []int{1, 2, 3, 4, 5}
	for p, want := range map[float64]int{0.5: 3, 0.9: 5, 0.2: 1, 0.21: 2, 1: 5} {
		if got := NearestRank(v, p); got != want {
			t.Errorf("p%.2f of %v = %d, want %d", p, v, got, want)
		}
	}
}

func TestNearestRankIndex(t *testing.T) {
	// 5 values: p50 is rank 3 (index 2), p90 rank 5 (index 4); one value
	// is every percentile.
	for _, c := range []struct {
		n    int
		p    float64
		want int
	}{{5, 0.5, 2}, {5, 0.9, 4}, {1, 0.5, 0}, {1, 0.99, 0}, {100, 0.99, 98}} {
		if got := NearestRankIndex(c.n, c.p); got != c.want {
			t.Errorf("NearestRankIndex(%d, %v) = %d, want %d", c.n, c.p, got, c.want)
		}
	}
}
