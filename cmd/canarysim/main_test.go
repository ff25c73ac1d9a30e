package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/canarysim/canarysim/fakecluster"
	"github.com/canarysim/canarysim/fakecluster/envtesting"
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

// TestInterruptStopsControlPlane: Ctrl-C (SIGINT) or SIGTERM during an
// envtest run stops kube-apiserver and etcd, removes their temporary
// directories and exits 130; no process is left behind.
func TestInterruptStopsControlPlane(t *testing.T) {
	if _, err := os.Stat(filepath.Join(fakecluster.AssetsDir(), "kube-apiserver")); err != nil {
		envtesting.Unavailable(t, err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { interruptRun(t, sig) })
	}
}

func interruptRun(t *testing.T, sig syscall.Signal) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	scenario := filepath.Join(dir, "stuck.yaml")
	if err := os.WriteFile(scenario, []byte(stuckScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "run", "--cluster", "envtest", "-f", scenario)
	cmd.Env = append(os.Environ(), "CANARYSIM_RUN_MAIN=1", "TMPDIR="+tmp, "KUBEBUILDER_ASSETS="+fakecluster.AssetsDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan bool, 1)
	go func() {
		buf := make([]byte, 4096)
		var seen strings.Builder
		for {
			n, err := stderr.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(seen.String(), "control plane started") {
				started <- true
				_, _ = io.Copy(io.Discard, stderr)
				return
			}
			if err != nil {
				t.Logf("stderr: %s", seen.String())
				started <- false
				return
			}
		}
	}()
	if !<-started {
		_ = cmd.Process.Kill()
		t.Fatal("control plane did not start")
	}
	children := childPIDs(cmd.Process.Pid)
	if len(children) < 2 {
		t.Errorf("want kube-apiserver and etcd as children, found %v", children)
	}
	time.Sleep(500 * time.Millisecond) // let the simulation get going
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit = %v, want 130", err)
	}
	for _, pid := range children {
		if alive(pid) {
			t.Errorf("process %d (%s) still running after the interrupted run", pid, comm(pid))
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// stuckScenario never finishes on its own (no stepWeight: Flagger stays
// at weight 0), so it is surely mid-run when interrupted.
const stuckScenario = `apiVersion: canarysim.dev/v1alpha1
kind: Scenario
metadata: {name: stuck}
spec:
  canary:
    inline:
      apiVersion: flagger.app/v1beta1
      kind: Canary
      metadata: {name: app}
      spec:
        targetRef: {apiVersion: apps/v1, kind: Deployment, name: app}
        service: {port: 8080}
        analysis: {interval: 10s, threshold: 1}
  horizon: 720h
  traffic: {rps: 10}
  versions:
    stable: {latency: {p50: 10ms, p99: 50ms}}
    canary: {latency: {p50: 10ms, p99: 50ms}}
`

// childPIDs lists the processes whose parent is pid, from /proc.
func childPIDs(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid(child) == pid {
			out = append(out, child)
		}
	}
	return out
}

// ppid parses the parent pid from /proc/PID/stat ("pid (comm) state ppid ...").
func ppid(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return -1
	}
	p, _ := strconv.Atoi(fields[1])
	return p
}

// alive reports a process that exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

func comm(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(data))
}

// TestCompareResumeAndWorkers: the comparison JSON is byte-identical with 1
// and 4 workers, and a sweep cut short (a torn last line included) resumes
// to the same result without repeating or losing runs.
func TestCompareResumeAndWorkers(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs.jsonl")
	args := []string{"compare", "-f", "testdata/scenarios", "--policy", "balanced", "--policy", "aggressive", "--seeds", "5", "-o", "json"}
	one, stderr, code := canarysim(t, append(args, "--workers", "1")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	four, _, _ := canarysim(t, append(args, "--workers", "4", "--out", runs)...)
	if one != four {
		t.Fatalf("1 and 4 workers differ:\n%s\n---\n%s", one, four)
	}
	data, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../testdata/scenarios/*.yaml")
	want := len(files) * 2 * 5 // scenarios × policies × seeds
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != want {
		t.Fatalf("%d run records, want %d", len(lines), want)
	}
	cut := strings.Join(lines[:12], "\n") + "\n" + lines[12][:len(lines[12])/2]
	if err := os.WriteFile(runs, []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	resumed, stderr, code := canarysim(t, append(args, "--workers", "2", "--out", runs, "--resume")...)
	if code != 0 {
		t.Fatalf("resume exit %d: %s", code, stderr)
	}
	if resumed != one {
		t.Errorf("resumed sweep differs:\n%s\n---\n%s", resumed, one)
	}
	data, _ = os.ReadFile(runs)
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var rec struct {
			Scenario, Policy string
			Seed             int
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("bad line after resume %q: %v", l, err)
		}
		key := fmt.Sprint(rec.Scenario, rec.Policy, rec.Seed)
		if seen[key] {
			t.Errorf("run %s recorded twice", key)
		}
		seen[key] = true
	}
	if len(seen) != want {
		t.Errorf("%d distinct runs after resume, want %d", len(seen), want)
	}
}

// TestEnvtestMissingBinaries: without kube-apiserver and etcd the error says
// how to build them, and the exit code is 3.
func TestEnvtestMissingBinaries(t *testing.T) {
	cmd := exec.Command(os.Args[0], "run", "--cluster", "envtest", "-f", "testdata/seed/example-failing.yaml")
	cmd.Env = append(os.Environ(), "CANARYSIM_RUN_MAIN=1", "KUBEBUILDER_ASSETS="+t.TempDir())
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("exit = %v, want 3", err)
	}
	if !strings.Contains(string(out), "make envtest-bin") {
		t.Errorf("message does not say how to build the binaries:\n%s", out)
	}
}

// TestCompareShards: two shards' run files, merged with --resume, give the
// same comparison as the unsharded sweep, byte for byte, running nothing new.
func TestCompareShards(t *testing.T) {
	dir := t.TempDir()
	args := []string{"compare", "-f", "testdata/scenarios", "--policy", "balanced", "--seeds", "4", "-o", "json"}
	whole, stderr, code := canarysim(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var merged []byte
	for _, shard := range []string{"1/2", "2/2"} {
		part := filepath.Join(dir, strings.ReplaceAll(shard, "/", "-")+".jsonl")
		if _, stderr, code := canarysim(t, append(args, "--shard", shard, "--out", part)...); code != 0 {
			t.Fatalf("shard %s: exit %d: %s", shard, code, stderr)
		}
		data, err := os.ReadFile(part)
		if err != nil {
			t.Fatal(err)
		}
		merged = append(merged, data...)
	}
	all := filepath.Join(dir, "all.jsonl")
	if err := os.WriteFile(all, merged, 0o644); err != nil {
		t.Fatal(err)
	}
	got, stderr, code := canarysim(t, append(args, "--out", all, "--resume")...)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if got != whole {
		t.Errorf("merged shards differ from the whole sweep:\n%s\n---\n%s", got, whole)
	}
	after, _ := os.ReadFile(all)
	if len(after) != len(merged) {
		t.Errorf("merging ran %d bytes of new runs; the shards had them all", len(after)-len(merged))
	}
	if _, _, code := canarysim(t, append(args, "--shard", "3/2")...); code != 2 {
		t.Errorf("--shard 3/2 exit %d, want 2", code)
	}
}
