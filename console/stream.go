package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/roomd/roomd"
)

// Live logs: a room's page follows the room's events as Server-Sent
// Events from Path+"room/events". The console is a roomd.Publisher: each
// event committed is queued to the streams of its room, at most
// streamQueue per stream; a stream whose queue is full is ended rather
// than let it hold anything up, and the browser, reconnecting with the
// last seq it got (Last-Event-ID), reads what it missed from the store.
// So does a stream that sees a gap in the seqs. The store's log is the
// source of truth; the queue only saves reading it.

// streamCatchUp is how many events a stream reads from the store at a
// time, and streamCatchUpPages how many such reads it makes before it
// tells the page to reload instead.
const (
	streamCatchUp      = 200
	streamCatchUpPages = 5
	streamPing         = 25 * time.Second // a comment line keeps proxies from closing an idle stream
	streamWriteTimeout = 10 * time.Second // a client that does not read is dropped
)

// roomKey names a room of an app.
type roomKey struct {
	app  uint32
	room string
}

// stream is one open live log.
type stream struct {
	events chan roomd.Event
	gone   chan struct{} // closed when the queue overflowed
}

// hub holds the open streams by room.
type hub struct {
	mu    sync.Mutex
	rooms map[roomKey]map[*stream]struct{}
	n     int
}

func newHub() *hub { return &hub{rooms: map[roomKey]map[*stream]struct{}{}} }

// subscribe opens a stream of room k; nil when maxStreams are open.
func (h *hub) subscribe(k roomKey) *stream {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n >= maxStreams {
		return nil
	}
	s := &stream{events: make(chan roomd.Event, streamQueue), gone: make(chan struct{})}
	if h.rooms[k] == nil {
		h.rooms[k] = map[*stream]struct{}{}
	}
	h.rooms[k][s] = struct{}{}
	h.n++
	return s
}

// unsubscribe closes a stream (it may have been dropped already).
func (h *hub) unsubscribe(k roomKey, s *stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(k, s)
}

// remove takes s out of room k; h.mu is held.
func (h *hub) remove(k roomKey, s *stream) {
	subs := h.rooms[k]
	if _, ok := subs[s]; !ok {
		return
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.rooms, k)
	}
	h.n--
}

// Publish queues events to the live logs of their rooms. It never blocks:
// a log whose queue is full is dropped.
func (c *Console) Publish(_ context.Context, events []roomd.Event) {
	h := c.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range events {
		k := roomKey{e.AppID, e.RoomID}
		for s := range h.rooms[k] {
			select {
			case s.events <- e:
			default:
				close(s.gone)
				h.remove(k, s)
			}
		}
	}
}

// eventJSON is an event as a live log sends it.
type eventJSON struct {
	Seq   int64           `json:"seq"`
	Type  string          `json:"type"`
	Actor string          `json:"actor"`
	Time  time.Time       `json:"time"`
	Data  json.RawMessage `json:"data"`
}

// sse writes Server-Sent Events to one client, each write with a deadline.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// send writes one SSE message and flushes it.
func (o *sse) send(msg string) error {
	_ = o.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := fmt.Fprint(o.w, msg); err != nil {
		return err
	}
	return o.rc.Flush()
}

// event writes e, with its seq as the message's id.
func (o *sse) event(e *roomd.Event) error {
	data, err := json.Marshal(eventJSON{Seq: e.Seq, Type: string(e.Type), Actor: e.Actor, Time: e.Time, Data: e.Payload})
	if err != nil {
		return err
	}
	return o.send("id: " + strconv.FormatInt(e.Seq, 10) + "\ndata: " + string(data) + "\n\n")
}

// events streams a room's events after "after" (or the Last-Event-ID a
// reconnecting browser sends) until the client goes, the console stops
// (Start's context), or the stream is dropped.
func (c *Console) events(w http.ResponseWriter, r *http.Request, s *session) {
	app, ok := c.appOf(w, r, s)
	if !ok {
		return
	}
	k := roomKey{app, r.FormValue("id")}
	raw := r.Header.Get("Last-Event-ID")
	if raw == "" {
		raw = r.FormValue("after")
	}
	last, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || last < 0 {
		c.fail(w, r, http.StatusBadRequest, "after must be an event seq (0 or more).")
		return
	}
	st := c.hub.subscribe(k) // before reading the store: nothing falls between
	if st == nil {
		c.fail(w, r, http.StatusServiceUnavailable, "Too many live logs are open; try again later.")
		return
	}
	defer c.hub.unsubscribe(k, st)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	out := &sse{w: w, rc: http.NewResponseController(w)}
	_ = out.rc.SetReadDeadline(time.Time{}) // the server's read timeout would end the stream
	if out.send("retry: 2000\n\n") != nil {
		return
	}
	ctx := r.Context()
	if last, err = c.catchUp(ctx, out, k, last); err != nil {
		c.streamEnded(r, k, err)
		return
	}
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case <-st.gone:
			return // dropped: the browser reconnects and reads the store
		case <-ping.C:
			err = out.send(": ping\n\n")
		case e := <-st.events:
			switch {
			case e.Seq <= last: // sent already, read from the store
			case e.Seq > last+1: // a gap: the store has what fills it
				last, err = c.catchUp(ctx, out, k, last)
			default:
				if err = out.event(&e); err == nil {
					last = e.Seq
				}
			}
		}
		if err != nil {
			c.streamEnded(r, k, err)
			return
		}
	}
}

// errReload ends a stream that is too far behind to catch up: the page
// reloads instead.
var errReload = roomd.Errorf(roomd.ELIMIT, "too far behind")

// catchUp sends the room's events after last from the store and returns
// the last seq sent. After streamCatchUpPages full reads it sends a
// "reload" event and returns errReload.
func (c *Console) catchUp(ctx context.Context, out *sse, k roomKey, last int64) (int64, error) {
	for range streamCatchUpPages {
		events, err := c.svc.Events(ctx, k.app, k.room, last, streamCatchUp)
		if err != nil {
			return last, err
		}
		for i := range events {
			if err := out.event(&events[i]); err != nil {
				return last, err
			}
			last = events[i].Seq
		}
		if len(events) < streamCatchUp {
			return last, nil
		}
	}
	_ = out.send("event: reload\ndata: {}\n\n")
	return last, errReload
}

// streamEnded logs why a stream ended early, when it is roomd's fault.
func (c *Console) streamEnded(r *http.Request, k roomKey, err error) {
	var e *roomd.Error
	if errors.As(err, &e) && e.Code == roomd.EINTERNAL && r.Context().Err() == nil {
		c.opts.Logger.Error("console: live log", "app", k.app, "room", k.room, "error", err)
	}
}
