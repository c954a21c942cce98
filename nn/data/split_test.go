package data

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func TestDefaultSplitConfig(t *testing.T) {
	got := DefaultSplitConfig()
	want := SplitConfig{UnsupTrain: 57000, UnsupVal: 3000, SupTrain: 1800, SupVal: 600, SupTest: 600, Stratified: true}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestMakeSplitsDefault(t *testing.T) {
	labels := cycleLabels(NumTest)
	s, err := MakeSplits(DefaultSplitConfig(), NumTrain, labels, seeded(1))
	if err != nil {
		t.Fatalf("MakeSplits: %v", err)
	}
	checkDefaultSplits(t, s, labels)
}

// checkDefaultSplits checks the sizes, ranges, disjointness and per-class
// counts of splits made with DefaultSplitConfig.
func checkDefaultSplits(t *testing.T, s Splits, testLabels []uint8) {
	t.Helper()
	sizes := []struct {
		name string
		set  []int
		want int
	}{
		{"UnsupTrain", s.UnsupTrain, 57000},
		{"UnsupVal", s.UnsupVal, 3000},
		{"SupTrain", s.SupTrain, 1800},
		{"SupVal", s.SupVal, 600},
		{"SupTest", s.SupTest, 600},
	}
	for _, sz := range sizes {
		if len(sz.set) != sz.want {
			t.Errorf("len(%s): got %v, want %v", sz.name, len(sz.set), sz.want)
		}
	}
	if err := s.Check(NumTrain, len(testLabels)); err != nil {
		t.Errorf("Check: got %v, want nil", err)
	}
	perClass := []struct {
		name string
		set  []int
		want int
	}{{"SupTrain", s.SupTrain, 180}, {"SupVal", s.SupVal, 60}, {"SupTest", s.SupTest, 60}}
	for _, pc := range perClass {
		var count [NumClasses]int
		for _, i := range pc.set {
			count[testLabels[i]]++
		}
		for c, n := range count {
			if n != pc.want {
				t.Errorf("%s class %d: got %v images, want %v", pc.name, c, n, pc.want)
			}
		}
	}
}

func TestMakeSplitsDeterministic(t *testing.T) {
	labels := cycleLabels(NumTest)
	for _, strat := range []bool{true, false} {
		cfg := DefaultSplitConfig()
		cfg.Stratified = strat
		a, errA := MakeSplits(cfg, NumTrain, labels, seeded(7))
		b, errB := MakeSplits(cfg, NumTrain, labels, seeded(7))
		c, errC := MakeSplits(cfg, NumTrain, labels, seeded(8))
		if errA != nil || errB != nil || errC != nil {
			t.Fatalf("MakeSplits: got %v, %v, %v, want nil", errA, errB, errC)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("stratified=%v same seed: got different splits, want equal", strat)
		}
		for name, pair := range map[string][2][]int{
			"UnsupTrain": {a.UnsupTrain, c.UnsupTrain}, "UnsupVal": {a.UnsupVal, c.UnsupVal},
			"SupTrain": {a.SupTrain, c.SupTrain}, "SupVal": {a.SupVal, c.SupVal}, "SupTest": {a.SupTest, c.SupTest},
		} {
			if reflect.DeepEqual(pair[0], pair[1]) {
				t.Errorf("stratified=%v %s with seeds 7 and 8: got equal, want different", strat, name)
			}
		}
	}
}

func TestMakeSplitsPlainRandom(t *testing.T) {
	cfg := SplitConfig{UnsupTrain: 50, UnsupVal: 10, SupTrain: 7, SupVal: 3, SupTest: 5}
	s, err := MakeSplits(cfg, 60, cycleLabels(15), seeded(3))
	if err != nil {
		t.Fatalf("MakeSplits: %v", err)
	}
	got := []int{len(s.UnsupTrain), len(s.UnsupVal), len(s.SupTrain), len(s.SupVal), len(s.SupTest)}
	if want := []int{50, 10, 7, 3, 5}; !reflect.DeepEqual(got, want) {
		t.Errorf("sizes: got %v, want %v", got, want)
	}
	if err := s.Check(60, 15); err != nil {
		t.Errorf("Check: got %v, want nil", err)
	}
}

// TestMakeSplitsUnsupervisedOnly shows that the unsupervised split needs
// only the number of train images: no labels at all are passed.
func TestMakeSplitsUnsupervisedOnly(t *testing.T) {
	cfg := SplitConfig{UnsupTrain: 57000, UnsupVal: 3000, Stratified: true}
	s, err := MakeSplits(cfg, NumTrain, nil, seeded(1))
	if err != nil {
		t.Fatalf("MakeSplits: got %v, want nil", err)
	}
	if len(s.UnsupTrain) != 57000 || len(s.UnsupVal) != 3000 || len(s.SupTrain)+len(s.SupVal)+len(s.SupTest) != 0 {
		t.Errorf("sizes: got %d/%d/%d, want 57000/3000/0", len(s.UnsupTrain), len(s.UnsupVal),
			len(s.SupTrain)+len(s.SupVal)+len(s.SupTest))
	}
	// The unsupervised sets do not depend on the supervised configuration.
	full, err := MakeSplits(DefaultSplitConfig(), NumTrain, cycleLabels(NumTest), seeded(1))
	if err != nil {
		t.Fatalf("MakeSplits: %v", err)
	}
	if !reflect.DeepEqual(s.UnsupTrain, full.UnsupTrain) || !reflect.DeepEqual(s.UnsupVal, full.UnsupVal) {
		t.Errorf("unsupervised sets: got different with and without test labels, want equal")
	}
}

func TestMakeSplitsErrors(t *testing.T) {
	lopsided := cycleLabels(NumTest)
	for i := range lopsided {
		if lopsided[i] == 6 && i > 2000 {
			lopsided[i] = 0 // leaves class 6 ("Shirt") with 200 images
		}
	}
	badLabel := cycleLabels(100)
	badLabel[42] = 11
	def := DefaultSplitConfig()
	tests := []struct {
		name     string
		cfg      SplitConfig
		nTrain   int
		labels   []uint8
		rng      *rand.Rand
		contains string
	}{
		{"nil rng", def, NumTrain, cycleLabels(NumTest), nil, "nil rng"},
		{"negative size", SplitConfig{UnsupTrain: -1}, 10, nil, seeded(1), "negative"},
		{"unsupervised too large", def, 59999, cycleLabels(NumTest), seeded(1), "the train file has 59999"},
		{"supervised too large", def, NumTrain, cycleLabels(2999), seeded(1), "the t10k file has 2999"},
		{"not divisible", SplitConfig{SupTrain: 15, Stratified: true}, 0, cycleLabels(100), seeded(1), "multiples of 10"},
		{"class lacks images", def, NumTrain, lopsided, seeded(1), "class 6 (Shirt) has 200"},
		{"label out of range", SplitConfig{SupTrain: 10, Stratified: true}, 0, badLabel, seeded(1), "label 11 at index 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MakeSplits(tt.cfg, tt.nTrain, tt.labels, tt.rng)
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got %v, want an error containing %q", err, tt.contains)
			}
		})
	}
}

func TestSplitsCheck(t *testing.T) {
	tests := []struct {
		name     string
		s        Splits
		contains string
	}{
		{"overlap", Splits{UnsupTrain: []int{1, 2}, UnsupVal: []int{2}}, "image 2 is in both"},
		{"repeat", Splits{SupTest: []int{4, 4}}, "image 4 is in both SupTest and SupTest"},
		{"out of range", Splits{SupVal: []int{10}}, "SupVal index 10 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Check(5, 10)
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got %v, want an error containing %q", err, tt.contains)
			}
		})
	}
}
