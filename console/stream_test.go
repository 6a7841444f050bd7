package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// message is one Server-Sent Events message.
type message struct {
	ID, Event, Data string
}

// eventStream reads a live log.
type eventStream struct {
	msgs   chan message
	cancel context.CancelFunc
}

// Stream opens a live log at path with the browser's cookies and extra
// headers; it is closed in Cleanup.
func (b *Browser) Stream(path string, header map[string]string) *eventStream {
	b.tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.env.URL+path, nil)
	if err != nil {
		b.tb.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Jar: b.c.Jar}
	resp, err := c.Do(req)
	if err != nil {
		cancel()
		b.tb.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		resp.Body.Close()
		b.tb.Fatalf("GET %s: got %d %s, want 200 text/event-stream", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &eventStream{msgs: make(chan message, 4096), cancel: cancel}
	go func() {
		defer close(s.msgs)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var m message
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.Data != "" || m.Event != "" {
					s.msgs <- m
				}
				m = message{}
			case strings.HasPrefix(line, "id: "):
				m.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.Data = line[6:]
			}
		}
	}()
	b.tb.Cleanup(cancel)
	return s
}

// Next returns the next message, failing the test after 5 s.
func (s *eventStream) Next(tb testing.TB) message {
	tb.Helper()
	select {
	case m, ok := <-s.msgs:
		if !ok {
			tb.Fatalf("the live log ended; want another message")
		}
		return m
	case <-time.After(5 * time.Second):
		tb.Fatalf("no message on the live log within 5 s")
	}
	return message{}
}

// NextEvent returns the next message as an event.
func (s *eventStream) NextEvent(tb testing.TB) (seq int64, typ, actor string) {
	tb.Helper()
	m := s.Next(tb)
	var e struct {
		Seq   int64
		Type  string
		Actor string
		Data  json.RawMessage
	}
	if err := json.Unmarshal([]byte(m.Data), &e); err != nil || m.ID != fmt.Sprint(e.Seq) {
		tb.Fatalf("message %+v: not an event with its seq as id (%v)", m, err)
	}
	return e.Seq, e.Type, e.Actor
}

// Ended reports whether the stream ends within 5 s (no more messages).
func (s *eventStream) Ended(tb testing.TB) bool {
	tb.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-s.msgs:
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

var adminActor = roomd.Actor{ID: "administrator", Admin: true}

// TestLiveLog: a room's live log gets each event as it commits, whoever
// made it; a browser coming back with Last-Event-ID gets what it missed
// from the store; a gap in the seqs is filled from the store.
func TestLiveLog(t *testing.T) {
	e := MustStartConsole(t)
	e.MustRegister(t, app, "ann", "bob", "cy")
	e.MustCreateRoom(t, app, "team", "ann", "bob", "cy")
	e.MustCreateRoom(t, app, "other", "ann")
	b := e.NewBrowser(t)
	b.MustSignIn()
	seq := e.MustRoom(t, app, "team").Seq
	s := b.Stream(fmt.Sprintf("/console/room/events?app=1400000001&id=team&after=%d", seq), nil)
	ctx := context.Background()
	if err := e.Svc.TransferOwner(ctx, adminActor, app, "team", "bob", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.TransferOwner(ctx, adminActor, app, "other", "ann", ""); err != nil { // another room: not in this log
		t.Fatal(err)
	}
	if got, typ, actor := s.NextEvent(t); got != seq+1 || typ != "owner.changed" || actor != "administrator" {
		t.Fatalf("first live event: got #%d %s by %s, want #%d owner.changed by administrator", got, typ, actor, seq+1)
	}
	r := b.Act("kick", "team", "user", "cy")
	wantStatus(t, "kick", r, http.StatusSeeOther)
	if got, typ, actor := s.NextEvent(t); got != seq+2 || typ != "member.left" || actor != "console" {
		t.Fatalf("second live event: got #%d %s by %s, want #%d member.left by console", got, typ, actor, seq+2)
	}
	// Committed without publishing, then one published: the gap is read
	// from the store, in order.
	if err := e.Quiet.TransferOwner(ctx, adminActor, app, "team", "ann", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.TransferOwner(ctx, adminActor, app, "team", "bob", ""); err != nil {
		t.Fatal(err)
	}
	for want := seq + 3; want <= seq+4; want++ {
		if got, typ, _ := s.NextEvent(t); got != want || typ != "owner.changed" {
			t.Fatalf("after a gap: got #%d %s, want #%d owner.changed", got, typ, want)
		}
	}
	// Reconnecting with Last-Event-ID: the events after it, from the store.
	s2 := b.Stream("/console/room/events?app=1400000001&id=team&after=0", map[string]string{"Last-Event-ID": fmt.Sprint(seq + 1)})
	for want := seq + 2; want <= seq+4; want++ {
		if got, _, _ := s2.NextEvent(t); got != want {
			t.Fatalf("resumed log: got #%d, want #%d", got, want)
		}
	}
	// A console that stops ends its live logs.
	e.Stop()
	if !s.Ended(t) || !s2.Ended(t) {
		t.Fatalf("the live logs went on after the console stopped")
	}
}

// TestLiveLogTooFarBehind: a log more than 1,000 events behind tells the
// page to reload rather than stream them all.
func TestLiveLogTooFarBehind(t *testing.T) {
	e := MustStartConsole(t)
	var ids []string
	for i := range 1100 {
		ids = append(ids, fmt.Sprintf("u%04d", i))
	}
	for i := 0; i < len(ids); i += roomd.MaxBatch {
		e.MustRegister(t, app, ids[i:min(i+roomd.MaxBatch, len(ids))]...)
	}
	e.MustCreateRoom(t, app, "big", "u0000")
	for i := 1; i < len(ids); i += roomd.MaxBatch {
		var adds []roomd.MemberAdd
		for _, id := range ids[i:min(i+roomd.MaxBatch, len(ids))] {
			adds = append(adds, roomd.MemberAdd{UserID: id})
		}
		if _, err := e.Svc.AddMembers(context.Background(), adminActor, app, "big", adds); err != nil {
			t.Fatal(err)
		}
	}
	b := e.NewBrowser(t)
	b.MustSignIn()
	s := b.Stream("/console/room/events?app=1400000001&id=big&after=0", nil)
	for want := int64(1); want <= 1000; want++ {
		if got, _, _ := s.NextEvent(t); got != want {
			t.Fatalf("catching up: got #%d, want #%d", got, want)
		}
	}
	if m := s.Next(t); m.Event != "reload" {
		t.Fatalf("after 1,000 events: got %+v, want a reload event", m)
	}
	if !s.Ended(t) {
		t.Fatalf("the stream went on after telling the page to reload")
	}
}

// TestLiveLogRefusals: a live log needs a session, an app the session may
// see and a seq to start after.
func TestLiveLogRefusals(t *testing.T) {
	e := MustStartConsole(t)
	r := e.NewBrowser(t).Do(http.MethodGet, "/console/room/events?app=1400000001&id=x&after=0", nil, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("signed out: got %d, want 303 to the sign-in page", r.Status)
	}
	b := e.NewBrowser(t)
	b.MustSignIn()
	wantStatus(t, "bad after", b.Get("/console/room/events?app=1400000001&id=x&after=-1"), http.StatusBadRequest)
	wantStatus(t, "other app", b.Get("/console/room/events?app=1400000002&id=x&after=0"), http.StatusNotFound)
}
