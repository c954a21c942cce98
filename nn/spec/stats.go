package spec

import "math"

// Comparison is a paired comparison of two classifiers on the same test
// images: McNemar's exact test on the images that exactly one of them
// classifies right.
type Comparison struct {
	APhase  Phase   `json:"a"`
	BPhase  Phase   `json:"b"`
	N       int     `json:"n"`        // test images
	OnlyA   int     `json:"only_a"`   // right by A, wrong by B
	OnlyB   int     `json:"only_b"`   // right by B, wrong by A
	AccDiff float64 `json:"acc_diff"` // accuracy of B minus accuracy of A
	PValue  float64 `json:"p_value"`  // two-sided exact McNemar p-value
}

// Compare pairs the test predictions of a and b against the true labels
// truth (all in test-split order).
func Compare(a, b *ClassifierResult, truth []uint8) Comparison {
	c := Comparison{APhase: a.Phase, BPhase: b.Phase, N: len(truth)}
	for i, t := range truth {
		ra, rb := a.Predictions[i] == t, b.Predictions[i] == t
		switch {
		case ra && !rb:
			c.OnlyA++
		case rb && !ra:
			c.OnlyB++
		}
	}
	if c.N > 0 {
		c.AccDiff = float64(c.OnlyB-c.OnlyA) / float64(c.N)
	}
	c.PValue = McNemarExact(c.OnlyA, c.OnlyB)
	return c
}

// McNemarExact returns the two-sided p-value of McNemar's exact test for
// b and c discordant pairs: under the null hypothesis that both
// classifiers are equally good, min(b, c) follows Binomial(b+c, 1/2), and
// the p-value is twice its lower tail, capped at 1.
func McNemarExact(b, c int) float64 {
	n, k := b+c, min(b, c)
	if n == 0 {
		return 1
	}
	var tail float64
	for i := 0; i <= k; i++ {
		tail += math.Exp(logChoose(n, i) - float64(n)*math.Ln2)
	}
	return math.Min(1, 2*tail)
}

func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
