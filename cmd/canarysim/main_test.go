package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the tests run the real main: with CANARYSIM_RUN_MAIN set,
// the test binary behaves as the canarysim command.
func TestMain(m *testing.M) {
	if os.Getenv("CANARYSIM_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// canarysim runs the command and returns stdout, stderr and the exit code.
func canarysim(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CANARYSIM_RUN_MAIN=1")
	cmd.Dir = "../.."
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestRunHealthyTimeline(t *testing.T) {
	out, stderr, code := canarysim(t, "run", "-f", "testdata/seed/example-healthy.yaml")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	for _, want := range []string{"Advance podinfo.test canary weight 50", "outcome: Succeeded", "seed 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
}

func TestRunFailingJSON(t *testing.T) {
	out, stderr, code := canarysim(t, "run", "-f", "testdata/seed/example-failing.yaml", "--seed", "7", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var doc struct {
		Outcome               string   `json:"outcome"`
		Seed                  uint64   `json:"seed"`
		TimeToPromoteSeconds  *float64 `json:"timeToPromoteSeconds"`
		TimeToRollbackSeconds *float64 `json:"timeToRollbackSeconds"`
		Timeline              []struct {
			CanaryWeight *int `json:"canaryWeight"`
		} `json:"timeline"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if doc.Outcome != "Failed" || doc.Seed != 7 || doc.TimeToPromoteSeconds != nil || doc.TimeToRollbackSeconds == nil {
		t.Errorf("document: outcome %s seed %d promote %v rollback %v", doc.Outcome, doc.Seed, doc.TimeToPromoteSeconds, doc.TimeToRollbackSeconds)
	}
	if last := doc.Timeline[len(doc.Timeline)-1]; last.CanaryWeight == nil || *last.CanaryWeight != 0 {
		t.Errorf("last tick canary weight %v, want 0", last.CanaryWeight)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	canary, err := os.ReadFile("../../testdata/seed/canary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	failing, err := os.ReadFile("../../testdata/seed/example-failing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("canary.yaml", string(canary))
	wrongExpect := write("expect-promote.yaml", strings.Replace(string(failing), "expect: rollback", "expect: promote", 1))
	bad := write("bad.yaml", strings.Replace(string(failing), "rps: 200", "rps: 200\n    burst: 5", 1))
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "ok", args: []string{"run", "-f", "testdata/seed/example-failing.yaml"}, wantCode: 0},
		{name: "policy contradicts expect", args: []string{"run", "-f", wrongExpect}, wantCode: 1, wantStderr: "expected promote, outcome Failed"},
		{name: "bad input names file line and field", args: []string{"run", "-f", bad}, wantCode: 2, wantStderr: "bad.yaml:16:5: spec.traffic.burst: unknown field"},
		{name: "missing file", args: []string{"run", "-f", filepath.Join(dir, "nope.yaml")}, wantCode: 2, wantStderr: "nope.yaml: reading scenario"},
		{name: "no file flag", args: []string{"run"}, wantCode: 2, wantStderr: "-f FILE"},
		{name: "unknown flag", args: []string{"run", "--sed", "3"}, wantCode: 2, wantStderr: "unknown flag"},
		{name: "unknown output", args: []string{"run", "-f", "testdata/seed/example-failing.yaml", "-o", "xml"}, wantCode: 2, wantStderr: "unknown output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := canarysim(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d stderr %q, want %d and %q", code, stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
}
