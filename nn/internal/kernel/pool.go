package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool runs the partitions of one call on up to GOMAXPROCS
// goroutines: the calling goroutine and GOMAXPROCS-1 pool workers. Workers
// are started on first use, one more whenever GOMAXPROCS has grown past the
// number already running, and then live for the rest of the process, blocked
// on a channel receive while idle, so they cost no CPU between calls and a
// call costs a few channel sends instead of goroutine starts. Partitions are
// handed out through an atomic counter, so a worker that is descheduled on a
// busy machine does not hold up the others; which goroutine runs a partition
// never changes its result, because every partition writes only its own
// outputs.

// job is one parallel call: partitions [0, parts) of f.
type job struct {
	f     func(int)
	parts int64
	next  atomic.Int64
	wg    sync.WaitGroup
}

// run executes partitions of j until none is left.
func (j *job) run() {
	for {
		p := j.next.Add(1) - 1
		if p >= j.parts {
			return
		}
		j.f(int(p))
	}
}

var pool struct {
	mu      sync.Mutex
	workers int
	jobs    chan *job
}

// ensureWorkers starts pool workers until n are running.
func ensureWorkers(n int) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if pool.jobs == nil {
		pool.jobs = make(chan *job, 64)
	}
	for ; pool.workers < n; pool.workers++ {
		go func(jobs <-chan *job) {
			for j := range jobs {
				j.run()
				j.wg.Done()
			}
		}(pool.jobs)
	}
}

// parallel runs f(0), ..., f(parts-1), spreading them over at most GOMAXPROCS
// goroutines, and returns when all have finished. It runs them inline, in
// order, when GOMAXPROCS is 1. Callers make every f(p) independent of the
// others, so the schedule cannot change results. j is caller-owned scratch
// (so that a call allocates nothing) and must not be in use by another call.
func parallel(j *job, parts int, f func(int)) {
	procs := min(runtime.GOMAXPROCS(0), parts)
	if procs <= 1 {
		for p := range parts {
			f(p)
		}
		return
	}
	ensureWorkers(procs - 1)
	j.f, j.parts = f, int64(parts)
	j.next.Store(0)
	j.wg.Add(procs - 1)
	for range procs - 1 {
		pool.jobs <- j
	}
	j.run()
	j.wg.Wait()
	j.f = nil
}
