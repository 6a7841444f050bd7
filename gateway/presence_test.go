package gateway_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/roomd/roomd/zego"
)

// onlineStates asks ZEGO's QueryUserOnlineState about ids over HTTP, as
// the vendor's GET with UserId[] in the query, and returns "id=Status"
// for each Result entry and "id:SubCode" for each ErrorList entry.
func (e *Env) onlineStates(tb testing.TB, ids ...string) string {
	tb.Helper()
	q := zego.SignedQuery(appID, secret, "QueryUserOnlineState", time.Now())
	q["UserId[]"] = ids
	resp, err := http.Get(e.Base + "/?" + q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		Code      int
		Message   string
		Result    []struct{ UserId, Status string }
		ErrorList []struct {
			UserId  string
			SubCode int
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
		tb.Fatal(err)
	}
	if ans.Code != 0 {
		tb.Fatalf("QueryUserOnlineState: got Code %d (%s), want 0", ans.Code, ans.Message)
	}
	var out []string
	for _, r := range ans.Result {
		out = append(out, r.UserId+"="+r.Status)
	}
	for _, it := range ans.ErrorList {
		out = append(out, it.UserId+":"+strconv.Itoa(it.SubCode))
	}
	return strings.Join(out, " ")
}

// waitConnections waits until the gateway has n open connections: a
// connection is forgotten (and its user's presence with it) just before
// it stops counting as open.
func (e *Env) waitConnections(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.GW.Connections() != n {
		if time.Now().After(deadline) {
			tb.Fatalf("got %d open connections, want %d", e.GW.Connections(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOnlineState: ZEGO's QueryUserOnlineState, asked over HTTP, says
// Online exactly while the user has a logged-in WebSocket connection to
// the gateway of the same server, whatever the number of connections.
func TestOnlineState(t *testing.T) {
	e := MustStartGateway(t, func(c *envConfig) { c.rest = true })
	e.MustRegister(t, "ann", "bob")
	want := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: got %q, want %q", what, got, want)
		}
	}
	want("before any login", e.onlineStates(t, "ann", "bob", "ghost"), "ann=Offline bob=Offline ghost:660200001")

	first, _ := e.MustDial(t, "ann", nil)
	want("ann logged in", e.onlineStates(t, "ann", "bob"), "ann=Online bob=Offline")
	second, _ := e.MustDial(t, "ann", nil)

	// Connected but not logged in, then refused: not online.
	bob := e.MustConnect(t)
	want("bob connected without a login", e.onlineStates(t, "bob"), "bob=Offline")
	r := bob.Op("login", map[string]any{"app": appID, "user": "bob", "usersig": mustUserSig(t, "ann")})
	if r.Code == 0 {
		t.Fatalf("login of bob with ann's UserSig: got code 0, want a refusal")
	}
	bob.WantClose(4001)
	e.waitConnections(t, 2)
	want("bob refused", e.onlineStates(t, "bob"), "bob=Offline")

	if err := first.ws.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	e.waitConnections(t, 1)
	want("one of ann's two connections closed", e.onlineStates(t, "ann"), "ann=Online")
	if err := second.ws.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	e.waitConnections(t, 0)
	want("ann's last connection closed", e.onlineStates(t, "ann"), "ann=Offline")
}
