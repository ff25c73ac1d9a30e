package scenarios

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

	"github.com/canarysim/canarysim/engine"
)

// Policy is a rollout policy: overrides of a Canary's spec.analysis.
// Presets and --set overrides change single fields; a policy taken from a
// user's Canary file replaces the whole analysis.
type Policy struct {
	// Name identifies the policy in reports ("balanced",
	// "balanced stepWeight=5", or the Canary file's path).
	Name string
	// Analysis, when set, replaces the scenario Canary's whole analysis.
	Analysis *flaggerv1.CanaryAnalysis
	// Fields are single-field overrides applied after Analysis, in order.
	Fields []Override
}

// Override sets one analysis field ("interval", "threshold", "maxWeight",
// "stepWeight", "stepWeightPromotion", "iterations", "mirrorWeight") to a
// value.
type Override struct {
	Field string
	Value string
}

// Preset is one of the team's guidance policies (DESIGN.md §6).
type Preset struct {
	Name       string
	Interval   string
	Threshold  int
	MaxWeight  int
	StepWeight int
	Summary    string
}

// Presets are the built-in policies, from the team's own guidance.
var Presets = []Preset{
	{Name: "conservative", Interval: "2m", Threshold: 3, MaxWeight: 30, StepWeight: 5, Summary: "small steps, slow checks, stops at 30 %"},
	{Name: "balanced", Interval: "1m", Threshold: 5, MaxWeight: 50, StepWeight: 10, Summary: "Flagger's usual example settings"},
	{Name: "aggressive", Interval: "30s", Threshold: 3, MaxWeight: 100, StepWeight: 20, Summary: "big fast steps all the way to 100 %"},
}

// Policy turns a preset into a Policy. Its stepWeight replaces any
// stepWeights ladder of the scenario's Canary.
func (p Preset) Policy() Policy {
	return Policy{Name: p.Name, Fields: []Override{
		{"interval", p.Interval},
		{"threshold", strconv.Itoa(p.Threshold)},
		{"maxWeight", strconv.Itoa(p.MaxWeight)},
		{"stepWeight", strconv.Itoa(p.StepWeight)},
	}}
}

// overridable are the analysis fields --set may change.
var overridable = []string{"interval", "threshold", "maxWeight", "stepWeight", "stepWeightPromotion", "iterations", "mirrorWeight"}

// ParsePolicy resolves a --policy value: a preset name, or the path of a
// Canary file (or a multi-document file holding one Canary) whose
// spec.analysis becomes the policy.
func ParsePolicy(spec string) (Policy, error) {
	for _, p := range Presets {
		if p.Name == spec {
			return p.Policy(), nil
		}
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		names := make([]string, len(Presets))
		for i, p := range Presets {
			names[i] = p.Name
		}
		return Policy{}, &FieldError{File: spec, Msg: fmt.Sprintf("not a preset (%s) and not a readable Canary file: %v", strings.Join(names, ", "), err)}
	}
	c, err := canaryFromFile(spec, data)
	if err != nil {
		return Policy{}, err
	}
	return Policy{Name: spec, Analysis: c.GetAnalysis()}, nil
}

// canaryFromFile decodes and validates the one Canary in a file.
func canaryFromFile(file string, data []byte) (*flaggerv1.Canary, error) {
	docs, err := splitDocuments(file, data)
	if err != nil {
		return nil, err
	}
	l := &loader{}
	var found []document
	for _, d := range docs {
		var h head
		decodeHead(d, &h)
		if h.Kind == "Canary" && h.APIVersion == flaggerv1.SchemeGroupVersion.String() {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		return nil, &FieldError{File: file, Msg: fmt.Sprintf("want exactly one flagger.app/v1beta1 Canary, found %d", len(found))}
	}
	c := &flaggerv1.Canary{}
	l.decodeObject(&found[0], c)
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	l.validateCanary(found[0], c)
	if c.GetAnalysis() == nil {
		l.errs.add(file, 0, 0, "spec.analysis", "a policy file needs spec.analysis")
	}
	if err := l.errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseSet parses one --set flag, "analysis.FIELD=V1,V2,...", into the
// overrides it expands to.
func ParseSet(flag string) ([]Override, error) {
	key, vals, ok := strings.Cut(flag, "=")
	field, hasPrefix := strings.CutPrefix(key, "analysis.")
	if !ok || !hasPrefix || !slices.Contains(overridable, field) || vals == "" {
		return nil, fmt.Errorf("%w: --set %q: want analysis.FIELD=V1[,V2...] with FIELD one of %s", ErrInput, flag, strings.Join(overridable, ", "))
	}
	var out []Override
	for _, v := range strings.Split(vals, ",") {
		o := Override{Field: field, Value: strings.TrimSpace(v)}
		if err := o.check(); err != nil {
			return nil, fmt.Errorf("%w: --set %q: %v", ErrInput, flag, err)
		}
		out = append(out, o)
	}
	return out, nil
}

func (o Override) check() error {
	if o.Field == "interval" {
		if !analysisIntervalRE.MatchString(o.Value) {
			return fmt.Errorf("%q is not a duration like 30s or 1m", o.Value)
		}
		return nil
	}
	n, err := strconv.Atoi(o.Value)
	if err != nil || n < 0 {
		return fmt.Errorf("%s must be a non-negative integer, got %q", o.Field, o.Value)
	}
	if o.Field == "mirrorWeight" && n > 100 {
		return fmt.Errorf("mirrorWeight must be a percentage, got %d", n)
	}
	return nil
}

// Grid expands base policies by every combination of the --set overrides:
// each entry of sets lists the alternative values of one field.
func Grid(base []Policy, sets [][]Override) []Policy {
	out := base
	for _, alts := range sets {
		var next []Policy
		for _, p := range out {
			for _, o := range alts {
				q := p
				q.Fields = append(slices.Clone(p.Fields), o)
				q.Name = fmt.Sprintf("%s %s=%s", p.Name, o.Field, o.Value)
				next = append(next, q)
			}
		}
		out = next
	}
	return out
}

// Apply returns a copy of l whose Canary runs under policy p. The input is
// not modified. It fails (ErrInput) when the policy makes the Canary route
// by analysis.match while the scenario does not say what share of the
// traffic matches (spec.traffic.matchPercent).
func (p Policy) Apply(l *Loaded) (*Loaded, error) {
	out := *l
	c := l.Canary.DeepCopy()
	if c.Spec.Analysis == nil {
		c.Spec.Analysis = c.Spec.CanaryAnalysis
		c.Spec.CanaryAnalysis = nil
	}
	if p.Analysis != nil {
		c.Spec.Analysis = p.Analysis.DeepCopy()
	}
	if c.Spec.Analysis == nil {
		c.Spec.Analysis = &flaggerv1.CanaryAnalysis{}
	}
	for _, o := range p.Fields {
		o.apply(c.Spec.Analysis)
	}
	out.Canary = c
	if engine.SplitsByMatch(l.Provider, c.Spec.Analysis) && !l.MatchDeclared {
		return nil, fmt.Errorf("%w: policy %q routes by analysis.match, but scenario %s (%s) does not set spec.traffic.matchPercent", ErrInput, p.Name, l.Name, l.File)
	}
	return &out, nil
}

func (o Override) apply(a *flaggerv1.CanaryAnalysis) {
	n, _ := strconv.Atoi(o.Value) // checked when parsed
	switch o.Field {
	case "interval":
		a.Interval = o.Value
	case "threshold":
		a.Threshold = n
	case "maxWeight":
		a.MaxWeight = n
	case "stepWeight":
		a.StepWeight = n
		a.StepWeights = nil
	case "stepWeightPromotion":
		a.StepWeightPromotion = n
	case "iterations":
		a.Iterations = n
	case "mirrorWeight":
		a.MirrorWeight = n
	}
}
