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
