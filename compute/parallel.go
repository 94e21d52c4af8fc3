package compute

import (
	"runtime"
	"sync"
)

// Threads returns the number of workers kernels split their work across.
func Threads() int { return runtime.GOMAXPROCS(0) }

// ParallelFor runs fn over [0, n) split into contiguous chunks, one per
// worker, and waits for all of them. Chunks never cross multiples of grain
// unless n is smaller; fn is called at most Threads() times.
func ParallelFor(n, grain int, fn func(start, end int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	workers := Threads()
	units := (n + grain - 1) / grain
	if workers > units {
		workers = units
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (units + workers - 1) / workers
	for w := 0; w < workers; w++ {
		start := w * per * grain
		end := min(start+per*grain, n)
		if start >= end {
			break
		}
		wg.Add(1)
		go func(s, e int) {
			defer wg.Done()
			fn(s, e)
		}(start, end)
	}
	wg.Wait()
}
