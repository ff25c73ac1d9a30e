// Package archtest holds tests that keep the architecture honest: only
// internal/promadapter imports Prometheus, and the deterministic packages
// (engine, sim, fakecluster) read no wall clock and use no global random
// source. It has no non-test code.
package archtest
