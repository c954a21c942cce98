package app

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// fmtDuration formats a number of seconds for people: "42 s", "3 min 05 s",
// "1 h 02 min"; "—" when negative (unknown).
func fmtDuration(sec float64) string {
	switch {
	case sec < 0 || math.IsNaN(sec) || math.IsInf(sec, 0):
		return "—"
	case sec < 10:
		return strconv.FormatFloat(sec, 'f', 1, 64) + " s"
	case sec < 60:
		return fmt.Sprintf("%.0f s", sec)
	case sec < 3600:
		s := int(math.Round(sec))
		return fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
	m := int(math.Round(sec / 60))
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// fmtInt formats n with thousands separators: 57,000.
func fmtInt(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtBytes formats a byte count: "26.4 MB" (decimal units, as browsers
// show downloads).
func fmtBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// fmtPct formats an accuracy in [0, 1] as a percentage with two decimals,
// as the report does: 72.17%.
func fmtPct(v float64) string {
	return strconv.FormatFloat(100*v, 'f', 2, 64) + "%"
}

// fmtP formats a p-value with two significant digits: 0.00064, 8.2e-05, 1.
func fmtP(p float64) string {
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// plural returns "1 epoch" or "n epochs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmtInt(n) + " " + noun + "s"
}
