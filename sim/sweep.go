package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/canarysim/canarysim/internal/promadapter"
	"github.com/canarysim/canarysim/scenarios"
)

// Job is one run of a sweep: a case (a scenario under a policy, by index)
// and a seed.
type Job struct {
	Case int
	Seed uint64
}

// SweepOptions configure Sweep.
type SweepOptions struct {
	// Seeds are the seeds every case runs with.
	Seeds []uint64
	// Workers is the number of runs in parallel (at least 1). Each worker
	// owns its metrics store; results do not depend on the worker count.
	Workers int
	// Skip reports jobs already done (a resumed sweep); nil skips none.
	Skip func(Job) bool
	// Backend builds each run's cluster; nil is the in-memory backend.
	Backend NewBackend
}

// Sweep runs every case with every seed and calls emit with each result as
// it finishes. emit is called from one goroutine at a time, in completion
// order; an emit error stops the sweep. Each result is the same as a lone
// Run with the same case and seed, whatever the worker count.
func Sweep(ctx context.Context, cases []*scenarios.Loaded, opts SweepOptions, emit func(Job, *Result) error) error {
	if opts.Workers < 1 {
		return errors.New("sweep needs at least one worker")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan Job)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := work(ctx, cases, opts, jobs, &mu, emit); err != nil {
				cancel(err)
			}
		}()
	}
	feed(ctx, cases, opts, jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// feed sends every job not skipped, in case-then-seed order.
func feed(ctx context.Context, cases []*scenarios.Loaded, opts SweepOptions, jobs chan<- Job) {
	defer close(jobs)
	for c := range cases {
		for _, s := range opts.Seeds {
			j := Job{Case: c, Seed: s}
			if opts.Skip != nil && opts.Skip(j) {
				continue
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}
}

// work runs jobs on one goroutine with its own metrics store.
func work(ctx context.Context, cases []*scenarios.Loaded, opts SweepOptions, jobs <-chan Job, mu *sync.Mutex, emit func(Job, *Result) error) error {
	store, err := promadapter.Open()
	if err != nil {
		return err
	}
	defer store.Close()
	for j := range jobs {
		res, err := Run(ctx, cases[j.Case], Options{Seed: j.Seed, Store: store, Backend: opts.Backend})
		if err != nil {
			return fmt.Errorf("case %d seed %d: %w", j.Case, j.Seed, err)
		}
		mu.Lock()
		err = emit(j, res)
		mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}
