package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"
	istiov1alpha1 "github.com/fluxcd/flagger/pkg/apis/istio/common/v1alpha1"
	istiov1beta1 "github.com/fluxcd/flagger/pkg/apis/istio/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/fakecluster"
)

// TestScripts runs the datadriven scripts in testdata/: each drives the
// engine tick by tick against the in-memory cluster backend, with metric
// answers scripted per metric name. Rewrite with -rewrite and review the
// diff against flagger-semantics.md.
func TestScripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		h := &harness{t: t}
		datadriven.RunTest(t, path, h.handle)
	})
}

var epoch = time.Unix(0, 0).UTC()

// harness is the state of one script.
type harness struct {
	t       *testing.T
	canary  *flaggerv1.Canary
	target  *appsv1.Deployment
	cl      fakecluster.Backend
	eng     *engine.Engine
	metrics scriptedMetrics
	hooks   scriptedHooks
	delays  delays
	now     time.Duration
	notify  bool // print alerts and event-webhook deliveries
	// templates are the MetricTemplates the next canary command sees.
	templates []*flaggerv1.MetricTemplate
}

func (h *harness) handle(t *testing.T, d *datadriven.TestData) string {
	ctx := context.Background()
	switch d.Cmd {
	case "canary":
		// canary stepWeight=10 maxWeight=50 threshold=3 [stepWeights=1,2,10,80]
		//   [stepWeightPromotion=20] [skipAnalysis] [suspend] [deadline=60]
		//   [metrics=request-success-rate,request-duration,latency] [replicas=2]
		return h.newCanary(ctx, t, d)
	case "template":
		// template name=app-errors [namespace=default] [provider=prometheus]
		//   [address=http://prometheus:9090]
		// <query>
		return h.addTemplate(t, d)
	case "delay":
		// delay stable=30s new=5m: rollout delay per version, for later changes.
		for _, a := range d.CmdArgs {
			v, err := time.ParseDuration(a.Vals[0])
			if err != nil {
				t.Fatal(err)
			}
			h.delays[a.Key] = v
		}
		return ""
	case "answer":
		// answer name=gate pass|fail|signal|timeout: the hook's answer from now on.
		var name string
		d.ScanArgs(t, "name", &name)
		h.hooks.answers[name] = d.CmdArgs[1].Key
		return ""
	case "metric":
		// metric name=request-success-rate value=98.5 | nodata | nan | error
		return h.setMetric(t, d)
	case "revise":
		// revise image=podinfo:v3
		return h.revise(ctx, t, d)
	case "tick":
		// tick [n=3]: advance the workload simulator to now, tick, then move
		// now forward by one analysis interval.
		n := 1
		if d.HasArg("n") {
			d.ScanArgs(t, "n", &n)
		}
		var b strings.Builder
		for i := 0; i < n; i++ {
			h.tick(ctx, t, &b)
		}
		return b.String()
	case "primary":
		// primary: the primary Deployment's image and replicas.
		p, err := h.cl.GetDeployment(ctx, h.canary.Namespace, h.canary.Spec.TargetRef.Name+"-primary")
		if err != nil {
			return err.Error() + "\n"
		}
		return fmt.Sprintf("image=%s replicas=%d generation=%d\n", p.Spec.Template.Spec.Containers[0].Image, *p.Spec.Replicas, p.Generation)
	case "target":
		// target: the target Deployment's image and replicas.
		p, err := h.cl.GetDeployment(ctx, h.canary.Namespace, h.canary.Spec.TargetRef.Name)
		if err != nil {
			return err.Error() + "\n"
		}
		return fmt.Sprintf("image=%s replicas=%d\n", p.Spec.Template.Spec.Containers[0].Image, *p.Spec.Replicas)
	case "status":
		// status: the Canary status the engine holds.
		st := h.eng.Status()
		return fmt.Sprintf("phase=%s failedChecks=%d canaryWeight=%d iterations=%d\n", st.Phase, st.FailedChecks, st.CanaryWeight, st.Iterations)
	}
	t.Fatalf("unknown command %q", d.Cmd)
	return ""
}

func (h *harness) newCanary(ctx context.Context, t *testing.T, d *datadriven.TestData) string {
	a := &flaggerv1.CanaryAnalysis{Interval: "1m", Threshold: 3}
	c := &flaggerv1.Canary{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "default"},
		Spec: flaggerv1.CanarySpec{
			TargetRef: flaggerv1.LocalObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "podinfo"},
			Service:   flaggerv1.CanaryService{Port: 9898},
			Analysis:  a,
		},
	}
	replicas := 2
	metrics := "request-success-rate"
	for _, arg := range d.CmdArgs {
		switch arg.Key {
		case "stepWeight", "maxWeight", "threshold", "stepWeightPromotion", "deadline", "replicas":
			v := atoi(t, arg.Vals[0])
			setInt(a, c, arg.Key, v, &replicas)
		case "stepWeights":
			for _, s := range strings.Split(arg.Vals[0], ",") {
				a.StepWeights = append(a.StepWeights, atoi(t, s))
			}
		case "skipAnalysis":
			c.Spec.SkipAnalysis = true
		case "suspend":
			c.Spec.Suspend = true
		case "metrics":
			metrics = arg.Vals[0]
		case "iterations", "mirrorWeight":
			v := atoi(t, arg.Vals[0])
			if arg.Key == "iterations" {
				a.Iterations = v
			} else {
				a.MirrorWeight = v
			}
		case "match":
			a.Match = []istiov1beta1.HTTPMatchRequest{{Headers: map[string]istiov1alpha1.StringMatch{"x-canary": {Exact: "insider"}}}}
		case "mirror":
			a.Mirror = true
		case "provider":
			c.Spec.Provider = arg.Vals[0]
		case "hooks":
			// hooks=confirm-promotion:gate,rollback:stop
			for _, hk := range strings.Split(arg.Vals[0], ",") {
				typ, name, _ := strings.Cut(hk, ":")
				a.Webhooks = append(a.Webhooks, flaggerv1.CanaryWebhook{Type: flaggerv1.HookType(typ), Name: name, URL: "http://never.invalid/" + name})
			}
		case "alerts":
			// alerts=on-call:warn,chat:info,quiet:
			for _, al := range strings.Split(arg.Vals[0], ",") {
				name, sev, _ := strings.Cut(al, ":")
				a.Alerts = append(a.Alerts, flaggerv1.CanaryAlert{Name: name, Severity: flaggerv1.AlertSeverity(sev)})
			}
			h.notify = true
		case "notify":
			h.notify = true
		default:
			t.Fatalf("canary: unknown argument %q", arg.Key)
		}
	}
	a.Metrics = metricSpecs(t, metrics)
	h.canary, h.now = c, 0
	h.target = target(int32(replicas))
	h.delays = delays{"stable": 0, "new": 0}
	h.metrics = scriptedMetrics{answers: map[string]answer{}}
	h.hooks = scriptedHooks{answers: map[string]string{}}
	cl, err := fakecluster.NewMemory(h.delays, epoch)
	if err != nil {
		t.Fatal(err)
	}
	h.cl = cl
	if err := cl.CreateCanary(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := cl.ApplyDeployment(ctx, h.target); err != nil {
		t.Fatal(err)
	}
	if h.eng, err = engine.New(c, cl, &h.metrics, engine.Options{Hooks: h.hooks, Templates: h.templates}); err != nil {
		return err.Error() + "\n"
	}
	return ""
}

func setInt(a *flaggerv1.CanaryAnalysis, c *flaggerv1.Canary, key string, v int, replicas *int) {
	switch key {
	case "stepWeight":
		a.StepWeight = v
	case "maxWeight":
		a.MaxWeight = v
	case "threshold":
		a.Threshold = v
	case "stepWeightPromotion":
		a.StepWeightPromotion = v
	case "deadline":
		s := int32(v)
		c.Spec.ProgressDeadlineSeconds = &s
	case "replicas":
		*replicas = v
	}
}

// metricSpecs builds the metric list: request-success-rate (min 99),
// request-duration (max 500 ms), latency (an inline query, max 500).
func metricSpecs(t *testing.T, list string) []flaggerv1.CanaryMetric {
	var out []flaggerv1.CanaryMetric
	f := func(v float64) *float64 { return &v }
	for _, name := range strings.Split(list, ",") {
		switch name {
		case "request-success-rate":
			out = append(out, flaggerv1.CanaryMetric{Name: name, Interval: "1m", ThresholdRange: &flaggerv1.CanaryThresholdRange{Min: f(99)}})
		case "request-duration":
			out = append(out, flaggerv1.CanaryMetric{Name: name, Interval: "1m", ThresholdRange: &flaggerv1.CanaryThresholdRange{Max: f(500)}})
		case "latency":
			out = append(out, flaggerv1.CanaryMetric{Name: name, Query: `avg(latency{app="{{ target }}"})`, ThresholdRange: &flaggerv1.CanaryThresholdRange{Max: f(500)}})
		case "errors":
			// templateRef app-errors with a variable; the legacy threshold is a maximum.
			out = append(out, flaggerv1.CanaryMetric{Name: name, Interval: "1m", Threshold: 1,
				TemplateRef: &flaggerv1.CrossNamespaceObjectReference{Name: "app-errors"}, TemplateVariables: map[string]string{"code": "5.."}})
		case "errors-novars":
			out = append(out, flaggerv1.CanaryMetric{Name: name, Interval: "1m", Threshold: 1,
				TemplateRef: &flaggerv1.CrossNamespaceObjectReference{Name: "app-errors"}})
		case "request-success-rate+errors":
			// a builtin name with a templateRef: evaluated twice (§8.1).
			out = append(out, flaggerv1.CanaryMetric{Name: "request-success-rate", Interval: "1m", ThresholdRange: &flaggerv1.CanaryThresholdRange{Min: f(99)},
				TemplateRef: &flaggerv1.CrossNamespaceObjectReference{Name: "app-errors"}, TemplateVariables: map[string]string{"code": "5.."}})
		case "undefined":
			out = append(out, flaggerv1.CanaryMetric{Name: name})
		case "none":
		default:
			t.Fatalf("unknown metric %q", name)
		}
	}
	return out
}

func target(replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": "podinfo"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "podinfo", Image: "podinfo:v1"}}},
			},
		},
	}
}

func (h *harness) addTemplate(t *testing.T, d *datadriven.TestData) string {
	tpl := &flaggerv1.MetricTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: "default"}}
	tpl.Spec.Provider = flaggerv1.MetricTemplateProvider{Type: "prometheus", Address: "http://prometheus:9090"}
	tpl.Spec.Query = d.Input
	for _, arg := range d.CmdArgs {
		v := ""
		if len(arg.Vals) > 0 {
			v = arg.Vals[0]
		}
		switch arg.Key {
		case "name":
			tpl.Name = v
		case "namespace":
			tpl.Namespace = v
		case "provider":
			tpl.Spec.Provider.Type = v
		case "address":
			tpl.Spec.Provider.Address = v
		default:
			t.Fatalf("template: unknown argument %q", arg.Key)
		}
	}
	h.templates = append(h.templates, tpl)
	return ""
}

func (h *harness) setMetric(t *testing.T, d *datadriven.TestData) string {
	var name string
	d.ScanArgs(t, "name", &name)
	var a answer
	switch {
	case d.HasArg("value"):
		var s string
		d.ScanArgs(t, "value", &s)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		a.value = v
	case d.HasArg("nodata"):
		a.err = engine.ErrNoValues
	case d.HasArg("nan"):
		a.value = math.NaN()
	case d.HasArg("error"):
		a.err = errors.New("bad_data: parse error")
	default:
		t.Fatal("metric needs value=, nodata, nan or error")
	}
	h.metrics.answers[name] = a
	return ""
}

func (h *harness) revise(ctx context.Context, t *testing.T, d *datadriven.TestData) string {
	image := "podinfo:v2"
	if d.HasArg("image") {
		d.ScanArgs(t, "image", &image)
	}
	if err := h.cl.Advance(ctx, epoch.Add(h.now)); err != nil {
		t.Fatal(err)
	}
	_, err := h.cl.UpdateDeployment(ctx, "default", "podinfo", func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = image
	})
	if err != nil {
		t.Fatal(err)
	}
	return ""
}

func (h *harness) tick(ctx context.Context, t *testing.T, b *strings.Builder) {
	now := epoch.Add(h.now)
	if err := h.cl.Advance(ctx, now); err != nil {
		t.Fatal(err)
	}
	rec := h.eng.Tick(ctx, now)
	routes := "-"
	if r, err := h.cl.Routes(ctx, h.canary); err == nil {
		routes = fmt.Sprintf("%d/%d", r.Primary, r.Canary)
		if r.Mirrored {
			routes += " mirrored"
		}
	}
	st := rec.Status
	fmt.Fprintf(b, "%s %s routes=%s failed=%d weight=%d", h.now, rec.Phase, routes, st.FailedChecks, st.CanaryWeight)
	if h.canary.Spec.Analysis.Iterations > 0 || h.canary.Spec.Provider != "" {
		fmt.Fprintf(b, " iterations=%d", st.Iterations)
	}
	b.WriteString("\n")
	for _, c := range rec.Checks {
		val := "-"
		if c.HasValue {
			val = strconv.FormatFloat(c.Value, 'f', -1, 64)
		}
		fmt.Fprintf(b, "  check %s=%s %s\n", c.Metric, val, c.Verdict)
	}
	for _, c := range rec.Hooks {
		res := "ok"
		if c.Err != "" {
			res = c.Err
		}
		fmt.Fprintf(b, "  hook %s %s phase=%s: %s\n", c.Type, c.Name, c.Phase, res)
	}
	for _, e := range rec.Events {
		fmt.Fprintf(b, "  %s %s\n", e.Type, e.Message)
	}
	for _, n := range rec.Notifications {
		if h.notify {
			fmt.Fprintf(b, "  %s %s to %s: %s\n", n.Channel, n.Severity, strings.Join(n.To, ","), n.Message)
		}
	}
	h.now += h.eng.Interval()
}

func atoi(t *testing.T, s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// delays is the workload simulator's rollout delay per version: images
// ending in v1 are the stable version, anything else is new.
type delays map[string]time.Duration

func (d delays) RolloutDelay(t *corev1.PodTemplateSpec) time.Duration {
	if strings.HasSuffix(t.Spec.Containers[0].Image, ":v1") {
		return d["stable"]
	}
	return d["new"]
}

// answer is a scripted metric result.
type answer struct {
	value float64
	err   error
}

// scriptedMetrics answers by metric: the query is recognised by the metric
// it was rendered from. Unscripted builtins answer healthy values.
type scriptedMetrics struct {
	answers map[string]answer
	queries int
}

func (s *scriptedMetrics) Query(_ context.Context, q string, _ time.Time) (float64, error) {
	s.queries++
	name := "latency"
	switch {
	case strings.Contains(q, "istio_requests_total"):
		name = "request-success-rate"
	case strings.Contains(q, "istio_request_duration"):
		name = "request-duration"
	case strings.Contains(q, "http_requests_total"):
		name = "errors" // the app-errors template of the scripts
	}
	a, ok := s.answers[name]
	if !ok {
		return 100, nil
	}
	if a.err == nil && math.IsNaN(a.value) {
		return 0, engine.ErrNoValues
	}
	return a.value, a.err
}

// scriptedHooks answers webhooks by name: pass (the default), fail,
// signal (a rollback hook asks for a rollback) or timeout. Unscripted
// rollback hooks do not signal.
type scriptedHooks struct{ answers map[string]string }

func (s scriptedHooks) Call(_ context.Context, hook flaggerv1.CanaryWebhook, _ flaggerv1.CanaryPhase, _ time.Time) (time.Duration, error) {
	a := s.answers[hook.Name]
	switch {
	case a == "fail":
		return 0, errors.New("status 503")
	case a == "timeout":
		return 10 * time.Second, errors.New("context deadline exceeded")
	case hook.Type == flaggerv1.RollbackHook && a != "signal":
		return 0, engine.ErrHookNotSignalled
	}
	return 0, nil
}
