package engine

import flaggerv1 "github.com/fluxcd/flagger/pkg/apis/flagger/v1beta1"

// Notification channels.
const (
	// ChannelAlert is an alert to a notifier (Slack, Teams, ...).
	ChannelAlert = "alert"
	// ChannelEventWebhook is an event POSTed to the Canary's event hooks.
	ChannelEventWebhook = "event-webhook"
)

// GlobalNotifier names Flagger's global notifier, which receives every
// alert of a Canary without analysis.alerts.
const GlobalNotifier = "global notifier"

// Notification is what a notifier or an event webhook would have received.
// Nothing is sent: the simulator records it. To lists the receivers (alert
// entry names, the global notifier, or event hook names); Severity is the
// alert severity, or the event type for event webhooks.
type Notification struct {
	Channel  string
	To       []string
	Severity string
	Message  string
	// Before is how many of the tick's events were recorded before it.
	Before int
}

// alert is Flagger's alert (§7.9): with no analysis.alerts the global
// notifier receives everything; otherwise an entry with severity info
// receives all, warn receives warn and error, error receives error, and an
// empty severity receives nothing.
func (e *Engine) alert(severity flaggerv1.AlertSeverity, message string) {
	var to []string
	if len(e.analysis.Alerts) == 0 {
		to = []string{GlobalNotifier}
	}
	for _, a := range e.analysis.Alerts {
		if receives(a.Severity, severity) {
			to = append(to, a.Name)
		}
	}
	if len(to) == 0 {
		return
	}
	e.tick.Notifications = append(e.tick.Notifications, Notification{
		Channel: ChannelAlert, To: to, Severity: string(severity), Message: message, Before: len(e.tick.Events),
	})
}

func receives(entry, severity flaggerv1.AlertSeverity) bool {
	switch entry {
	case flaggerv1.SeverityInfo:
		return true
	case flaggerv1.SeverityWarn:
		return severity == flaggerv1.SeverityWarn || severity == flaggerv1.SeverityError
	case flaggerv1.SeverityError:
		return severity == flaggerv1.SeverityError
	}
	return false
}

// forwardEvent records an event for each event webhook (§7.9). The global
// -event-webhook of Flagger's command line is not modelled.
func (e *Engine) forwardEvent(ev Event) {
	if len(e.eventHooks) == 0 {
		return
	}
	e.tick.Notifications = append(e.tick.Notifications, Notification{
		Channel: ChannelEventWebhook, To: e.eventHooks, Severity: string(ev.Type), Message: ev.Message, Before: len(e.tick.Events),
	})
}

// eventHookNames are the names of a Canary's event webhooks, in order.
func eventHookNames(a *flaggerv1.CanaryAnalysis) []string {
	var out []string
	for _, h := range a.Webhooks {
		if h.Type == flaggerv1.EventHook {
			out = append(out, h.Name)
		}
	}
	return out
}
