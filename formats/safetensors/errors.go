package safetensors

import (
	"errors"
	"fmt"
)

// ErrFormat is matched (with errors.Is) by every error that reports a
// malformed file, as opposed to an I/O failure.
var ErrFormat = errors.New("safetensors: malformed file")

// FormatError reports what is wrong with a file and, where it concerns one
// tensor, which one.
type FormatError struct {
	File   string // the file's path or the name given to Decode
	Tensor string // the tensor's name, or "" for the file as a whole
	Msg    string
}

// Error formats the error as "safetensors: FILE: tensor "NAME": MSG".
func (e *FormatError) Error() string {
	if e.Tensor == "" {
		return fmt.Sprintf("safetensors: %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("safetensors: %s: tensor %q: %s", e.File, e.Tensor, e.Msg)
}

// Is makes errors.Is(err, ErrFormat) true for every FormatError.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

func formatErr(file, tensorName, format string, args ...any) error {
	return &FormatError{File: file, Tensor: tensorName, Msg: fmt.Sprintf(format, args...)}
}
