// Package report renders the outcome of an experiment, an [nn.Report], as
// files in a directory: results.json (the report itself), report.md (the
// tables of SPEC.md "What a run reports" beside the published reference)
// and PNG plots that report.md embeds with relative links.
//
// Each plot needs the results of certain phases; a plot whose data is
// absent (its phase did not run or did not finish) is skipped, and
// report.md does not link it. Every file is written atomically, so an
// interrupted write never leaves a half-written file behind.
package report
