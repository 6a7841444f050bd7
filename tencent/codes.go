package tencent

import (
	"errors"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/internal/wire"
)

// Vendor codes answered by the dialect itself (transport, authentication,
// decoding). Codes marked "roomd" are roomd's choice where the vendor's
// documentation is silent; docs/tencent.md lists them.
const (
	codeOK            = 0
	codeHTTPParse     = 60002 // random is not a uint32, contenttype is not json, body too large (roomd)
	codeJSONParse     = 60003 // the body is not JSON
	codeBadAuth       = 60004 // wrong account or signature (domain EUNAUTHORIZED)
	codeBadSDKAppID   = 60006 // sdkappid is not a number
	codeRateLimit     = 60007 // more calls per second than the command allows
	codeBadHTTP       = 60008 // not a POST, or the body could not be read (roomd)
	codeBadURL        = 60009 // unknown service or command
	codeNeedAdmin     = 60010 // identifier is not an App administrator
	codeNoSDKAppID    = 60012 // sdkappid is missing
	codeAccountType   = 60015 // an account field of an account API is not a string
	codeSigExpired    = 70001
	codeSigEmpty      = 70002
	codeSigParse      = 70003
	codeSigTruncated  = 70004
	codeSigUserBuf    = 70005 // a sig with a userbuf (PrivateMapKey) used as a UserSig (roomd)
	codeSigKey        = 70009
	codeSigIdentifier = 70013
	codeSigAppID      = 70014
	codeAppNotFound   = 70020 // sdkappid is a number but no such app is configured
	codeNoAccount     = 70107
	codeAccountParam  = 70402
	codeAccountAdmin  = 70403
	codeInternal      = 100001
	codeRoomParam     = 100002
	codeRoomExists    = 100003 // create_room with a RoomId in use (roomd)
	codeNoRoom        = 100004
	codeNotMember     = 100005
	codeForbidden     = 100006
	codeSeatLocked    = 100200 // the seat is locked
	codeSeatPending   = 100202 // a request of the user to take a seat is pending
	codeSeated        = 100203 // the user already holds a seat
	codeSeatsFull     = 100205 // every seat is taken or locked
	codeNotSeated     = 100206 // the user holds no seat
	codeSeatTaken     = 100210 // another user holds the seat
	codeNoSeats       = 100211 // seats are not enabled in the room
)

// family groups commands that share a parameter-error code: account APIs
// answer 70402 where room APIs answer 100002.
type family int

const (
	famRoom    family = iota // room_engine_http_srv, room_engine_http_mic and room_config
	famAccount               // im_open_login_svc
)

// domainCodes is THE table mapping each domain code to the number answered,
// by room APIs and by account APIs.
var domainCodes = map[string][2]int{
	//                    room           account
	roomd.EINVALID:      {codeRoomParam, codeAccountParam},
	roomd.ENOROOM:       {codeNoRoom, codeNoRoom},
	roomd.ENOUSER:       {codeNoAccount, codeNoAccount},
	roomd.ENOTMEMBER:    {codeNotMember, codeNotMember},
	roomd.EEXISTS:       {codeRoomExists, codeAccountParam},
	roomd.EFORBIDDEN:    {codeForbidden, codeAccountAdmin},
	roomd.EOWNERROLE:    {codeForbidden, codeForbidden},
	roomd.ESELF:         {codeForbidden, codeAccountAdmin},
	roomd.EBANNED:       {codeForbidden, codeForbidden},
	roomd.ELIMIT:        {codeRoomParam, codeAccountParam},
	roomd.ERATELIMIT:    {codeRateLimit, codeRateLimit},
	roomd.EUNAUTHORIZED: {codeBadAuth, codeBadAuth},
	roomd.EINTERNAL:     {codeInternal, codeInternal},
	// Seats (room_engine_http_mic); account APIs never answer them.
	roomd.ENOSEATS:     {codeNoSeats, codeNoSeats},
	roomd.ESEATLOCKED:  {codeSeatLocked, codeSeatLocked},
	roomd.ESEATTAKEN:   {codeSeatTaken, codeSeatTaken},
	roomd.ESEATSFULL:   {codeSeatsFull, codeSeatsFull},
	roomd.ESEATED:      {codeSeated, codeSeated},
	roomd.ENOTSEATED:   {codeNotSeated, codeNotSeated},
	roomd.ESEATPENDING: {codeSeatPending, codeSeatPending},
}

// codeOf returns the vendor number for a domain code in a family.
func codeOf(domainCode string, f family) int {
	c, ok := domainCodes[domainCode]
	if !ok {
		c = domainCodes[roomd.EINTERNAL]
	}
	return c[f]
}

// apiError is a failure the dialect answers with a vendor code of its own:
// transport, authentication and decoding codes (60002-60015, 700xx, the
// rate limit) that mean nothing to the domain. Every other failure,
// parameter errors included, is a roomd.Error mapped by domainCodes.
type apiError struct {
	code int
	info string // safe to send
	err  error  // internal cause, logged only
}

// Error returns the message answered to the client followed, for the log,
// by the internal cause when there is one.
func (e *apiError) Error() string {
	if e.err != nil {
		return e.info + ": " + e.err.Error()
	}
	return e.info
}

// Unwrap returns the internal cause, if any.
func (e *apiError) Unwrap() error { return e.err }

func failf(code int, info string) *apiError { return &apiError{code: code, info: info} }

// invalid is the EINVALID error of a request that cannot be read, with the
// reading error as its logged cause.
func invalid(msg string, cause error) error {
	return &roomd.Error{Code: roomd.EINVALID, Message: msg, Err: cause}
}

// answer returns the vendor code and client-safe message for err.
func answer(err error, f family) (int, string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.code, ae.info
	}
	var se *SigError
	if errors.As(err, &se) {
		return se.Code, se.Reason
	}
	return codeOf(roomd.ErrorCode(err), f), roomd.ErrorMessage(err)
}

// decodeError maps a wire decoding error to a vendor code. A wrong JSON
// type is 60015 on an account field of an account API, else EINVALID (the
// family's parameter error); so is text that is not valid UTF-8 (or a lone
// surrogate escape).
func decodeError(err error, f family) error {
	var te *wire.TypeError
	switch {
	case errors.Is(err, wire.ErrTooLarge):
		return &apiError{code: codeHTTPParse, info: "request body larger than 1 MiB", err: err}
	case errors.Is(err, wire.ErrRead):
		return &apiError{code: codeBadHTTP, info: "cannot read request body", err: err}
	case errors.Is(err, wire.ErrEncoding):
		return invalid("invalid parameter: "+err.Error(), err)
	case errors.As(err, &te):
		if f == famAccount && isAccountField(te.Field) {
			return &apiError{code: codeAccountType, info: "account must be a string: " + te.Field, err: err}
		}
		return invalid("wrong type for field "+te.Field, err)
	default:
		return &apiError{code: codeJSONParse, info: "request body is not valid JSON", err: err}
	}
}
