package roomd

import (
	"errors"
	"fmt"
)

// Domain error codes. Every wire dialect maps each of them to one vendor
// number in a single table; anything that is not an *Error is EINTERNAL.
const (
	EINVALID      = "invalid"      // a parameter is missing, malformed or out of range
	ENOROOM       = "no_room"      // the room does not exist (or was dismissed)
	ENOUSER       = "no_user"      // the user is not registered
	ENOTMEMBER    = "not_member"   // the user is not a member of the room
	EEXISTS       = "exists"       // the room or user already exists
	EFORBIDDEN    = "forbidden"    // the actor lacks the permission for this operation
	EOWNERROLE    = "owner_role"   // the owner role can only change through a transfer
	ESELF         = "self"         // the actor may not apply this operation to itself
	EBANNED       = "banned"       // the user is banned from the room
	ELIMIT        = "limit"        // a size limit would be exceeded (members, batch)
	ERATELIMIT    = "rate_limit"   // too many calls
	EUNAUTHORIZED = "unauthorized" // the caller could not be authenticated
	EINTERNAL     = "internal"     // a fault of the server; details are logged, never sent
)

// Domain error codes of the seat rules (seat.go). Each says which rule
// refused a seat operation, so that a dialect can answer the vendor's own
// number for it.
const (
	ENOSEATS     = "no_seats"     // the room has no seats (they are not enabled)
	ESEATLOCKED  = "seat_locked"  // the seat is locked: no one may take it
	ESEATTAKEN   = "seat_taken"   // another user holds the seat
	ESEATSFULL   = "seats_full"   // every seat is taken or locked
	ESEATED      = "seated"       // the user already holds a seat
	ENOTSEATED   = "not_seated"   // the user holds no seat
	ESEATPENDING = "seat_pending" // the user's request to take a seat is pending
)

// Error is the one error type of the domain. Message is safe to show to a
// client; Err, when set, is the internal cause and is only logged.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error returns the code and message, and the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("roomd: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("roomd: %s: %s", e.Code, e.Message)
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error as EINTERNAL, keeping it as the cause.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// ErrorCode returns the code of err: "" for nil, the code of an *Error found
// in its chain, EINTERNAL otherwise.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err. Errors that are not
// *Error, and EINTERNAL errors, yield "internal error".
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// ItemError reports the failure of one item of a batch operation; the other
// items of the batch are applied.
type ItemError struct {
	ID      string // the user (or other item) the failure concerns
	Code    string // a domain code
	Message string
}
