package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"warmstart/nn/data"
)

func TestLoadDataAcceptsValidFiles(t *testing.T) {
	dir := t.TempDir()
	files := fixtureFiles(t)
	// A file stored already decompressed under its .gz name is accepted
	// too, as the native loader accepts it.
	files[data.TestLabelsFile] = idxLabels(t, 3)
	writeFiles(t, dir, files)

	d, err := loadData(dir, fixtureCheck)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Files) != 4 {
		t.Fatalf("got %d files, want 4", len(d.Files))
	}
	var total int64
	for i, info := range data.PublishedFiles() {
		f := d.Files[i]
		if f.Name != info.Name {
			t.Errorf("file %d: name %q, want %q", i, f.Name, info.Name)
		}
		sum := sha256.Sum256(files[f.Name])
		if f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: SHA256 %s is not the hash of the file's bytes", f.Name, f.SHA256)
		}
		if f.ETag() != `"`+f.SHA256+`"` {
			t.Errorf("%s: ETag %s", f.Name, f.ETag())
		}
		if want := f.Name != data.TestLabelsFile; f.Gzip != want {
			t.Errorf("%s: Gzip %v, want %v", f.Name, f.Gzip, want)
		}
		if f.Size() != int64(len(files[f.Name])) {
			t.Errorf("%s: size %d, want %d", f.Name, f.Size(), len(files[f.Name]))
		}
		total += f.Size()
	}
	if d.Bytes() != total {
		t.Errorf("Bytes %d, want %d", d.Bytes(), total)
	}
}

// TestLoadDataRejects checks that each kind of bad file stops the server
// with an error that names the file, says what is wrong and how to get
// the data (failure case C10 among them).
func TestLoadDataRejects(t *testing.T) {
	valid := fixtureFiles(t)
	gz := valid[data.TrainImagesFile]
	tests := []struct {
		name     string
		file     string
		content  []byte // nil: the file is missing
		dir      bool   // a folder under the file's name
		sentinel error
		want     string // in the message
	}{
		{"missing file", data.TrainLabelsFile, nil, false, fs.ErrNotExist, "missing"},
		{"truncated gzip", data.TrainImagesFile, gz[:len(gz)/2], false, data.ErrTruncated, "truncated"},
		{"gzip without its trailer", data.TrainImagesFile, gz[:len(gz)-4], false, nil, data.TrainImagesFile},
		{"HTML page saved under the .gz name", data.TestImagesFile,
			[]byte("<!DOCTYPE html>\n<html><body>404 Not Found</body></html>\n"), false, data.ErrHTML, "HTML"},
		{"empty file", data.TestLabelsFile, []byte{}, false, data.ErrEmpty, "0 bytes"},
		{"gzip inside gzip", data.TrainImagesFile, data.GzipBytes(gz), false, data.ErrDoubleGzip, "gzip inside gzip"},
		{"labels under the images name", data.TestImagesFile, valid[data.TestLabelsFile], false, data.ErrDims, "magic 0x00000801"},
		{"a folder under the name", data.TrainImagesFile, nil, true, nil, "not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := fixtureFiles(t)
			delete(files, tc.file)
			writeFiles(t, dir, files)
			path := filepath.Join(dir, tc.file)
			switch {
			case tc.dir:
				if err := os.Mkdir(path, 0o755); err != nil {
					t.Fatal(err)
				}
			case tc.content != nil:
				if err := os.WriteFile(path, tc.content, 0o644); err != nil {
					t.Fatal(err)
				}
			}

			d, err := loadData(dir, fixtureCheck)
			if err == nil {
				t.Fatalf("accepted; files %v", d.Files)
			}
			var de *DataError
			if !errors.As(err, &de) || len(de.Errs) != 1 {
				t.Fatalf("got %T %v, want a *DataError naming one file", err, err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("error does not wrap %v: %v", tc.sentinel, err)
			}
			msg := err.Error()
			for _, want := range []string{path, tc.want, "apt-get install dataset-fashion-mnist", "./data", "make data"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

// TestLoadDataNamesEveryBadFile checks that one start reports all the bad
// files, not the first only.
func TestLoadDataNamesEveryBadFile(t *testing.T) {
	dir := t.TempDir()
	files := fixtureFiles(t)
	files[data.TrainImagesFile] = []byte("<html>")
	delete(files, data.TestLabelsFile)
	writeFiles(t, dir, files)
	_, err := loadData(dir, fixtureCheck)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{data.TrainImagesFile, data.TestLabelsFile} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("message lacks %s:\n%v", name, err)
		}
	}
}

// TestLoadDataChecksPublishedContent checks that LoadData itself, unlike
// the fixture check, insists on the published files.
func TestLoadDataChecksPublishedContent(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, fixtureFiles(t))
	_, err := LoadData(dir)
	if err == nil {
		t.Fatal("LoadData accepted fixtures that are not Fashion-MNIST")
	}
	if !errors.Is(err, data.ErrCount) && !errors.Is(err, data.ErrChecksum) {
		t.Errorf("got %v, want a count or checksum error", err)
	}
}

// TestLoadDataReal loads the real dataset, as `warmstart serve` does.
func TestLoadDataReal(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes the real dataset")
	}
	dir, err := data.Locate("", data.AllParts)
	if err != nil {
		t.Fatalf("real Fashion-MNIST needed (run `make data`): %v", err)
	}
	d, err := LoadData(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.Files {
		if !f.Gzip || f.Size() == 0 {
			t.Errorf("%s: gzip %v, %d bytes", f.Name, f.Gzip, f.Size())
		}
	}
}
