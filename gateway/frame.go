package gateway

import (
	"encoding/json"

	"github.com/roomd/roomd"
)

// Close codes of the gateway (docs/realtime.md).
const (
	closeLogin     = 4001 // login failed, or the first frame was not login within the deadline
	closeBehind    = 4002 // too far behind: the queue overflowed or a write timed out
	closeMalformed = 4003 // malformed frame or unknown op
)

// Reply codes that are not a domain error's.
const (
	codeUnknownOp    = 40002
	codeLoggedIn     = 40003
	codeLoginFailed  = 40101
	codeResync       = 41001
	codeInternalCode = 50001
	codeSeatPending  = 20201 // take_seat recorded a request that waits for an admin (seat.go)
)

// replyCodes maps each domain code to the reply code answered.
var replyCodes = map[string]int{
	roomd.EINVALID:      40001,
	roomd.EUNAUTHORIZED: codeLoginFailed,
	roomd.EFORBIDDEN:    40301,
	roomd.ESELF:         40301,
	roomd.EOWNERROLE:    40301,
	roomd.EBANNED:       40302,
	roomd.ENOROOM:       40401,
	roomd.ENOUSER:       40402,
	roomd.ENOTMEMBER:    40403,
	roomd.EEXISTS:       40901,
	roomd.ELIMIT:        41301,
	roomd.ERATELIMIT:    42901,
	roomd.EINTERNAL:     codeInternalCode,
	// Seats (seat.go).
	roomd.ENOSEATS:     40304,
	roomd.ESEATLOCKED:  40305,
	roomd.ESEATTAKEN:   40910,
	roomd.ESEATED:      40911,
	roomd.ESEATPENDING: 40912,
	roomd.ENOTSEATED:   40404,
	roomd.ESEATSFULL:   41302,
}

// replyCode returns the reply code and client-safe message of err.
func replyCode(err error) (int, string) {
	code, ok := replyCodes[roomd.ErrorCode(err)]
	if !ok {
		code = codeInternalCode
	}
	return code, roomd.ErrorMessage(err)
}

// clientFrame is a frame from the client: an op and its fields.
type clientFrame struct {
	ID   *int64 `json:"id"`
	Op   string `json:"op"`
	App  uint32 `json:"app"`
	User string `json:"user"`
	// Credentials of login: one of them.
	UserSig string           `json:"usersig"`
	Token   string           `json:"token"`
	Resume  map[string]int64 `json:"resume"`
	Room    string           `json:"room"`
	// sync
	SinceSeq int64 `json:"since_seq"`
	Limit    int   `json:"limit"`
	// take_seat: the seat, absent or -1 for any
	Index *int `json:"index"`
}

// reply is the answer to one op.
type reply struct {
	Type    string `json:"type"`
	ID      int64  `json:"id"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

// eventFrame is an event as sent to clients.
type eventFrame struct {
	Type  string          `json:"type"`
	App   uint32          `json:"app"`
	Room  string          `json:"room"`
	Seq   int64           `json:"seq"`
	Event string          `json:"event"`
	Actor string          `json:"actor"`
	Time  int64           `json:"time"`
	Data  json.RawMessage `json:"data"`
}

// resyncFrame tells a client that the events it asked for are gone.
type resyncFrame struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Seq  int64  `json:"seq"`
}

// newEventFrame returns the frame of e.
func newEventFrame(e *roomd.Event) eventFrame {
	data := e.Payload
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return eventFrame{Type: "event", App: e.AppID, Room: e.RoomID, Seq: e.Seq, Event: string(e.Type), Actor: e.Actor, Time: e.Time.UnixMilli(), Data: data}
}

// encodeEvent returns the JSON of e's frame.
func encodeEvent(e *roomd.Event) []byte {
	b, err := json.Marshal(newEventFrame(e))
	if err != nil { // the payload is JSON the domain wrote
		b, _ = json.Marshal(resyncFrame{Type: "resync", Room: e.RoomID, Seq: e.Seq})
	}
	return b
}

// roomInfo is one of a user's rooms, as login and rooms answer it.
type roomInfo struct {
	Room string     `json:"room"`
	Seq  int64      `json:"seq"`
	Role roomd.Role `json:"role"`
}
