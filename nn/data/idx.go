package data

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Limits checked against every IDX header before a buffer is sized from it.
const (
	// NumClasses is the number of Fashion-MNIST classes; labels are
	// 0..NumClasses-1.
	NumClasses = 10
	// MaxCount is the largest item count (images or labels) a header may
	// declare.
	MaxCount = 1_000_000
	// MaxDim is the largest image height or width a header may declare.
	MaxDim = 1024
	// MaxBytes is the largest payload (N*Rows*Cols pixels, or N labels) a
	// header may declare: 64 MiB, enough for the 47,040,000 pixels of the
	// training set.
	MaxBytes = 64 << 20
)

const (
	imagesMagic = 0x00000803
	labelsMagic = 0x00000801
	// ubyteType is the IDX element-type byte for unsigned bytes.
	ubyteType = 0x08
	// sniffLen is how many leading bytes are examined to recognise a format.
	sniffLen = 64
	// quoteLen is how many leading bytes an error message quotes.
	quoteLen = 32
	// firstChunk bounds the first allocation for a payload: a buffer of the
	// full declared size is made only once that many bytes have arrived, so
	// a short input with a large (but allowed) header allocates little.
	firstChunk = 1 << 20
	// trailCount bounds how many trailing bytes are counted for a message.
	trailCount = 1 << 20
)

// Images holds N grayscale images of Rows x Cols pixels as uint8, row-major,
// image after image.
type Images struct {
	N, Rows, Cols int
	Pix           []uint8
}

// ImageSize returns the number of pixels in one image, Rows*Cols.
func (im *Images) ImageSize() int { return im.Rows * im.Cols }

// Image returns the pixels of image i as a sub-slice of Pix. It panics if i
// is out of range.
func (im *Images) Image(i int) []uint8 {
	if i < 0 || i >= im.N {
		panic(fmt.Sprintf("data: Images.Image: index %d out of range [0, %d)", i, im.N))
	}
	s := im.Rows * im.Cols
	return im.Pix[i*s : (i+1)*s : (i+1)*s]
}

// kind says which IDX type a decoder accepts.
type kind uint8

const (
	kindAny kind = iota
	kindImages
	kindLabels
)

// expect lists what a decoder checks beyond well-formedness; zero fields
// are not checked.
type expect struct {
	kind       kind
	n          int
	rows, cols int
	sha256     string
}

// DecodeImages decodes an IDX images file (magic 0x00000803) from r, which
// may hold gzip-compressed or raw IDX. Concatenated gzip members are read as
// one stream, as gzip -d does; anything after the last member that is not a
// gzip member is an error. name is the file name used in error messages.
// Errors are [*FormatError] values wrapping one of the package's sentinel
// errors, or read errors from r wrapped with the file name.
func DecodeImages(name string, r io.Reader) (*Images, error) {
	im, _, err := decode(name, r, expect{kind: kindImages})
	return im, err
}

// DecodeLabels decodes an IDX labels file (magic 0x00000801) from r, which
// may hold gzip-compressed or raw IDX, and checks that every label is in
// 0..NumClasses-1. It treats its input and reports errors as [DecodeImages]
// does.
func DecodeLabels(name string, r io.Reader) ([]uint8, error) {
	_, labels, err := decode(name, r, expect{kind: kindLabels})
	return labels, err
}

// errReader remembers the first error other than io.EOF that its reader
// returned, so a fault can be classified even after bufio consumed it.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

type decoder struct {
	name   string
	raw    *errReader    // the caller's reader
	gz     *gzipStream   // the gzip layer; nil for raw input
	in     *bufio.Reader // the (decompressed) content
	r      io.Reader     // in, or in teed into hash
	hash   hash.Hash     // nil unless a SHA-256 is checked
	hdrLen int           // bytes of IDX header read so far
}

func decode(name string, r io.Reader, want expect) (*Images, []uint8, error) {
	d := &decoder{name: name, raw: &errReader{r: r}}
	if err := d.open(); err != nil {
		return nil, nil, err
	}
	d.r = d.in
	if want.sha256 != "" {
		d.hash = sha256.New()
		d.r = io.TeeReader(d.in, d.hash)
	}
	k, dims, err := d.header(want.kind)
	if err != nil {
		return nil, nil, err
	}
	if k == kindLabels {
		labels, err := d.labels(dims[0], want)
		if err != nil {
			return nil, nil, err
		}
		return nil, labels, d.checkHash(want)
	}
	im, err := d.images(dims, want)
	if err != nil {
		return nil, nil, err
	}
	return im, nil, d.checkHash(want)
}

// open sniffs the input and sets d.in to the IDX content.
func (d *decoder) open() error {
	br := bufio.NewReaderSize(d.raw, 64<<10)
	head, err := br.Peek(sniffLen)
	if len(head) == 0 {
		if err == io.EOF {
			return formatErr(d.name, ErrEmpty, nil, "file is 0 bytes")
		}
		return d.readErr(err)
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return d.openGzip(br)
	}
	if isHTML(head) {
		return formatErr(d.name, ErrHTML, nil, "file starts with "+quote(head))
	}
	if head[0] != 0 {
		return formatErr(d.name, ErrNotIDX, nil, fmt.Sprintf(
			"file starts with % x (%s), want gzip (1f 8b) or IDX (00 00 08 03 images, 00 00 08 01 labels)",
			head[:min(len(head), 4)], quote(head)))
	}
	d.in = br
	return nil
}

func (d *decoder) openGzip(br *bufio.Reader) error {
	zr, err := gzip.NewReader(br)
	if err != nil {
		if d.raw.err != nil {
			return d.readErr(d.raw.err)
		}
		return d.gzipErr(err, "")
	}
	zr.Multistream(false)
	d.gz = &gzipStream{br: br, zr: zr}
	in := bufio.NewReaderSize(d.gz, 64<<10)
	head, _ := in.Peek(sniffLen)
	if len(head) == 0 {
		if err := d.streamErr(""); err != nil {
			return err
		}
		return formatErr(d.name, ErrEmpty, nil, "gzip stream holds 0 bytes")
	}
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return formatErr(d.name, ErrDoubleGzip, nil,
			"decompressed content starts with the gzip magic 1f 8b again; the file was compressed twice, so undo one layer")
	}
	if isHTML(head) {
		return formatErr(d.name, ErrHTML, nil, "gzip stream holds an HTML page starting with "+quote(head))
	}
	d.in = in
	return nil
}

// isHTML reports whether b, after optional white space and a UTF-8 byte
// order mark, starts with '<'.
func isHTML(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n\f")
	return len(b) > 0 && b[0] == '<'
}

// plural returns n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func quote(b []byte) string {
	if len(b) > quoteLen {
		return fmt.Sprintf("%q...", b[:quoteLen])
	}
	return fmt.Sprintf("%q", b)
}

// readErr wraps an error of the caller's reader.
func (d *decoder) readErr(err error) error {
	return fmt.Errorf("data: %s: read: %w", d.name, err)
}

// streamErr returns the error recorded by the caller's reader or the gzip
// reader, if any; where says how far the IDX content got, or is empty.
func (d *decoder) streamErr(where string) error {
	if d.raw.err != nil {
		return d.readErr(d.raw.err)
	}
	if d.gz != nil && d.gz.err != nil {
		return d.gzipErr(d.gz.err, where)
	}
	return nil
}

// errJunk reports bytes after a gzip member that do not start another one.
var errJunk = errors.New("not a gzip member")

// gzipStream reads concatenated gzip members, like gzip.Reader in
// multistream mode, but tells a complete stream followed by junk (errJunk)
// apart from a cut one, and remembers the first error other than io.EOF.
type gzipStream struct {
	br   *bufio.Reader
	zr   *gzip.Reader
	err  error
	junk []byte // first bytes of the junk, for messages
}

func (g *gzipStream) Read(p []byte) (int, error) {
	for {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			if err != nil && g.err == nil {
				g.err = err
			}
			return n, err
		}
		if n > 0 {
			// The member ended and its CRC-32 matched; look further on the
			// next call.
			return n, nil
		}
		next, perr := g.br.Peek(quoteLen)
		if len(next) == 0 {
			if perr != io.EOF && g.err == nil {
				g.err = perr
			}
			return 0, perr
		}
		if len(next) < 2 || next[0] != 0x1f || next[1] != 0x8b {
			g.junk = bytes.Clone(next)
			if g.err == nil {
				g.err = errJunk
			}
			return 0, errJunk
		}
		if err := g.zr.Reset(g.br); err != nil {
			if g.err == nil {
				g.err = err
			}
			return 0, err
		}
		g.zr.Multistream(false)
	}
}

// gzipErr classifies an error of the gzip layer; where says how far the IDX
// content got, or is empty while the gzip header is read.
func (d *decoder) gzipErr(err error, where string) error {
	suffix := ""
	if where != "" {
		suffix = "; " + where
	}
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, errJunk):
		return formatErr(d.name, ErrGzip, nil, fmt.Sprintf(
			"bytes after the end of the gzip stream are not gzip: %s%s", quote(d.gz.junk), suffix))
	case errors.Is(err, gzip.ErrChecksum):
		return formatErr(d.name, ErrGzip, err, "bad CRC-32 or length in the gzip trailer; the file is corrupt, download it again")
	case errors.Is(err, gzip.ErrHeader):
		return formatErr(d.name, ErrGzip, err, "invalid gzip header"+suffix)
	case errors.As(err, &corrupt):
		return formatErr(d.name, ErrGzip, err, fmt.Sprintf("corrupt deflate data at compressed offset %d%s", int64(corrupt), suffix))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return formatErr(d.name, ErrTruncated, err, "gzip stream ends early"+suffix)
	default:
		return formatErr(d.name, ErrGzip, err, "cannot decompress"+suffix)
	}
}

// fail turns a short read of the content into an error; what describes the
// data being read, want and got count content bytes from the start.
func (d *decoder) fail(err error, what string, got, want int64) error {
	where := fmt.Sprintf("%s: want %d bytes, got %d", what, want, got)
	if serr := d.streamErr(where); serr != nil {
		return serr
	}
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return d.readErr(err)
	}
	return formatErr(d.name, ErrTruncated, nil, where)
}

// header reads and checks the magic number and dimensions.
func (d *decoder) header(want kind) (kind, []uint32, error) {
	var m [4]byte
	if n, err := io.ReadFull(d.r, m[:]); err != nil {
		return 0, nil, d.fail(err, "IDX header", int64(n), 4)
	}
	magic := binary.BigEndian.Uint32(m[:])
	wantMagic := map[kind]string{
		kindImages: "0x00000803 (images)",
		kindLabels: "0x00000801 (labels)",
		kindAny:    "0x00000803 (images) or 0x00000801 (labels)",
	}[want]
	if m[0] != 0 || m[1] != 0 || m[2] != ubyteType {
		return 0, nil, formatErr(d.name, ErrMagic, nil, fmt.Sprintf("got 0x%08x, want %s", magic, wantMagic))
	}
	nd := int(m[3])
	k := kindAny
	switch {
	case magic == imagesMagic && want != kindLabels:
		k = kindImages
	case magic == labelsMagic && want != kindImages:
		k = kindLabels
	}
	if k == kindAny {
		return 0, nil, formatErr(d.name, ErrDims, nil, fmt.Sprintf(
			"magic 0x%08x declares %s, want %s", magic, plural(nd, "dimension"), wantMagic))
	}
	d.hdrLen = 4 + 4*nd
	var buf [12]byte
	if n, err := io.ReadFull(d.r, buf[:4*nd]); err != nil {
		return 0, nil, d.fail(err, "IDX header", int64(4+n), int64(d.hdrLen))
	}
	dims := make([]uint32, nd)
	for i := range dims {
		dims[i] = binary.BigEndian.Uint32(buf[4*i:])
	}
	return k, dims, nil
}

// checkCount checks a header's item count against MaxCount and want.
func (d *decoder) checkCount(n uint32, what string, want expect) error {
	if n > MaxCount {
		return formatErr(d.name, ErrCount, nil, fmt.Sprintf("header declares %d %s, limit %d", n, what, MaxCount))
	}
	if want.n != 0 && int(n) != want.n {
		return formatErr(d.name, ErrCount, nil, fmt.Sprintf("header declares %d %s, want %d", n, what, want.n))
	}
	return nil
}

func (d *decoder) images(dims []uint32, want expect) (*Images, error) {
	n, rows, cols := dims[0], dims[1], dims[2]
	if err := d.checkCount(n, "images", want); err != nil {
		return nil, err
	}
	if rows == 0 || cols == 0 || rows > MaxDim || cols > MaxDim {
		return nil, formatErr(d.name, ErrDims, nil, fmt.Sprintf(
			"header declares images of %d rows and %d columns, want 1..%d each", rows, cols, MaxDim))
	}
	if (want.rows != 0 && int(rows) != want.rows) || (want.cols != 0 && int(cols) != want.cols) {
		return nil, formatErr(d.name, ErrDims, nil, fmt.Sprintf(
			"header declares %dx%d images, want %dx%d", rows, cols, want.rows, want.cols))
	}
	size := uint64(n) * uint64(rows) * uint64(cols)
	if size > MaxBytes {
		return nil, formatErr(d.name, ErrTooLarge, nil, fmt.Sprintf(
			"header declares %d images of %dx%d = %d bytes, limit %d", n, rows, cols, size, MaxBytes))
	}
	pix, err := d.payload(int(size), fmt.Sprintf("%d images of %dx%d pixels", n, rows, cols))
	if err != nil {
		return nil, err
	}
	return &Images{N: int(n), Rows: int(rows), Cols: int(cols), Pix: pix}, nil
}

func (d *decoder) labels(n uint32, want expect) ([]uint8, error) {
	if err := d.checkCount(n, "labels", want); err != nil {
		return nil, err
	}
	labels, err := d.payload(int(n), fmt.Sprintf("%d labels", n))
	if err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l >= NumClasses {
			return nil, formatErr(d.name, ErrLabelRange, nil, fmt.Sprintf(
				"label %d at index %d, want 0..%d", l, i, NumClasses-1))
		}
	}
	return labels, nil
}

// payload reads exactly size bytes after the header and checks that the
// content ends there. The full buffer is allocated only after the first
// firstChunk bytes have arrived.
func (d *decoder) payload(size int, what string) ([]byte, error) {
	hdr := int64(d.hdrLen)
	first := min(size, firstChunk)
	buf := make([]byte, first)
	if n, err := io.ReadFull(d.r, buf); err != nil {
		return nil, d.fail(err, what, hdr+int64(n), hdr+int64(size))
	}
	if first < size {
		full := make([]byte, size)
		copy(full, buf)
		if n, err := io.ReadFull(d.r, full[first:]); err != nil {
			return nil, d.fail(err, what, hdr+int64(first+n), hdr+int64(size))
		}
		buf = full
	}
	if err := d.trailing(hdr + int64(size)); err != nil {
		return nil, err
	}
	return buf, nil
}

// trailing checks that the content ends after end bytes. Reading to the end
// also makes the gzip reader verify its CRC-32.
func (d *decoder) trailing(end int64) error {
	var one [1]byte
	n, err := io.ReadFull(d.in, one[:])
	if n == 1 {
		extra, _ := io.CopyN(io.Discard, d.in, trailCount)
		count := plural(int(1+extra), "byte")
		if extra == trailCount {
			count = fmt.Sprintf("more than %d bytes", trailCount)
		}
		return formatErr(d.name, ErrTrailing, nil, fmt.Sprintf(
			"%s after the %d bytes the header declares", count, end))
	}
	if serr := d.streamErr(fmt.Sprintf("after the complete IDX data (%d bytes)", end)); serr != nil {
		return serr
	}
	if err != io.EOF {
		return d.readErr(err)
	}
	return nil
}

func (d *decoder) checkHash(want expect) error {
	if d.hash == nil {
		return nil
	}
	got := hex.EncodeToString(d.hash.Sum(nil))
	if got != want.sha256 {
		return formatErr(d.name, ErrChecksum, nil, fmt.Sprintf(
			"decompressed content has SHA-256 %s, want %s; the file is not the published one, download it again", got, want.sha256))
	}
	return nil
}

// EncodeImages writes im to w as raw (uncompressed) IDX. It returns an error
// if im is inconsistent or exceeds the decoder's limits, so everything it
// writes decodes again.
func EncodeImages(w io.Writer, im *Images) error {
	if im == nil {
		return errors.New("data: encode images: nil Images")
	}
	if im.N < 0 || im.N > MaxCount {
		return fmt.Errorf("data: encode images: N = %d, want 0..%d", im.N, MaxCount)
	}
	if im.Rows < 1 || im.Cols < 1 || im.Rows > MaxDim || im.Cols > MaxDim {
		return fmt.Errorf("data: encode images: size %dx%d, want 1..%d rows and columns", im.Rows, im.Cols, MaxDim)
	}
	size := uint64(im.N) * uint64(im.Rows) * uint64(im.Cols)
	if size > MaxBytes {
		return fmt.Errorf("data: encode images: %d bytes of pixels, limit %d", size, MaxBytes)
	}
	if uint64(len(im.Pix)) != size {
		return fmt.Errorf("data: encode images: len(Pix) = %d, want %d for %d images of %dx%d",
			len(im.Pix), size, im.N, im.Rows, im.Cols)
	}
	var hdr [16]byte
	binary.BigEndian.PutUint32(hdr[0:], imagesMagic)
	binary.BigEndian.PutUint32(hdr[4:], uint32(im.N))
	binary.BigEndian.PutUint32(hdr[8:], uint32(im.Rows))
	binary.BigEndian.PutUint32(hdr[12:], uint32(im.Cols))
	if _, err := w.Write(hdr[:]); err != nil {
		return fmt.Errorf("data: encode images: %w", err)
	}
	if _, err := w.Write(im.Pix); err != nil {
		return fmt.Errorf("data: encode images: %w", err)
	}
	return nil
}

// EncodeLabels writes labels to w as raw (uncompressed) IDX. It returns an
// error if there are more than MaxCount labels or a label is not in
// 0..NumClasses-1.
func EncodeLabels(w io.Writer, labels []uint8) error {
	if len(labels) > MaxCount {
		return fmt.Errorf("data: encode labels: %d labels, limit %d", len(labels), MaxCount)
	}
	for i, l := range labels {
		if l >= NumClasses {
			return fmt.Errorf("data: encode labels: label %d at index %d, want 0..%d", l, i, NumClasses-1)
		}
	}
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[0:], labelsMagic)
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(labels)))
	if _, err := w.Write(hdr[:]); err != nil {
		return fmt.Errorf("data: encode labels: %w", err)
	}
	if _, err := w.Write(labels); err != nil {
		return fmt.Errorf("data: encode labels: %w", err)
	}
	return nil
}

// GzipBytes returns b compressed as a single gzip member, for building
// fixtures.
func GzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}
