package app

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
)

// stripPNG returns a data: URL of a PNG that shows n grayscale images of
// rows x cols pixels side by side, with a one-pixel gap between them, from
// pix: the images one after another, row-major, values in [0, 1] (0 black,
// as in Fashion-MNIST). The page scales the picture up with
// image-rendering: pixelated, so every pixel stays a crisp square. It
// returns "" when pix is shorter than n images.
func stripPNG(pix []float32, n, rows, cols int) string {
	if n <= 0 || rows <= 0 || cols <= 0 || len(pix) < n*rows*cols {
		return ""
	}
	const gap = 1
	img := image.NewGray(image.Rect(0, 0, n*cols+(n-1)*gap, rows))
	for i := range img.Pix {
		img.Pix[i] = 128 // the gaps: mid gray, visible on both themes
	}
	for k := range n {
		for r := range rows {
			for c := range cols {
				v := pix[k*rows*cols+r*cols+c]
				img.SetGray(k*(cols+gap)+c, r, grayOf(v))
			}
		}
	}
	return pngURL(img)
}

// grayPNG returns a data: URL of a PNG of one side x side image of gray
// bytes (0 black), such as the 28x28 preview of a picture to classify, or
// "" when pix is too short.
func grayPNG(pix []byte, side int) string {
	if side <= 0 || len(pix) < side*side {
		return ""
	}
	img := image.NewGray(image.Rect(0, 0, side, side))
	copy(img.Pix, pix[:side*side])
	return pngURL(img)
}

// grayOf converts a pixel value in [0, 1] to a gray level; NaN and
// negative values are black, values above 1 white.
func grayOf(v float32) color.Gray {
	switch {
	case !(v > 0):
		return color.Gray{}
	case v >= 1:
		return color.Gray{Y: 255}
	}
	return color.Gray{Y: uint8(math.Round(float64(v) * 255))}
}

func pngURL(img image.Image) string {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// fitWithin returns w x h scaled down, keeping its aspect ratio, so that
// neither side exceeds limit; sizes within the limit are unchanged.
func fitWithin(w, h, limit int) (int, int) {
	if w <= limit && h <= limit {
		return w, h
	}
	s := float64(limit) / float64(max(w, h))
	return max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s)))
}
