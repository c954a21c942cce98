// Package data reads the Fashion-MNIST dataset and draws the experiment's
// seeded splits.
//
// The four dataset files are IDX files (big-endian header: magic
// 0x00000803 and N, rows, cols for images; magic 0x00000801 and N for
// labels), normally gzip-compressed. [DecodeImages] and [DecodeLabels] sniff
// their input, so a file that holds raw IDX under a .gz name (what a loader
// gets after a browser has undone Content-Encoding: gzip) is accepted, while
// an HTML page, an empty file, a gzip stream wrapped in a second gzip stream
// and every kind of damaged IDX are rejected with a [*FormatError] that names
// the file, says what is wrong and wraps one of the sentinel errors
// ([ErrEmpty], [ErrHTML], [ErrTruncated] and the others), so callers can test
// for a fault with errors.Is.
//
// Headers are checked against [MaxCount], [MaxDim] and [MaxBytes] before any
// buffer is sized from them, so a hostile or corrupt header cannot make the
// decoder allocate more than those limits allow.
//
// [Load] reads the real files from a directory found by [Locate] and checks
// the SHA-256 of each file's decompressed content, hashed while it is
// decoded, so each file is read once. [DecodeFile] does the same for bytes
// fetched by other means, such as a browser worker.
//
// Images stay uint8 in memory; [Images.Batch32] and [Images.Batch64] convert
// one batch at a time to pixel/255.
//
// [MakeSplits] draws the unsupervised pool (train file, labels never used)
// and the supervised pool (t10k file, stratified by class by default) from a
// caller-supplied math/rand/v2 generator.
package data
