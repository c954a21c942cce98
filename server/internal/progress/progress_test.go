package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"warmstart/nn"
)

func TestETA(t *testing.T) {
	tests := []struct {
		name string
		ev   nn.Event
		want time.Duration
	}{
		{"nothing done yet", nn.Event{Epoch: 1, Epochs: 10, Batch: 0, Batches: 8}, -1},
		{"no time elapsed", nn.Event{Epoch: 1, Epochs: 10, Batch: 1, Batches: 8}, -1},
		// 4 of 80 batches in 2s: 76 left at 0.5s each.
		{"first epoch", nn.Event{Epoch: 1, Epochs: 10, Batch: 4, Batches: 8, Elapsed: 2 * time.Second}, 38 * time.Second},
		// 20 of 80 batches (two epochs and a half) in 10s: 60 left at 0.5s each.
		{"later epochs counted", nn.Event{Epoch: 3, Epochs: 10, Batch: 4, Batches: 8, Elapsed: 10 * time.Second}, 30 * time.Second},
		{"last batch", nn.Event{Epoch: 10, Epochs: 10, Batch: 8, Batches: 8, Elapsed: time.Minute}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ETA(tc.ev); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-1, "--:--"},
		{0, "0:00"},
		{1499 * time.Millisecond, "0:01"},
		{59*time.Second + 600*time.Millisecond, "1:00"},
		{42*time.Minute + 7*time.Second, "42:07"},
		{3*time.Hour + 4*time.Minute + 5*time.Second, "3:04:05"},
	}
	for _, tc := range tests {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v): got %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestFormatRate(t *testing.T) {
	tests := []struct {
		r    float64
		want string
	}{
		{0, "0"},
		{812.4, "812"},
		{9999.4, "9999"},
		{12345, "12.3k"},
	}
	for _, tc := range tests {
		if got := FormatRate(tc.r); got != tc.want {
			t.Errorf("FormatRate(%g): got %q, want %q", tc.r, got, tc.want)
		}
	}
}

// TestFitBarLine: on an 80-column terminal the whole line fits, ETA
// included, with a shorter bar.
func TestFitBarLine(t *testing.T) {
	ev := nn.Event{Kind: nn.EventBatch, Phase: nn.PhasePretrained, Epoch: 10, Epochs: 10,
		Batch: 223, Batches: 223, Loss: 0.6123, Accuracy: 0.712, ImagesPerSec: 12345,
		Elapsed: 10 * time.Second}
	got := FitBarLine(ev, 80)
	if n := utf8.RuneCountInString(got); n > 79 || !strings.Contains(got, "ETA") || !strings.Contains(got, "acc") {
		t.Errorf("got %q (%d columns), want at most 79 with the ETA and accuracy", got, n)
	}
}

func TestBarLine(t *testing.T) {
	ev := nn.Event{Kind: nn.EventBatch, Phase: nn.PhaseBaseline, Epoch: 2, Epochs: 4,
		Batch: 4, Batches: 8, Loss: 0.61234, Accuracy: 0.712, ImagesPerSec: 1234,
		Elapsed: 6 * time.Second}
	want := "baseline ep 2/4 b 4/8 [###.....] ETA 0:10 1234 img/s loss 0.6123 acc 71.2%"
	if got := BarLine(ev, 8); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	ev.Phase = nn.PhaseDAE
	if got := BarLine(ev, 8); strings.Contains(got, "acc") {
		t.Errorf("DAE bar %q shows an accuracy", got)
	}
}

// clock is a manual clock for the throttling tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func TestLogLines(t *testing.T) {
	var buf bytes.Buffer
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := New(newTestLogger(&buf), Options{Now: clk.now})

	o.Observe(nn.Event{Kind: nn.EventPhaseStart, Phase: nn.PhaseDAE, Epochs: 10, Batches: 3})
	for b := 1; b <= 3; b++ {
		clk.t = clk.t.Add(4 * time.Second) // a progress line after 12 s, not before
		o.Observe(nn.Event{Kind: nn.EventBatch, Phase: nn.PhaseDAE, Epoch: 1, Epochs: 10,
			Batch: b, Batches: 3, Loss: 0.05, ImagesPerSec: 2000,
			Elapsed: time.Duration(b) * 4 * time.Second})
	}
	o.Observe(nn.Event{Kind: nn.EventEpoch, Phase: nn.PhaseDAE, Epoch: 1, Epochs: 10,
		Batch: 3, Batches: 3, Elapsed: 12340 * time.Millisecond,
		Stats: &nn.EpochStats{Epoch: 1, TrainLoss: 0.012345, ValLoss: 0.0111,
			ImagesPerSec: 1999.6}})
	o.Observe(nn.Event{Kind: nn.EventEpoch, Phase: nn.PhaseBaseline, Epoch: 3, Epochs: 10,
		Elapsed: 1200 * time.Millisecond,
		Stats: &nn.EpochStats{Epoch: 3, TrainLoss: 0.91234, TrainAcc: 0.65, ValLoss: 0.8,
			ValAcc: 0.70333, ImagesPerSec: 812.4}})
	o.Observe(nn.Event{Kind: nn.EventPhaseEnd, Phase: nn.PhaseDAE, Elapsed: 2 * time.Minute})

	want := strings.Join([]string{
		`level=INFO msg="phase start" phase=dae epochs=10 batches=3`,
		`level=INFO msg=progress phase=dae epoch=1/10 batch=3/3 loss=0.05 img_per_s=2000 eta=1:48`,
		`level=INFO msg=epoch phase=dae epoch=1/10 loss=0.01235 val_loss=0.0111 img_per_s=2000 elapsed=12.3s`,
		`level=INFO msg=epoch phase=baseline epoch=3/10 loss=0.9123 acc=0.6500 val_loss=0.8 val_acc=0.7033 img_per_s=812 elapsed=1.2s`,
		`level=INFO msg="phase end" phase=dae elapsed=2m0s`,
	}, "\n") + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTerminalKeepsStatusBelow(t *testing.T) {
	var buf bytes.Buffer
	term := NewTerminal(&buf, 30)
	term.SetStatus("0123456789012345678901234567890123456789")
	term.Write([]byte("log line\n"))
	term.ClearStatus()
	status := "01234567890123456789012345678" // cut to width-1
	want := eraseLine + status + eraseLine + "log line\n" + status + eraseLine
	if got := buf.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestBarThrottled(t *testing.T) {
	var logBuf, termBuf bytes.Buffer
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	term := NewTerminal(&termBuf, 200)
	o := New(newTestLogger(&logBuf), Options{Terminal: term, Now: clk.now})
	o.Observe(nn.Event{Kind: nn.EventPhaseStart, Phase: nn.PhaseBaseline, Epochs: 1, Batches: 100})
	for b := 1; b <= 100; b++ {
		clk.t = clk.t.Add(10 * time.Millisecond) // 1 s in all: about 10 redraws
		o.Observe(nn.Event{Kind: nn.EventBatch, Phase: nn.PhaseBaseline, Epoch: 1, Epochs: 1,
			Batch: b, Batches: 100, Elapsed: time.Duration(b) * 10 * time.Millisecond})
	}
	draws := strings.Count(termBuf.String(), eraseLine)
	if draws < 9 || draws > 12 {
		t.Errorf("got %d redraws in 1 s of batches, want about 10", draws)
	}
	if !strings.Contains(termBuf.String(), "b 100/100") {
		t.Errorf("the last batch was not drawn")
	}
	if strings.Contains(logBuf.String(), "msg=progress") {
		t.Errorf("progress logged although a terminal shows it:\n%s", logBuf.String())
	}
}
