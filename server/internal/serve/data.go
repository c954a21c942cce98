package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"warmstart/nn/data"
)

// maxDataFile bounds the size of a dataset file read into memory: the
// largest file, the training images, is 26 MB gzip-compressed and
// 47,040,016 bytes when stored decompressed under its .gz name.
const maxDataFile = data.MaxBytes + 1<<20

// DataHelp says how to get the dataset; errors about missing or corrupt
// files end with it.
const DataHelp = "Get the data with `make data`, or `apt-get install dataset-fashion-mnist` " +
	"(it installs the files in /usr/share/datasets/fashion-mnist), " +
	"or download the four files from https://github.com/zalandoresearch/fashion-mnist " +
	"into ./data, or pass -data DIR"

// A DataFile is one dataset file as served: its bytes, checked with the
// native reader when loaded and kept in memory, so the server sends
// exactly the bytes it checked and hashed.
type DataFile struct {
	// Name is the published file name, such as "train-images-idx3-ubyte.gz".
	Name string
	// SHA256 is the hex SHA-256 of the file's bytes as stored and served
	// (the gzip wrapper included, unlike the published digests, which are
	// of the decompressed content). Its quoted form is the strong ETag.
	SHA256 string
	// Gzip reports whether the bytes are gzip-compressed; a file stored
	// already decompressed under its .gz name (as some browser downloads
	// do) is raw IDX, served as application/octet-stream.
	Gzip bool

	bytes []byte
}

// Size returns the length of the file in bytes.
func (f *DataFile) Size() int64 { return int64(len(f.bytes)) }

// ETag returns the strong entity tag of the file: its quoted SHA-256.
func (f *DataFile) ETag() string { return `"` + f.SHA256 + `"` }

// Data is the checked dataset, in the order of [data.PublishedFiles].
type Data struct {
	Dir   string
	Files []*DataFile
}

// file returns the file called name, or nil.
func (d *Data) file(name string) *DataFile {
	if d == nil {
		return nil
	}
	for _, f := range d.Files {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Bytes returns the total size of the files.
func (d *Data) Bytes() int64 {
	var n int64
	for _, f := range d.Files {
		n += f.Size()
	}
	return n
}

// A DataError lists the dataset files that cannot be served and why.
type DataError struct {
	Dir  string
	Errs []error // one per bad file, each naming it
}

// Error lists every bad file on its own line and ends with [DataHelp].
func (e *DataError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the Fashion-MNIST files in %s cannot be served:\n", e.Dir)
	for _, err := range e.Errs {
		fmt.Fprintf(&b, "  %v\n", err)
	}
	b.WriteString(DataHelp + ".")
	return b.String()
}

// Unwrap returns the errors of the files, such as [*data.FormatError]
// values wrapping [data.ErrHTML] or errors wrapping [fs.ErrNotExist].
func (e *DataError) Unwrap() []error { return e.Errs }

// LoadData reads the four Fashion-MNIST files from dir, decodes each one
// fully with the native reader (gzip or raw IDX, kind, count, image size,
// truncation, trailing bytes, label range and the published SHA-256 of the
// decompressed content) and hashes its bytes. Its error is a [*DataError]
// naming every missing or corrupt file.
func LoadData(dir string) (*Data, error) {
	return loadData(dir, func(name string, r io.Reader) error {
		_, _, err := data.DecodeFile(name, r)
		return err
	})
}

// loadData is LoadData with the check of each file's bytes given: tests
// use fixtures too small to match the published digests.
func loadData(dir string, check func(name string, r io.Reader) error) (*Data, error) {
	pub := data.PublishedFiles()
	files := make([]*DataFile, len(pub))
	errs := make([]error, len(pub))
	var wg sync.WaitGroup
	for i, info := range pub {
		wg.Go(func() {
			files[i], errs[i] = loadDataFile(filepath.Join(dir, info.Name), info.Name, check)
		})
	}
	wg.Wait()
	var bad []error
	for _, err := range errs {
		if err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 {
		return nil, &DataError{Dir: dir, Errs: bad}
	}
	return &Data{Dir: dir, Files: files}, nil
}

func loadDataFile(path, name string, check func(string, io.Reader) error) (*DataFile, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: missing: %w", path, fs.ErrNotExist)
	case err != nil:
		return nil, err
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file", path)
	case st.Size() > maxDataFile:
		return nil, fmt.Errorf("%s: %d bytes, more than any Fashion-MNIST file (%d)", path, st.Size(), int64(maxDataFile))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := check(path, bytes.NewReader(b)); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return &DataFile{
		Name:   name,
		SHA256: hex.EncodeToString(sum[:]),
		Gzip:   len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b,
		bytes:  b,
	}, nil
}
