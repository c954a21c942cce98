package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// makeImages returns n deterministic, pairwise distinct images of
// rows x cols pixels that use the whole 0..255 range.
func makeImages(n, rows, cols int) *Images {
	im := &Images{N: n, Rows: rows, Cols: cols, Pix: make([]uint8, n*rows*cols)}
	for i := range im.Pix {
		im.Pix[i] = uint8(i*7 + i/(rows*cols)*13)
	}
	if len(im.Pix) > 0 {
		im.Pix[0] = 0
		im.Pix[len(im.Pix)-1] = 255
	}
	return im
}

// rawImages returns im as raw IDX.
func rawImages(t testing.TB, im *Images) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeImages(&buf, im); err != nil {
		t.Fatalf("EncodeImages: %v", err)
	}
	return buf.Bytes()
}

// rawLabels returns labels as raw IDX.
func rawLabels(t testing.TB, labels []uint8) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeLabels(&buf, labels); err != nil {
		t.Fatalf("EncodeLabels: %v", err)
	}
	return buf.Bytes()
}

// header builds an IDX header from a magic number and dimensions.
func header(magic uint32, dims ...uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }

// valid3 is the fixture of case C00/C10: three 28x28 images.
func valid3() *Images { return makeImages(3, 28, 28) }

// cycleLabels returns n labels 0, 1, ..., 9, 0, 1, ...
func cycleLabels(n int) []uint8 {
	l := make([]uint8, n)
	for i := range l {
		l[i] = uint8(i % NumClasses)
	}
	return l
}
