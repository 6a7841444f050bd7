package zego_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/roomd/roomd/zego"
)

// TestNewRequest: requests built by NewRequest, GET and POST, are accepted.
func TestNewRequest(t *testing.T) {
	s := MustOpenServer(t)
	for _, c := range []struct {
		name   string
		action string
		query  map[string]string
		body   any
		method string
	}{
		{"POST", "UserRegister", nil, map[string]any{"UserInfo": []map[string]string{{"UserId": "ann"}}}, http.MethodPost},
		{"GET", "QueryAppGroupList", map[string]string{"Limit": "10"}, nil, http.MethodGet},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := zego.NewRequest(context.Background(), s.URL+"/", appOpen, secret, c.action, c.query, c.body, s.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != c.method {
				t.Fatalf("method: got %s, want %s", req.Method, c.method)
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var ans struct{ Code int }
			if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.Code != 0 {
				t.Fatalf("got code %d (%v), want 0", ans.Code, err)
			}
		})
	}
}
