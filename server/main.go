// Command warmstart runs the warmstart experiment headless: it trains the
// baseline CNN, the denoising autoencoder, the CNN on the DAE's frozen
// encoder and its fine-tuned version on Fashion-MNIST, and writes a report
// (Markdown, JSON and PNG plots) of what pretraining bought. It also serves
// the browser app that runs the same experiment in a tab.
//
// Usage:
//
//	warmstart experiment [flags]          train and write a report
//	warmstart report -in FILE [-out DIR]  re-render a report from results.json
//	warmstart classify [-models DIR] IMAGE...  classify pictures with saved models
//	warmstart serve [flags]               serve the browser app and the dataset
//	warmstart help [command]              show usage
//
// Exit status: 0 on success, 1 on a runtime error, 2 on a usage error and
// 130 when a run was interrupted (its finished phases are still reported).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"golang.org/x/term"

	"warmstart/server/internal/progress"
)

// The exit statuses of the command.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

func main() {
	a := &app{stdout: os.Stdout, stderr: os.Stderr, level: new(slog.LevelVar)}

	// On a terminal, log lines go through a progress.Terminal so that they
	// scroll above the progress bar instead of mixing with it.
	var logOut io.Writer = os.Stderr
	if fd := int(os.Stderr.Fd()); term.IsTerminal(fd) {
		width, _, err := term.GetSize(fd)
		if err != nil {
			width = 0
		}
		a.term = progress.NewTerminal(os.Stderr, width)
		logOut = a.term
	}
	a.log = slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: a.level}))

	os.Exit(a.run(context.Background(), os.Args[1:]))
}

// app holds what every subcommand shares: its output streams, the one
// logger of the process and its level, and the terminal, if stderr is one.
type app struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	level          *slog.LevelVar
	term           *progress.Terminal // nil when stderr is not a terminal
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(a *app, ctx context.Context, args []string) int
	usage   func(w io.Writer)
}

// commands lists the subcommands in the order the usage shows them.
func commands() []command {
	return []command{
		{"experiment", "train the phases and write a report (Markdown, JSON, PNG plots)",
			(*app).experiment, printExperimentUsage},
		{"report", "re-render report.md and the plots from a saved results.json",
			(*app).report, printReportUsage},
		{"classify", "classify drawings or photos of garments with the saved models",
			(*app).classify, printClassifyUsage},
		{"serve", "serve the browser app and the dataset on http://127.0.0.1:8080/",
			(*app).serve, printServeUsage},
		{"dist", "write the browser app and the dataset as a static site for any HTTPS host",
			(*app).dist, printDistUsage},
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run dispatches args, the command line without the program name, and
// returns the exit status.
func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.printUsage(a.stderr)
		return exitUsage
	}
	switch name := args[0]; name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(args) > 1 {
			c, ok := findCommand(args[1])
			if !ok {
				fmt.Fprintf(a.stderr, "warmstart help: unknown command %q\n\n", args[1])
				a.printUsage(a.stderr)
				return exitUsage
			}
			c.usage(a.stdout)
			return exitOK
		}
		a.printUsage(a.stdout)
		return exitOK
	default:
		c, ok := findCommand(name)
		if !ok {
			fmt.Fprintf(a.stderr, "warmstart: unknown command %q\n\n", name)
			a.printUsage(a.stderr)
			return exitUsage
		}
		return c.run(a, ctx, args[1:])
	}
}

func (a *app) printUsage(w io.Writer) {
	fmt.Fprint(w, `warmstart measures what unsupervised pretraining buys when labels are scarce:
a denoising autoencoder trained on unlabeled Fashion-MNIST images lends its
encoder to a small CNN trained on 1,800 labels, side by side with the same
CNN trained from scratch.

Usage:
  warmstart <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help        show this help, or a command's: warmstart help <command>

Run 'warmstart <command> -h' for a command's flags.
Exit status: 0 success, 1 runtime error, 2 usage error, 130 interrupted.
`)
}
