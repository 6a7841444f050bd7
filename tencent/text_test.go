package tencent_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/roomd/roomd"
)

// wantInfo calls command with body and fails unless the answer has code and
// an ErrorInfo containing info.
func (e *env) wantInfo(tb testing.TB, code int, info, command string, body any) {
	tb.Helper()
	r := e.want(tb, code, command, body)
	if !strings.Contains(r.ErrorInfo, info) {
		tb.Errorf("ErrorInfo = %q, want it to contain %q", r.ErrorInfo, info)
	}
}

// TestTextEncoding: text that is not valid UTF-8 (raw bytes or lone
// surrogate escapes) and NUL are refused with the family's parameter code,
// 100002 for room APIs and 70402 for account APIs, and nothing is stored.
func TestTextEncoding(t *testing.T) {
	e := newEnv(t)
	e.importAccounts(t, "host")
	for _, tc := range []struct {
		name, command, body, info string
		code                      int
	}{
		{"RoomIdInvalidByte", "create_room", "{\"RoomInfo\":{\"RoomId\":\"r\xff\",\"Owner_Account\":\"host\"}}", "is not UTF-8", 100002},
		{"RoomIdLoneSurrogate", "create_room", `{"RoomInfo":{"RoomId":"r\ud800","Owner_Account":"host"}}`, `lone surrogate escape \ud800`, 100002},
		{"RoomNameLoneLow", "create_room", `{"RoomInfo":{"RoomId":"r1","RoomName":"\udfff","Owner_Account":"host"}}`, `lone surrogate escape \udfff`, 100002},
		{"RoomNameNUL", "create_room", `{"RoomInfo":{"RoomId":"r1","RoomName":"a\u0000","Owner_Account":"host"}}`, "room name contains a control character", 100002},
		{"CustomInfoNUL", "create_room", `{"RoomInfo":{"RoomId":"r1","CustomInfo":"\u0000","Owner_Account":"host"}}`, "room custom info contains a NUL character", 100002},
		{"IgnoredFieldInvalidByte", "create_room", "{\"RoomInfo\":{\"RoomId\":\"r1\",\"Owner_Account\":\"host\"},\"X\":\"\xc3\"}", "is not UTF-8", 100002},
		{"UserIDInvalidByte", "account_import", "{\"UserID\":\"u\xfe\"}", "is not UTF-8", 70402},
		{"NickLoneSurrogate", "account_import", `{"UserID":"u1","Nick":"\ud83d"}`, `lone surrogate escape \ud83d`, 70402},
		{"NickNUL", "account_import", `{"UserID":"u1","Nick":"a\u0000b"}`, "user name contains a control character", 70402},
		{"UserIDNUL", "account_import", `{"UserID":"u\u0000"}`, "user id contains a control character", 70402},
		{"CheckItemNUL", "account_check", `{"CheckItem":[{"UserID":"u\u0000"}]}`, "CheckItem UserID contains a control character", 70402},
		{"KickReasonNUL", "kick_user_out", `{"RoomId":"r0","MemberList_Account":["host"],"Reason":"\u0000"}`, "reason contains a NUL character", 100002},
		{"MemberAccountNUL", "update_room_member_info", `{"RoomId":"r0","MemberInfo":{"Member_Account":"\u0000"}}`, "MemberInfo.Member_Account contains a control character", 100002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.wantInfo(t, tc.code, tc.info, tc.command, tc.body)
		})
	}
	t.Run("NothingStored", func(t *testing.T) {
		e.want(t, 100004, "get_room_info", map[string]string{"RoomId": "r1"})
		r := e.ok(t, "account_check", map[string]any{"CheckItem": []any{item("u1")}}, nil)
		if got := resultItems(t, r)["u1"].AccountStatus; got != "NotImported" {
			t.Errorf("u1 AccountStatus = %q, want NotImported", got)
		}
	})
	t.Run("SurrogatePairAccepted", func(t *testing.T) {
		e.ok(t, "create_room", `{"RoomInfo":{"RoomId":"smile \ud83d\ude00","Owner_Account":"host"}}`, nil)
		if got := e.roomInfo(t, "smile 😀")["RoomId"]; got != "smile 😀" {
			t.Errorf("RoomId = %v, want %q", got, "smile 😀")
		}
	})
}

// TestTooManyQueryParams: more than 10,000 query parameters is the family's
// parameter code saying so; 10,000 are served.
func TestTooManyQueryParams(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host")
	pad := func(u string, total int) string {
		return u + strings.Repeat("&p=1", total-(strings.Count(u, "&")+1))
	}
	for _, tc := range []struct {
		command string
		body    any
		code    int
	}{
		{"get_room_info", map[string]string{"RoomId": "r1"}, 100002},
		{"account_check", map[string]any{"CheckItem": []any{item("host")}}, 70402},
	} {
		t.Run("Over_"+tc.command, func(t *testing.T) {
			r := e.do(t, http.MethodPost, pad(cmdURL(t, appID, e.sig, tc.command), 10001), tc.body)
			checkCode(t, r, tc.code)
			if want := "more than 10000 query parameters"; !strings.Contains(r.ErrorInfo, want) {
				t.Errorf("ErrorInfo = %q, want it to contain %q", r.ErrorInfo, want)
			}
		})
		t.Run("AtLimit_"+tc.command, func(t *testing.T) {
			checkCode(t, e.do(t, http.MethodPost, pad(cmdURL(t, appID, e.sig, tc.command), 10000), tc.body), 0)
		})
	}
}

// TestMemberLimitBelowCount: update_room_info (and the domain's UpdateRoom)
// refuses a MaxMemberCount below the room's member count with 100002; a
// limit equal to the count is accepted.
func TestMemberLimitBelowCount(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1", "m2")
	update := func(n int) map[string]any { return roomBody(map[string]any{"RoomId": "r1", "MaxMemberCount": n}) }
	t.Run("Below", func(t *testing.T) {
		e.wantInfo(t, 100002, "member limit 2 is below the room's 3 members", "update_room_info", update(2))
		if got := e.roomInfo(t, "r1")["MaxMemberCount"]; got != float64(roomd.DefaultMaxMember) {
			t.Errorf("MaxMemberCount after the refusal = %v, want the default %d", got, roomd.DefaultMaxMember)
		}
	})
	t.Run("Equal", func(t *testing.T) {
		e.ok(t, "update_room_info", update(3), nil)
		if got := e.roomInfo(t, "r1")["MaxMemberCount"]; got != float64(3) {
			t.Errorf("MaxMemberCount = %v, want 3", got)
		}
	})
	t.Run("DomainBelow", func(t *testing.T) {
		one := 1
		err := e.svc.UpdateRoom(context.Background(), roomd.Actor{ID: admin, Admin: true}, appID, "r1", roomd.RoomUpdate{MaxMembers: &one})
		if roomd.ErrorCode(err) != roomd.EINVALID || !strings.Contains(roomd.ErrorMessage(err), "member limit 1 is below the room's 3 members") {
			t.Errorf("UpdateRoom(MaxMembers 1) = %v, want EINVALID saying the limit is below 3 members", err)
		}
	})
	t.Run("DomainOtherFieldsKeepLimit", func(t *testing.T) {
		// A room already over its limit (not reachable through the dialects)
		// can still be renamed: only a new limit is compared.
		name := "renamed"
		if err := e.svc.UpdateRoom(context.Background(), roomd.Actor{ID: admin, Admin: true}, appID, "r1", roomd.RoomUpdate{Name: &name}); err != nil {
			t.Errorf("UpdateRoom(Name) = %v, want nil", err)
		}
	})
}

// TestAddressedIDs: the vendor's 48-byte RoomId limit applies to
// create_room only; every other command addresses any id the domain
// accepts, and refuses the others with 100002.
func TestAddressedIDs(t *testing.T) {
	e := newEnv(t)
	e.importAccounts(t, "host", "#m1", "o'b-c")
	long := strings.Repeat("r", 60)
	ctx := context.Background()
	root := roomd.Actor{ID: admin, Admin: true}
	if _, _, err := e.svc.CreateRoom(ctx, root, roomd.Room{AppID: appID, ID: long, Owner: "host"}, []string{"#m1", "o'b-c"}); err != nil {
		t.Fatalf("CreateRoom(60-byte id) through the domain: %v", err)
	}
	t.Run("CreateOver48", func(t *testing.T) {
		e.wantInfo(t, 100002, "RoomId longer than 48 bytes", "create_room", roomBody(map[string]any{"RoomId": strings.Repeat("x", 49), "Owner_Account": "host"}))
	})
	t.Run("GetInfo", func(t *testing.T) {
		if got := e.roomInfo(t, long)["MemberCount"]; got != float64(3) {
			t.Errorf("MemberCount = %v, want 3", got)
		}
	})
	t.Run("Update", func(t *testing.T) {
		e.ok(t, "update_room_info", roomBody(map[string]any{"RoomId": long, "RoomName": "long"}), nil)
	})
	t.Run("ChangeOwner", func(t *testing.T) {
		e.ok(t, "change_room_owner", map[string]string{"RoomId": long, "From_Account": "host", "NewOwner_Account": "#m1"}, nil)
		if got := e.members(t, long)["#m1"]; got != "Owner" {
			t.Errorf("#m1 is %q, want Owner", got)
		}
	})
	t.Run("Kick", func(t *testing.T) {
		e.ok(t, "kick_user_out", map[string]any{"RoomId": long, "MemberList_Account": []string{"o'b-c"}}, nil)
	})
	t.Run("Over64", func(t *testing.T) {
		e.wantInfo(t, 100002, "RoomId longer than 64 bytes", "get_room_info", map[string]string{"RoomId": strings.Repeat("r", 65)})
	})
	t.Run("Destroy", func(t *testing.T) {
		e.ok(t, "destroy_room", map[string]string{"RoomId": long}, nil)
		e.want(t, 100004, "get_room_info", map[string]string{"RoomId": long})
	})
}
