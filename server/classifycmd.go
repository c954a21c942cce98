package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"warmstart/nn"
	"warmstart/nn/prep"
)

// defaultModelsDir is where `make experiment` writes its run, and with
// ARGS=-save-models its model files.
const defaultModelsDir = "out/experiment"

// saveModelsHint says how to get model files.
const saveModelsHint = "run `make experiment ARGS=-save-models` first (or `warmstart experiment -save-models -out DIR`), or pass -models DIR"

type classifyFlags struct {
	fs      *flag.FlagSet
	models  string
	preview bool
}

func newClassifyFlags() *classifyFlags {
	f := &classifyFlags{fs: flag.NewFlagSet("classify", flag.ContinueOnError)}
	f.fs.SetOutput(io.Discard)
	f.fs.StringVar(&f.models, "models", defaultModelsDir,
		"`directory` holding the <phase>.model files of an experiment run with -save-models")
	f.fs.BoolVar(&f.preview, "preview", false,
		"also draw each image's 28x28 input, as the classifiers see it, in characters")
	return f
}

func printClassifyUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: warmstart classify [-models DIR] [-preview] IMAGE...

Classifies drawings or photos of garments (PNG, JPEG, GIF, WebP or BMP, up
to 64 MiB and 67 megapixels) with every classifier a run saved: baseline,
pretrained and finetune.model in the models directory. Each picture is
prepared as Fashion-MNIST's images were made: gray levels, inverted when
dark on light, background removed, trimmed to the garment, its longest edge
fitted to 28 pixels and centred; JPEG photos are turned upright by their
EXIF orientation first. For each picture and model it prints the most
likely class with its probability and the top three.

Examples:
  make experiment ARGS=-save-models     # trains and saves out/experiment/*.model
  warmstart classify -preview boot.jpg drawing.png
  warmstart classify -models out/seed2 *.jpg

Exit status: 0 when every picture was classified, 1 when a picture or the
models could not be read, 2 on a usage error.

Flags:
`)
	f := newClassifyFlags()
	f.fs.SetOutput(w)
	f.fs.PrintDefaults()
}

// classifier is one saved model.
type classifier struct {
	phase nn.Phase
	model *nn.Model
	note  string // said after the phase's name, if anything
}

// classify runs the classify command and returns the exit status.
func (a *app) classify(_ context.Context, args []string) int {
	f := newClassifyFlags()
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printClassifyUsage(a.stdout)
			return exitOK
		}
		return a.classifyUsage(err.Error())
	}
	if f.fs.NArg() == 0 {
		return a.classifyUsage("no image given")
	}
	models, err := loadClassifiers(f.models)
	if err != nil {
		fmt.Fprintf(a.stderr, "warmstart classify: %v\n", err)
		return exitError
	}
	names := make([]string, len(models))
	for i, c := range models {
		names[i] = string(c.phase) + c.note
	}
	fmt.Fprintf(a.stdout, "models from %s: %s\n", f.models, strings.Join(names, ", "))

	// Prepare every picture, then run each model once over all of them.
	type picture struct {
		path string
		info prep.Info
		in   *prep.Input
	}
	var pics []picture
	var batch []float32
	status := exitOK
	for _, path := range f.fs.Args() {
		info, in, err := prepareFile(path)
		if err != nil {
			fmt.Fprintf(a.stderr, "warmstart classify: %s: %v\n", path, err)
			status = exitError
			continue
		}
		pics = append(pics, picture{path, info, in})
		batch = append(batch, in.Pixels...)
	}
	if len(pics) == 0 {
		return status
	}
	probs := make([][][nn.NumClasses]float32, len(models))
	for i, c := range models {
		if probs[i], err = c.model.Predict(batch); err != nil {
			fmt.Fprintf(a.stderr, "warmstart classify: %s model: %v\n", c.phase, err)
			return exitError
		}
	}
	for k, p := range pics {
		fmt.Fprintf(a.stdout, "\n%s: %s\n", p.path, describePicture(p.info, p.in))
		if f.preview {
			for _, line := range strings.SplitAfter(strings.TrimSuffix(p.in.ASCII(), "\n"), "\n") {
				fmt.Fprintf(a.stdout, "  |%s", strings.TrimSuffix(line, "\n"))
				fmt.Fprintln(a.stdout, "|")
			}
		}
		for i, c := range models {
			pr := probs[i][k]
			order := rank(pr)
			var top3 []string
			for _, cl := range order[:3] {
				top3 = append(top3, fmt.Sprintf("%s %.1f%%", nn.ClassNames[cl], 100*pr[cl]))
			}
			fmt.Fprintf(a.stdout, "  %-11s %-12s %5.1f%%   top 3: %s\n",
				c.phase, nn.ClassNames[order[0]], 100*pr[order[0]], strings.Join(top3, ", "))
		}
	}
	return status
}

func (a *app) classifyUsage(msg string) int {
	fmt.Fprintf(a.stderr, "warmstart classify: %s\nRun 'warmstart classify -h' for usage.\n", msg)
	return exitUsage
}

// loadClassifiers reads the classifier models (every phase but the DAE)
// that dir holds, in run order. It is an error when dir holds none, or a
// model file is damaged.
func loadClassifiers(dir string) ([]classifier, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("model directory %s does not exist: %s", dir, saveModelsHint)
	case err != nil:
		return nil, err
	case !st.IsDir():
		return nil, fmt.Errorf("-models %s is not a directory", dir)
	}
	var out []classifier
	var want []string
	for _, p := range nn.AllPhases {
		if p == nn.PhaseDAE {
			continue
		}
		name := string(p) + ".model"
		want = append(want, name)
		path := filepath.Join(dir, name)
		file, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m, meta, err := nn.ReadModel(file, nn.ArchCNN)
		file.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c := classifier{phase: p, model: m}
		if meta["encoder_pretrained"] == "false" {
			c.note = " (its DAE trained 0 epochs: not pretrained)"
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no classifier models (%s) in %s: %s", strings.Join(want, ", "), dir, saveModelsHint)
	}
	return out, nil
}

// prepareFile decodes the picture at path and prepares its input.
func prepareFile(path string) (prep.Info, *prep.Input, error) {
	f, err := os.Open(path)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return prep.Info{}, nil, pe.Err // the caller names the file
	}
	if err != nil {
		return prep.Info{}, nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return prep.Info{}, nil, errors.New("is a directory, not an image")
	}
	img, info, err := prep.Decode(f)
	if err != nil {
		return info, nil, err
	}
	in, err := prep.Prepare(img)
	return info, in, err
}

// describePicture says what was read and how it was prepared.
func describePicture(info prep.Info, in *prep.Input) string {
	s := fmt.Sprintf("%s %dx%d", info.Format, info.Width, info.Height)
	if info.Orientation != 1 {
		s += fmt.Sprintf(", turned upright (EXIF orientation %d)", info.Orientation)
	}
	if in.Inverted {
		s += ", dark on light (inverted)"
	} else {
		s += ", light on dark"
	}
	b := in.Box
	return s + fmt.Sprintf(", garment %dx%d at (%d,%d)", b.Dx(), b.Dy(), b.Min.X, b.Min.Y)
}

// rank returns the classes from the most to the least probable.
func rank(p [nn.NumClasses]float32) []int {
	order := make([]int, nn.NumClasses)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return p[order[i]] > p[order[j]] })
	return order
}
