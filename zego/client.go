package zego

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// NewRequest returns a request for action signed at now, against base (for
// example "http://127.0.0.1:8080"). With a nil body it is a GET with query
// as its business parameters; otherwise a POST with body as JSON.
func NewRequest(ctx context.Context, base string, appID uint32, secret, action string, query map[string]string, body any, now time.Time) (*http.Request, error) {
	q := SignedQuery(appID, secret, action, now)
	for k, v := range query {
		q.Set(k, v)
	}
	method, rd := http.MethodGet, io.Reader(nil)
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		method, rd = http.MethodPost, bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+"/?"+q.Encode(), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}
