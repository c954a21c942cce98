package data

import (
	"errors"
	"strings"
)

// Sentinel errors wrapped by [*FormatError]; test for them with errors.Is.
var (
	// ErrEmpty reports an input of 0 bytes, or a gzip stream holding 0 bytes.
	ErrEmpty = errors.New("data: empty file")
	// ErrHTML reports an HTML page where gzip or IDX data was expected.
	ErrHTML = errors.New("data: HTML page, not gzip or IDX")
	// ErrNotIDX reports input that is neither gzip, IDX nor HTML.
	ErrNotIDX = errors.New("data: neither gzip nor IDX")
	// ErrGzip reports a corrupt gzip stream: bad header, corrupt deflate
	// data or a bad CRC-32.
	ErrGzip = errors.New("data: corrupt gzip")
	// ErrDoubleGzip reports a gzip stream whose content is itself gzip.
	ErrDoubleGzip = errors.New("data: gzip inside gzip")
	// ErrMagic reports an IDX magic number of the wrong type.
	ErrMagic = errors.New("data: wrong IDX magic")
	// ErrDims reports a wrong number of dimensions or a dimension of the
	// wrong size.
	ErrDims = errors.New("data: wrong IDX dimensions")
	// ErrCount reports an item count that is over [MaxCount] or differs from
	// the expected one.
	ErrCount = errors.New("data: wrong item count")
	// ErrTooLarge reports a header whose declared payload exceeds [MaxBytes].
	ErrTooLarge = errors.New("data: declared size over limit")
	// ErrTruncated reports input that ends before the declared data does.
	ErrTruncated = errors.New("data: truncated")
	// ErrTrailing reports bytes after the declared IDX data.
	ErrTrailing = errors.New("data: trailing bytes after IDX data")
	// ErrLabelRange reports a label outside 0..NumClasses-1.
	ErrLabelRange = errors.New("data: label out of range")
	// ErrChecksum reports decompressed content whose SHA-256 differs from
	// the published one.
	ErrChecksum = errors.New("data: content SHA-256 mismatch")
)

// FormatError describes a fault in one input file.
type FormatError struct {
	// File is the name of the file, as given to the decoder.
	File string
	// Err is the sentinel error for the kind of fault, such as [ErrTruncated].
	Err error
	// Detail says what exactly is wrong, with the numbers involved.
	Detail string
	// Cause is the underlying error, such as gzip.ErrChecksum, or nil.
	Cause error
}

// Error returns "data: FILE: FAULT: DETAIL".
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("data: ")
	b.WriteString(e.File)
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "data: "))
	} else {
		b.WriteString("format error")
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Cause != nil {
		b.WriteString(" (")
		b.WriteString(e.Cause.Error())
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the sentinel error and the underlying cause, if any.
func (e *FormatError) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

func formatErr(file string, sentinel error, cause error, detail string) *FormatError {
	return &FormatError{File: file, Err: sentinel, Detail: detail, Cause: cause}
}
