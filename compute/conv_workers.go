package compute

import (
	"sync"
	"sync/atomic"
)

// parallelWorkers splits [0, n) into at most Threads() contiguous chunks and
// runs fn(worker, start, end) for each, worker numbered from 0, then waits.
// It returns how many workers ran. Kernels that keep per-worker partial sums
// use the worker number to pick their buffer.
func parallelWorkers(n int, fn func(worker, start, end int)) int {
	if n <= 0 {
		return 0
	}
	workers := min(Threads(), n)
	if workers <= 1 {
		fn(0, 0, n)
		return 1
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		start, end := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(w, start, end)
		}()
	}
	wg.Wait()
	return workers
}

// dynamicWorkers runs min(Threads(), tasks) workers, numbered from 0, each
// calling fn(worker, next) once, and waits for them; next hands out the
// task numbers [0, tasks) one at a time, and -1 when none are left. Tasks
// go to whichever worker asks first, so a worker the OS delays on a busy
// machine holds the others up less than with fixed shares. It returns how
// many workers ran.
func dynamicWorkers(tasks int, fn func(worker int, next func() int)) int {
	var counter atomic.Int64
	next := func() int {
		if t := int(counter.Add(1)) - 1; t < tasks {
			return t
		}
		return -1
	}
	return parallelWorkers(min(Threads(), tasks), func(w, _, _ int) { fn(w, next) })
}
