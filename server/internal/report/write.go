package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"warmstart/nn"
	"warmstart/server/internal/atomicfile"
)

// The names of the files [Write] creates besides the plots.
const (
	ResultsFile  = "results.json"
	MarkdownFile = "report.md"
)

// Write creates dir if needed and writes r into it: results.json, every
// plot r has data for, and report.md last, so that a report.md on disk
// always comes with its plots. Plots a previous report left in dir that r
// has no data for are removed, so report.md and the PNGs beside it agree.
func Write(dir string, r *nn.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	js, err := MarshalResults(r)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, ResultsFile), js); err != nil {
		return fmt.Errorf("report: %w", err)
	}

	drawn := map[string]bool{}
	for _, p := range plotsFor(r) {
		if err := atomicfile.Write(filepath.Join(dir, p.name), p.draw); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		drawn[p.name] = true
	}
	for _, name := range allPlotNames() {
		if drawn[name] {
			continue
		}
		err := os.Remove(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("report: remove stale plot: %w", err)
		}
	}

	md := Markdown(r)
	if err := atomicfile.WriteBytes(filepath.Join(dir, MarkdownFile), []byte(md)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// MarshalResults returns r as indented JSON, the content of results.json.
func MarshalResults(r *nn.Report) ([]byte, error) {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("report: encode results: %w", err)
	}
	return append(js, '\n'), nil
}

// ReadResults decodes a results.json written by [Write]. Unknown fields
// are ignored, so a newer file still renders; a JSON document without the
// configured phases is not a report and gives an error.
func ReadResults(rd io.Reader) (*nn.Report, error) {
	var r nn.Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("report: decode results: %w", err)
	}
	if len(r.Config.Phases) == 0 {
		return nil, errors.New("report: decode results: no config.phases, not a warmstart results file")
	}
	return &r, nil
}
