package data

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestDecodeImagesValid(t *testing.T) {
	im := valid3()
	raw := rawImages(t, im)
	gz := GzipBytes(raw)
	// Two gzip members, as made by gzip -c a >f; gzip -c b >>f.
	multi := cat(GzipBytes(raw[:100]), GzipBytes(raw[100:]))
	tests := []struct {
		name string
		in   []byte
	}{
		{"gzip", gz},
		{"raw IDX (C10 already decompressed)", raw},
		{"multistream gzip", multi},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeImages("c00_valid_3-idx3-ubyte.gz", bytes.NewReader(tt.in))
			if err != nil {
				t.Fatalf("DecodeImages: got %v, want nil", err)
			}
			if got.N != 3 || got.Rows != 28 || got.Cols != 28 || len(got.Pix) != 3*784 {
				t.Fatalf("got %dx%dx%d with %d pixels, want 3x28x28 with 2352", got.N, got.Rows, got.Cols, len(got.Pix))
			}
			if g, w := sha(rawImages(t, got)), sha(raw); g != w {
				t.Errorf("content SHA-256: got %x, want %x", g, w)
			}
		})
	}
}

func TestDecodeEmptySets(t *testing.T) {
	im, err := DecodeImages("zero", bytes.NewReader(header(imagesMagic, 0, 28, 28)))
	if err != nil || im.N != 0 || len(im.Pix) != 0 {
		t.Errorf("zero images: got %+v, %v, want N=0, nil", im, err)
	}
	labels, err := DecodeLabels("zero", bytes.NewReader(GzipBytes(header(labelsMagic, 0))))
	if err != nil || len(labels) != 0 {
		t.Errorf("zero labels: got %v, %v, want [], nil", labels, err)
	}
}

func TestDecodeLabelsValid(t *testing.T) {
	want := cycleLabels(25)
	raw := rawLabels(t, want)
	for _, in := range [][]byte{raw, GzipBytes(raw)} {
		got, err := DecodeLabels("c00_valid_3-idx1-ubyte.gz", bytes.NewReader(in))
		if err != nil {
			t.Fatalf("DecodeLabels: got %v, want nil", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

// faultCase is one malformed input and the error it must give.
type faultCase struct {
	name     string
	labels   bool // decode with DecodeLabels instead of DecodeImages
	in       []byte
	want     error
	contains []string
	cause    error // also wrapped, if non-nil
}

func faultCases(t testing.TB) []faultCase {
	raw := rawImages(t, valid3())
	gz := GzipBytes(raw)
	rawLab := rawLabels(t, []uint8{1, 2, 3})

	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff
	badSize := bytes.Clone(gz)
	badSize[len(badSize)-1] ^= 0x01
	badDeflate := bytes.Clone(gz)
	badDeflate[10] = 0x07 // final block of reserved type 3
	badMethod := bytes.Clone(gz)
	badMethod[2] = 0x07 // compression method other than deflate

	const html = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n"
	return []faultCase{
		{"empty", false, nil, ErrEmpty, []string{"0 bytes"}, nil},
		{"empty labels", true, []byte{}, ErrEmpty, []string{"0 bytes"}, nil},
		{"gzip of nothing", false, GzipBytes(nil), ErrEmpty, []string{"0 bytes"}, nil},
		{"HTML 404 page", false, []byte(html), ErrHTML, []string{"HTML", "<!DOCTYPE"}, nil},
		{"HTML after BOM and blanks", false, []byte("\xef\xbb\xbf \r\n" + html), ErrHTML, []string{"HTML", "<!DOCTYPE"}, nil},
		{"gzipped HTML", false, GzipBytes([]byte(html)), ErrHTML, []string{"HTML", "<!DOCTYPE"}, nil},
		{"double gzip", false, GzipBytes(gz), ErrDoubleGzip, []string{"gzip inside gzip"}, nil},
		{"zip archive", false, []byte("PK\x03\x04rest"), ErrNotIDX, []string{"50 4b 03 04", "want gzip"}, nil},
		{"single 1f byte", false, []byte{0x1f}, ErrNotIDX, []string{"1f"}, nil},
		{"truncated magic", false, raw[:2], ErrTruncated, []string{"want 4 bytes, got 2"}, nil},
		{"truncated header", false, raw[:10], ErrTruncated, []string{"want 16 bytes, got 10"}, nil},
		{"truncated payload", false, raw[:len(raw)-100], ErrTruncated, []string{"want 2368 bytes, got 2268"}, nil},
		{"truncated payload in gzip", false, GzipBytes(raw[:1000]), ErrTruncated, []string{"want 2368 bytes, got 1000"}, nil},
		{"truncated gzip stream", false, gz[:len(gz)/2], ErrTruncated, []string{"gzip stream ends early"}, io.ErrUnexpectedEOF},
		{"truncated gzip trailer", false, gz[:len(gz)-3], ErrTruncated, []string{"gzip stream ends early"}, io.ErrUnexpectedEOF},
		{"truncated gzip header", false, gz[:5], ErrTruncated, nil, io.ErrUnexpectedEOF},
		{"truncated labels", true, rawLab[:9], ErrTruncated, []string{"want 11 bytes, got 9"}, nil},
		{"wrong magic", false, cat(header(0x00000903, 3, 28, 28), raw[16:]), ErrMagic, []string{"got 0x00000903", "want 0x00000803"}, nil},
		{"float IDX", false, cat(header(0x00000d03, 3, 28, 28), raw[16:]), ErrMagic, []string{"0x00000d03"}, nil},
		{"images magic for labels", true, raw, ErrDims, []string{"0x00000803", "declares 3 dimensions", "want 0x00000801"}, nil},
		{"labels file as images", false, rawLab, ErrDims, []string{"declares 1 dimension,", "want 0x00000803"}, nil},
		{"two dimensions", false, cat(header(0x00000802, 3, 784), raw[16:]), ErrDims, []string{"0x00000802"}, nil},
		{"zero rows", false, header(imagesMagic, 3, 0, 28), ErrDims, []string{"0 rows and 28 columns"}, nil},
		{"too many columns", false, header(imagesMagic, 1, 28, MaxDim+1), ErrDims, []string{"28 rows and 1025 columns", "want 1..1024"}, nil},
		{"huge count", false, header(imagesMagic, 1<<31, 28, 28), ErrCount, []string{"2147483648 images", "limit 1000000"}, nil},
		{"huge labels count", true, header(labelsMagic, 0xffffffff), ErrCount, []string{"4294967295 labels"}, nil},
		{"huge size", false, header(imagesMagic, MaxCount, 1024, 1024), ErrTooLarge, []string{"limit 67108864"}, nil},
		{"trailing bytes", false, cat(raw, []byte("xyz")), ErrTrailing, []string{"3 bytes after the 2368 bytes"}, nil},
		{"trailing bytes in gzip", false, GzipBytes(cat(raw, []byte{0})), ErrTrailing, []string{"1 byte after"}, nil},
		{"trailing labels", true, cat(rawLab, []byte{0, 0}), ErrTrailing, []string{"2 bytes after the 11 bytes"}, nil},
		{"label out of range", true, cat(header(labelsMagic, 3), []byte{1, 2, 10}), ErrLabelRange, []string{"label 10 at index 2", "0..9"}, nil},
		{"label 255", true, GzipBytes(cat(header(labelsMagic, 2), []byte{255, 0})), ErrLabelRange, []string{"label 255 at index 0"}, nil},
		{"bad CRC", false, badCRC, ErrGzip, []string{"CRC-32"}, gzip.ErrChecksum},
		{"bad length", false, badSize, ErrGzip, []string{"CRC-32 or length"}, gzip.ErrChecksum},
		{"corrupt deflate", false, badDeflate, ErrGzip, []string{"corrupt deflate data"}, nil},
		{"bad gzip header", false, badMethod, ErrGzip, []string{"invalid gzip header"}, gzip.ErrHeader},
		{"junk after gzip", false, cat(gz, []byte("junk")), ErrGzip, []string{"after the end of the gzip stream", `"junk"`}, nil},
		{"zero padding after gzip", false, cat(gz, make([]byte, 100)), ErrGzip, []string{"after the end of the gzip stream"}, nil},
		{"bad second member header", false, cat(gz, badMethod), ErrGzip, []string{"invalid gzip header"}, gzip.ErrHeader},
		{"cut second member", false, cat(gz, gz[:8]), ErrTruncated, []string{"gzip stream ends early"}, io.ErrUnexpectedEOF},
	}
}

func TestDecodeFaults(t *testing.T) {
	const file = "train-images-idx3-ubyte.gz"
	for _, tt := range faultCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.labels {
				_, err = DecodeLabels(file, bytes.NewReader(tt.in))
			} else {
				_, err = DecodeImages(file, bytes.NewReader(tt.in))
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want an error wrapping %v", err, tt.want)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("got %v, want it to wrap %v too", err, tt.cause)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != file {
				t.Errorf("got %#v, want a *FormatError with File %q", err, file)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "data: "+file+": ") {
				t.Errorf("got message %q, want prefix %q", msg, "data: "+file+": ")
			}
			for _, s := range tt.contains {
				if !strings.Contains(msg, s) {
					t.Errorf("got message %q, want it to contain %q", msg, s)
				}
			}
		})
	}
}

func TestDecodeFaultsDistinct(t *testing.T) {
	sentinels := []error{ErrEmpty, ErrHTML, ErrNotIDX, ErrGzip, ErrDoubleGzip, ErrMagic, ErrDims,
		ErrCount, ErrTooLarge, ErrTruncated, ErrTrailing, ErrLabelRange, ErrChecksum}
	for i, a := range sentinels {
		if !strings.HasPrefix(a.Error(), "data: ") {
			t.Errorf("sentinel %q: got no \"data: \" prefix, want one", a)
		}
		for _, b := range sentinels[i+1:] {
			if errors.Is(a, b) || a.Error() == b.Error() {
				t.Errorf("sentinels %q and %q: got equal, want distinct", a, b)
			}
		}
	}
	// Every fault case matches exactly one sentinel.
	for _, tt := range faultCases(t) {
		var err error
		if tt.labels {
			_, err = DecodeLabels("f", bytes.NewReader(tt.in))
		} else {
			_, err = DecodeImages("f", bytes.NewReader(tt.in))
		}
		n := 0
		for _, s := range sentinels {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: got %d sentinels matching %v, want 1", tt.name, n, err)
		}
	}
}

func TestCorruptDeflateCause(t *testing.T) {
	gz := GzipBytes(rawImages(t, valid3()))
	gz[10] = 0x07
	_, err := DecodeImages("x.gz", bytes.NewReader(gz))
	var ce flate.CorruptInputError
	if !errors.As(err, &ce) {
		t.Errorf("got %v, want it to wrap a flate.CorruptInputError", err)
	}
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("connection reset")
	raw := rawImages(t, valid3())
	tests := []struct {
		name string
		r    io.Reader
	}{
		{"before any byte", iotest.ErrReader(boom)},
		{"raw payload", io.MultiReader(bytes.NewReader(raw[:100]), iotest.ErrReader(boom))},
		{"inside gzip", io.MultiReader(bytes.NewReader(GzipBytes(raw)[:60]), iotest.ErrReader(boom))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeImages("net.gz", tt.r)
			if !errors.Is(err, boom) || !strings.Contains(err.Error(), "net.gz") {
				t.Errorf("got %v, want an error naming net.gz and wrapping %v", err, boom)
			}
		})
	}
}

func TestDecodeOneByteReader(t *testing.T) {
	raw := rawImages(t, valid3())
	for _, in := range [][]byte{raw, GzipBytes(raw)} {
		im, err := DecodeImages("slow", iotest.OneByteReader(bytes.NewReader(in)))
		if err != nil || !bytes.Equal(im.Pix, valid3().Pix) {
			t.Errorf("got err %v, want the 3 images", err)
		}
	}
}

// TestHugeHeaderNoAllocation checks that headers over the limits are
// rejected before anything is sized from them, and that a header within the
// limits but without data allocates at most the first chunk.
func TestHugeHeaderNoAllocation(t *testing.T) {
	tests := []struct {
		name     string
		labels   bool
		in       []byte
		want     error
		maxBytes uint64
	}{
		{"N = 2^31", false, header(imagesMagic, 1<<31, 28, 28), ErrCount, 256 << 10},
		{"N = 2^32-1 gzip", false, GzipBytes(header(imagesMagic, 0xffffffff, 0xffffffff, 0xffffffff)), ErrCount, 512 << 10},
		{"64 MiB declared, header only", false, header(imagesMagic, 80000, 28, 28), ErrTruncated, 2 << 20},
		{"labels N = 2^31", true, header(labelsMagic, 1<<31), ErrCount, 256 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			var err error
			if tt.labels {
				_, err = DecodeLabels("huge", bytes.NewReader(tt.in))
			} else {
				_, err = DecodeImages("huge", bytes.NewReader(tt.in))
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > tt.maxBytes {
				t.Errorf("allocated %d bytes, want at most %d", got, tt.maxBytes)
			}
			if elapsed > time.Second {
				t.Errorf("took %v, want well under 1s", elapsed)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	var buf bytes.Buffer
	tests := []struct {
		name string
		err  error
	}{
		{"nil images", EncodeImages(&buf, nil)},
		{"short Pix", EncodeImages(&buf, &Images{N: 2, Rows: 2, Cols: 2, Pix: make([]uint8, 7)})},
		{"zero rows", EncodeImages(&buf, &Images{N: 1, Rows: 0, Cols: 2})},
		{"negative N", EncodeImages(&buf, &Images{N: -1, Rows: 1, Cols: 1})},
		{"too large", EncodeImages(&buf, &Images{N: MaxCount, Rows: MaxDim, Cols: MaxDim})},
		{"label 10", EncodeLabels(&buf, []uint8{0, 10})},
		{"write error", EncodeLabels(failWriter{}, []uint8{0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || !strings.HasPrefix(tt.err.Error(), "data: encode") {
				t.Errorf("got %v, want an error starting with \"data: encode\"", tt.err)
			}
		})
	}
	if buf.Len() != 0 {
		t.Errorf("got %d bytes written, want 0", buf.Len())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestImageAccessors(t *testing.T) {
	im := valid3()
	if got, want := im.ImageSize(), 784; got != want {
		t.Errorf("ImageSize: got %v, want %v", got, want)
	}
	if got, want := im.Image(2), im.Pix[2*784:]; !bytes.Equal(got, want) {
		t.Errorf("Image(2): got %v, want %v", got[:4], want[:4])
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Image(3): got no panic, want one")
		}
	}()
	im.Image(3)
}
