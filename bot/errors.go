package bot

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an Error for the front doors: it decides the HTTP
// status or the tone of the chat answer.
type ErrorCode string

// The error codes the bot uses.
const (
	CodeInvalid   ErrorCode = "invalid"
	CodeNotFound  ErrorCode = "not_found"
	CodeForbidden ErrorCode = "forbidden"
	CodeConflict  ErrorCode = "conflict"
	CodeInternal  ErrorCode = "internal"
)

// Error is a failure a user can act on: Message says what went wrong and
// Hint how to do it right. Err keeps the cause for the log only.
type Error struct {
	Code    ErrorCode
	Message string
	Hint    string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Invalidf reports input the bot cannot use, with a hint on what it expects.
func Invalidf(hint, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// Forbiddenf reports an action the user may not take, with a hint naming
// who may.
func Forbiddenf(hint, format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// NotFoundf reports something that does not exist.
func NotFoundf(hint, format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// Conflictf reports an action that clashes with the incident's state.
func Conflictf(hint, format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// AsError returns err as an *Error. Any other error becomes an internal
// one whose message hides the cause from the user.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{
		Code:    CodeInternal,
		Message: "Something went wrong inside warroom.",
		Hint: "Try again in a minute; if it keeps failing, quote the error id " +
			"to the team that runs warroom.",
		Err: err,
	}
}

// ErrNotFound is returned by a Store when a record does not exist.
var ErrNotFound = errors.New("not found")
