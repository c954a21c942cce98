package data

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Names of the four Fashion-MNIST files.
const (
	TrainImagesFile = "train-images-idx3-ubyte.gz"
	TrainLabelsFile = "train-labels-idx1-ubyte.gz"
	TestImagesFile  = "t10k-images-idx3-ubyte.gz"
	TestLabelsFile  = "t10k-labels-idx1-ubyte.gz"
)

// Sizes of the Fashion-MNIST dataset.
const (
	NumTrain  = 60000 // images in the train file
	NumTest   = 10000 // images in the t10k file
	ImageSide = 28    // rows and columns of every image
)

// ClassNames names the ten Fashion-MNIST classes, indexed by label.
var ClassNames = [NumClasses]string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// FileInfo describes one of the four published files.
type FileInfo struct {
	// Name is the file name, with the .gz suffix.
	Name string
	// Part is the part of the dataset the file holds.
	Part Part
	// Count is the number of images or labels.
	Count int
	// Rows and Cols are the image size; 0 for a labels file.
	Rows, Cols int
	// Size is the length of the decompressed IDX content in bytes.
	Size int64
	// SHA256 is the hex SHA-256 of the decompressed IDX content.
	SHA256 string
}

// published describes the four published files, in Part bit order.
var published = [4]FileInfo{
	{TrainImagesFile, TrainImages, NumTrain, ImageSide, ImageSide, 47040016,
		"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
	{TrainLabelsFile, TrainLabels, NumTrain, 0, 0, 60008,
		"bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
	{TestImagesFile, TestImages, NumTest, ImageSide, ImageSide, 7840016,
		"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
	{TestLabelsFile, TestLabels, NumTest, 0, 0, 10008,
		"0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
}

// PublishedFiles describes the four published files, in Part bit order
// (train images, train labels, t10k images, t10k labels).
func PublishedFiles() [4]FileInfo { return published }

// Expected returns the description of the published file called name, which
// may carry a directory or URL path and may lack the .gz suffix.
func Expected(name string) (FileInfo, bool) {
	base := path.Base(filepath.ToSlash(name))
	if i := strings.IndexAny(base, "?#"); i >= 0 {
		base = base[:i]
	}
	base = strings.TrimSuffix(base, ".gz")
	for _, f := range published {
		if strings.TrimSuffix(f.Name, ".gz") == base {
			return f, true
		}
	}
	return FileInfo{}, false
}

func (f FileInfo) expect() expect {
	e := expect{kind: kindImages, n: f.Count, rows: f.Rows, cols: f.Cols, sha256: f.SHA256}
	if f.Rows == 0 {
		e.kind = kindLabels
	}
	return e
}

// Part is a set of dataset files, as a bit set.
type Part uint8

// The parts of the dataset.
const (
	TrainImages Part = 1 << iota
	TrainLabels
	TestImages
	TestLabels

	AllParts = TrainImages | TrainLabels | TestImages | TestLabels
)

// String returns the parts joined by "|", such as "TrainImages|TestLabels".
func (p Part) String() string {
	names := [4]string{"TrainImages", "TrainLabels", "TestImages", "TestLabels"}
	var s []string
	for i, n := range names {
		if p&(1<<i) != 0 {
			s = append(s, n)
		}
	}
	if rest := p &^ AllParts; rest != 0 {
		s = append(s, fmt.Sprintf("Part(%#x)", uint8(rest)))
	}
	if len(s) == 0 {
		return "0"
	}
	return strings.Join(s, "|")
}

// Dataset holds the loaded parts of Fashion-MNIST; fields of parts not
// loaded are nil.
type Dataset struct {
	Train       *Images
	TrainLabels []uint8
	Test        *Images
	TestLabels  []uint8
}

// DecodeFile decodes one dataset file read from r, gzip-compressed or raw.
// If name (a file name, path or URL) is one of the four published files, it
// must be of that kind, hold the published count and image size, and its
// decompressed content must match the published SHA-256 (else
// [ErrChecksum]); the content is hashed while it is decoded. Otherwise the
// IDX magic decides between images and labels and nothing is compared. It
// returns images or labels, the other being nil.
func DecodeFile(name string, r io.Reader) (*Images, []uint8, error) {
	if f, ok := Expected(name); ok {
		return decode(name, r, f.expect())
	}
	return decode(name, r, expect{kind: kindAny})
}

// Load reads the requested parts of Fashion-MNIST from dir, the files
// concurrently, checking each against [PublishedFiles]: kind, count, image size and
// the SHA-256 of the decompressed content. Each file may be gzip-compressed
// or raw IDX. Files of parts not requested are never opened. A missing file
// gives an error that names it and wraps fs.ErrNotExist; the errors of all
// failing files are joined.
func Load(dir string, parts Part) (*Dataset, error) {
	return load(dir, parts, &published)
}

func load(dir string, parts Part, files *[4]FileInfo) (*Dataset, error) {
	if parts == 0 || parts&^AllParts != 0 {
		return nil, fmt.Errorf("data: load %s: invalid parts %v", dir, parts)
	}
	type result struct {
		images *Images
		labels []uint8
		err    error
	}
	var res [4]result
	var wg sync.WaitGroup
	for i := range files {
		if parts&files[i].Part == 0 {
			continue
		}
		wg.Go(func() {
			r := &res[i]
			r.images, r.labels, r.err = loadFile(filepath.Join(dir, files[i].Name), files[i])
		})
	}
	wg.Wait()
	var errs []error
	for _, r := range res {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	ds := &Dataset{Train: res[0].images, TrainLabels: res[1].labels, Test: res[2].images, TestLabels: res[3].labels}
	if err := matchCounts(filepath.Join(dir, files[1].Name), ds.Train, ds.TrainLabels); err != nil {
		return nil, err
	}
	if err := matchCounts(filepath.Join(dir, files[3].Name), ds.Test, ds.TestLabels); err != nil {
		return nil, err
	}
	return ds, nil
}

func loadFile(name string, f FileInfo) (*Images, []uint8, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("data: load %s: %w", f.Name, err)
	}
	defer fh.Close()
	return decode(name, fh, f.expect())
}

// matchCounts checks that there is one label per image when both are loaded.
func matchCounts(labelsFile string, im *Images, labels []uint8) error {
	if im == nil || labels == nil || im.N == len(labels) {
		return nil
	}
	return formatErr(labelsFile, ErrCount, nil, fmt.Sprintf("%d labels for %d images", len(labels), im.N))
}

// DefaultDirs lists where [Locate] looks when no directory is given, in
// order: ./data (filled by make data), then the Debian package's directory.
var DefaultDirs = []string{"data", "/usr/share/datasets/fashion-mnist"}

// Locate returns the first directory holding the dataset files of parts
// (all four for [AllParts]): only flagDir if it is non-empty, else the first
// of [DefaultDirs] that has them. Its error, which wraps fs.ErrNotExist, says
// where it looked, what was missing and how to get the files.
func Locate(flagDir string, parts Part) (string, error) {
	dirs := DefaultDirs
	if flagDir != "" {
		dirs = []string{flagDir}
	}
	var notes []string
	for _, dir := range dirs {
		missing, err := missingFiles(dir, parts)
		if err != nil {
			notes = append(notes, err.Error())
			continue
		}
		if len(missing) == 0 {
			return dir, nil
		}
		notes = append(notes, fmt.Sprintf("%s lacks %s", dir, strings.Join(missing, ", ")))
	}
	return "", notFoundError("data: Fashion-MNIST files not found (" + strings.Join(notes, "; ") +
		"); run `make data`, or `apt-get install dataset-fashion-mnist`, or download the four files from " +
		"https://github.com/zalandoresearch/fashion-mnist and pass -data DIR")
}

// notFoundError is Locate's error: it says all there is to say and wraps
// fs.ErrNotExist without repeating that error's own text.
type notFoundError string

func (e notFoundError) Error() string { return string(e) }
func (e notFoundError) Unwrap() error { return fs.ErrNotExist }

// missingFiles lists the dataset files of parts that dir lacks as regular
// files.
func missingFiles(dir string, parts Part) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist", dir)
		}
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	var missing []string
	for _, f := range published {
		if parts&f.Part == 0 {
			continue
		}
		st, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil || !st.Mode().IsRegular() {
			missing = append(missing, f.Name)
		}
	}
	return missing, nil
}
