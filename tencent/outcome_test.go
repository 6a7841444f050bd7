package tencent_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/roomd/roomd/storetest"
)

func TestOutcome(t *testing.T) {
	e := newEnv(t)
	t.Run("ClientError", func(t *testing.T) {
		r := e.want(t, 100004, "get_room_info", map[string]string{"RoomId": "nope"})
		o := e.last.Load()
		if o.Dialect != "tencent" || o.Action != "get_room_info" || o.Code != 100004 || o.AppID != appID || o.RequestID != r.RequestId || o.Err != nil {
			t.Fatalf("Outcome = %+v, want tencent/get_room_info/100004/app %d/request %s/no Err", o, appID, r.RequestId)
		}
	})
	t.Run("UnknownCommand", func(t *testing.T) {
		e.do(t, "POST", "/v4/room_engine_http_srv/../../etc", "{}")
		if o := e.last.Load(); o.Action != "unknown" || o.Code != 60009 {
			t.Fatalf("Outcome = %+v, want Action unknown and Code 60009", o)
		}
	})
	t.Run("InternalErrorNotLeaked", func(t *testing.T) {
		if err := e.db.Close(); err != nil {
			t.Fatal(err)
		}
		r := e.want(t, 100001, "get_room_info", map[string]string{"RoomId": "r1"})
		if strings.Contains(strings.ToLower(r.ErrorInfo), "sqlite") || strings.Contains(r.ErrorInfo, "closed") {
			t.Fatalf("ErrorInfo %q leaks the internal cause", r.ErrorInfo)
		}
		if o := e.last.Load(); o.Err == nil || o.Code != 100001 {
			t.Fatalf("Outcome = %+v, want Code 100001 and the cause in Err", o)
		}
	})
}

func TestConcurrentCalls(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1", "m2")
	var wg sync.WaitGroup
	errs := make(chan string, 8*10)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				r := e.call(t, "get_room_info", map[string]string{"RoomId": "r1"})
				if r.ErrorCode != 0 {
					errs <- r.ErrorInfo
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Fatalf("concurrent get_room_info failed: %s", msg)
	}
	// Concurrent transfers between two members: the room keeps exactly one owner.
	for range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); e.call(t, "change_room_owner", transfer("r1", "host", "m1")) }()
		go func() { defer wg.Done(); e.call(t, "change_room_owner", transfer("r1", "m1", "host")) }()
	}
	wg.Wait()
	storetest.CheckRooms(t, context.Background(), e.svc, appID, "r1")
}
