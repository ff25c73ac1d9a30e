package reports_test

import (
	"bytes"
	"context"
	"flag"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/canarysim/canarysim/internal/golden"
	"github.com/canarysim/canarysim/reports"
	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/seed/golden, reports/testdata)")

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, name, got, *update, "go test ./reports -update")
}

// TestGolden renders the seed examples as timeline and JSON and compares
// them with the reviewed golden files.
func TestGolden(t *testing.T) {
	cases := []struct {
		scenario string
		seed     uint64
	}{
		{"example-healthy", 1},
		{"example-failing", 7},
	}
	for _, c := range cases {
		l, err := scenarios.Load(filepath.Join("../testdata/seed", c.scenario+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		l.File = "testdata/seed/" + c.scenario + ".yaml" // as the README's command names it
		res, err := sim.Run(context.Background(), l, sim.Options{Seed: c.seed})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			ext   string
			write func(*bytes.Buffer, *sim.Result) error
		}{
			{"txt", func(b *bytes.Buffer, r *sim.Result) error { return reports.WriteTimeline(b, r) }},
			{"json", func(b *bytes.Buffer, r *sim.Result) error { return reports.WriteJSON(b, r) }},
		} {
			name := filepath.Join("../testdata/seed/golden", c.scenario+".seed"+strconv.FormatUint(c.seed, 10)+"."+r.ext)
			t.Run(filepath.Base(name), func(t *testing.T) {
				var got bytes.Buffer
				if err := r.write(&got, res); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, name, got.Bytes())
			})
		}
	}
}
