// Package version holds canarysim's version, printed in every output so a
// result can be tied to the tool that made it.
package version

// Version is the release of canarysim.
const Version = "0.1.0-dev"
