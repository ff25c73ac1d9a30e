package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// progress draws "runs done / total" on stderr when stderr is a terminal
// and the sweep has taken more than a second. It reads the wall clock: it
// is user interface, never part of a result.
type progress struct {
	w     io.Writer
	on    bool
	total int
	n     int
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, total int) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, on: ok && term.IsTerminal(int(f.Fd())), total: total, start: time.Now()}
}

func (p *progress) step() {
	p.n++
	if !p.on {
		return
	}
	now := time.Now()
	if now.Sub(p.start) < time.Second || now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	width := 30
	filled := width * p.n / max(1, p.total)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < filled {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(p.w, "\r[%s] %d/%d runs", bar, p.n, p.total)
}

func (p *progress) finish() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}
