package tencent_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/internal/wire"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
	"github.com/roomd/roomd/tencent"
	"github.com/tencentyun/tls-sig-api-v2-golang/tencentyun"
)

// Apps configured in every test server.
const (
	appID       = 1400000001 // limits off
	secret      = "app-one-secret-key"
	admin       = "administrator"
	otherAppID  = 1400000002 // limits off, another key
	otherSecret = "app-two-secret-key"
	limitedApp  = 1400000003 // vendor rate limits on
	limitedKey  = "app-three-secret-key"
)

// MustOpenStore opens a SQLite store in a fresh temporary directory.
func MustOpenStore(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(filepath.Join(tb.TempDir(), "roomd.db"), sqlite.Options{})
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// env is a running Tencent dialect over a real store and a real HTTP server.
type env struct {
	db    *sqlite.DB
	srv   *httptest.Server
	last  atomic.Pointer[wire.Outcome] // the Outcome of the last request answered
	svc   *roomd.Service
	clock *storetest.Clock
	sig   string // a vendor-generated UserSig of admin for appID
	// changed counts the handler's CallbackChanged calls for appID.
	changed atomic.Int64
}

// newEnv starts a server whose handler clock starts at the real time.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	db := MustOpenStore(tb)
	svc := roomd.NewService(db, nil, nil)
	apps := roomd.Apps{
		appID:      {ID: appID, Secret: secret, Admins: []string{admin}, RateLimitsOff: true},
		otherAppID: {ID: otherAppID, Secret: otherSecret, Admins: []string{admin}, RateLimitsOff: true},
		limitedApp: {ID: limitedApp, Secret: limitedKey, Admins: []string{admin}},
	}
	e := &env{db: db, svc: svc, clock: storetest.NewClock(time.Now())}
	h := tencent.NewHandler(svc, apps, tencent.Options{Clock: e.clock.Now, CallbackChanged: func(app uint32) {
		if app == appID {
			e.changed.Add(1)
		}
	}})
	// Like the server: a fresh Outcome per request, kept for the tests.
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, o := wire.WithOutcome(r.Context())
		h.ServeHTTP(w, r.WithContext(ctx))
		e.last.Store(o)
	}))
	tb.Cleanup(e.srv.Close)
	e.sig = vendorSig(tb, appID, secret, admin, 86400)
	return e
}

// vendorSig returns a UserSig made by Tencent's own module.
func vendorSig(tb testing.TB, app int, key, id string, expire int) string {
	tb.Helper()
	sig, err := tencentyun.GenUserSig(app, key, id, expire)
	if err != nil {
		tb.Fatalf("tencentyun.GenUserSig: %v", err)
	}
	return sig
}

var sigB64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-").WithPadding('_')

// recompress returns sig with its JSON document re-compressed at level.
func recompress(tb testing.TB, sig string, level int) string {
	tb.Helper()
	doc := sigJSON(tb, sig)
	var b bytes.Buffer
	zw, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		tb.Fatalf("zlib level %d: %v", level, err)
	}
	_, _ = zw.Write(doc)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return sigB64.EncodeToString(b.Bytes())
}

// sigJSON returns the JSON document inside sig.
func sigJSON(tb testing.TB, sig string) []byte {
	tb.Helper()
	raw, err := sigB64.DecodeString(sig)
	if err != nil {
		tb.Fatalf("decode sig: %v", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		tb.Fatalf("zlib: %v", err)
	}
	doc, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatalf("zlib read: %v", err)
	}
	return doc
}

// reply is a decoded answer of the dialect.
type reply struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	RequestId    string
	Response     json.RawMessage
	raw          []byte
}

// do sends a request with any method to pathQuery and decodes the envelope.
// body is a string or []byte sent as is, or a value marshalled to JSON.
func (e *env) do(tb testing.TB, method, pathQuery string, body any) reply {
	tb.Helper()
	var data []byte
	switch b := body.(type) {
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			tb.Fatalf("marshal body: %v", err)
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+pathQuery, bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return e.send(tb, req)
}

// send sends req and decodes the envelope, checking status 200 and JSON.
func (e *env) send(tb testing.TB, req *http.Request) reply {
	tb.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), 30*time.Second)
	defer cancel()
	resp, err := e.srv.Client().Do(req.WithContext(ctx))
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("%s %s: status %d, want 200 (body %s)", req.Method, req.URL.Path, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("%s: Content-Type %q, want application/json", req.URL.Path, ct)
	}
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		tb.Fatalf("%s: answer is not JSON: %v: %s", req.URL.Path, err, raw)
	}
	r.raw = raw
	return r
}

// url returns the path and query of command called by admin of appID with sig.
func cmdURL(tb testing.TB, app uint32, sig, command string) string {
	tb.Helper()
	u, ok := tencent.CommandURL(app, admin, sig, command, 4242)
	if !ok {
		tb.Fatalf("CommandURL(%q): unknown command", command)
	}
	return u
}

// call POSTs body to command as admin of appID.
func (e *env) call(tb testing.TB, command string, body any) reply {
	tb.Helper()
	return e.do(tb, http.MethodPost, cmdURL(tb, appID, e.sig, command), body)
}

// want calls command and fails unless the answer has code.
func (e *env) want(tb testing.TB, code int, command string, body any) reply {
	tb.Helper()
	r := e.call(tb, command, body)
	checkCode(tb, r, code)
	return r
}

// ok calls command and fails unless it succeeds; it decodes Response into out when out is not nil.
func (e *env) ok(tb testing.TB, command string, body any, out any) reply {
	tb.Helper()
	r := e.want(tb, 0, command, body)
	if out != nil {
		if err := json.Unmarshal(r.Response, out); err != nil {
			tb.Fatalf("%s: decode Response: %v: %s", command, err, r.raw)
		}
	}
	return r
}

func checkCode(tb testing.TB, r reply, code int) {
	tb.Helper()
	if r.ErrorCode != code {
		tb.Fatalf("ErrorCode = %d (%q), want %d; answer %s", r.ErrorCode, r.ErrorInfo, code, r.raw)
	}
	wantStatus := "OK"
	if code != 0 {
		wantStatus = "FAIL"
	}
	if r.ActionStatus != wantStatus {
		tb.Fatalf("ActionStatus = %q, want %q; answer %s", r.ActionStatus, wantStatus, r.raw)
	}
}

// importAccounts imports ids through multiaccount_import.
func (e *env) importAccounts(tb testing.TB, ids ...string) {
	tb.Helper()
	list := make([]map[string]string, len(ids))
	for i, id := range ids {
		list[i] = map[string]string{"UserID": id, "Nick": "nick-" + id}
	}
	r := e.ok(tb, "multiaccount_import", map[string]any{"AccountList": list}, nil)
	var fa struct{ FailAccounts []string }
	_ = json.Unmarshal(r.raw, &fa)
	if len(fa.FailAccounts) != 0 {
		tb.Fatalf("FailAccounts = %v, want none", fa.FailAccounts)
	}
}

// room creates room with owner (imported first) and adds members (imported
// first) through the domain, each joining one second after the previous.
func (e *env) room(tb testing.TB, id, owner string, members ...string) {
	tb.Helper()
	e.importAccounts(tb, append([]string{owner}, members...)...)
	e.ok(tb, "create_room", map[string]any{"RoomInfo": map[string]any{"RoomId": id, "Owner_Account": owner}}, nil)
	e.addMembers(tb, id, members...)
}

// addMembers adds registered users to a room through the domain (the
// vendor's REST API has no command for it), in order, one hour apart.
func (e *env) addMembers(tb testing.TB, room string, ids ...string) {
	tb.Helper()
	if len(ids) == 0 {
		return
	}
	base := time.Now().Add(time.Hour)
	adds := make([]roomd.MemberAdd, len(ids))
	for i, id := range ids {
		adds[i] = roomd.MemberAdd{UserID: id, JoinedAt: base.Add(time.Duration(i) * time.Second)}
	}
	items, err := e.svc.AddMembers(context.Background(), roomd.Actor{ID: admin, Admin: true}, appID, room, adds)
	if err != nil || len(items) != 0 {
		tb.Fatalf("AddMembers(%v) = %v, %v; want no error", ids, items, err)
	}
}

// roomInfo returns get_room_info's RoomInfo as a map.
func (e *env) roomInfo(tb testing.TB, id string) map[string]any {
	tb.Helper()
	var out struct{ RoomInfo map[string]any }
	e.ok(tb, "get_room_info", map[string]string{"RoomId": id}, &out)
	return out.RoomInfo
}

// members returns the room's members as account -> role, over all pages.
func (e *env) members(tb testing.TB, room string) map[string]string {
	tb.Helper()
	roles := map[string]string{}
	next := ""
	for range 100 {
		var page struct {
			Next       string
			MemberList []struct{ Member_Account, Role string }
		}
		e.ok(tb, "get_room_member_list", map[string]any{"RoomId": room, "Next": next}, &page)
		for _, m := range page.MemberList {
			roles[m.Member_Account] = m.Role
		}
		if next = page.Next; next == "" {
			return roles
		}
	}
	tb.Fatalf("member list of %s did not end after 100 pages", room)
	return nil
}
