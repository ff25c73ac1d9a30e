package scenarios

// ScriptSpec is the optional spec.script block: exact answers for exact
// tests. Each list pins, over a window of analysis ticks or of virtual
// time, what the simulator would otherwise derive from traffic, versions
// and faults. Within one list the first entry whose window matches wins.
type ScriptSpec struct {
	// Metrics pin what named metric checks of the Canary return.
	Metrics []ScriptMetric `json:"metrics,omitempty"`
	// Readiness makes the canary or primary Deployment not ready.
	Readiness []ScriptReadiness `json:"readiness,omitempty"`
	// Revisions are further revisions applied after spec.revision.
	Revisions []ScriptRevision `json:"revisions,omitempty"`
	// Webhooks pin the answers of named webhooks of the Canary.
	Webhooks []ScriptWebhook `json:"webhooks,omitempty"`
}

// ScriptWindow says when an entry applies: Ticks, a list of analysis tick
// indexes and ranges ("2", "4..6", "1,3,5..7") counted from D, the first
// tick at or after spec.revision (index 0); or a time window since
// spec.revision, From (inclusive, default 0) until Until (exclusive,
// default never). With neither, the entry always applies.
type ScriptWindow struct {
	Ticks string `json:"ticks,omitempty"`
	From  string `json:"from,omitempty"`
	Until string `json:"until,omitempty"`
}

// ScriptMetric pins the result of the Canary's metric check named Metric:
// exactly one of Value, NoData (an empty result), NaN (a NaN value, which
// Flagger also reads as no data) or Error (a failed query with this text).
type ScriptMetric struct {
	Metric string `json:"metric"`
	ScriptWindow
	Value  *float64 `json:"value,omitempty"`
	NoData bool     `json:"noData,omitempty"`
	NaN    bool     `json:"nan,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// ScriptReadiness makes Workload ("canary", the target Deployment, or
// "primary") not ready over its window: Ready false means its pods are
// unavailable (Available=False, a retriable not-ready until the Canary's
// progressDeadlineSeconds pass); ProgressDeadlineExceeded sets the
// Deployment's Progressing condition to ProgressDeadlineExceeded (not
// retriable: Flagger rolls back). Set exactly one.
type ScriptReadiness struct {
	Workload string `json:"workload"`
	ScriptWindow
	Ready                    *bool `json:"ready,omitempty"`
	ProgressDeadlineExceeded bool  `json:"progressDeadlineExceeded,omitempty"`
}

// ScriptRevision changes the target's pod template At a time since
// spec.revision: Image replaces the first container's image (the version
// behaves as versions.canary), or Revert puts the stable template back
// (versions.stable; Flagger does not count a revert to the promoted
// template as a new revision). Set exactly one.
type ScriptRevision struct {
	At     string `json:"at"`
	Image  string `json:"image,omitempty"`
	Revert bool   `json:"revert,omitempty"`
}

// ScriptWebhook pins the answer of the Canary's webhook named Hook:
// Answer "pass" (HTTP 200), "fail" (HTTP 403, not retried) or "timeout"
// (every attempt takes the hook's timeout), or Status, an HTTP status code
// that passes iff it is at most 202 (Flagger's rule) and is retried when it
// is 5xx. For a rollback hook a pass signals the rollback.
type ScriptWebhook struct {
	Hook string `json:"hook"`
	ScriptWindow
	Answer string `json:"answer,omitempty"`
	Status *int   `json:"status,omitempty"`
}
