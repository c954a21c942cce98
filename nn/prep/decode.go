package prep

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"
	"unicode/utf8"

	// The formats Decode reads: the standard library's three, and WebP
	// and BMP from golang.org/x/image.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// Errors of this package. Each returned error wraps one of them and says
// more: what the bytes look like, the size and the limit, and so on.
var (
	// ErrNotImage: the bytes are not an image in a format Decode reads.
	ErrNotImage = errors.New("not an image")
	// ErrDamaged: the format is known but the file is truncated or corrupt.
	ErrDamaged = errors.New("damaged image")
	// ErrTooLarge: the file or its pixel count exceeds the [Limits].
	ErrTooLarge = errors.New("image too large")
	// ErrPixels: FromRGBA got sizes and a pixel buffer that do not agree.
	ErrPixels = errors.New("bad pixel buffer")
	// ErrBlank: the picture holds nothing to classify.
	ErrBlank = errors.New("nothing to classify")
)

// Limits bound what [Limits.Decode] and [FromRGBA] accept, so that a
// hostile or absurd file is refused before memory is spent on it.
type Limits struct {
	MaxBytes  int64 // size of the encoded file
	MaxPixels int64 // width × height of the decoded picture
}

// DefaultLimits admit phone photos (12 to 50 megapixels are common, as
// JPEGs of 3 to 25 MB) with room to spare: 64 MiB of file and 64 Mi
// pixels (67.1 megapixels, for example 9500 x 7000). Decoding a picture of
// that size natively takes 64 MB (gray JPEG) to 512 MB (16-bit RGBA PNG).
var DefaultLimits = Limits{MaxBytes: 64 << 20, MaxPixels: 1 << 26}

// Info describes a decoded file.
type Info struct {
	Format string // "png", "jpeg", "gif", "webp" or "bmp"
	// Width and Height are the stored size, before orientation.
	Width, Height int
	// Orientation is the EXIF orientation (1 to 8) that Decode applied;
	// 1 for upright and for formats without EXIF.
	Orientation int
}

// Decode reads a PNG, JPEG, GIF, WebP or BMP picture with [DefaultLimits]
// and returns it upright: the EXIF orientation of a JPEG is applied, as
// browsers and photo viewers do (Go's image/jpeg ignores it).
//
// Its errors say what went wrong in words a user can act on: ErrNotImage
// naming what the bytes look like ("an HTML page", "empty", "a HEIC
// photo"), ErrDamaged for a truncated or corrupt file, ErrTooLarge with
// the size and the limit.
func Decode(r io.Reader) (image.Image, Info, error) { return DefaultLimits.Decode(r) }

// Decode is [Decode] with the limits l. The header is read first (with
// image.DecodeConfig) so that a picture over the pixel limit is refused
// before its pixels are allocated.
func (l Limits) Decode(r io.Reader) (image.Image, Info, error) {
	data, err := io.ReadAll(io.LimitReader(r, l.MaxBytes+1))
	if err != nil {
		return nil, Info{}, fmt.Errorf("read image: %w", err)
	}
	if int64(len(data)) > l.MaxBytes {
		return nil, Info{}, l.tooManyBytes()
	}
	if len(data) == 0 {
		return nil, Info{}, fmt.Errorf("%w: the file is empty (0 bytes)", ErrNotImage)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, Info{}, fmt.Errorf("%w: %s", ErrNotImage, describe(data))
	}
	if err != nil {
		return nil, Info{}, damaged(format, "header", err)
	}
	info := Info{Format: format, Width: cfg.Width, Height: cfg.Height, Orientation: 1}
	if err := l.checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, info, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, info, damaged(format, "", err)
	}
	// A GIF's first frame may be smaller than its screen; nothing may
	// be larger than the header said.
	if b := img.Bounds(); b.Empty() || b.Dx() > cfg.Width || b.Dy() > cfg.Height {
		return nil, info, fmt.Errorf("%w: %s header says %dx%d, pixels are %dx%d",
			ErrDamaged, format, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	if format == "jpeg" {
		info.Orientation = Orientation(data)
	}
	return Orient(img, info.Orientation), info, nil
}

// damaged returns the ErrDamaged error for a decoder's err on a file of
// the format, in its part ("header" or "" for the pixels).
func damaged(format, part string, err error) error {
	what := format
	if part != "" {
		what += " " + part
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %s: the file is cut short (truncated download or copy?)", ErrDamaged, what)
	}
	msg := strings.TrimPrefix(err.Error(), format+": ")
	return fmt.Errorf("%w: %s: %s", ErrDamaged, what, msg)
}

// suggestSide is the longest side the error messages suggest: more than
// enough for a 28 x 28 input.
const suggestSide = 4000

func (l Limits) tooManyBytes() error {
	return fmt.Errorf("%w: the file is over the %s limit; save it smaller (a JPEG of at most %d x %d pixels is plenty) and try again",
		ErrTooLarge, formatBytes(l.MaxBytes), suggestSide, suggestSide)
}

// checkSize refuses empty pictures and those over the pixel limit.
func (l Limits) checkSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: the picture is %dx%d pixels", ErrDamaged, w, h)
	}
	if int64(w) > l.MaxPixels/int64(h) {
		return fmt.Errorf("%w: %dx%d pixels (%s) exceeds the limit of %s; scale it down to at most %d pixels on the longest side and try again",
			ErrTooLarge, w, h, megapixels(int64(w)*int64(h)), megapixels(l.MaxPixels), suggestSide)
	}
	return nil
}

func megapixels(n int64) string {
	return fmt.Sprintf("%.1f megapixels", float64(n)/1e6)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// describe says in words what data, which no decoder recognised, looks
// like, for the ErrNotImage message.
func describe(data []byte) string {
	head := data[:min(len(data), 64)]
	trimmed := bytes.TrimLeft(head, " \t\r\n\ufeff")
	lower := strings.ToLower(string(trimmed[:min(len(trimmed), 32)]))
	hasPrefix := func(p string) bool { return bytes.HasPrefix(data, []byte(p)) }
	ftyp := len(data) >= 12 && string(data[4:8]) == "ftyp"
	switch {
	case strings.HasPrefix(lower, "<!doctype html"), strings.HasPrefix(lower, "<html"),
		strings.HasPrefix(lower, "<head"), strings.HasPrefix(lower, "<body"):
		return fmt.Sprintf("it is an HTML page (starts with %q), perhaps an error page saved instead of the picture", firstTag(trimmed))
	case strings.HasPrefix(lower, "<svg"), strings.HasPrefix(lower, "<?xml") && bytes.Contains(data[:min(len(data), 1024)], []byte("<svg")):
		return "it is an SVG drawing, which this program cannot rasterise: export it as PNG"
	case strings.HasPrefix(lower, "<"):
		return fmt.Sprintf("it is XML or HTML text (starts with %q)", firstLine(trimmed))
	case hasPrefix("%PDF"):
		return "it is a PDF document"
	case hasPrefix("PK\x03\x04"):
		return "it is a ZIP archive"
	case hasPrefix("\x1f\x8b"):
		return "it is gzip-compressed data"
	case hasPrefix("II*\x00"), hasPrefix("MM\x00*"):
		return "it is a TIFF file, which this program cannot decode: save it as PNG or JPEG"
	case ftyp && (string(data[8:12]) == "avif" || string(data[8:12]) == "avis"):
		return "it is an AVIF picture, which this program cannot decode: save it as JPEG or PNG"
	case ftyp && isHEIF(string(data[8:12])):
		return "it is a HEIC/HEIF photo (the iPhone camera's format), which this program cannot decode: export it as JPEG (or set the camera to \"Most Compatible\")"
	case ftyp:
		return fmt.Sprintf("it is an ISO media file (brand %q), perhaps a video", data[8:12])
	case len(data) >= 2 && data[0] == 0xFF && data[1] == 0xD8:
		return "it starts like a JPEG but has no readable frame header"
	}
	if utf8.Valid(head) && printable(head) {
		return fmt.Sprintf("it is text (starts with %q)", firstLine(trimmed))
	}
	return fmt.Sprintf("unknown format (%d bytes, starting % x)", len(data), data[:min(len(data), 8)])
}

func isHEIF(brand string) bool {
	switch brand {
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
		return true
	}
	return false
}

// firstLine returns b up to its first line break, at most 40 bytes.
func firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b)
}

// firstTag returns b up to the end of its first tag, if that is on the
// first line, and otherwise its first line.
func firstTag(b []byte) string {
	line := firstLine(b)
	if i := strings.IndexByte(line, '>'); i >= 0 {
		return line[:i+1]
	}
	return line
}

func printable(b []byte) bool {
	for _, r := range string(b) {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// FromRGBA wraps the pixels of a canvas, as ImageData holds them (w × h
// pixels, row-major, 4 bytes each: red, green, blue and alpha, not
// premultiplied), as an image without copying them: the image shares pix.
// It checks the sizes against each other and against [DefaultLimits].
func FromRGBA(w, h int, pix []byte) (*image.NRGBA, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%w: size %dx%d, want positive width and height", ErrPixels, w, h)
	}
	if err := DefaultLimits.checkSize(w, h); err != nil {
		return nil, err
	}
	if want := 4 * w * h; len(pix) != want {
		return nil, fmt.Errorf("%w: %d bytes for %dx%d pixels, want %d (4 bytes per pixel, RGBA)",
			ErrPixels, len(pix), w, h, want)
	}
	return &image.NRGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}, nil
}
