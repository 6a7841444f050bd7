package zego_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
	"github.com/roomd/roomd/zego"
)

// MustServeStore starts the dialect over the store at path with clock, as
// MustOpenServer does over a fresh one; stop closes the server and the store,
// as a graceful shutdown does.
func MustServeStore(tb testing.TB, path string, clock *storetest.Clock) (s *Server, stop func()) {
	tb.Helper()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	svc := roomd.NewService(db, nil, nil)
	apps := roomd.Apps{appOpen: {ID: appOpen, Secret: secret, RateLimitsOff: true}}
	h := zego.NewHandler(svc, apps, zego.Options{Clock: clock.Now})
	srv := httptest.NewServer(h)
	client := &http.Client{Timeout: time.Minute}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		srv.Close()
		if err := db.Close(); err != nil {
			tb.Errorf("db.Close: %v", err)
		}
	}
	tb.Cleanup(stop)
	return &Server{URL: srv.URL, Svc: svc, Clock: clock, Handler: h, Client: client}, stop
}

// TestReplayAfterRestart: a signed URL used once is refused after the
// server restarts on the same store, even with another Action (the
// signature does not cover the action), while fresh requests signed by
// clocks up to the window away from the server's work right after the restart.
func TestReplayAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roomd.db")
	clock := storetest.NewClock(time.Now().UTC())
	s, stop := MustServeStore(t, path, clock)
	s.Group(t, appOpen, "g1", "u1", "u2")
	used := s.Signed(appOpen, "QueryGroupInfo", url.Values{"GroupId": {"g1"}, "FromUserId": {"u1"}})
	WantCode(t, s.Send(t, http.MethodGet, used.Encode(), nil), 0)
	stop()

	s, _ = MustServeStore(t, path, clock)
	t.Run("SameURL", func(t *testing.T) {
		WantCode(t, s.Send(t, http.MethodGet, used.Encode(), nil), 100000005)
	})
	t.Run("OtherAction", func(t *testing.T) {
		q := url.Values{}
		for k, v := range used {
			q[k] = v
		}
		q.Set("Action", "DismissGroup")
		WantCode(t, s.Send(t, http.MethodGet, q.Encode(), nil), 100000005)
		r := s.Call(t, appOpen, "QueryGroupInfo", map[string]any{"GroupId": "g1", "FromUserId": "u1"})
		WantCode(t, r, 0)
	})
	t.Run("SkewedClocks", func(t *testing.T) {
		for _, skew := range []time.Duration{-zego.SignatureWindow + time.Second, zego.SignatureWindow - time.Second} {
			ts := clock.Now().Add(skew).Unix()
			q := s.Signed(appOpen, "QueryGroupInfo", url.Values{"GroupId": {"g1"}, "FromUserId": {"u1"}})
			q.Set("Timestamp", strconv.FormatInt(ts, 10))
			q.Set("Signature", zego.Sign(appOpen, q.Get("SignatureNonce"), secret, ts))
			if r := s.Send(t, http.MethodGet, q.Encode(), nil); r.Code != 0 {
				t.Errorf("skew %s: got Code %d (%s), want 0", skew, r.Code, r.Message)
			}
		}
	})
}
