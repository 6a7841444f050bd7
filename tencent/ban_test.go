package tencent_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

type bannedPage struct {
	BannedAccountList []struct {
		Member_Account string
		BannedUntil    int64
	}
	NextOffset int
}

func TestBanRoomMember(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1", "m2", "m3")
	ban := func(d int, ids ...string) map[string]any {
		return map[string]any{"RoomId": "r1", "MemberList_Account": ids, "Reason": "spam", "Duration": d}
	}
	before := time.Now().Unix()
	e.ok(t, "ban_room_member", ban(3600, "m1"), nil)
	e.ok(t, "ban_room_member", ban(0, "host", "outsider"), nil) // the owner, and a non-member kept out

	if got, want := e.members(t, "r1"), map[string]string{"m2": "Owner", "m3": "Member"}; !maps.Equal(got, want) {
		t.Fatalf("after bans: %v, want %v (banned members removed, ownership passed on)", got, want)
	}
	var p bannedPage
	e.ok(t, "get_banned_member_list", map[string]any{"RoomId": "r1"}, &p)
	until := map[string]int64{}
	for _, b := range p.BannedAccountList {
		until[b.Member_Account] = b.BannedUntil
	}
	if len(until) != 3 || until["host"] != 0 || until["outsider"] != 0 || until["m1"] < before+3600 || until["m1"] > time.Now().Unix()+3600 || p.NextOffset != 0 {
		t.Fatalf("banned list = %+v, want host and outsider until 0, m1 until now+3600, NextOffset 0", p)
	}
	t.Run("BannedCannotBeAdded", func(t *testing.T) {
		e.importAccounts(t, "outsider")
		items, err := e.svc.AddMembers(context.Background(), roomd.Actor{ID: admin, Admin: true}, appID, "r1", []roomd.MemberAdd{{UserID: "m1"}, {UserID: "outsider"}})
		if err != nil || len(items) != 2 || items[0].Code != roomd.EBANNED || items[1].Code != roomd.EBANNED {
			t.Fatalf("AddMembers of banned users = %+v, %v; want two EBANNED items", items, err)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		var got []string
		offset := 0
		for range 5 {
			var p bannedPage
			e.ok(t, "get_banned_member_list", map[string]any{"RoomId": "r1", "Limit": 2, "Offset": offset}, &p)
			for _, b := range p.BannedAccountList {
				got = append(got, b.Member_Account)
			}
			if offset = p.NextOffset; offset == 0 {
				break
			}
		}
		if fmt.Sprint(got) != "[host m1 outsider]" {
			t.Fatalf("banned accounts over pages of 2 = %v, want [host m1 outsider]", got)
		}
	})
	t.Run("Unban", func(t *testing.T) {
		e.ok(t, "unban_room_member", map[string]any{"RoomId": "r1", "MemberList_Account": []string{"m1", "never-banned"}}, nil)
		var p bannedPage
		e.ok(t, "get_banned_member_list", map[string]any{"RoomId": "r1"}, &p)
		if len(p.BannedAccountList) != 2 {
			t.Fatalf("after unbanning m1: %+v, want host and outsider", p.BannedAccountList)
		}
		e.addMembers(t, "r1", "m1")
	})
	cases := []struct {
		name, command string
		body          any
		code          int
	}{
		{"BanNegativeDuration", "ban_room_member", ban(-1, "m3"), 100002},
		{"BanDurationTooLong", "ban_room_member", ban(1<<32, "m3"), 100002},
		{"BanEmpty", "ban_room_member", ban(60), 100002},
		{"BanDurationNotNumber", "ban_room_member", `{"RoomId": "r1", "MemberList_Account": ["m3"], "Duration": "60"}`, 100002},
		{"BanNoRoom", "ban_room_member", map[string]any{"RoomId": "nope", "MemberList_Account": []string{"m3"}, "Duration": 60}, 100004},
		{"UnbanNoRoom", "unban_room_member", map[string]any{"RoomId": "nope", "MemberList_Account": []string{"m3"}}, 100004},
		{"UnbanTooMany", "unban_room_member", map[string]any{"RoomId": "r1", "MemberList_Account": make21()}, 100002},
		{"ListNoRoom", "get_banned_member_list", map[string]any{"RoomId": "nope"}, 100004},
		{"ListLimitTooBig", "get_banned_member_list", map[string]any{"RoomId": "r1", "Limit": 101}, 100002},
		{"ListLimitZero", "get_banned_member_list", map[string]any{"RoomId": "r1", "Limit": 0}, 100002},
		{"ListOffsetNegative", "get_banned_member_list", map[string]any{"RoomId": "r1", "Offset": -1}, 100002},
		{"ListNoRoomId", "get_banned_member_list", "{}", 100002},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.want(t, tc.code, tc.command, tc.body) })
	}
}

func make21() []string {
	ids := make([]string, 21)
	for i := range ids {
		ids[i] = fmt.Sprint("u", i)
	}
	return ids
}

func TestCallbackConfig(t *testing.T) {
	e := newEnv(t)
	var cb struct {
		Url                 string
		CallbackCommandList []string
	}
	e.ok(t, "get_callback", "{}", &cb)
	if cb.Url != "" || cb.CallbackCommandList == nil || len(cb.CallbackCommandList) != 0 {
		t.Fatalf("get_callback with none set = %+v, want Url \"\" and []", cb)
	}
	set := map[string]any{"Url": "https://hooks.example.com/room", "CallbackCommandList": []string{"Room.CallbackAfterCreateRoom"}}
	e.ok(t, "set_callback", set, nil)
	e.ok(t, "get_callback", "{}", &cb)
	if cb.Url != "https://hooks.example.com/room" || fmt.Sprint(cb.CallbackCommandList) != "[Room.CallbackAfterCreateRoom]" {
		t.Fatalf("get_callback = %+v, want what was set", cb)
	}
	e.ok(t, "update_callback", map[string]any{"Url": "http://127.0.0.1:9/cb", "CallbackCommandList": []string{"Room.CallbackAfterMemberEnter", "Room.CallbackAfterMemberLeave"}}, nil)
	e.ok(t, "get_callback", "{}", &cb)
	if cb.Url != "http://127.0.0.1:9/cb" || len(cb.CallbackCommandList) != 2 {
		t.Fatalf("get_callback after update = %+v", cb)
	}
	cases := map[string]any{
		"NoUrl":          map[string]any{"CallbackCommandList": []string{}},
		"NotHTTP":        map[string]any{"Url": "ftp://x/y"},
		"NoHost":         map[string]any{"Url": "https:///path"},
		"UnknownCommand": map[string]any{"Url": "https://x/y", "CallbackCommandList": []string{"Room.Nope"}},
		"UrlNotString":   `{"Url": 5}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) { e.want(t, 100002, "set_callback", body) })
	}
	e.ok(t, "delete_callback", "{}", nil)
	e.ok(t, "get_callback", "{}", &cb)
	if cb.Url != "" {
		t.Fatalf("get_callback after delete = %+v, want none", cb)
	}
	t.Run("DeleteAgain", func(t *testing.T) { e.ok(t, "delete_callback", "", nil) })
	t.Run("InvalidJSON", func(t *testing.T) { e.want(t, 60003, "get_callback", "{") })
}
