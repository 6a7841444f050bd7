package tencent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/tencent"
)

// sigCodes are the codes VerifyUserSig may answer.
var sigCodes = map[int]bool{70001: true, 70002: true, 70003: true, 70004: true, 70005: true, 70009: true, 70013: true, 70014: true}

func FuzzVerifyUserSig(f *testing.F) {
	now := time.Unix(1_700_000_000, 0)
	good, err := tencent.GenUserSig(appID, secret, admin, time.Hour, now)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint32(appID), secret, admin, good)
	f.Add(uint32(appID), secret, admin, "")
	f.Add(uint32(appID), secret, admin, "eJyrVspMSc0rycxLVbJSSk7MS8vPyU1VqgUAXA0H8Q__")
	f.Add(uint32(appID), "", "", "!!!")
	f.Add(uint32(0), secret, admin, good[:len(good)/2])
	f.Fuzz(func(t *testing.T, app uint32, key, identifier, sig string) {
		err := tencent.VerifyUserSig(app, key, identifier, sig, now)
		if err == nil {
			return
		}
		var se *tencent.SigError
		if !errors.As(err, &se) || !sigCodes[se.Code] {
			t.Fatalf("VerifyUserSig(%q) = %v, want a *SigError with a UserSig code", sig, err)
		}
	})
}

// FuzzChangeRoomOwnerBody sends arbitrary bodies to change_room_owner: the
// answer is always the JSON envelope with a documented code.
func FuzzChangeRoomOwnerBody(f *testing.F) {
	svc := roomd.NewService(MustOpenStore(f), nil, nil)
	apps := roomd.Apps{appID: {ID: appID, Secret: secret, Admins: []string{admin}, RateLimitsOff: true}}
	h := tencent.NewHandler(svc, apps, tencent.Options{})
	sig, err := tencent.GenUserSig(appID, secret, admin, 24*time.Hour, time.Now())
	if err != nil {
		f.Fatal(err)
	}
	target, _ := tencent.CommandURL(appID, admin, sig, "change_room_owner", 1)
	ctx := context.Background()
	if _, err := svc.RegisterUsers(ctx, appID, []roomd.User{{ID: "user2"}, {ID: "user4"}}, true); err != nil {
		f.Fatal(err)
	}
	if _, _, err := svc.CreateRoom(ctx, roomd.Actor{ID: admin, Admin: true}, roomd.Room{AppID: appID, ID: "room-test", Owner: "user2"}, []string{"user4"}); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"RoomId":"room-test","From_Account":"user2","NewOwner_Account":"user4"}`))
	f.Add([]byte(`{"RoomId":"room-test","From_Account":"user4","NewOwner_Account":"user2"}`))
	f.Add([]byte(`{"RoomId":1}`))
	f.Add([]byte(`{"RoomId":"room-test","From_Account":null,"NewOwner_Account":[]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{`))
	f.Add([]byte(""))
	allowed := map[int]bool{0: true, 60003: true, 100002: true, 100004: true, 100005: true, 100006: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d, want 200", rec.Code)
		}
		var r struct {
			ActionStatus string
			ErrorCode    int
			RequestId    string
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, rec.Body.Bytes())
		}
		if !allowed[r.ErrorCode] || r.RequestId == "" || (r.ErrorCode == 0) != (r.ActionStatus == "OK") {
			t.Fatalf("body %q: answer %s, want a documented code", body, rec.Body.Bytes())
		}
	})
}
