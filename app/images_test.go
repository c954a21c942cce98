package app

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
)

// decodeDataURL decodes a PNG data: URL.
func decodeDataURL(t *testing.T, u string) ([]byte, int, int) {
	t.Helper()
	b64, ok := strings.CutPrefix(u, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40q", u)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	pix := make([]byte, 0, r.Dx()*r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g, _, _, _ := img.At(x, y).RGBA()
			pix = append(pix, byte(g>>8))
		}
	}
	return pix, r.Dx(), r.Dy()
}

func TestStripPNG(t *testing.T) {
	// Two 2x3 images: the first a ramp, the second out-of-range values.
	pix := []float32{
		0, 0.5, 1,
		0.25, 0.75, 1,
		-1, 2, float32(0),
		0.1, 0.2, 0.3,
	}
	got, w, h := decodeDataURL(t, stripPNG(pix, 2, 2, 3))
	if w != 2*3+1 || h != 2 {
		t.Fatalf("strip is %dx%d, want 7x2 (two images and a one-pixel gap)", w, h)
	}
	want := []byte{
		0, 128, 255, 128, 0, 255, 0,
		64, 191, 255, 128, 26, 51, 77,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("pixels\n got %v\nwant %v", got, want)
	}
	if stripPNG(pix[:11], 2, 2, 3) != "" {
		t.Error("a short pixel slice gave a picture")
	}
}

func TestGrayPNG(t *testing.T) {
	pix := make([]byte, 28*28)
	for i := range pix {
		pix[i] = byte(i)
	}
	got, w, h := decodeDataURL(t, grayPNG(pix, 28))
	if w != 28 || h != 28 || !bytes.Equal(got, pix) {
		t.Errorf("grayPNG does not round-trip: %dx%d", w, h)
	}
	if grayPNG(pix[:100], 28) != "" {
		t.Error("a short preview gave a picture")
	}
}

func TestFitWithin(t *testing.T) {
	tests := []struct{ w, h, wantW, wantH int }{
		{8660, 5773, 1024, 683}, // a 50-megapixel photo, landscape
		{5773, 8660, 683, 1024}, // and portrait
		{280, 280, 280, 280},    // small pictures are left alone
		{1024, 10, 1024, 10},
		{4000, 1, 1024, 1}, // never 0 pixels
	}
	for _, tc := range tests {
		if w, h := fitWithin(tc.w, tc.h, 1024); w != tc.wantW || h != tc.wantH {
			t.Errorf("fitWithin(%d, %d, 1024) = %d, %d; want %d, %d", tc.w, tc.h, w, h, tc.wantW, tc.wantH)
		}
	}
}
