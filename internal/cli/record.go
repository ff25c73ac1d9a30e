package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/canarysim/canarysim/reports"
	"github.com/canarysim/canarysim/sim"
)

// recorder keeps every run's measures and, with --out, appends each as one
// JSON line as soon as it is known, so an interrupted sweep loses nothing
// it finished. With --resume it first reads the file back: runs already
// there are kept and skipped; a torn last line is cut off.
type recorder struct {
	f        *os.File
	keys     []reports.CaseKey
	measures []reports.RunMeasures
	have     map[runKey]bool
	resumed  int
}

type runKey struct {
	c    reports.CaseKey
	seed uint64
}

func newRecorder(path string, resume bool, keys []reports.CaseKey, seeds []uint64) (*recorder, error) {
	r := &recorder{keys: keys, have: map[runKey]bool{}}
	if path == "" {
		return r, nil
	}
	if !resume {
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("creating %s: %w", path, err)
		}
		r.f = f
		return r, nil
	}
	if err := r.load(path, keys, seeds); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	r.f = f
	return r, nil
}

// load reads the runs of an earlier sweep that belong to this one.
func (r *recorder) load(path string, keys []reports.CaseKey, seeds []uint64) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if cut := bytes.LastIndexByte(data, '\n') + 1; cut < len(data) {
		if err := os.Truncate(path, int64(cut)); err != nil {
			return fmt.Errorf("cutting the torn last line of %s: %w", path, err)
		}
		data = data[:cut]
	}
	wantCase := map[reports.CaseKey]bool{}
	for _, k := range keys {
		wantCase[k] = true
	}
	wantSeed := map[uint64]bool{}
	for _, s := range seeds {
		wantSeed[s] = true
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var m reports.RunMeasures
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return fmt.Errorf("%s:%d: not a run record: %w", path, line, err)
		}
		k := runKey{reports.CaseKey{Scenario: m.Scenario, Policy: m.Policy}, m.Seed}
		if !wantCase[k.c] || !wantSeed[m.Seed] || r.have[k] {
			continue
		}
		r.have[k] = true
		r.measures = append(r.measures, m)
	}
	r.resumed = len(r.measures)
	return sc.Err()
}

// skip reports a run the file already holds.
func (r *recorder) skip(j sim.Job) bool {
	return r.have[runKey{r.keys[j.Case], j.Seed}]
}

// done is the number of runs taken from the file.
func (r *recorder) done() int { return r.resumed }

// add keeps a run and appends it to the file.
func (r *recorder) add(m reports.RunMeasures) error {
	r.measures = append(r.measures, m)
	if r.f == nil {
		return nil
	}
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := r.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing run record: %w", err)
	}
	return nil
}

func (r *recorder) close() {
	if r.f != nil {
		_ = r.f.Close()
	}
}
