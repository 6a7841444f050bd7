package zego_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/internal/wire"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/zego"
)

// serveOutcome runs one GET through h with an Outcome in its context.
func serveOutcome(t *testing.T, h http.Handler, q url.Values) (*Reply, *wire.Outcome) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL.RawQuery = q.Encode()
	ctx, out := wire.WithOutcome(req.Context())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req.WithContext(ctx))
	r, err := CheckAnswer(rec.Code, rec.Header(), rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return r, out
}

func TestOutcome(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "a")
	t.Run("Success", func(t *testing.T) {
		r, out := serveOutcome(t, s.Handler, s.Signed(appOpen, "TransferGroupOwner", url.Values{"FromUserId": {"own"}, "GroupId": {"g1"}, "NewOwner": {"a"}}))
		want := wire.Outcome{Dialect: "zego", Action: "TransferGroupOwner", Code: 0, RequestID: r.RequestId, AppID: appOpen}
		if *out != want || r.Code != 0 {
			t.Fatalf("outcome %+v (Code %d), want %+v", *out, r.Code, want)
		}
	})
	t.Run("BusinessError", func(t *testing.T) {
		r, out := serveOutcome(t, s.Handler, s.Signed(appOpen, "TransferGroupOwner", url.Values{"FromUserId": {"own"}, "GroupId": {"nope"}, "NewOwner": {"a"}}))
		if out.Code != 660600001 || r.Code != 660600001 || out.Err != nil || out.Action != "TransferGroupOwner" {
			t.Fatalf("outcome %+v, reply %s; want Code 660600001 and no internal error", *out, r.Raw)
		}
	})
	t.Run("UnknownApp", func(t *testing.T) {
		_, out := serveOutcome(t, s.Handler, url.Values{"AppId": {"9"}, "Action": {"Whatever"}})
		if out.Code != 100000011 || out.AppID != 0 || out.Action != "" || out.Dialect != "zego" {
			t.Fatalf("outcome %+v, want Code 100000011 with no app and no action", *out)
		}
	})
}

func TestInternalError(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "roomd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := zego.NewHandler(roomd.NewService(db, nil, nil), roomd.Apps{appOpen: {ID: appOpen, Secret: secret}}, zego.Options{})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	q := zego.SignedQuery(appOpen, secret, "QueryUserInfos", time.Now())
	q["UserIds[]"] = []string{"u1"}
	r, out := serveOutcome(t, h, q)
	if r.Code != 660000001 || out.Code != 660000001 || out.Err == nil {
		t.Fatalf("reply %s, outcome %+v; want Code 660000001 with the cause in Outcome.Err", r.Raw, *out)
	}
	if strings.Contains(r.Message, "closed") || strings.Contains(string(r.Raw), "sqlite") {
		t.Fatalf("reply %s leaks the internal cause", r.Raw)
	}
}
