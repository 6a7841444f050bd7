package tencent

import (
	"net/http"

	"github.com/roomd/roomd/internal/wire"
)

// header is the part of the envelope every answer has.
type header struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	RequestId    string
}

// envelope is the answer of room APIs: the header and, on success, the
// payload under Response.
type envelope struct {
	header
	Response any `json:",omitempty"`
}

// flatReply is a payload whose fields sit beside the header rather than
// under Response, as in the vendor's account APIs (FailAccounts, ResultItem).
type flatReply interface {
	setHeader(header)
}

// flat is embedded in flat payloads.
type flat struct{ header }

func (f *flat) setHeader(h header) { f.header = h }

func status(code int) string {
	if code == codeOK {
		return "OK"
	}
	return "FAIL"
}

// writeReply writes the envelope with payload (nil: header only).
func writeReply(w http.ResponseWriter, h header, payload any) {
	if p, ok := payload.(flatReply); ok {
		p.setHeader(h)
		wire.WriteJSON(w, p)
		return
	}
	wire.WriteJSON(w, envelope{header: h, Response: payload})
}
