package data

import "fmt"

// lut32 and lut64 map a pixel value p to p/255.
var (
	lut32 [256]float32
	lut64 [256]float64
)

func init() {
	for i := range 256 {
		lut32[i] = float32(i) / 255
		lut64[i] = float64(i) / 255
	}
}

// Batch32 writes the pixels of images idx[0], idx[1], ... scaled to [0, 1]
// (pixel/255; 0 and 255 map exactly to 0 and 1) into dst, image k at
// dst[k*Rows*Cols:(k+1)*Rows*Cols]. It panics, as a programmer error, if
// len(dst) != len(idx)*Rows*Cols or an index is out of range.
func (im *Images) Batch32(dst []float32, idx []int) {
	batch(im, dst, idx, &lut32, "Batch32")
}

// Batch64 is [Images.Batch32] for float64.
func (im *Images) Batch64(dst []float64, idx []int) {
	batch(im, dst, idx, &lut64, "Batch64")
}

func batch[T float32 | float64](im *Images, dst []T, idx []int, lut *[256]T, fn string) {
	s := im.Rows * im.Cols
	if len(dst) != len(idx)*s {
		panic(fmt.Sprintf("data: Images.%s: len(dst) = %d, want %d (%d images of %d pixels)",
			fn, len(dst), len(idx)*s, len(idx), s))
	}
	for k, i := range idx {
		if i < 0 || i >= im.N {
			panic(fmt.Sprintf("data: Images.%s: idx[%d] = %d out of range [0, %d)", fn, k, i, im.N))
		}
		src := im.Pix[i*s : (i+1)*s]
		out := dst[k*s : (k+1)*s]
		out = out[:len(src)]
		for j, p := range src {
			out[j] = lut[p]
		}
	}
}
