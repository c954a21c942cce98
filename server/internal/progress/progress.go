// Package progress shows the progress of an experiment as it trains.
//
// An [Observer] turns the [nn.Event] stream into log lines through an
// injected *slog.Logger: one line when a phase starts and ends, one per
// epoch with the epoch's statistics, and, when no terminal is attached, a
// progress line at most every [Options.LogEvery]. On a terminal it also
// redraws a one-line progress bar (phase, epoch, batch, loss, accuracy,
// throughput and ETA) through a [Terminal], which keeps the bar below the
// log lines.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"warmstart/nn"
)

// Default intervals of [Options].
const (
	DefaultRedraw   = 100 * time.Millisecond // at most ten bar redraws a second
	DefaultLogEvery = 10 * time.Second
)

// eraseLine moves the cursor to the start of the line and clears it
// (carriage return, then ANSI "erase in line").
const eraseLine = "\r\x1b[K"

// Terminal is an io.Writer for a terminal that keeps a status line at the
// bottom: every write first erases the status line and then draws it again
// below what was written, so log lines scroll above a progress bar. It is
// safe for concurrent use.
type Terminal struct {
	mu     sync.Mutex
	w      io.Writer
	width  int
	status string
	buf    []byte
}

// NewTerminal returns a Terminal writing to w, a terminal width columns
// wide; the status line is cut to fit. A width below 20 means unknown, and
// 80 columns are assumed.
func NewTerminal(w io.Writer, width int) *Terminal {
	if width < 20 {
		width = 80
	}
	return &Terminal{w: w, width: width}
}

// Write writes p above the status line. It reports len(p) written unless
// the underlying writer fails.
func (t *Terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = t.buf[:0]
	if t.status != "" {
		t.buf = append(t.buf, eraseLine...)
	}
	t.buf = append(t.buf, p...)
	t.buf = append(t.buf, t.status...)
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SetStatus replaces the status line with s, cut to the terminal's width.
func (t *Terminal) SetStatus(s string) {
	s = truncate(s, t.width-1)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.status = s
	io.WriteString(t.w, eraseLine+s)
}

// ClearStatus erases the status line.
func (t *Terminal) ClearStatus() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.status != "" {
		t.status = ""
		io.WriteString(t.w, eraseLine)
	}
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// Options configures an [Observer].
type Options struct {
	// Terminal, when not nil, receives the progress bar; when nil,
	// progress goes to the log every LogEvery.
	Terminal *Terminal
	// Redraw is the least time between two bar redraws; 0 means
	// [DefaultRedraw].
	Redraw time.Duration
	// LogEvery is the least time between two progress log lines; 0 means
	// [DefaultLogEvery].
	LogEvery time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Observer shows training progress. Its Observe method is an
// [nn.Observer]: it runs on the training goroutine and returns after at
// most one short write.
type Observer struct {
	log  *slog.Logger
	opts Options

	lastDraw time.Time
	lastLog  time.Time
}

// New returns an Observer that logs to log.
func New(log *slog.Logger, opts Options) *Observer {
	if opts.Redraw <= 0 {
		opts.Redraw = DefaultRedraw
	}
	if opts.LogEvery <= 0 {
		opts.LogEvery = DefaultLogEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Observer{log: log, opts: opts}
}

// Observe handles one event.
func (o *Observer) Observe(ev nn.Event) {
	switch ev.Kind {
	case nn.EventPhaseStart:
		o.lastDraw = time.Time{}
		o.lastLog = o.opts.Now()
		o.log.Info("phase start", "phase", ev.Phase, "epochs", ev.Epochs, "batches", ev.Batches)
	case nn.EventBatch:
		o.batch(ev)
	case nn.EventEpoch:
		o.epoch(ev)
	case nn.EventEvaluate:
		if t := o.opts.Terminal; t != nil {
			t.SetStatus(fmt.Sprintf("%s: evaluating on every split…", ev.Phase))
		}
		o.log.Info("evaluate", "phase", ev.Phase, "elapsed", roundDuration(ev.Elapsed))
	case nn.EventEvalBatch:
		now := o.opts.Now()
		if t := o.opts.Terminal; t != nil && now.Sub(o.lastDraw) >= o.opts.Redraw {
			o.lastDraw = now
			t.SetStatus(fmt.Sprintf("%s: evaluating, %d of %d images…", ev.Phase, ev.Evaluated, ev.ToEvaluate))
		}
	case nn.EventPhaseEnd:
		if t := o.opts.Terminal; t != nil {
			t.ClearStatus()
		}
		o.log.Info("phase end", "phase", ev.Phase, "elapsed", roundDuration(ev.Elapsed))
	}
}

func (o *Observer) batch(ev nn.Event) {
	now := o.opts.Now()
	if t := o.opts.Terminal; t != nil {
		last := ev.Epoch == ev.Epochs && ev.Batch == ev.Batches
		if last || now.Sub(o.lastDraw) >= o.opts.Redraw {
			o.lastDraw = now
			t.SetStatus(FitBarLine(ev, t.width))
		}
		return
	}
	if now.Sub(o.lastLog) < o.opts.LogEvery {
		return
	}
	o.lastLog = now
	attrs := []any{
		"phase", ev.Phase,
		"epoch", fraction(ev.Epoch, ev.Epochs),
		"batch", fraction(ev.Batch, ev.Batches),
		"loss", formatLoss(ev.Loss),
	}
	if ev.Phase != nn.PhaseDAE {
		attrs = append(attrs, "acc", formatAcc(ev.Accuracy))
	}
	attrs = append(attrs,
		"img_per_s", FormatRate(ev.ImagesPerSec),
		"eta", FormatDuration(ETA(ev)))
	o.log.Info("progress", attrs...)
}

func (o *Observer) epoch(ev nn.Event) {
	s := ev.Stats
	if s == nil {
		s = &nn.EpochStats{Epoch: ev.Epoch, TrainLoss: ev.Loss, TrainAcc: ev.Accuracy,
			ImagesPerSec: ev.ImagesPerSec}
	}
	attrs := []any{
		"phase", ev.Phase,
		"epoch", fraction(ev.Epoch, ev.Epochs),
		"loss", formatLoss(s.TrainLoss),
	}
	if ev.Phase != nn.PhaseDAE {
		attrs = append(attrs, "acc", formatAcc(s.TrainAcc))
	}
	attrs = append(attrs, "val_loss", formatLoss(s.ValLoss))
	if ev.Phase != nn.PhaseDAE {
		attrs = append(attrs, "val_acc", formatAcc(s.ValAcc))
	}
	attrs = append(attrs,
		"img_per_s", FormatRate(s.ImagesPerSec),
		"elapsed", roundDuration(ev.Elapsed))
	o.log.Info("epoch", attrs...)
}

// BarLine returns the status line for a batch event: the phase, epoch
// ("ep") and batch ("b") counters, a bar barWidth cells wide showing how much of the phase
// is done, the phase's ETA, the throughput, and the running loss and
// accuracy (classifiers only). The ETA comes first so that a narrow
// terminal, which cuts the line's end, still shows it.
func BarLine(ev nn.Event, barWidth int) string {
	total := ev.Epochs * ev.Batches
	done := (ev.Epoch-1)*ev.Batches + ev.Batch
	filled := 0
	if total > 0 {
		filled = min(barWidth, max(0, done*barWidth/total))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s ep %d/%d b %d/%d [%s%s] ETA %s %s img/s loss %s",
		ev.Phase, ev.Epoch, ev.Epochs, ev.Batch, ev.Batches,
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
		FormatDuration(ETA(ev)), FormatRate(ev.ImagesPerSec), formatLoss(ev.Loss))
	if ev.Phase != nn.PhaseDAE {
		fmt.Fprintf(&b, " acc %.1f%%", 100*ev.Accuracy)
	}
	return b.String()
}

// FitBarLine returns [BarLine] with the widest bar, from 4 to 24 cells,
// that keeps the line within width columns.
func FitBarLine(ev nn.Event, width int) string {
	rest := utf8.RuneCountInString(BarLine(ev, 0))
	return BarLine(ev, min(24, max(4, width-1-rest)))
}

// ETA estimates the time left in the event's phase: the remaining batches,
// those of the later epochs included, at the rate the phase has kept so
// far (validation time included, since every epoch ends with one). It
// returns a negative duration when there is nothing to estimate from yet.
func ETA(ev nn.Event) time.Duration {
	total := ev.Epochs * ev.Batches
	done := (ev.Epoch-1)*ev.Batches + ev.Batch
	if done <= 0 || total <= 0 || ev.Elapsed <= 0 {
		return -1
	}
	left := max(0, total-done)
	return time.Duration(float64(ev.Elapsed) * float64(left) / float64(done))
}

// FormatDuration formats d as m:ss, or h:mm:ss from an hour on, rounded
// to the second; a negative d is unknown and reads "--:--".
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "--:--"
	}
	s := int64(d.Round(time.Second) / time.Second)
	h, m := s/3600, s/60%60
	s %= 60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// FormatRate formats a throughput in images per second: whole numbers
// below 10,000, thousands with one decimal ("12.3k") above.
func FormatRate(r float64) string {
	if r >= 1e4 {
		return strconv.FormatFloat(r/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(r, 'f', 0, 64)
}

func fraction(i, n int) string { return strconv.Itoa(i) + "/" + strconv.Itoa(n) }

// formatLoss keeps four significant digits, enough for a cross-entropy
// near 1 and an MSE near 0.01 alike.
func formatLoss(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// formatAcc writes an accuracy as a fraction with four decimals.
func formatAcc(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

func roundDuration(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
