package promadapter

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSeries(t *testing.T) {
	tests := []struct {
		name       string
		series     string
		values     string
		wantLabels []string
		wantPoints []Point
		wantErr    string
		wantIs     error
	}{
		{name: "expanding, omitted and stale", series: `orders_total{app="web",Zone="a"}`, values: "0+10x2 _ stale 5",
			wantLabels: []string{"Zone", "a", "__name__", "orders_total", "app", "web"},
			wantPoints: []Point{{Value: 0}, {Value: 10}, {Value: 20}, {Omitted: true}, {Stale: true}, {Value: 5}}},
		{name: "repeated omission", series: `x`, values: "1 _x2",
			wantLabels: []string{"__name__", "x"}, wantPoints: []Point{{Value: 1}, {Omitted: true}, {Omitted: true}}},
		{name: "bad notation", series: `x`, values: "1 oops", wantErr: `unexpected identifier "oops"`},
		{name: "histograms are refused", series: `x`, values: "{{schema:0 sum:1 count:1}}", wantIs: ErrHistogramPoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lbls, pts, err := ParseSeries(tt.series, tt.values)
			switch {
			case tt.wantIs != nil:
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("error %v, want %v", err, tt.wantIs)
				}
				return
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantLabels, lbls); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			for i := range pts {
				if pts[i].Stale {
					pts[i].Value = 0 // NaN never compares equal
				}
			}
			if diff := cmp.Diff(tt.wantPoints, pts); diff != "" {
				t.Errorf("points (-want +got):\n%s", diff)
			}
		})
	}
}
