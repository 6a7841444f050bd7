package console

import (
	"context"
	"testing"

	"github.com/roomd/roomd"
)

// TestStreamDropped: a live log whose queue is full is dropped, not waited
// for, and no longer counted; the other logs of the room go on.
func TestStreamDropped(t *testing.T) {
	c := New(nil, Options{})
	k := roomKey{1, "r"}
	slow, fast := c.hub.subscribe(k), c.hub.subscribe(k)
	for seq := int64(1); seq <= streamQueue+1; seq++ {
		c.Publish(context.Background(), []roomd.Event{{AppID: 1, RoomID: "r", Seq: seq}})
		if seq%2 == 0 { // fast reads as it goes
			for len(fast.events) > 0 {
				<-fast.events
			}
		}
	}
	select {
	case <-slow.gone:
	default:
		t.Fatalf("a stream %d events behind was not dropped", streamQueue+1)
	}
	select {
	case <-fast.gone:
		t.Fatalf("a stream that keeps up was dropped")
	default:
	}
	if c.hub.n != 1 {
		t.Fatalf("open streams: got %d, want 1", c.hub.n)
	}
	c.hub.unsubscribe(k, slow) // as its handler does on leaving: no double count
	c.hub.unsubscribe(k, fast)
	if c.hub.n != 0 || len(c.hub.rooms) != 0 {
		t.Fatalf("after unsubscribing: %d streams in %d rooms, want none", c.hub.n, len(c.hub.rooms))
	}
	for range maxStreams {
		if c.hub.subscribe(k) == nil {
			t.Fatalf("fewer than %d streams could open", maxStreams)
		}
	}
	if c.hub.subscribe(k) != nil {
		t.Fatalf("stream %d opened; want at most %d", maxStreams+1, maxStreams)
	}
}
