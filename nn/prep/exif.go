package prep

import (
	"encoding/binary"
	"image"
	"image/color"
)

// Orientation returns the EXIF Orientation tag (1 to 8) of the JPEG file
// in b, or 1 when b is not a JPEG, has no Exif segment, no orientation
// tag, or a damaged or out-of-range one: 1 means "stored upright".
//
// It reads the markers before the first scan, the APP1 "Exif\0\0"
// segment, its TIFF header (byte order "II" or "MM", magic 42) and the
// entries of IFD0 up to tag 0x0112. It works on b in place: it never
// allocates and never reads outside b, whatever b holds.
//
// The values, as the TIFF/EXIF standard defines them, say how the stored
// pixels must be transformed to show the picture upright: 2 mirror
// left-right, 3 rotate 180°, 4 mirror top-bottom, 5 transpose, 6 rotate
// 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
func Orientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	pos := 2
	for pos+1 < len(b) {
		if b[pos] != 0xFF {
			return 1 // not at a marker: damaged
		}
		// A marker may be preceded by any number of 0xFF fill bytes.
		for pos+1 < len(b) && b[pos+1] == 0xFF {
			pos++
		}
		if pos+1 >= len(b) {
			return 1
		}
		marker := b[pos+1]
		pos += 2
		switch {
		case marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7):
			continue // standalone markers carry no length
		case marker == 0xDA || marker == 0xD9:
			return 1 // start of scan or end of image: no Exif before it
		}
		if pos+2 > len(b) {
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[pos:]))
		if n < 2 || pos+n > len(b) {
			return 1
		}
		seg := b[pos+2 : pos+n]
		pos += n
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o, ok := tiffOrientation(seg[6:]); ok {
				return o
			}
			// A damaged Exif segment; a later one (rare) may still say.
		}
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from IFD0 of the TIFF structure in t.
// ok is false when t is damaged or IFD0 has no such tag; an orientation
// outside 1 to 8 is reported as 1 with ok true.
func tiffOrientation(t []byte) (o int, ok bool) {
	if len(t) < 8 {
		return 0, false
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0, false
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0, false
	}
	ifd := uint64(bo.Uint32(t[4:]))
	if ifd+2 > uint64(len(t)) {
		return 0, false
	}
	count := uint64(bo.Uint16(t[ifd:]))
	for i := uint64(0); i < count; i++ {
		e := ifd + 2 + 12*i
		if e+12 > uint64(len(t)) {
			return 0, false
		}
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		var v uint32
		switch typ := bo.Uint16(t[e+2:]); typ {
		case 3: // SHORT, as the standard says: left-justified in the value field
			v = uint32(bo.Uint16(t[e+8:]))
		case 4: // LONG, which some writers use
			v = bo.Uint32(t[e+8:])
		default:
			return 1, true
		}
		if bo.Uint32(t[e+4:]) < 1 || v < 1 || v > 8 {
			return 1, true
		}
		return int(v), true
	}
	return 0, false
}

// Orient returns img as it is shown upright when its EXIF orientation is
// o (see [Orientation]): for o in 2 to 8 a view of img with the pixels
// mirrored or rotated, without copying them; for anything else img
// itself. The view's bounds start at (0, 0); orientations 5 to 8 swap
// width and height. [Prepare] reads such a view as fast as img itself.
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	return &oriented{src: img, o: o}
}

// oriented is img shown with EXIF orientation o applied.
type oriented struct {
	src image.Image
	o   int
}

func (v *oriented) ColorModel() color.Model { return v.src.ColorModel() }

func (v *oriented) Bounds() image.Rectangle {
	w, h := orientedSize(v.src.Bounds().Dx(), v.src.Bounds().Dy(), v.o)
	return image.Rect(0, 0, w, h)
}

func (v *oriented) At(x, y int) color.Color {
	b := v.src.Bounds()
	w, h := orientedSize(b.Dx(), b.Dy(), v.o)
	if x < 0 || y < 0 || x >= w || y >= h {
		return color.Transparent
	}
	sx, sy := orientSource(x, y, b.Dx(), b.Dy(), v.o)
	return v.src.At(b.Min.X+sx, b.Min.Y+sy)
}

// orientedSize returns the upright size of a stored w x h picture.
func orientedSize(w, h, o int) (int, int) {
	if o >= 5 && o <= 8 {
		return h, w
	}
	return w, h
}

// orientSource maps upright pixel (x, y) to the pixel of the stored w x h
// picture it shows, for EXIF orientation o.
func orientSource(x, y, w, h, o int) (sx, sy int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return y, h - 1 - x
	case 7:
		return w - 1 - y, h - 1 - x
	case 8:
		return w - 1 - y, x
	}
	return x, y
}
