package scenarios

import (
	"errors"
	"fmt"
	"sort"
)

// ErrInput marks every error caused by the user's files (bad YAML, unknown
// fields, out-of-range values, missing files). Callers map it to the
// "bad input" exit code with errors.Is.
var ErrInput = errors.New("invalid input")

// FieldError is one problem in an input file, located by file, line, column
// and field path. Line and Col are zero when the position is unknown.
type FieldError struct {
	File string
	Line int
	Col  int
	Path string
	Msg  string
}

// Error renders "file:line:col: path: message", dropping unknown parts.
func (e *FieldError) Error() string {
	loc := e.File
	switch {
	case e.Line > 0 && e.Col > 0:
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	case e.Line > 0:
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Path == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
}

// Is reports that every FieldError is an input error.
func (e *FieldError) Is(target error) bool { return target == ErrInput }

// fieldErrors collects problems while loading; Err joins them, sorted by
// file and position so the report reads top to bottom.
type fieldErrors []*FieldError

func (fe *fieldErrors) add(file string, line, col int, path, format string, args ...any) {
	*fe = append(*fe, &FieldError{File: file, Line: line, Col: col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	sorted := append(fieldErrors(nil), fe...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	errs := make([]error, len(sorted))
	for i, e := range sorted {
		errs[i] = e
	}
	return errors.Join(errs...)
}
