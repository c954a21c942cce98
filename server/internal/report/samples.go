package report

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"warmstart/nn"
)

// Layout of samples.png: every pixel of a sample becomes a sampleScale x
// sampleScale block, and a white gap of sampleGap pixels surrounds each
// image.
const (
	sampleScale = 4
	sampleGap   = 4
)

// sampleImage lays out g as one image: a row of clean images, a row of
// noisy ones and a row of denoised ones, each scaled up scale times.
// Pixels outside [0,1] are clamped. It returns an error when the grid's
// slices do not hold N images of Rows x Cols pixels.
func sampleImage(g nn.SampleGrid, scale int) (*image.Gray, error) {
	n, h, w := g.N, g.Rows, g.Cols
	size := n * h * w
	if n <= 0 || h <= 0 || w <= 0 ||
		len(g.Clean) != size || len(g.Noisy) != size || len(g.Denoised) != size {
		return nil, fmt.Errorf("sample grid of %d images of %dx%d holds %d/%d/%d pixels",
			n, h, w, len(g.Clean), len(g.Noisy), len(g.Denoised))
	}
	cellW, cellH := w*scale+sampleGap, h*scale+sampleGap
	img := image.NewGray(image.Rect(0, 0, n*cellW+sampleGap, 3*cellH+sampleGap))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for row, px := range [][]float32{g.Clean, g.Noisy, g.Denoised} {
		for k := range n {
			x0, y0 := sampleGap+k*cellW, sampleGap+row*cellH
			for y := range h {
				for x := range w {
					v := gray(px[k*h*w+y*w+x])
					for dy := range scale {
						for dx := range scale {
							img.SetGray(x0+x*scale+dx, y0+y*scale+dy, v)
						}
					}
				}
			}
		}
	}
	return img, nil
}

// gray maps a pixel in [0,1] to 8-bit gray, clamping values outside.
func gray(v float32) color.Gray {
	switch {
	case !(v > 0): // NaN too
		return color.Gray{}
	case v >= 1:
		return color.Gray{Y: 0xff}
	}
	return color.Gray{Y: uint8(v*255 + 0.5)}
}

// writeSamples encodes the clean / noisy / denoised grid as a PNG.
func writeSamples(w io.Writer, g nn.SampleGrid, scale int) error {
	img, err := sampleImage(g, scale)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("encode png: %w", err)
	}
	return nil
}
