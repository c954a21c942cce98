package data

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Splits holds the experiment's five index sets. The unsupervised sets index
// the train file's images; the supervised sets index the t10k file's images,
// so the two pools never share an image. Within each set the indices are in
// the order they were drawn.
type Splits struct {
	UnsupTrain, UnsupVal      []int // indices into the train images
	SupTrain, SupVal, SupTest []int // indices into the t10k images
}

// SplitConfig sets the sizes of the five sets and whether the supervised
// sets are stratified by class.
type SplitConfig struct {
	UnsupTrain int `json:"unsup_train"`
	UnsupVal   int `json:"unsup_val"`
	SupTrain   int `json:"sup_train"`
	SupVal     int `json:"sup_val"`
	SupTest    int `json:"sup_test"`
	// Stratified draws SupTrain/NumClasses, SupVal/NumClasses and
	// SupTest/NumClasses images of every class; otherwise the supervised
	// sets are plain random samples.
	Stratified bool `json:"stratified"`
}

// DefaultSplitConfig returns the sizes of SPEC.md: 57,000 / 3,000
// unsupervised, 1,800 / 600 / 600 supervised, stratified (180 / 60 / 60 per
// class).
func DefaultSplitConfig() SplitConfig {
	return SplitConfig{
		UnsupTrain: 57000, UnsupVal: 3000,
		SupTrain: 1800, SupVal: 600, SupTest: 600,
		Stratified: true,
	}
}

// MakeSplits draws the splits with rng: first a permutation of the nTrain
// train images, whose first cfg.UnsupTrain entries form UnsupTrain and next
// cfg.UnsupVal entries UnsupVal (the train labels are never needed), then a
// permutation of the len(testLabels) t10k images. Without stratification the
// supervised sets are the permutation's consecutive segments; with it, the
// permutation is walked and each image goes to the first of SupTrain,
// SupVal and SupTest whose quota for its class is not yet full. testLabels is
// read only when cfg.Stratified is set. The result depends only on cfg,
// nTrain, testLabels and the state of rng. It returns an error if a size is
// negative, the sets do not fit their pool, a stratified size is not a
// multiple of NumClasses, or a class has too few images.
func MakeSplits(cfg SplitConfig, nTrain int, testLabels []uint8, rng *rand.Rand) (Splits, error) {
	if rng == nil {
		return Splits{}, errors.New("data: make splits: nil rng")
	}
	sizes := []int{cfg.UnsupTrain, cfg.UnsupVal, cfg.SupTrain, cfg.SupVal, cfg.SupTest}
	for _, n := range sizes {
		if n < 0 {
			return Splits{}, fmt.Errorf("data: make splits: negative size in %+v", cfg)
		}
	}
	if nTrain < 0 {
		return Splits{}, fmt.Errorf("data: make splits: nTrain = %d", nTrain)
	}
	if u := cfg.UnsupTrain + cfg.UnsupVal; u > nTrain {
		return Splits{}, fmt.Errorf("data: make splits: unsupervised sets need %d + %d = %d images, the train file has %d",
			cfg.UnsupTrain, cfg.UnsupVal, u, nTrain)
	}
	nTest := len(testLabels)
	if s := cfg.SupTrain + cfg.SupVal + cfg.SupTest; s > nTest {
		return Splits{}, fmt.Errorf("data: make splits: supervised sets need %d + %d + %d = %d images, the t10k file has %d",
			cfg.SupTrain, cfg.SupVal, cfg.SupTest, s, nTest)
	}
	var quota [3]int
	if cfg.Stratified {
		for i, n := range sizes[2:] {
			if n%NumClasses != 0 {
				return Splits{}, fmt.Errorf("data: make splits: stratified supervised sizes %d / %d / %d must be multiples of %d",
					cfg.SupTrain, cfg.SupVal, cfg.SupTest, NumClasses)
			}
			quota[i] = n / NumClasses
		}
		var perClass [NumClasses]int
		for i, l := range testLabels {
			if l >= NumClasses {
				return Splits{}, fmt.Errorf("data: make splits: %w: test label %d at index %d", ErrLabelRange, l, i)
			}
			perClass[l]++
		}
		need := quota[0] + quota[1] + quota[2]
		for c, n := range perClass {
			if n < need {
				return Splits{}, fmt.Errorf("data: make splits: class %d (%s) has %d test images, the stratified split needs %d",
					c, ClassNames[c], n, need)
			}
		}
	}

	var s Splits
	perm := rng.Perm(nTrain)
	a, b := cfg.UnsupTrain, cfg.UnsupTrain+cfg.UnsupVal
	s.UnsupTrain = perm[:a:a]
	s.UnsupVal = perm[a:b:b]

	perm = rng.Perm(nTest)
	if !cfg.Stratified {
		a, b, c := cfg.SupTrain, cfg.SupTrain+cfg.SupVal, cfg.SupTrain+cfg.SupVal+cfg.SupTest
		s.SupTrain, s.SupVal, s.SupTest = perm[:a:a], perm[a:b:b], perm[b:c:c]
		return s, nil
	}
	s.SupTrain = make([]int, 0, cfg.SupTrain)
	s.SupVal = make([]int, 0, cfg.SupVal)
	s.SupTest = make([]int, 0, cfg.SupTest)
	sets := [3]*[]int{&s.SupTrain, &s.SupVal, &s.SupTest}
	var taken [NumClasses][3]int
	left := cfg.SupTrain + cfg.SupVal + cfg.SupTest
	for _, i := range perm {
		if left == 0 {
			break
		}
		c := testLabels[i]
		for k := range sets {
			if taken[c][k] < quota[k] {
				taken[c][k]++
				*sets[k] = append(*sets[k], i)
				left--
				break
			}
		}
	}
	return s, nil
}

// Check reports an error if an index of the splits is outside its pool
// (nTrain train images, nTest t10k images) or appears twice within a pool.
func (s Splits) Check(nTrain, nTest int) error {
	check := func(pool string, n int, sets map[string][]int) error {
		where := make(map[int]string)
		for name, set := range sets {
			for _, i := range set {
				if i < 0 || i >= n {
					return fmt.Errorf("data: splits: %s index %d out of range [0, %d)", name, i, n)
				}
				if other, dup := where[i]; dup {
					return fmt.Errorf("data: splits: %s image %d is in both %s and %s", pool, i, other, name)
				}
				where[i] = name
			}
		}
		return nil
	}
	if err := check("train", nTrain, map[string][]int{"UnsupTrain": s.UnsupTrain, "UnsupVal": s.UnsupVal}); err != nil {
		return err
	}
	return check("t10k", nTest, map[string][]int{"SupTrain": s.SupTrain, "SupVal": s.SupVal, "SupTest": s.SupTest})
}
