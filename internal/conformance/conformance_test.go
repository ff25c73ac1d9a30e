package conformance_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/canarysim/canarysim/internal/golden"
	"github.com/canarysim/canarysim/reports"
	"github.com/canarysim/canarysim/scenarios"
	"github.com/canarysim/canarysim/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/conformance/*.golden")

// dir is testdata/conformance from this package; files are named in
// outputs by their path from the repository root, as the CLI names them.
const dir = "../../testdata/conformance"

// TestConformance runs every scripted scenario with seed 1 on the
// in-memory cluster and compares its timeline with the reviewed golden
// file. Review a changed golden against flagger-semantics.md (the
// scenario's header comment names the section and the expected ticks)
// before committing it.
func TestConformance(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance scenarios in %s: %v", dir, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			l, err := scenarios.LoadBytes("testdata/conformance/"+name+".yaml", data)
			if err != nil {
				t.Fatal(err)
			}
			if l.Script.Empty() {
				t.Errorf("%s has no spec.script: conformance scenarios pin their answers", name)
			}
			res, err := sim.Run(context.Background(), l, sim.Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := reports.WriteTimeline(&b, res); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join(dir, name+".golden"), b.Bytes(), *update, "go test ./internal/conformance -update")
		})
	}
}
