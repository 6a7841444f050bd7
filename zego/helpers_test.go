package zego_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
	"github.com/roomd/roomd/zego"
)

// Test apps: appOpen has rate limits off, appLimited has them on,
// appNoSecret is configured without a secret.
const (
	appOpen     uint32 = 1001
	appLimited  uint32 = 1002
	appNoSecret uint32 = 1003
	secret             = "9193cc662a4c0ec135ec71fb57194b38"
)

// Server is the dialect over a real SQLite file, on a loopback HTTP server.
type Server struct {
	URL     string
	Svc     *roomd.Service
	Clock   *storetest.Clock
	Handler http.Handler
	Client  *http.Client
}

// MustOpenServer starts a server; opts, when given, adjust the handler's
// and the store's options.
func MustOpenServer(tb testing.TB, opts ...func(*zego.Options, *sqlite.Options)) *Server {
	tb.Helper()
	o, so := zego.Options{}, sqlite.Options{}
	for _, f := range opts {
		f(&o, &so)
	}
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "roomd.db"), so)
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	svc := roomd.NewService(db, nil, clock.Now) // the same clock: mute expiry is tested by moving it
	apps := roomd.Apps{
		appOpen:     {ID: appOpen, Secret: secret, RateLimitsOff: true},
		appLimited:  {ID: appLimited, Secret: secret},
		appNoSecret: {ID: appNoSecret},
	}
	o.Clock = clock.Now
	h := zego.NewHandler(svc, apps, o)
	srv := httptest.NewServer(h)
	tb.Cleanup(func() {
		srv.Close()
		if err := db.Close(); err != nil {
			tb.Errorf("db.Close: %v", err)
		}
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}, Timeout: time.Minute}
	return &Server{URL: srv.URL, Svc: svc, Clock: clock, Handler: h, Client: client}
}

// Item is an entry of ErrorList or ErrorUsers.
type Item struct {
	UserId     string
	SubCode    int64
	SubMessage string
}

// Reply holds the fields of every action's answer.
type Reply struct {
	Code            int64
	Message         string
	RequestId       string
	ErrorList       []Item
	ErrorUsers      []Item
	Result          []struct{ UserId, UserName, UserAvatar, Extra string }
	GroupId         string
	Members         []struct{ UserId, UserName string }
	GroupName       string
	GroupNotice     string
	GroupAvatar     string
	GroupCreateTime int64
	GroupAttributes []struct{ Key, Value string }
	GroupDataSeq    int64
	GroupOwner      string
	MemberCount     int
	TotalCount      int
	Next            int
	GroupIdList     []struct{ GroupId, GroupName string }
	MemberList      []struct {
		UserId, UserName, UserNickName string
		MemberRole                     int
	}
	Raw []byte `json:"-"`
}

// Send sends a request with the raw query and body (nil: none) and decodes
// the answer, which must be HTTP 200 with a JSON body, a Message and a RequestId.
func (s *Server) Send(tb testing.TB, method, rawQuery string, body []byte) *Reply {
	tb.Helper()
	r, err := s.Try(method, rawQuery, body)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, rawQuery, err)
	}
	return r
}

// Try is Send that returns its failure instead of failing the test.
func (s *Server) Try(method, rawQuery string, body []byte) (*Reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+"/?"+rawQuery, rd)
	if err != nil {
		return nil, err
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return CheckAnswer(resp.StatusCode, resp.Header, data)
}

// CheckAnswer decodes an answer and checks that it is HTTP 200 with a JSON
// body carrying a Code, a Message and a RequestId.
func CheckAnswer(status int, h http.Header, data []byte) (*Reply, error) {
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		return nil, fmt.Errorf("answer status %d, type %q; want 200 JSON (%s)", status, h.Get("Content-Type"), data)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("answer %s: %v", data, err)
	}
	if _, ok := fields["Code"]; !ok {
		return nil, fmt.Errorf("answer %s has no Code", data)
	}
	r := &Reply{Raw: data}
	if err := json.Unmarshal(data, r); err != nil {
		return nil, fmt.Errorf("answer %s: %v", data, err)
	}
	if r.RequestId == "" || r.Message == "" {
		return nil, fmt.Errorf("answer %s lacks RequestId or Message", data)
	}
	return r, nil
}

// Signed returns the signed common parameters of action for app now, merged with q.
func (s *Server) Signed(app uint32, action string, q url.Values) url.Values {
	v := zego.SignedQuery(app, secret, action, s.Clock.Now())
	maps.Copy(v, q)
	return v
}

// Call sends action of app by its vendor method: GET with the parameters in
// the query ([]string values as Key[]), or POST with them as a JSON body.
func (s *Server) Call(tb testing.TB, app uint32, action string, p map[string]any) *Reply {
	tb.Helper()
	r, err := s.TryCall(app, action, p)
	if err != nil {
		tb.Fatalf("%s: %v", action, err)
	}
	return r
}

// TryCall is Call that returns its failure instead of failing the test.
func (s *Server) TryCall(app uint32, action string, p map[string]any) (*Reply, error) {
	q := s.Signed(app, action, nil)
	if m, _ := zego.ActionMethod(action); m == http.MethodPost {
		body, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		return s.Try(http.MethodPost, q.Encode(), body)
	}
	for k, v := range p {
		switch v := v.(type) {
		case []string:
			q[k+"[]"] = v
		case string:
			q.Set(k, v)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			q.Set(k, string(b))
		}
	}
	return s.Try(http.MethodGet, q.Encode(), nil)
}

// MustCall is Call that fails the test unless the answer's Code is 0 with no item errors.
func (s *Server) MustCall(tb testing.TB, app uint32, action string, p map[string]any) *Reply {
	tb.Helper()
	r := s.Call(tb, app, action, p)
	if r.Code != 0 || len(r.ErrorList)+len(r.ErrorUsers) > 0 {
		tb.Fatalf("%s: got %s, want Code 0 and no errors", action, r.Raw)
	}
	return r
}

// Register registers users of app.
func (s *Server) Register(tb testing.TB, app uint32, ids ...string) {
	tb.Helper()
	infos := make([]map[string]any, len(ids))
	for i, id := range ids {
		infos[i] = map[string]any{"UserId": id, "UserName": "name-" + id}
	}
	s.MustCall(tb, app, "UserRegister", map[string]any{"UserInfo": infos})
}

// Group registers owner and members and creates group with them.
func (s *Server) Group(tb testing.TB, app uint32, group, owner string, members ...string) {
	tb.Helper()
	s.Register(tb, app, append([]string{owner}, members...)...)
	s.MustCall(tb, app, "CreateGroup", map[string]any{"GroupId": group, "GroupOwner": owner, "UserId": members})
}

// WantCode fails the test unless r's Code is want.
func WantCode(tb testing.TB, r *Reply, want int64) {
	tb.Helper()
	if r.Code != want {
		tb.Fatalf("got Code %d (%s), want %d", r.Code, r.Raw, want)
	}
}

// WantItems fails the test unless items has exactly the given (user, code) pairs in order.
func WantItems(tb testing.TB, items []Item, want ...any) {
	tb.Helper()
	if len(items)*2 != len(want) {
		tb.Fatalf("got items %+v, want %v", items, want)
	}
	for i, it := range items {
		if it.UserId != want[2*i].(string) || it.SubCode != int64(want[2*i+1].(int)) {
			tb.Fatalf("got items %+v, want %v", items, want)
		}
	}
}
