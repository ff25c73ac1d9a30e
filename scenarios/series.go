package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/canarysim/canarysim/engine"
	"github.com/canarysim/canarysim/internal/promadapter"
)

// SeriesSpec is one entry of spec.series, an extra series the simulator
// writes so MetricTemplate queries have the application's own metrics to
// read. It is one of two kinds:
//
// Derived (name, labels, count, factor): a counter per workload (primary
// and canary) derived at every scrape from the simulated traffic of that
// workload, with the same draws as the built-in Istio series:
//
//	series:
//	  - name: http_requests_total
//	    labels: {app: podinfo, pod: "{{ workload }}", status: "{{ status }}"}
//	    count: requests    # requests (default), errors (HTTP 500) or successes
//	    factor: 1          # multiplies the count (default 1)
//
// Label values may hold placeholders: {{ workload }} (Deployment name,
// e.g. podinfo-primary or podinfo), {{ role }} (primary or canary),
// {{ version }} (stable or canary: the version the workload serves),
// {{ namespace }} and {{ status }} (200 for successes, 500 for errors; it
// splits the count into one series per status). Workloads whose labels
// render the same share one series (their counts add up).
//
// Literal (series, values, interval, start): a series written as promtool
// unit tests write it, in Prometheus's expanding notation:
//
//	series:
//	  - series: 'orders_total{app="podinfo"}'
//	    values: "0+10x100 _ stale 5"  # _ is no sample, stale a staleness marker
//	    interval: 15s                 # between values (default: the scrape interval)
//	    start: 0s                     # since the revision (default 0s; may be negative)
type SeriesSpec struct {
	Name     string            `json:"name,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Count    string            `json:"count,omitempty"`
	Factor   *float64          `json:"factor,omitempty"`
	Series   string            `json:"series,omitempty"`
	Values   string            `json:"values,omitempty"`
	Interval string            `json:"interval,omitempty"`
	Start    string            `json:"start,omitempty"`
}

// CountKind is what a derived series counts.
type CountKind int

// What a derived series counts.
const (
	CountRequests CountKind = iota
	CountErrors
	CountSuccesses
)

// SeriesLabel is one label of a derived series; Value may hold
// placeholders (see ExpandPlaceholders).
type SeriesLabel struct {
	Name, Value string
}

// DerivedSeries is a validated derived series. Labels are sorted by name;
// ByStatus is set when a label value uses {{ status }}.
type DerivedSeries struct {
	Name     string
	Labels   []SeriesLabel
	Count    CountKind
	Factor   float64
	ByStatus bool
}

// SeriesPoint is one step of a literal series: a value, no sample
// (Omitted) or a staleness marker (Stale).
type SeriesPoint struct {
	Value   float64
	Omitted bool
	Stale   bool
}

// LiteralSeries is a validated literal series. Labels are name/value pairs
// with "__name__"; point i is at virtual time Start + i×Interval since the
// Canary was created (Start >= 0).
type LiteralSeries struct {
	Series   string
	Labels   []string
	Start    time.Duration
	Interval time.Duration
	Points   []SeriesPoint
}

// Placeholders are the names ExpandPlaceholders knows.
var Placeholders = []string{"workload", "role", "version", "namespace", "status"}

var (
	placeholderRE = regexp.MustCompile(`\{\{\s*([A-Za-z_]*)\s*\}\}`)
	metricNameRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelNameRE   = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// ExpandPlaceholders replaces every {{ name }} in s by value(name).
func ExpandPlaceholders(s string, value func(name string) string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		return value(placeholderRE.FindStringSubmatch(m)[1])
	})
}

// series validates spec.series into out.
func (r specResolver) series(list []SeriesSpec, out *Loaded) {
	names := map[string]string{}
	reserved := engine.BuiltinSeries(out.Provider)
	for i, s := range list {
		p := fmt.Sprintf("spec.series[%d]", i)
		var name string
		if s.Series != "" || s.Values != "" {
			ls, ok := r.literal(p, s, out)
			if !ok {
				continue
			}
			out.Literal = append(out.Literal, ls)
			name = metricName(ls.Labels)
			r.notReserved(p+".series", name, reserved, out.Provider)
		} else {
			ds, ok := r.derived(p, s)
			if !ok {
				continue
			}
			out.Derived = append(out.Derived, ds)
			name = ds.Name
			r.notReserved(p+".name", name, reserved, out.Provider)
		}
		if prev, dup := names[name]; dup {
			r.errAt(p, "series %s is already declared at %s; use one entry per metric name", name, prev)
		}
		names[name] = p
	}
}

// notReserved rejects a series the provider's builtin queries read: the
// simulated mesh writes it, and the builtin checks would read the
// scenario's values too.
func (r specResolver) notReserved(path, name string, reserved []string, provider string) {
	if slices.Contains(reserved, name) {
		r.errAt(path, "%s is written by the simulated mesh already (the %s builtin queries read it)", name, provider)
	}
}

func (r specResolver) derived(p string, s SeriesSpec) (DerivedSeries, bool) {
	ok := true
	fail := func(path, format string, args ...any) { r.errAt(path, format, args...); ok = false }
	if s.Interval != "" || s.Start != "" {
		fail(p, "interval and start belong to literal series (series, values); a derived series is written at every scrape")
	}
	out := DerivedSeries{Name: s.Name, Factor: 1}
	switch {
	case s.Name == "":
		fail(p+".name", "required: a derived series needs name (or write a literal series with series and values)")
	case !metricNameRE.MatchString(s.Name):
		fail(p+".name", "%q is not a Prometheus metric name", s.Name)
	}
	switch s.Count {
	case "", "requests":
	case "errors":
		out.Count = CountErrors
	case "successes":
		out.Count = CountSuccesses
	default:
		fail(p+".count", "%q: want requests, errors or successes", s.Count)
	}
	if s.Factor != nil {
		if !(*s.Factor > 0 && *s.Factor <= 1e6) {
			fail(p+".factor", "must be greater than 0 and at most 1e6, got %v", *s.Factor)
		}
		out.Factor = *s.Factor
	}
	for _, k := range sortedKeys(s.Labels) {
		v := s.Labels[k]
		if !labelNameRE.MatchString(k) || strings.HasPrefix(k, "__") {
			fail(p+".labels."+k, "%q is not a label name (letters, digits and _, not starting with __)", k)
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(v, -1) {
			if !contains(Placeholders, m[1]) {
				fail(p+".labels."+k, "unknown placeholder %q; want one of %s", m[0], strings.Join(Placeholders, ", "))
			}
			out.ByStatus = out.ByStatus || m[1] == "status"
		}
		out.Labels = append(out.Labels, SeriesLabel{Name: k, Value: v})
	}
	return out, ok
}

func (r specResolver) literal(p string, s SeriesSpec, out *Loaded) (LiteralSeries, bool) {
	ok := true
	fail := func(path, format string, args ...any) { r.errAt(path, format, args...); ok = false }
	if s.Name != "" || len(s.Labels) > 0 || s.Count != "" || s.Factor != nil {
		fail(p, "name, labels, count and factor belong to derived series; a literal series has series and values")
	}
	if s.Series == "" {
		fail(p+".series", `required with values: a series selector such as 'orders_total{app="podinfo"}'`)
	}
	if s.Values == "" {
		fail(p+".values", `required with series: values in expanding notation such as "0+10x100 _ stale"`)
	}
	ls := LiteralSeries{Series: s.Series, Interval: r.positive(p+".interval", s.Interval, out.ScrapeInterval)}
	start := time.Duration(0)
	if s.Start != "" {
		d, err := time.ParseDuration(s.Start)
		if err != nil {
			fail(p+".start", "%q is not a duration like 0s, 2m or -1m", s.Start)
		}
		start = d
	}
	ls.Start = out.RevisionAt + start
	if ls.Start < 0 {
		fail(p+".start", "%s is before the Canary was created (the revision is applied at %s)", s.Start, out.RevisionAt)
	}
	if !ok {
		return ls, false
	}
	pairs, points, err := promadapter.ParseSeries(s.Series, s.Values)
	if err != nil {
		fail(p+".values", "series %q values %q: %v", s.Series, s.Values, err)
		return ls, false
	}
	name := metricName(pairs)
	if name == "" {
		fail(p+".series", "%q has no metric name", s.Series)
		return ls, false
	}
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i] != "__name__" && strings.HasPrefix(pairs[i], "__") {
			fail(p+".series", "label %s: names starting with __ are reserved", pairs[i])
		}
	}
	ls.Labels = pairs
	for _, pt := range points {
		ls.Points = append(ls.Points, SeriesPoint{Value: pt.Value, Omitted: pt.Omitted, Stale: pt.Stale})
	}
	return ls, ok
}

// metricName is the value of "__name__" among label pairs, or "".
func metricName(pairs []string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == "__name__" {
			return pairs[i+1]
		}
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
