package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixture is a small stand-in for the four dataset files.
type fixture struct {
	train, test             *Images
	trainLabels, testLabels []uint8
}

func newFixture() fixture {
	return fixture{
		train:       makeImages(20, 28, 28),
		trainLabels: cycleLabels(20),
		test:        makeImages(10, 28, 28),
		testLabels:  cycleLabels(10),
	}
}

// contents returns the raw IDX of the four files, in published order.
func (f fixture) contents(t testing.TB) [4][]byte {
	return [4][]byte{rawImages(t, f.train), rawLabels(t, f.trainLabels), rawImages(t, f.test), rawLabels(t, f.testLabels)}
}

// table returns a table like published that matches the fixture exactly.
func (f fixture) table(t testing.TB) *[4]FileInfo {
	tab := published
	for i, c := range f.contents(t) {
		sum := sha256.Sum256(c)
		tab[i].SHA256 = hex.EncodeToString(sum[:])
		tab[i].Size = int64(len(c))
	}
	tab[0].Count, tab[1].Count, tab[2].Count, tab[3].Count = f.train.N, len(f.trainLabels), f.test.N, len(f.testLabels)
	return &tab
}

// write writes the parts of the fixture into dir under the real names,
// gzip-compressed or raw.
func (f fixture) write(t testing.TB, dir string, parts Part, gz bool) {
	t.Helper()
	for i, c := range f.contents(t) {
		if parts&published[i].Part == 0 {
			continue
		}
		if gz {
			c = GzipBytes(c)
		}
		if err := os.WriteFile(filepath.Join(dir, published[i].Name), c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPublishedFiles(t *testing.T) {
	if PublishedFiles() != published {
		t.Errorf("PublishedFiles: got a different table, want published")
	}
	for i, f := range published {
		if f.Part != 1<<i {
			t.Errorf("%s: got Part %v, want %v", f.Name, f.Part, Part(1<<i))
		}
		hdr, n := int64(8), int64(f.Count)
		if f.Rows != 0 {
			hdr, n = 16, int64(f.Count*f.Rows*f.Cols)
		}
		if got, want := f.Size, hdr+n; got != want {
			t.Errorf("%s: got Size %v, want %v", f.Name, got, want)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != 32 {
			t.Errorf("%s: got SHA256 %q, want 64 hex digits", f.Name, f.SHA256)
		}
	}
}

func TestExpected(t *testing.T) {
	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"train-images-idx3-ubyte.gz", TrainImagesFile, true},
		{"t10k-labels-idx1-ubyte", TestLabelsFile, true},
		{"/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", TestImagesFile, true},
		{"https://example.org/data/train-labels-idx1-ubyte.gz?v=2", TrainLabelsFile, true},
		{"c10_already_decompressed-idx3-ubyte.gz", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := Expected(tt.name)
			if f.Name != tt.want || ok != tt.ok {
				t.Errorf("got %q, %v, want %q, %v", f.Name, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPartString(t *testing.T) {
	tests := []struct {
		p    Part
		want string
	}{
		{0, "0"},
		{TrainImages, "TrainImages"},
		{TrainImages | TestLabels, "TrainImages|TestLabels"},
		{AllParts, "TrainImages|TrainLabels|TestImages|TestLabels"},
		{0x30, "Part(0x30)"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("Part(%#x).String(): got %v, want %v", uint8(tt.p), got, tt.want)
		}
	}
}

func TestLoadFixture(t *testing.T) {
	fx := newFixture()
	for _, gz := range []bool{true, false} {
		t.Run(map[bool]string{true: "gzip", false: "raw under .gz names"}[gz], func(t *testing.T) {
			dir := t.TempDir()
			fx.write(t, dir, AllParts, gz)
			ds, err := load(dir, AllParts, fx.table(t))
			if err != nil {
				t.Fatalf("load: got %v, want nil", err)
			}
			if !reflect.DeepEqual(ds.Train, fx.train) || !reflect.DeepEqual(ds.Test, fx.test) ||
				!bytes.Equal(ds.TrainLabels, fx.trainLabels) || !bytes.Equal(ds.TestLabels, fx.testLabels) {
				t.Errorf("got a dataset different from the fixture, want equal")
			}
		})
	}
}

func TestLoadOnlyRequestedParts(t *testing.T) {
	fx := newFixture()
	dir := t.TempDir()
	fx.write(t, dir, TrainImages, true) // no label files at all
	ds, err := load(dir, TrainImages, fx.table(t))
	if err != nil {
		t.Fatalf("load(TrainImages): got %v, want nil", err)
	}
	if ds.Train == nil || ds.TrainLabels != nil || ds.Test != nil || ds.TestLabels != nil {
		t.Errorf("got %+v, want only Train set", ds)
	}
}

func TestLoadErrors(t *testing.T) {
	fx := newFixture()
	badHash := *fx.table(t)
	badHash[3].SHA256 = strings.Repeat("0", 64)
	unchecked := published
	for i := range unchecked {
		unchecked[i].Count, unchecked[i].SHA256 = 0, ""
	}
	short := fx
	short.trainLabels = cycleLabels(19)

	tests := []struct {
		name     string
		fx       fixture
		written  Part
		parts    Part
		table    *[4]FileInfo
		want     error
		contains []string
	}{
		{"missing labels file", fx, TrainImages | TestImages | TestLabels, AllParts, fx.table(t),
			fs.ErrNotExist, []string{TrainLabelsFile}},
		{"two files missing", fx, TrainImages | TestImages, AllParts, fx.table(t),
			fs.ErrNotExist, []string{TrainLabelsFile, TestLabelsFile}},
		{"real table: wrong count", fx, AllParts, TestImages, &published,
			ErrCount, []string{TestImagesFile, "header declares 10 images, want 10000"}},
		{"real table: labels count", fx, AllParts, TestLabels, &published,
			ErrCount, []string{TestLabelsFile, "want 10000"}},
		{"checksum", fx, AllParts, AllParts, &badHash,
			ErrChecksum, []string{TestLabelsFile, "SHA-256", strings.Repeat("0", 64)}},
		{"labels vs images", short, AllParts, TrainImages | TrainLabels, &unchecked,
			ErrCount, []string{TrainLabelsFile, "19 labels for 20 images"}},
		{"no parts", fx, AllParts, 0, &published, nil, []string{"invalid parts"}},
		{"unknown part", fx, AllParts, 0x40, &published, nil, []string{"invalid parts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.fx.write(t, dir, tt.written, true)
			ds, err := load(dir, tt.parts, tt.table)
			if err == nil || ds != nil {
				t.Fatalf("got %v, %v, want nil and an error", ds, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want it to wrap %v", err, tt.want)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("got %q, want it to contain %q", err, s)
				}
			}
		})
	}
}

func TestDecodeFile(t *testing.T) {
	raw := rawImages(t, valid3())
	zeroLabels := rawLabels(t, make([]uint8, NumTest))
	tests := []struct {
		name       string
		file       string
		in         []byte
		wantImages bool
		want       error
		contains   string
	}{
		{"unknown name, images", "c10_already_decompressed-idx3-ubyte.gz", raw, true, nil, ""},
		{"unknown name, labels", "c00_valid_3-idx1-ubyte.gz", GzipBytes(rawLabels(t, []uint8{9, 0, 4})), false, nil, ""},
		{"known name, wrong count", "data/train-images-idx3-ubyte.gz", GzipBytes(raw), false, ErrCount, "want 60000"},
		{"known name, wrong kind", TestImagesFile, zeroLabels, false, ErrDims, "want 0x00000803"},
		{"known name, wrong content", TestLabelsFile, GzipBytes(zeroLabels), false, ErrChecksum, published[3].SHA256},
		{"known name, wrong size", TestImagesFile, header(imagesMagic, NumTest, 28, 29), false, ErrDims, "want 28x28"},
		{"known name, HTML", "/data/" + TrainImagesFile, []byte("<!DOCTYPE html><p>404"), false, ErrHTML, "<!DOCTYPE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, labels, err := DecodeFile(tt.file, bytes.NewReader(tt.in))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				if (im != nil) != tt.wantImages || (labels != nil) == tt.wantImages {
					t.Errorf("got images %v, labels %v, want images: %v", im != nil, labels != nil, tt.wantImages)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.contains) || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("got %v, want %v naming %s and containing %q", err, tt.want, tt.file, tt.contains)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	full := t.TempDir()
	newFixture().write(t, full, AllParts, true)
	partial := t.TempDir()
	newFixture().write(t, partial, TrainImages|TestImages, true)
	missing := filepath.Join(t.TempDir(), "nope")

	t.Run("flag dir", func(t *testing.T) {
		got, err := Locate(full, AllParts)
		if err != nil || got != full {
			t.Errorf("got %q, %v, want %q, nil", got, err, full)
		}
	})
	t.Run("defaults in order", func(t *testing.T) {
		saved := DefaultDirs
		t.Cleanup(func() { DefaultDirs = saved })
		DefaultDirs = []string{missing, partial, full}
		got, err := Locate("", AllParts)
		if err != nil || got != full {
			t.Errorf("got %q, %v, want %q, nil", got, err, full)
		}
	})
	t.Run("flag dir is the only one tried", func(t *testing.T) {
		saved := DefaultDirs
		t.Cleanup(func() { DefaultDirs = saved })
		DefaultDirs = []string{full}
		_, err := Locate(partial, AllParts)
		for _, s := range []string{partial, TrainLabelsFile, TestLabelsFile} {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("got %v, want an error containing %q", err, s)
			}
		}
	})
	t.Run("only the parts asked for", func(t *testing.T) {
		saved := DefaultDirs
		t.Cleanup(func() { DefaultDirs = saved })
		DefaultDirs = []string{missing, partial, full}
		got, err := Locate("", TrainImages)
		if err != nil || got != partial {
			t.Errorf("got %q, %v, want %q, nil", got, err, partial)
		}
	})
	t.Run("not found", func(t *testing.T) {
		saved := DefaultDirs
		t.Cleanup(func() { DefaultDirs = saved })
		DefaultDirs = []string{missing, partial}
		_, err := Locate("", AllParts)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want it to wrap fs.ErrNotExist", err)
		}
		for _, s := range []string{missing + " does not exist", partial + " lacks", "make data",
			"apt-get install dataset-fashion-mnist", "https://github.com/zalandoresearch/fashion-mnist", "-data DIR"} {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("got %v, want an error containing %q", err, s)
			}
		}
		// fs.ErrNotExist's own words would only repeat, or contradict, the
		// notes ("is not a directory").
		if err != nil && strings.Contains(err.Error(), fs.ErrNotExist.Error()) {
			t.Errorf("got %v, which repeats %q", err, fs.ErrNotExist)
		}
	})
}
