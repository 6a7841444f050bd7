package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/server"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/tencent"
	"github.com/roomd/roomd/zego"
)

// The one app of the stack: its id is the ZEGO AppId and the Tencent
// SDKAppID, its secret both vendors' key.
const (
	stackApp    uint32 = 1400000001
	stackSecret        = "0123456789abcdef0123456789abcdef"
	stackAdmin         = "administrator"
)

// stack is roomd as served: both dialects over one real SQLite file,
// mounted by server.New and served on a loopback port.
type stack struct {
	base string
	svc  *roomd.Service
	rec  *recorder
	logs *syncBuffer
}

// newStack starts a stack; edit, when not nil, adjusts the routes first
// (to leave a dialect out or mount metrics).
func newStack(tb testing.TB, edit func(*server.Routes)) *stack {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "roomd.db"), sqlite.Options{})
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	svc := roomd.NewService(db, nil, nil)
	apps := roomd.Apps{stackApp: {ID: stackApp, Secret: stackSecret, Admins: []string{stackAdmin}, RateLimitsOff: true}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	routes := server.Routes{
		ZEGO:    zego.NewHandler(svc, apps, zego.Options{Logger: quiet}),
		Tencent: tencent.NewHandler(svc, apps, tencent.Options{Logger: quiet}),
	}
	if edit != nil {
		edit(&routes)
	}
	s := &stack{svc: svc, rec: &recorder{}, logs: &syncBuffer{}}
	srv := server.New(slog.New(slog.NewJSONHandler(s.logs, nil)), s.rec, routes)
	var stop func()
	s.base, stop = MustServe(tb, srv)
	tb.Cleanup(func() {
		stop() // before the store closes: no request may be in flight
		if err := db.Close(); err != nil {
			tb.Errorf("db.Close: %v", err)
		}
	})
	return s
}

// zegoAnswer holds the ZEGO answer fields the tests read.
type zegoAnswer struct {
	Code        int64
	Message     string
	RequestId   string
	GroupId     string
	GroupOwner  string
	MemberCount int
	ErrorList   []struct{ UserId string }
	ErrorUsers  []struct{ UserId string }
	raw         []byte
}

// zego sends a signed ZEGO action: a GET with query when body is nil, else
// a POST with body as JSON. The answer must be HTTP 200 JSON.
func (s *stack) zego(tb testing.TB, action string, query map[string]string, body any) zegoAnswer {
	tb.Helper()
	req, err := zego.NewRequest(context.Background(), s.base, stackApp, stackSecret, action, query, body, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	var ans zegoAnswer
	ans.raw = send(tb, req, &ans)
	return ans
}

// mustZEGO is zego that fails the test unless Code is 0 with no item errors.
func (s *stack) mustZEGO(tb testing.TB, action string, query map[string]string, body any) zegoAnswer {
	tb.Helper()
	ans := s.zego(tb, action, query, body)
	if ans.Code != 0 || len(ans.ErrorList)+len(ans.ErrorUsers) > 0 {
		tb.Fatalf("%s: got %s, want Code 0 and no item errors", action, ans.raw)
	}
	return ans
}

// tencentAnswer holds the Tencent envelope and the payloads the tests read.
type tencentAnswer struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	RequestId    string
	FailAccounts []string
	ResultItem   []struct {
		UserID, AccountStatus string
		ResultCode            int
	}
	Response struct {
		RoomInfo struct {
			RoomId        string
			Owner_Account string
			MemberCount   int
		}
		MemberList []struct{ Member_Account, Role string }
	}
	raw []byte
}

// tencent POSTs a command as the app's administrator; the answer must be
// HTTP 200 JSON.
func (s *stack) tencent(tb testing.TB, command string, body any) tencentAnswer {
	tb.Helper()
	sig, err := tencent.GenUserSig(stackApp, stackSecret, stackAdmin, time.Hour, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	req, err := tencent.NewRequest(context.Background(), s.base, stackApp, stackAdmin, sig, command, body, rand.Uint32())
	if err != nil {
		tb.Fatal(err)
	}
	var ans tencentAnswer
	ans.raw = send(tb, req, &ans)
	return ans
}

// mustTencent is tencent that fails the test unless the command succeeded
// with no FailAccounts.
func (s *stack) mustTencent(tb testing.TB, command string, body any) tencentAnswer {
	tb.Helper()
	ans := s.tencent(tb, command, body)
	if ans.ErrorCode != 0 || ans.ActionStatus != "OK" || len(ans.FailAccounts) > 0 {
		tb.Fatalf("%s: got %s, want ErrorCode 0, OK and no FailAccounts", command, ans.raw)
	}
	return ans
}

// send sends req, checks that the answer is HTTP 200 JSON, decodes it into
// out and returns the raw body.
func send(tb testing.TB, req *http.Request, out any) []byte {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		tb.Fatalf("%s %s: status %d, type %q, want 200 JSON; body %s", req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		tb.Fatalf("%s: answer is not JSON: %v: %s", req.URL.Path, err, raw)
	}
	return raw
}
