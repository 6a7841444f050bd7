package tencent_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/roomd/roomd"
)

type memberPage struct {
	Next       string
	MemberList []struct {
		Member_Account, NameCard, Role, CustomInfo string
		Marks                                      []string
	}
}

func TestGetRoomMemberList(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1", "m2", "m3", "m4")
	var order []string
	next := ""
	for page := 1; ; page++ {
		var p memberPage
		e.ok(t, "get_room_member_list", map[string]any{"RoomId": "r1", "Count": 2, "Next": next}, &p)
		if len(p.MemberList) > 2 {
			t.Fatalf("page %d has %d members, want at most Count 2", page, len(p.MemberList))
		}
		for _, m := range p.MemberList {
			order = append(order, m.Member_Account+":"+m.Role)
			if m.Marks == nil {
				t.Fatalf("Marks of %s is null, want []", m.Member_Account)
			}
		}
		if next = p.Next; next == "" {
			break
		}
		if page > 3 {
			t.Fatalf("still a Next after %d pages of 2 for 5 members", page)
		}
	}
	want := "host:Owner,m1:Member,m2:Member,m3:Member,m4:Member"
	if got := strings.Join(order, ","); got != want {
		t.Fatalf("members in pages = %s, want %s", got, want)
	}
	t.Run("DefaultCount", func(t *testing.T) {
		var p memberPage
		e.ok(t, "get_room_member_list", map[string]any{"RoomId": "r1"}, &p)
		if len(p.MemberList) != 5 || p.Next != "" {
			t.Fatalf("default page: %d members, Next %q; want 5 and \"\"", len(p.MemberList), p.Next)
		}
	})
	t.Run("CustomRoleIsMember", func(t *testing.T) {
		role := roomd.Role(150)
		if err := e.svc.UpdateMember(context.Background(), roomd.Actor{ID: admin, Admin: true}, appID, "r1", "m4", roomd.MemberUpdate{Role: &role}); err != nil {
			t.Fatal(err)
		}
		if got := e.members(t, "r1")["m4"]; got != "Member" {
			t.Fatalf("custom role 150 answered as %q, want Member", got)
		}
	})
	t.Run("NoRoom", func(t *testing.T) { e.want(t, 100004, "get_room_member_list", map[string]any{"RoomId": "nope"}) })
	t.Run("BadNext", func(t *testing.T) {
		e.want(t, 100002, "get_room_member_list", map[string]any{"RoomId": "r1", "Next": "abc"})
	})
	t.Run("CountZero", func(t *testing.T) {
		e.want(t, 100002, "get_room_member_list", map[string]any{"RoomId": "r1", "Count": 0})
	})
	t.Run("NextNotString", func(t *testing.T) {
		e.want(t, 100002, "get_room_member_list", map[string]any{"RoomId": "r1", "Next": 2})
	})
}

func TestUpdateRoomMemberInfo(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1", "m2")
	upd := func(mi map[string]any) map[string]any { return map[string]any{"RoomId": "r1", "MemberInfo": mi} }

	e.ok(t, "update_room_member_info", upd(map[string]any{"Member_Account": "m1", "Role": "Admin", "NameCard": "Card", "CustomInfo": "ci"}), nil)
	var p memberPage
	e.ok(t, "get_room_member_list", map[string]any{"RoomId": "r1"}, &p)
	found := false
	for _, m := range p.MemberList {
		if m.Member_Account == "m1" {
			found = true
			if m.Role != "Admin" || m.NameCard != "Card" || m.CustomInfo != "ci" {
				t.Fatalf("m1 = %+v, want Role Admin, NameCard Card, CustomInfo ci", m)
			}
		}
	}
	if !found {
		t.Fatal("m1 missing from the member list")
	}
	e.ok(t, "update_room_member_info", upd(map[string]any{"Member_Account": "m1", "Role": "Member"}), nil)
	if got := e.members(t, "r1")["m1"]; got != "Member" {
		t.Fatalf("after revoking: m1 is %q, want Member", got)
	}

	cases := []struct {
		name string
		mi   map[string]any
		code int
	}{
		{"GrantOwner", map[string]any{"Member_Account": "m2", "Role": "Owner"}, 100006},
		{"GrantRoomOwner", map[string]any{"Member_Account": "m2", "Role": "RoomOwner"}, 100006},
		{"DemoteOwner", map[string]any{"Member_Account": "host", "Role": "Member"}, 100006},
		{"NotMember", map[string]any{"Member_Account": "stranger", "NameCard": "x"}, 100005},
		{"UnknownRole", map[string]any{"Member_Account": "m2", "Role": "Boss"}, 100002},
		{"NoAccount", map[string]any{"Role": "Admin"}, 100002},
		{"NameCardTooLong", map[string]any{"Member_Account": "m2", "NameCard": strings.Repeat("n", 33)}, 100002},
		{"CustomInfoTooLong", map[string]any{"Member_Account": "m2", "CustomInfo": strings.Repeat("c", 61)}, 100002},
		{"RoleNotString", map[string]any{"Member_Account": "m2", "Role": 1}, 100002},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.want(t, tc.code, "update_room_member_info", upd(tc.mi)) })
	}
	if got, want := e.members(t, "r1"), map[string]string{"host": "Owner", "m1": "Member", "m2": "Member"}; !maps.Equal(got, want) {
		t.Fatalf("members after refused updates = %v, want %v", got, want)
	}
	t.Run("NoRoom", func(t *testing.T) {
		e.want(t, 100004, "update_room_member_info", map[string]any{"RoomId": "nope", "MemberInfo": map[string]any{"Member_Account": "m1", "Role": "Admin"}})
	})
}

func TestKickUserOut(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1", "m2", "m3")
	kick := func(ids ...string) map[string]any {
		return map[string]any{"RoomId": "r1", "MemberList_Account": ids, "Reason": "bye"}
	}
	e.ok(t, "kick_user_out", kick("m3"), nil)
	if got, want := e.members(t, "r1"), map[string]string{"host": "Owner", "m1": "Member", "m2": "Member"}; !maps.Equal(got, want) {
		t.Fatalf("after kicking m3: %v, want %v", got, want)
	}
	t.Run("OwnerSuccession", func(t *testing.T) {
		e.ok(t, "kick_user_out", kick("host"), nil)
		if got, want := e.members(t, "r1"), map[string]string{"m1": "Owner", "m2": "Member"}; !maps.Equal(got, want) {
			t.Fatalf("after kicking the owner: %v, want %v", got, want)
		}
	})
	t.Run("NotMember", func(t *testing.T) { e.want(t, 100005, "kick_user_out", kick("host", "stranger")) })
	t.Run("SomeNotMember", func(t *testing.T) {
		e.ok(t, "kick_user_out", kick("m2", "stranger"), nil)
		if got := e.members(t, "r1"); len(got) != 1 || got["m1"] != "Owner" {
			t.Fatalf("members = %v, want m1 as Owner only", got)
		}
	})
	t.Run("LastMemberDismisses", func(t *testing.T) {
		e.ok(t, "kick_user_out", kick("m1"), nil)
		e.want(t, 100004, "get_room_info", map[string]string{"RoomId": "r1"})
	})
	t.Run("NoRoom", func(t *testing.T) { e.want(t, 100004, "kick_user_out", kick("m1")) })
	t.Run("Empty", func(t *testing.T) { e.want(t, 100002, "kick_user_out", kick()) })
	t.Run("TooMany", func(t *testing.T) {
		ids := make([]string, 21)
		for i := range ids {
			ids[i] = fmt.Sprint("u", i)
		}
		e.want(t, 100002, "kick_user_out", kick(ids...))
	})
	t.Run("AccountNotString", func(t *testing.T) {
		e.want(t, 100002, "kick_user_out", `{"RoomId": "r1", "MemberList_Account": [1]}`)
	})
	t.Run("EmptyAccount", func(t *testing.T) { e.want(t, 100002, "kick_user_out", kick("")) })
	t.Run("ReasonTooLong", func(t *testing.T) {
		e.want(t, 100002, "kick_user_out", map[string]any{"RoomId": "r1", "MemberList_Account": []string{"m1"}, "Reason": strings.Repeat("r", 1001)})
	})
}
