package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/canarysim/canarysim/sim"
)

// Trace is the routed canary weight over time of one representative run.
type Trace struct {
	Scenario string
	Policy   string
	Seed     uint64
	Points   []TracePoint
}

// TracePoint is the canary weight after a tick, T seconds after the revision.
type TracePoint struct {
	T      float64
	Canary int
}

// TraceOf extracts a run's weight trace from the revision on.
func TraceOf(res *sim.Result, policy string) Trace {
	tr := Trace{Scenario: res.Scenario, Policy: policy, Seed: res.Seed}
	for _, t := range res.Ticks {
		if t.T < 0 || !t.RouterReady {
			continue
		}
		tr.Points = append(tr.Points, TracePoint{T: t.T.Seconds(), Canary: t.Routes.Canary})
	}
	return tr
}

// WriteCompareHTML writes one self-contained HTML page: per scenario the
// comparison table, the canary weight over time of each policy's
// representative run, and the distributions of time to promote and of the
// blast radius per policy, as inline SVG.
func WriteCompareHTML(w io.Writer, doc CompareDoc, runs []RunMeasures, traces []Trace) error {
	page := htmlPage{Version: doc.Version, Seeds: doc.Seeds, Legend: Legend}
	for _, in := range doc.Inputs {
		sec, err := htmlSection(in, doc.Summaries, runs, traces)
		if err != nil {
			return err
		}
		page.Sections = append(page.Sections, sec)
	}
	return pageTemplate.Execute(w, page)
}

type htmlPage struct {
	Version  string
	Seeds    int
	Legend   string
	Sections []section
}

type section struct {
	Title    string
	Header   []string
	Rows     [][]string
	Weights  template.HTML
	Promote  template.HTML
	Blast    template.HTML
	Policies []string
}

func htmlSection(in Input, sums []Summary, runs []RunMeasures, traces []Trace) (section, error) {
	sec := section{Title: in.Scenario, Header: compareHeader}
	if in.Description != "" {
		sec.Title += ": " + in.Description
	}
	for _, s := range sums {
		if s.Scenario == in.Scenario {
			sec.Rows = append(sec.Rows, tableRow(s))
			sec.Policies = append(sec.Policies, s.Policy)
		}
	}
	var err error
	if sec.Weights, err = weightPlot(in.Scenario, sec.Policies, traces); err != nil {
		return sec, err
	}
	ttp := func(m RunMeasures) (float64, bool) {
		if m.TimeToPromote == nil {
			return 0, false
		}
		return *m.TimeToPromote / 60, true
	}
	if sec.Promote, err = boxPlot("time to promote (minutes)", in.Scenario, sec.Policies, runs, ttp); err != nil {
		return sec, err
	}
	blast := func(m RunMeasures) (float64, bool) { return float64(m.BlastFailed), true }
	sec.Blast, err = boxPlot("blast radius (failed requests)", in.Scenario, sec.Policies, runs, blast)
	return sec, err
}

// weightPlot draws the canary weight over time, one line per policy.
func weightPlot(scenario string, policies []string, traces []Trace) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = "canary weight, representative run"
	p.X.Label.Text = "minutes since the revision"
	p.Y.Label.Text = "canary weight (%)"
	p.Y.Min, p.Y.Max = 0, 100
	p.Legend.Top = true
	for i, pol := range policies {
		idx := slices.IndexFunc(traces, func(t Trace) bool { return t.Scenario == scenario && t.Policy == pol })
		if idx < 0 || len(traces[idx].Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, 0, 2*len(traces[idx].Points))
		prev := 0.0
		for _, pt := range traces[idx].Points {
			x := pt.T / 60
			xys = append(xys, plotter.XY{X: x, Y: prev}, plotter.XY{X: x, Y: float64(pt.Canary)})
			prev = float64(pt.Canary)
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return "", err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (seed %d)", pol, traces[idx].Seed), l)
	}
	return svgOf(p, 6.5, 3)
}

// boxPlot draws the distribution of one measure per policy.
func boxPlot(title, scenario string, policies []string, runs []RunMeasures, pick func(RunMeasures) (float64, bool)) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = title
	var names []string
	total := 0
	for i, pol := range policies {
		var vals plotter.Values
		for _, m := range runs {
			if m.Scenario != scenario || m.Policy != pol {
				continue
			}
			if v, ok := pick(m); ok {
				vals = append(vals, v)
			}
		}
		names = append(names, fmt.Sprintf("%s\n(n=%d)", pol, len(vals)))
		total += len(vals)
		if len(vals) == 0 {
			continue
		}
		b, err := plotter.NewBoxPlot(vg.Points(24), float64(i), vals)
		if err != nil {
			return "", err
		}
		b.FillColor = plotutil.Color(i)
		p.Add(b)
	}
	if total == 0 {
		return template.HTML("<p><em>" + template.HTMLEscapeString(title) + ": no runs to show</em></p>"), nil
	}
	p.NominalX(names...)
	return svgOf(p, 4.5, 3)
}

// svgOf renders a plot of w×h inches as inline SVG.
func svgOf(p *plot.Plot, w, h float64) (template.HTML, error) {
	wt, err := p.WriterTo(vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch, "svg")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return "", err
	}
	svg := b.Bytes()
	if i := bytes.Index(svg, []byte("<svg")); i > 0 {
		svg = svg[i:] // drop the XML prolog; the SVG is inlined
	}
	return template.HTML(svg), nil //nolint:gosec // generated by gonum/plot from our own numbers
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>canarysim comparison</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;font-size:.9em}
th{background:#f3f3f3}
.plots{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
.legend{white-space:pre-wrap;background:#fafafa;border-left:3px solid #999;padding:.6em 1em}
</style></head><body>
<h1>canarysim: policies compared</h1>
<p>canarysim {{.Version}}, {{.Seeds}} seeds per scenario and policy.</p>
<p class="legend">{{.Legend}}</p>
{{range .Sections}}
<h2>{{.Title}}</h2>
<table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<div class="plots">{{.Weights}}{{.Promote}}{{.Blast}}</div>
{{end}}
</body></html>
`))
