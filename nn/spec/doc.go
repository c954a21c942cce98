// Package spec holds what SPEC.md pins and what a run reports: the
// experiment's configuration (phases, training settings, splits), the
// progress events, the report with its results and statistics, and the
// provenance of a run. It has no training code and no heavy imports, so
// the browser page can decode settings and reports without linking the
// neural-net core; package nn re-exports every name here.
package spec
