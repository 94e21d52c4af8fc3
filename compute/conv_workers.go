package compute

import "sync"

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
