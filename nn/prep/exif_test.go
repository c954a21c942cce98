package prep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"testing"
)

// ifdEntry is one 12-byte IFD entry.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    uint32 // a SHORT goes in the first two bytes of the field
}

// tiff returns a TIFF structure in byte order "II" or "MM" with IFD0 at
// offset 8 holding entries.
func tiff(order string, entries ...ifdEntry) []byte {
	var bo binary.AppendByteOrder = binary.BigEndian
	if order == "II" {
		bo = binary.LittleEndian
	}
	b := []byte(order)
	b = bo.AppendUint16(b, 42)
	b = bo.AppendUint32(b, 8)
	b = bo.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = bo.AppendUint16(b, e.tag)
		b = bo.AppendUint16(b, e.typ)
		b = bo.AppendUint32(b, e.count)
		if e.typ == 3 {
			b = bo.AppendUint16(b, uint16(e.value))
			b = bo.AppendUint16(b, 0)
		} else {
			b = bo.AppendUint32(b, e.value)
		}
	}
	return bo.AppendUint32(b, 0) // no IFD1
}

// segment returns a JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker}
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)+2))
	return append(b, payload...)
}

func exifSeg(t []byte) []byte { return segment(0xE1, append([]byte("Exif\x00\x00"), t...)) }

func jpegOf(parts ...[]byte) []byte {
	b := []byte{0xFF, 0xD8}
	for _, p := range parts {
		b = append(b, p...)
	}
	return append(b, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9)
}

func orient(v uint32) ifdEntry { return ifdEntry{0x0112, 3, 1, v} }

func TestOrientationParser(t *testing.T) {
	make6 := exifSeg(tiff("MM", orient(6)))
	jfif := segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	xmp := segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	others := []ifdEntry{{0x010F, 2, 6, 26}, {0x0110, 2, 6, 32}}
	cases := []struct {
		name string
		data []byte
		want int
	}{
		{"MM short 6", jpegOf(make6), 6},
		{"II short 8", jpegOf(exifSeg(tiff("II", orient(8)))), 8},
		{"every value", jpegOf(exifSeg(tiff("II", orient(5)))), 5},
		{"II long 3", jpegOf(exifSeg(tiff("II", ifdEntry{0x0112, 4, 1, 3}))), 3},
		{"after other tags", jpegOf(exifSeg(tiff("MM", append(others, orient(7))...))), 7},
		{"after JFIF and XMP", jpegOf(jfif, xmp, make6), 6},
		{"fill bytes before a marker", jpegOf([]byte{0xFF, 0xFF}, jfif, []byte{0xFF}, make6), 6},
		{"restart marker before", jpegOf([]byte{0xFF, 0xD0}, make6), 6},
		{"value 0", jpegOf(exifSeg(tiff("MM", orient(0)))), 1},
		{"value 9", jpegOf(exifSeg(tiff("MM", orient(9)))), 1},
		{"value 65535 as long", jpegOf(exifSeg(tiff("II", ifdEntry{0x0112, 4, 1, 0x10006}))), 1},
		{"ASCII type", jpegOf(exifSeg(tiff("II", ifdEntry{0x0112, 2, 1, 6}))), 1},
		{"count 0", jpegOf(exifSeg(tiff("II", ifdEntry{0x0112, 3, 0, 6}))), 1},
		{"no orientation tag", jpegOf(exifSeg(tiff("MM", others...))), 1},
		{"empty IFD", jpegOf(exifSeg(tiff("MM"))), 1},
		{"IFD offset past the end", jpegOf(exifSeg([]byte("MM\x00\x2a\xff\xff\xff\xf0"))), 1},
		{"entry cut short", jpegOf(exifSeg(tiff("MM", orient(6))[:14])), 1},
		{"bad magic", jpegOf(exifSeg(append([]byte("MM\x00\x2b"), tiff("MM", orient(6))[4:]...))), 1},
		{"bad byte order", jpegOf(exifSeg(append([]byte("XX"), tiff("MM", orient(6))[2:]...))), 1},
		{"Exif in APP2", jpegOf(segment(0xE2, append([]byte("Exif\x00\x00"), tiff("MM", orient(6))...))), 1},
		{"Exif after the scan", append(jpegOf(), make6...), 1},
		{"segment length 0", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x00}, make6...), 1},
		{"segment past the end", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x10, 0x00, 'E', 'x'}, 1},
		{"junk between segments", jpegOf(jfif, []byte{0x00}, make6), 1},
		{"not a JPEG", pngHeader(10, 10), 1},
		{"SOI only", []byte{0xFF, 0xD8}, 1},
		{"empty", nil, 1},
	}
	for _, tc := range cases {
		if got := Orientation(tc.data); got != tc.want {
			t.Errorf("%s: orientation %d, want %d", tc.name, got, tc.want)
		}
	}
	for file, want := range map[string]int{c08Up: 1, c08Six: 6, c08Three: 3, c06Dark: 1} {
		if got := Orientation(readFile(t, file)); got != want {
			t.Errorf("%s: orientation %d, want %d", file, got, want)
		}
	}
	data := readFile(t, c08Six)
	if a := testing.AllocsPerRun(100, func() { Orientation(data) }); a != 0 {
		t.Errorf("Orientation allocates %v times per call", a)
	}
}

// The transforms, defined independently: viewers show orientation o as
// these compositions of a mirror and clockwise quarter turns.
func mirror(m *image.Gray) *image.Gray {
	b := m.Bounds()
	out := image.NewGray(b)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Pix[y*out.Stride+x] = m.Pix[y*m.Stride+b.Dx()-1-x]
		}
	}
	return out
}

func clockwise(m *image.Gray) *image.Gray {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	out := image.NewGray(image.Rect(0, 0, h, w))
	for y := 0; y < w; y++ {
		for x := 0; x < h; x++ {
			out.Pix[y*out.Stride+x] = m.Pix[(h-1-x)*m.Stride+y] // the left column becomes the top row
		}
	}
	return out
}

func shown(m *image.Gray, o int) *image.Gray {
	cw := func(m *image.Gray, n int) *image.Gray {
		for range n {
			m = clockwise(m)
		}
		return m
	}
	switch o {
	case 2:
		return mirror(m)
	case 3:
		return cw(m, 2)
	case 4:
		return mirror(cw(m, 2))
	case 5:
		return mirror(cw(m, 1))
	case 6:
		return cw(m, 1)
	case 7:
		return mirror(cw(m, 3))
	case 8:
		return cw(m, 3)
	}
	return m
}

func TestOrient(t *testing.T) {
	stored := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(stored.Pix, []byte{1, 2, 3, 4, 5, 6})
	for o := 0; o <= 9; o++ {
		got := toNRGBA(Orient(stored, o))
		want := shown(stored, o)
		if got.Bounds() != want.Bounds() {
			t.Errorf("orientation %d: bounds %v, want %v", o, got.Bounds(), want.Bounds())
			continue
		}
		for y := 0; y < want.Rect.Dy(); y++ {
			for x := 0; x < want.Rect.Dx(); x++ {
				if g, w := got.NRGBAAt(x, y).R, want.GrayAt(x, y).Y; g != w {
					t.Errorf("orientation %d: pixel (%d,%d) is %d, want %d", o, x, y, g, w)
				}
			}
		}
	}
	// Off-origin bounds, and At outside the view.
	sub := stored.SubImage(image.Rect(1, 0, 3, 2))
	v := Orient(sub, 6)
	if v.Bounds() != image.Rect(0, 0, 2, 2) || toNRGBA(v).NRGBAAt(1, 0).R != 2 {
		t.Errorf("orientation 6 of a sub-image: bounds %v, (1,0) = %v", v.Bounds(), toNRGBA(v).NRGBAAt(1, 0))
	}
	if _, _, _, a := v.At(5, 5).RGBA(); a != 0 {
		t.Errorf("At outside the view is not transparent")
	}
}

// End to end: a JPEG stored in each orientation, with the tag that says
// so, decodes to the upright boot.
func TestDecodeEveryOrientation(t *testing.T) {
	up, _ := decodeFile(t, c08Up)
	upright := up.(*image.Gray)
	want, err := Prepare(upright)
	if err != nil {
		t.Fatal(err)
	}
	inverse := map[int]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
	for o := 1; o <= 8; o++ {
		stored := shown(upright, inverse[o]) // shown(stored, o) is upright
		var b bytes.Buffer
		if err := jpeg.Encode(&b, stored, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		data = append(append(data[:2:2], exifSeg(tiff("II", orient(uint32(o))))...), data[2:]...)
		img, info, err := Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		in, err := Prepare(img)
		if err != nil {
			t.Fatal(err)
		}
		if d := meanAbsDiff(in.Pixels, want.Pixels); info.Orientation != o || img.Bounds() != upright.Bounds() || d > 0.03 {
			t.Errorf("orientation %d: decoded %+v, bounds %v, differs from upright by %.4f", o, info, img.Bounds(), d)
		}
	}
}

// FuzzOrientation feeds the EXIF reader damaged and hostile JPEG heads: it
// must never panic, must answer 1 to 8, and can only answer other than 1
// when the bytes hold the tag 0x0112.
func FuzzOrientation(f *testing.F) {
	for _, name := range []string{c08Up, c08Six, c08Three} {
		b, err := readFixture(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, n := range []int{2, 4, 6, 10, 12, 16, 20, 22, 30, 34, 36, 38} {
			f.Add(b[:n])
		}
		for _, i := range []int{4, 5, 12, 13, 16, 19, 21, 25, 27, 33} { // lengths, byte order, offsets, count, type, value
			g := bytes.Clone(b)
			g[i] ^= 0xFF
			f.Add(g)
		}
	}
	f.Add(jpegOf(exifSeg(tiff("II", ifdEntry{0x0112, 4, 1, 3}))))
	f.Add(jpegOf(exifSeg([]byte("MM\x00\x2a\xff\xff\xff\xf0"))))
	f.Add(jpegOf(exifSeg(append(tiff("MM", orient(6))[:8], 0xFF, 0xFF))))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := Orientation(data)
		if o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		if o != 1 && !bytes.Contains(data, []byte{0x01, 0x12}) && !bytes.Contains(data, []byte{0x12, 0x01}) {
			t.Fatalf("orientation %d without tag 0x0112 in the bytes", o)
		}
		if o2 := Orientation(data); o2 != o {
			t.Fatalf("orientation %d, then %d", o, o2)
		}
	})
}

// FuzzDecode feeds Decode (with small limits) and then Prepare damaged
// and hostile files: no panic, every error one of the package's, and
// every decoded picture within the limits and prepared into pixels in
// [0, 1] or refused as blank.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{c06Dark, c06Light, c08Up, c08Six, c08Three} {
		b, err := readFixture(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
		f.Add(b[:min(len(b), 60)])
	}
	f.Add([]byte("<!DOCTYPE html><html></html>"))
	f.Add([]byte{})
	f.Add(pngHeader(100000, 100000))
	f.Add(pngHeader(1, 1))
	f.Add(bmpFile(2, 1, []byte{0, 0, 255, 0, 255, 0, 0, 0}))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	limits := Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := limits.Decode(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrNotImage) && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		b := img.Bounds()
		if b.Empty() || int64(b.Dx())*int64(b.Dy()) > limits.MaxPixels {
			t.Fatalf("decoded bounds %v", b)
		}
		in, err := Prepare(img)
		if err != nil {
			if !errors.Is(err, ErrBlank) {
				t.Fatalf("prepare: %v", err)
			}
			return
		}
		for i, v := range in.Pixels {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel %d is %v", i, v)
			}
		}
	})
}
