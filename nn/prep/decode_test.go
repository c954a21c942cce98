package prep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"
)

// pngHeader returns a PNG signature and IHDR chunk (8-bit gray) that
// claim w x h pixels, and nothing after them.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12] = 8 // bit depth; colour type 0 (gray), no interlace
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestDecodeErrors(t *testing.T) {
	gray := readFile(t, c06Gray)
	boot := readFile(t, c08Up)
	cases := []struct {
		name  string
		data  []byte
		err   error
		wants []string
	}{
		{"empty", nil, ErrNotImage, []string{"not an image: the file is empty (0 bytes)"}},
		{"HTML error page", []byte("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>"),
			ErrNotImage, []string{"not an image", "HTML page", `"<!DOCTYPE html>"`}},
		{"HTML with BOM and spaces", []byte("\ufeff  <html lang=en><body>hi</body></html>"), ErrNotImage, []string{"HTML page"}},
		{"SVG", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), ErrNotImage, []string{"SVG", "export it as PNG"}},
		{"PDF", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), ErrNotImage, []string{"PDF document"}},
		{"HEIC", append([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), make([]byte, 20)...), ErrNotImage, []string{"HEIC", "export it as JPEG"}},
		{"TIFF", []byte("II*\x00\x08\x00\x00\x00"), ErrNotImage, []string{"TIFF"}},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), ErrNotImage, []string{"gzip"}},
		{"text", []byte("hello, this is a note\nsecond line"), ErrNotImage, []string{`text (starts with "hello, this is a note")`}},
		{"binary junk", []byte{0x00, 0x01, 0x02, 0x03, 0xfe, 0xfd, 0x10, 0x20, 0x30}, ErrNotImage, []string{"unknown format (9 bytes, starting 00 01 02 03 fe fd 10 20)"}},
		{"PNG cut inside the pixels", gray[:len(gray)/2], ErrDamaged, []string{"damaged image: png"}},
		{"PNG header only", gray[:40], ErrDamaged, []string{"damaged image: png"}},
		{"PNG cut in its header", gray[:20], ErrDamaged, []string{"damaged image: png header"}},
		{"JPEG cut inside the scan", boot[:len(boot)*2/3], ErrDamaged, []string{"damaged image: jpeg"}},
		{"JPEG cut before its frame", boot[:100], ErrDamaged, []string{"damaged image: jpeg header"}},
		{"PNG claiming 100000x100000", pngHeader(100000, 100000), ErrTooLarge,
			[]string{"image too large: 100000x100000 pixels (10000.0 megapixels) exceeds the limit of 67.1 megapixels", "scale it down"}},
		{"PNG claiming 0x5", pngHeader(0, 5), ErrDamaged, []string{"damaged image"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, _, err := Decode(bytes.NewReader(tc.data))
			if err == nil {
				t.Fatalf("decoded a %v image", img.Bounds())
			}
			t.Log(err)
			if !errors.Is(err, tc.err) {
				t.Errorf("error %q does not wrap %q", err, tc.err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestDecodeByteLimit(t *testing.T) {
	l := Limits{MaxBytes: 1000, MaxPixels: DefaultLimits.MaxPixels}
	_, _, err := l.Decode(bytes.NewReader(readFile(t, c06Gray))) // 50,761 bytes
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "over the 1000 bytes limit") {
		t.Fatalf("error %v", err)
	}
	if _, _, err := l.Decode(bytes.NewReader(readFile(t, c06Dark))); err != nil { // 451 bytes
		t.Fatalf("a file under the limit: %v", err)
	}
	if !strings.Contains(DefaultLimits.tooManyBytes().Error(), "over the 64 MiB limit") {
		t.Errorf("default limit message: %v", DefaultLimits.tooManyBytes())
	}
}

// Every format Decode registers, round-tripped.
func TestDecodeFormats(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range src.Pix {
		src.Pix[i] = uint8(i % 251)
	}
	pal := image.NewPaletted(src.Rect, color.Palette{color.Black, color.White})
	var pngB, jpgB, gifB bytes.Buffer
	if err := png.Encode(&pngB, src); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgB, src, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gifB, pal, nil); err != nil {
		t.Fatal(err)
	}
	// A 1x1 lossless WebP and a 2x1 24-bit BMP.
	webp := []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
	bmp := bmpFile(2, 1, []byte{0, 0, 255, 0, 255, 0, 0, 0}) // red, green, row padding
	for _, tc := range []struct {
		format string
		data   []byte
		w, h   int
	}{
		{"png", pngB.Bytes(), 40, 30},
		{"jpeg", jpgB.Bytes(), 40, 30},
		{"gif", gifB.Bytes(), 40, 30},
		{"webp", webp, 1, 1},
		{"bmp", bmp, 2, 1},
	} {
		img, info, err := Decode(bytes.NewReader(tc.data))
		if err != nil {
			t.Errorf("%s: %v", tc.format, err)
			continue
		}
		if info.Format != tc.format || img.Bounds().Dx() != tc.w || img.Bounds().Dy() != tc.h || info.Orientation != 1 {
			t.Errorf("%s: info %+v, bounds %v", tc.format, info, img.Bounds())
		}
	}
}

// bmpFile returns a bottom-up 24-bit BMP of w x h pixels whose rows
// (padded to 4 bytes) are pix.
func bmpFile(w, h int, pix []byte) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("BM")
	binary.Write(&b, le, uint32(54+len(pix)))
	binary.Write(&b, le, uint32(0))
	binary.Write(&b, le, uint32(54))
	binary.Write(&b, le, uint32(40))
	binary.Write(&b, le, int32(w))
	binary.Write(&b, le, int32(h))
	binary.Write(&b, le, uint16(1))
	binary.Write(&b, le, uint16(24))
	binary.Write(&b, le, uint32(0))
	binary.Write(&b, le, uint32(len(pix)))
	binary.Write(&b, le, [4]uint32{})
	b.Write(pix)
	return b.Bytes()
}

func TestFromRGBA(t *testing.T) {
	pix := make([]byte, 4*3*2)
	img, err := FromRGBA(3, 2, pix)
	if err != nil {
		t.Fatal(err)
	}
	pix[4*4+3], pix[4*4] = 255, 200 // pixel (1, 1): red 200, opaque
	if c := img.NRGBAAt(1, 1); c != (color.NRGBA{200, 0, 0, 255}) || img.Bounds() != image.Rect(0, 0, 3, 2) {
		t.Errorf("the image does not share the canvas pixels: %v, bounds %v", c, img.Bounds())
	}
	for _, tc := range []struct {
		name string
		w, h int
		pix  []byte
		err  error
		want string
	}{
		{"short buffer", 3, 2, make([]byte, 23), ErrPixels, "23 bytes for 3x2 pixels, want 24 (4 bytes per pixel, RGBA)"},
		{"RGB buffer", 3, 2, make([]byte, 18), ErrPixels, "want 24"},
		{"zero width", 0, 2, nil, ErrPixels, "size 0x2"},
		{"negative height", 3, -1, nil, ErrPixels, "size 3x-1"},
		{"huge", 1 << 20, 1 << 20, nil, ErrTooLarge, "1048576x1048576 pixels"},
	} {
		_, err := FromRGBA(tc.w, tc.h, tc.pix)
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %v saying %q", tc.name, err, tc.err, tc.want)
		}
	}
}

// A 50-megapixel photo, the size of today's phone cameras, decodes and
// prepares natively.
func TestDecodeFiftyMegapixels(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes and decodes a 50 MP JPEG; not in -short mode")
	}
	const w, h = 8660, 5774 // 50.0 MP
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 235 // light paper
	}
	for y := h / 4; y < 3*h/4; y++ { // a dark garment-sized block
		for x := w / 3; x < w/2; x++ {
			img.Pix[y*w+x] = 30
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	size := b.Len()
	start := time.Now()
	dec, info, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	decoded := time.Since(start)
	in, err := Prepare(dec)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d-byte JPEG, %dx%d: decode %v, prepare %v; box %v", size, info.Width, info.Height,
		decoded.Round(time.Millisecond), (time.Since(start) - decoded).Round(time.Millisecond), in.Box)
	want := image.Rect(w/3, h/4, w/2, 3*h/4)
	if !in.Box.In(want.Inset(-10)) || in.Box.Dx() < want.Dx()-20 || !in.Inverted {
		t.Errorf("box %v, want about %v; inverted %v", in.Box, want, in.Inverted)
	}
}
