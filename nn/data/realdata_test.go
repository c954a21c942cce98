package data

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// loadReal locates and loads the real dataset once for all tests.
var loadReal = sync.OnceValues(func() (*Dataset, error) {
	dir, err := Locate("", AllParts)
	if err != nil {
		return nil, err
	}
	realDir = dir
	return Load(dir, AllParts)
})

// realDir is the directory loadReal found.
var realDir string

// realData returns the real dataset and its directory; it skips in -short
// mode and fails if the files cannot be found or loaded.
func realData(t *testing.T) (string, *Dataset) {
	t.Helper()
	if testing.Short() {
		t.Skip("real Fashion-MNIST data: skipped with -short")
	}
	ds, err := loadReal()
	if err != nil {
		t.Fatal(err)
	}
	return realDir, ds
}

func TestRealLoad(t *testing.T) {
	_, ds := realData(t)
	checks := []struct {
		name      string
		got, want int
	}{
		{"train images", ds.Train.N, NumTrain},
		{"train rows", ds.Train.Rows, 28},
		{"train cols", ds.Train.Cols, 28},
		{"train labels", len(ds.TrainLabels), NumTrain},
		{"test images", ds.Test.N, NumTest},
		{"test rows", ds.Test.Rows, 28},
		{"test cols", ds.Test.Cols, 28},
		{"test labels", len(ds.TestLabels), NumTest},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestRealSplitsC05 is case C05: the five sets are disjoint by index and by
// content, the supervised pool comes only from t10k, and the splits are
// reproducible.
func TestRealSplitsC05(t *testing.T) {
	_, ds := realData(t)
	s, err := MakeSplits(DefaultSplitConfig(), ds.Train.N, ds.TestLabels, seeded(42))
	if err != nil {
		t.Fatalf("MakeSplits: %v", err)
	}
	checkDefaultSplits(t, s, ds.TestLabels)

	hashes := make(map[[sha1.Size]byte]string, 63000)
	sets := []struct {
		name string
		im   *Images
		idx  []int
	}{
		{"UnsupTrain", ds.Train, s.UnsupTrain},
		{"UnsupVal", ds.Train, s.UnsupVal},
		{"SupTrain", ds.Test, s.SupTrain},
		{"SupVal", ds.Test, s.SupVal},
		{"SupTest", ds.Test, s.SupTest},
	}
	for _, set := range sets {
		for _, i := range set.idx {
			h := sha1.Sum(set.im.Image(i))
			if other, dup := hashes[h]; dup {
				t.Fatalf("%s image %d: same content as an image of %s, want all distinct", set.name, i, other)
			}
			hashes[h] = set.name
		}
	}
	if got, want := len(hashes), 63000; got != want {
		t.Errorf("distinct SHA-1 hashes: got %v, want %v", got, want)
	}

	same, err := MakeSplits(DefaultSplitConfig(), ds.Train.N, ds.TestLabels, seeded(42))
	if err != nil || !reflect.DeepEqual(s, same) {
		t.Errorf("same seed: got different splits (err %v), want equal", err)
	}
	other, err := MakeSplits(DefaultSplitConfig(), ds.Train.N, ds.TestLabels, seeded(43))
	if err != nil || reflect.DeepEqual(s.UnsupVal, other.UnsupVal) || reflect.DeepEqual(s.SupTrain, other.SupTrain) {
		t.Errorf("different seed: got equal splits (err %v), want different", err)
	}
}

// TestRealUnsupervisedWithoutLabels is the last part of case C05: the
// unsupervised pool loads and splits with the train labels file absent.
func TestRealUnsupervisedWithoutLabels(t *testing.T) {
	dir, _ := realData(t)
	tmp := t.TempDir()
	dst := filepath.Join(tmp, TrainImagesFile)
	if err := os.Symlink(filepath.Join(dir, TrainImagesFile), dst); err != nil {
		copyFile(t, filepath.Join(dir, TrainImagesFile), dst)
	}
	ds, err := Load(tmp, TrainImages)
	if err != nil {
		t.Fatalf("Load(TrainImages) without label files: got %v, want nil", err)
	}
	cfg := DefaultSplitConfig()
	cfg.SupTrain, cfg.SupVal, cfg.SupTest = 0, 0, 0
	s, err := MakeSplits(cfg, ds.Train.N, nil, seeded(1))
	if err != nil || len(s.UnsupTrain) != 57000 || len(s.UnsupVal) != 3000 {
		t.Errorf("MakeSplits without labels: got %d/%d, %v, want 57000/3000, nil", len(s.UnsupTrain), len(s.UnsupVal), err)
	}
	_, err = Load(tmp, TrainImages|TrainLabels)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(TrainImages|TrainLabels): got %v, want fs.ErrNotExist", err)
	}
}

// TestRealRawAccepted checks case C10 on real data: the decompressed file
// under its .gz name decodes, with the published checksum.
func TestRealRawAccepted(t *testing.T) {
	dir, ds := realData(t)
	f, err := os.Open(filepath.Join(dir, TestLabelsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	_, labels, err := DecodeFile(TestLabelsFile, bytes.NewReader(raw))
	if err != nil || !bytes.Equal(labels, ds.TestLabels) {
		t.Errorf("raw t10k labels: got err %v, want the same labels as the gzip file", err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkLoadAll(b *testing.B) {
	dir, err := Locate("", AllParts)
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, err := Load(dir, AllParts); err != nil {
			b.Fatal(err)
		}
	}
}
