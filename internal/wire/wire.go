// Package wire holds the HTTP plumbing the wire dialects share: bounded JSON
// decoding and encoding, the per-request Outcome that the server logs and
// measures, and keyed rate limiters. It knows no vendor's codes: each dialect
// maps the errors returned here to its own numbers.
package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxBody is the largest request body a dialect reads: 1 MiB.
const MaxBody = 1 << 20

// Errors returned by ReadBody and Decode.
var (
	// ErrTooLarge: the body is over the limit; it was not read whole.
	ErrTooLarge = errors.New("request body too large")
	// ErrSyntax: the body is not one well-formed JSON value.
	ErrSyntax = errors.New("malformed JSON")
	// ErrType: a field has the wrong JSON type for its Go field.
	ErrType = errors.New("wrong JSON type")
	// ErrRead: the body could not be read (the client went away).
	ErrRead = errors.New("cannot read request body")
	// ErrEncoding: the body is well-formed JSON but a string in it is not
	// valid Unicode text: it holds bytes that are not UTF-8, or a \u escape
	// of a lone surrogate. encoding/json would silently turn either into
	// U+FFFD; roomd refuses them instead.
	ErrEncoding = errors.New("invalid text encoding")
)

// TypeError is ErrType with the name of the offending field.
type TypeError struct{ Field string }

// Error names the field.
func (e *TypeError) Error() string { return "wrong JSON type for field " + e.Field }

// Is makes errors.Is(err, ErrType) true.
func (e *TypeError) Is(target error) bool { return target == ErrType }

// ReadBody reads at most limit bytes of r's body. A longer body yields
// ErrTooLarge after reading no more than limit+1 bytes.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, ErrTooLarge
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	n, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, ErrRead
	}
	if n > limit {
		return nil, ErrTooLarge
	}
	return bytes.Clone(buf.Bytes()), nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Decode unmarshals one JSON value from data into v. An empty body decodes
// as {}. Unknown fields are ignored (vendor clients send fields roomd does
// not use). Returns ErrSyntax, a *TypeError, or an error wrapping
// ErrEncoding when data is not valid UTF-8 or escapes a lone surrogate
// (anywhere in the body, ignored fields included). On error v may have
// been partly filled and must not be used.
func Decode(data []byte, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = te.Value
			}
			return &TypeError{Field: field}
		}
		return ErrSyntax
	}
	return checkEncoding(data)
}

// checkEncoding returns an error wrapping ErrEncoding when data, a
// well-formed JSON text, holds bytes that are not UTF-8 or a \u escape of a
// surrogate that is not part of a high-low pair.
func checkEncoding(data []byte) error {
	if !utf8.Valid(data) {
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				return fmt.Errorf("%w: byte 0x%02x at offset %d is not UTF-8", ErrEncoding, data[i], i)
			}
			i += n
		}
	}
	// data is well-formed JSON: every backslash starts an escape inside a string.
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '\\')
		if j < 0 {
			return nil
		}
		i += j
		if i+1 >= len(data) || data[i+1] != 'u' {
			i += 2
			continue
		}
		r := escapedRune(data, i)
		switch {
		case !utf16.IsSurrogate(r):
			i += 6
		case r < 0xdc00 && isLowSurrogate(escapedRune(data, i+6)):
			i += 12
		default:
			return fmt.Errorf("%w: lone surrogate escape \\u%04x at offset %d", ErrEncoding, r, i)
		}
	}
	return nil
}

// escapedRune returns the value of the \uXXXX escape at data[i:], or -1
// when there is none there.
func escapedRune(data []byte, i int) rune {
	if i+6 > len(data) || data[i] != '\\' || data[i+1] != 'u' {
		return -1
	}
	n, err := strconv.ParseUint(string(data[i+2:i+6]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(n)
}

func isLowSurrogate(r rune) bool { return r >= 0xdc00 && r <= 0xdfff }

// WriteJSON writes v as a JSON body with status 200. Dialects answer every
// request with 200, the outcome being in the body.
func WriteJSON(w http.ResponseWriter, v any) { WriteJSONStatus(w, http.StatusOK, v) }

// WriteJSONStatus writes v as a JSON body with the given HTTP status (the
// server's answers outside the dialects: 404, 405).
func WriteJSONStatus(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"error":"response encoding failed"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Outcome is what a dialect reports about one request, for the server's
// request log and metrics. The server puts an empty one in the context; the
// dialect fills it in.
type Outcome struct {
	Dialect   string // "zego", "tencent"
	Action    string // the vendor's action or command name
	Code      int    // the vendor code answered (0 = success)
	RequestID string
	AppID     uint32
	// Err is the internal error behind a failure; it is logged, never sent.
	Err error
}

type outcomeKey struct{}

// WithOutcome returns a context carrying a fresh Outcome, and the Outcome.
func WithOutcome(ctx context.Context) (context.Context, *Outcome) {
	o := &Outcome{}
	return context.WithValue(ctx, outcomeKey{}, o), o
}

// OutcomeFrom returns the Outcome in ctx, or a throwaway one when there is none.
func OutcomeFrom(ctx context.Context) *Outcome {
	if o, ok := ctx.Value(outcomeKey{}).(*Outcome); ok {
		return o
	}
	return &Outcome{}
}
