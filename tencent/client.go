package tencent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// NewRequest returns a POST of command with body as JSON against base (for
// example "http://127.0.0.1:8080"), authenticated as identifier with usersig.
// random is the request's random parameter.
func NewRequest(ctx context.Context, base string, appID uint32, identifier, usersig, command string, body any, random uint32) (*http.Request, error) {
	path, ok := CommandURL(appID, identifier, usersig, command, random)
	if !ok {
		return nil, fmt.Errorf("tencent: unknown command %q", command)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}
