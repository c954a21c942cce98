package spec

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Provenance records what produced a report, so that numbers can be traced
// to the code, toolchain and machine that made them.
type Provenance struct {
	Module      string            `json:"module"`       // main module path and version
	VCSRevision string            `json:"vcs_revision"` // commit, when built from a checkout
	VCSTime     string            `json:"vcs_time"`
	VCSModified bool              `json:"vcs_modified"` // uncommitted changes at build time
	GoVersion   string            `json:"go_version"`
	GOOS        string            `json:"goos"`
	GOARCH      string            `json:"goarch"`
	Build       map[string]string `json:"build_settings"` // -tags, GOAMD64, CGO_ENABLED, ...
	CPU         string            `json:"cpu"`
	NumCPU      int               `json:"num_cpu"`
	Threads     int               `json:"threads"` // GOMAXPROCS during the run
	Seed        uint64            `json:"seed"`
	Started     time.Time         `json:"started"`
}

// CurrentProvenance describes this binary and machine for a run with seed.
func CurrentProvenance(seed uint64) Provenance {
	p := Provenance{
		GoVersion: runtime.Version(),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		Build:     map[string]string{},
		CPU:       cpuModel(),
		NumCPU:    runtime.NumCPU(),
		Threads:   runtime.GOMAXPROCS(0),
		Seed:      seed,
		Started:   time.Now().UTC(),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		p.Module = bi.Main.Path + "@" + bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				p.VCSRevision = s.Value
			case "vcs.time":
				p.VCSTime = s.Value
			case "vcs.modified":
				p.VCSModified = s.Value == "true"
			case "vcs":
			default:
				p.Build[s.Key] = s.Value
			}
		}
	}
	return p
}

// cpuModel returns the processor's name where the system tells it (Linux's
// /proc/cpuinfo), else the architecture.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
