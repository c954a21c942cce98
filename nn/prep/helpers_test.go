package prep

import (
	"bytes"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The fixtures in testdata are copies of the inputs of cases C06 and C08.
const (
	c06Dark  = "c06_trouser_dark_on_white.png"
	c06Light = "c06_trouser_light_on_black.png"
	c06Gray  = "c06_trouser_on_gray_paper.png"
	c08Up    = "c08_boot_upright.jpg"
	c08Six   = "c08_boot_exif_orient6.jpg"
	c08Three = "c08_boot_exif_orient3.jpg"
)

func readFixture(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", name))
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := readFixture(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeFile(t testing.TB, name string) (image.Image, Info) {
	t.Helper()
	img, info, err := Decode(bytes.NewReader(readFile(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img, info
}

func prepareFile(t testing.TB, name string) *Input {
	t.Helper()
	img, _ := decodeFile(t, name)
	in, err := Prepare(img)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return in
}

func meanAbsDiff(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return s / float64(len(a))
}

// bbox returns the inclusive bounding box of the pixels of p above thr.
func bbox(p []float32, thr float32) (x0, y0, x1, y1 int) {
	x0, y0, x1, y1 = Side, Side, -1, -1
	for y := 0; y < Side; y++ {
		for x := 0; x < Side; x++ {
			if p[y*Side+x] > thr {
				x0, x1 = min(x0, x), max(x1, x)
				y0, y1 = min(y0, y), max(y1, y)
			}
		}
	}
	return
}

// borderMeans returns the mean of the outer 2 pixels of p, and the mean
// of those of them outside the garment's bounding box (pixels above 0.1):
// the background part of the border.
func borderMeans(p []float32) (all, background float64) {
	x0, y0, x1, y1 := bbox(p, 0.1)
	var n, nb int
	for y := 0; y < Side; y++ {
		for x := 0; x < Side; x++ {
			if x >= 2 && x < Side-2 && y >= 2 && y < Side-2 {
				continue
			}
			v := float64(p[y*Side+x])
			all += v
			n++
			if x < x0 || x > x1 || y < y0 || y > y1 {
				background += v
				nb++
			}
		}
	}
	if nb > 0 {
		background /= float64(nb)
	}
	return all / float64(n), background
}

func maxOf(p []float32) float32 {
	m := p[0]
	for _, v := range p {
		m = max(m, v)
	}
	return m
}

// toNRGBA copies img into a new NRGBA image with bounds at (0, 0), through
// the colour model only: the slow, obviously right path.
func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}
