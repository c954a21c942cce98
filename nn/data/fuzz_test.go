package data

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus under testdata/fuzz")

// imageSeeds returns the seed inputs of FuzzDecodeImages, by name.
func imageSeeds(t testing.TB) map[string][]byte {
	raw := rawImages(t, makeImages(3, 4, 5))
	gz := GzipBytes(raw)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff
	return map[string][]byte{
		"valid_raw":         raw,
		"valid_gzip":        gz,
		"valid_multistream": cat(GzipBytes(raw[:20]), GzipBytes(raw[20:])),
		"zero_images":       header(imagesMagic, 0, 28, 28),
		"truncated":         raw[:len(raw)-1],
		"trailing":          cat(raw, []byte{0}),
		"double_gzip":       GzipBytes(gz),
		"html":              []byte("<!DOCTYPE html><title>404</title>"),
		"bad_crc":           badCRC,
		"huge_count":        header(imagesMagic, 1<<31, 28, 28),
		"labels_magic":      header(labelsMagic, 1, 0),
		"empty":             {},
	}
}

// labelSeeds returns the seed inputs of FuzzDecodeLabels, by name.
func labelSeeds(t testing.TB) map[string][]byte {
	raw := rawLabels(t, cycleLabels(12))
	return map[string][]byte{
		"valid_raw":    raw,
		"valid_gzip":   GzipBytes(raw),
		"out_of_range": cat(header(labelsMagic, 2), []byte{3, 10}),
		"truncated":    raw[:9],
		"trailing":     cat(raw, []byte("x")),
		"huge_count":   header(labelsMagic, 0xffffffff),
		"images_magic": header(imagesMagic, 1, 1, 1, 0),
		"gzip_junk":    cat(GzipBytes(raw), []byte("junk")),
		"empty":        {},
	}
}

// TestWriteFuzzCorpus rewrites testdata/fuzz from the seeds when run with
// -update-corpus.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("run with -update-corpus to rewrite testdata/fuzz")
	}
	for fuzzer, seeds := range map[string]map[string][]byte{
		"FuzzDecodeImages": imageSeeds(t),
		"FuzzDecodeLabels": labelSeeds(t),
	} {
		dir := filepath.Join("testdata", "fuzz", fuzzer)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
			if err := os.WriteFile(filepath.Join(dir, "seed_"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkFuzzError checks that a decoding error names the file.
func checkFuzzError(t *testing.T, err error) {
	var fe *FormatError
	if errors.As(err, &fe) {
		if fe.File != "fuzz.gz" || fe.Err == nil {
			t.Fatalf("got %#v, want File \"fuzz.gz\" and a sentinel", fe)
		}
		return
	}
	t.Fatalf("got %v, want a *FormatError", err)
}

func FuzzDecodeImages(f *testing.F) {
	for _, b := range imageSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		im, err := DecodeImages("fuzz.gz", bytes.NewReader(in))
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if len(im.Pix) != im.N*im.Rows*im.Cols {
			t.Fatalf("len(Pix): got %v, want %v", len(im.Pix), im.N*im.Rows*im.Cols)
		}
		var buf bytes.Buffer
		if err := EncodeImages(&buf, im); err != nil {
			t.Fatalf("EncodeImages: got %v, want nil", err)
		}
		if in[0] == 0 && !bytes.Equal(buf.Bytes(), in) {
			t.Fatalf("re-encoded raw IDX: got %d bytes, want the %d input bytes", buf.Len(), len(in))
		}
		again, err := DecodeImages("fuzz.gz", bytes.NewReader(GzipBytes(buf.Bytes())))
		if err != nil {
			t.Fatalf("decoding the re-encoded images: got %v, want nil", err)
		}
		if again.N != im.N || again.Rows != im.Rows || again.Cols != im.Cols || !bytes.Equal(again.Pix, im.Pix) {
			t.Fatalf("round trip: got %dx%dx%d, want %dx%dx%d and equal pixels", again.N, again.Rows, again.Cols, im.N, im.Rows, im.Cols)
		}
	})
}

func FuzzDecodeLabels(f *testing.F) {
	for _, b := range labelSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		labels, err := DecodeLabels("fuzz.gz", bytes.NewReader(in))
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		for i, l := range labels {
			if l >= NumClasses {
				t.Fatalf("label %d: got %v, want < %v", i, l, NumClasses)
			}
		}
		var buf bytes.Buffer
		if err := EncodeLabels(&buf, labels); err != nil {
			t.Fatalf("EncodeLabels: got %v, want nil", err)
		}
		if in[0] == 0 && !bytes.Equal(buf.Bytes(), in) {
			t.Fatalf("re-encoded raw IDX: got %d bytes, want the %d input bytes", buf.Len(), len(in))
		}
		again, err := DecodeLabels("fuzz.gz", bytes.NewReader(GzipBytes(buf.Bytes())))
		if err != nil || !bytes.Equal(again, labels) {
			t.Fatalf("round trip: got %v, %v, want %v, nil", again, err, labels)
		}
	})
}
