// Command icongen draws warmstart's icons into the web folder: a T-shirt
// of light pixels on a dark square, like a Fashion-MNIST image. The files
// are committed; run it again only to change the design:
//
//	go run ./app/internal/icongen -out web
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"strings"
)

// shirt is the design, one character per pixel of a 16x16 grid: '#' is a
// light pixel, '+' a dimmer one (the shading of a Fashion-MNIST garment).
var shirt = []string{
	"................",
	"................",
	".....##..##.....",
	"...####..####...",
	"..############..",
	".##############.",
	".###+######+###.",
	".##..######..##.",
	".....######.....",
	".....##++##.....",
	".....######.....",
	".....######.....",
	".....######.....",
	".....######.....",
	"................",
	"................",
}

var (
	bg    = color.RGBA{0x10, 0x15, 0x1f, 0xff}
	light = color.RGBA{0xe6, 0xe9, 0xee, 0xff}
	dim   = color.RGBA{0x9a, 0xb4, 0xd8, 0xff}
)

func main() {
	out := flag.String("out", "web", "output `folder`")
	flag.Parse()
	for _, f := range []struct {
		name string
		size int
		pad  float64 // fraction of the side left empty around the design
	}{{"icon-192.png", 192, 0}, {"icon-512.png", 512, 0}, {"icon-maskable-512.png", 512, 0.1}} {
		if err := writePNG(filepath.Join(*out, f.name), f.size, f.pad); err != nil {
			log.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(*out, "icon.svg"), []byte(svg()), 0o644); err != nil {
		log.Fatal(err)
	}
}

// writePNG draws the design on a size x size square; a maskable icon has
// its design inside the central safe zone and no rounded corners.
func writePNG(path string, size int, pad float64) error {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	off := int(pad * float64(size))
	cell := (size - 2*off) / 16
	off = (size - 16*cell) / 2
	for y := range size {
		for x := range size {
			img.Set(x, y, bg)
		}
	}
	for r, row := range shirt {
		for c, ch := range row {
			col := bg
			switch ch {
			case '#':
				col = light
			case '+':
				col = dim
			}
			for y := off + r*cell; y < off+(r+1)*cell; y++ {
				for x := off + c*cell; x < off+(c+1)*cell; x++ {
					img.Set(x, y, col)
				}
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func svg() string {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" shape-rendering="crispEdges">`)
	b.WriteString(`<rect width="16" height="16" rx="2.5" fill="#10151f"/>`)
	for r, row := range shirt {
		for c, ch := range row {
			fill := ""
			switch ch {
			case '#':
				fill = "#e6e9ee"
			case '+':
				fill = "#9ab4d8"
			}
			if fill != "" {
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="1" height="1" fill="%s"/>`, c, r, fill)
			}
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}
