package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"warmstart/server/internal/report"
)

func newReportFlags() (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in := fs.String("in", "", "`file` results.json written by an experiment (required)")
	out := fs.String("out", "", "output `directory` (default: the directory of -in)")
	return fs, in, out
}

func printReportUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: warmstart report -in results.json [-out DIR]

Re-renders report.md and the PNG plots from a results.json that an
experiment wrote, for example after a change to the report's layout.

Flags:
`)
	fs, _, _ := newReportFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// report runs the report command and returns the exit status.
func (a *app) report(_ context.Context, args []string) int {
	fs, in, out := newReportFlags()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printReportUsage(a.stdout)
			return exitOK
		}
		return a.reportUsage(err.Error())
	}
	switch {
	case fs.NArg() > 0:
		return a.reportUsage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *in == "":
		return a.reportUsage("-in is required")
	}
	if *out == "" {
		*out = filepath.Dir(*in)
	}

	f, err := os.Open(*in)
	if err != nil {
		fmt.Fprintf(a.stderr, "warmstart report: %v\n", err)
		return exitError
	}
	rep, err := report.ReadResults(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(a.stderr, "warmstart report: %s: %v\n", *in, err)
		return exitError
	}
	if err := report.Write(*out, rep); err != nil {
		a.log.Error("write report", "err", err)
		return exitError
	}
	path := filepath.Join(*out, report.MarkdownFile)
	a.log.Info("report written", "path", path)
	fmt.Fprintln(a.stdout, path)
	return exitOK
}

func (a *app) reportUsage(msg string) int {
	fmt.Fprintf(a.stderr, "warmstart report: %s\nRun 'warmstart report -h' for usage.\n", msg)
	return exitUsage
}
