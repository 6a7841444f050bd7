package server_test

import (
	"strings"
	"testing"
)

// TestTencentIDsThroughZEGO: a room whose id has a space and an emoji, and
// users whose ids ZEGO could not create, made through Tencent, are queried,
// transferred and dismissed through ZEGO; ZEGO's own charset still applies
// when an id is created through it.
func TestTencentIDsThroughZEGO(t *testing.T) {
	s := newStack(t, nil)
	const room, owner, heir = "team room 😀", "dave smith", "erin 😀"
	s.mustTencent(t, "multiaccount_import", map[string]any{"AccountList": []map[string]string{{"UserID": owner}, {"UserID": heir}}})
	s.mustTencent(t, "create_room", map[string]any{"RoomInfo": map[string]string{"RoomId": room, "Owner_Account": owner}})

	t.Run("InviteThroughZEGO", func(t *testing.T) {
		s.mustZEGO(t, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": owner, "GroupId": room, "UserIds": []string{heir}})
	})
	t.Run("QueryGroupInfo", func(t *testing.T) {
		got := s.mustZEGO(t, "QueryGroupInfo", nil, map[string]string{"FromUserId": heir, "GroupId": room})
		if got.GroupId != room || got.GroupOwner != owner || got.MemberCount != 2 {
			t.Fatalf("got GroupId %q, GroupOwner %q, MemberCount %d; want %q, %q, 2", got.GroupId, got.GroupOwner, got.MemberCount, room, owner)
		}
	})
	t.Run("QueryGroupInfoInQuery", func(t *testing.T) {
		got := s.mustZEGO(t, "QueryGroupInfo", map[string]string{"FromUserId": owner, "GroupId": room}, nil)
		if got.GroupId != room {
			t.Fatalf("got GroupId %q, want %q", got.GroupId, room)
		}
	})
	t.Run("TransferGroupOwner", func(t *testing.T) {
		// A GET action: the ids travel percent-encoded in the query.
		s.mustZEGO(t, "TransferGroupOwner", map[string]string{"FromUserId": owner, "GroupId": room, "NewOwner": heir}, nil)
		if got := s.mustTencent(t, "get_room_info", map[string]string{"RoomId": room}).Response.RoomInfo.Owner_Account; got != heir {
			t.Fatalf("Tencent sees owner %q, want %q", got, heir)
		}
	})
	t.Run("DismissGroup", func(t *testing.T) {
		s.mustZEGO(t, "DismissGroup", map[string]string{"FromUserId": heir, "GroupId": room}, nil)
		if got := s.tencent(t, "get_room_info", map[string]string{"RoomId": room}); got.ErrorCode != 100004 {
			t.Fatalf("get_room_info after DismissGroup: got %s, want 100004", got.raw)
		}
	})
	t.Run("RoomId48Bytes", func(t *testing.T) {
		id := strings.Repeat("r", 44) + "😀" // 48 bytes: Tencent's limit, over ZEGO's 32
		s.mustTencent(t, "create_room", map[string]any{"RoomInfo": map[string]string{"RoomId": id, "Owner_Account": owner}})
		if got := s.mustZEGO(t, "QueryGroupInfo", nil, map[string]string{"FromUserId": owner, "GroupId": id}); got.GroupOwner != owner {
			t.Fatalf("got GroupOwner %q, want %q", got.GroupOwner, owner)
		}
	})
	t.Run("QueryUserInfos", func(t *testing.T) {
		if got := s.mustZEGO(t, "QueryUserInfos", nil, map[string]any{"UserIds": []string{owner, heir}}); len(got.ErrorList) != 0 {
			t.Fatalf("got %s, want both users found", got.raw)
		}
	})
	// Ids created through ZEGO follow ZEGO's rule.
	for _, tc := range []struct {
		name, action string
		body         any
		want         int64
	}{
		{"CreateGroupSpaceRefused", "CreateGroup", map[string]any{"GroupId": "a room", "GroupOwner": owner}, 660000002},
		{"CreateGroupEmojiRefused", "CreateGroup", map[string]any{"GroupId": "room😀", "GroupOwner": owner}, 660000002},
		{"UserRegisterSpaceRefused", "UserRegister", map[string]any{"UserInfo": []map[string]string{{"UserId": "new user"}}}, 660000002},
		{"UserRegister33BytesRefused", "UserRegister", map[string]any{"UserInfo": []map[string]string{{"UserId": strings.Repeat("u", 33)}}}, 660000012},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.zego(t, tc.action, nil, tc.body); got.Code != tc.want {
				t.Fatalf("got %s, want Code %d", got.raw, tc.want)
			}
		})
	}
}

// TestZEGOIDsThroughTencent: ids made through ZEGO with characters Tencent
// clients rarely use (a generated '#' GroupId, ', -, !, # in ids) are
// addressed through every Tencent command that names a room or account.
func TestZEGOIDsThroughTencent(t *testing.T) {
	s := newStack(t, nil)
	const owner, heir, guest = "o'neil", "a-b", "#x!"
	s.mustZEGO(t, "UserRegister", nil, map[string]any{"UserInfo": []map[string]string{{"UserId": owner}, {"UserId": heir}, {"UserId": guest}}})
	gen := s.mustZEGO(t, "CreateGroup", nil, map[string]any{"GroupOwner": owner, "UserId": []string{heir, guest}}).GroupId
	if !strings.HasPrefix(gen, "#") {
		t.Fatalf("generated GroupId %q, want it to start with #", gen)
	}
	const chosen = "it's-a-room!{~}"
	s.mustZEGO(t, "CreateGroup", nil, map[string]any{"GroupId": chosen, "GroupOwner": owner, "UserId": []string{heir}})

	for name, room := range map[string]string{"Generated": gen, "Chosen": chosen} {
		t.Run("GetRoomInfo"+name, func(t *testing.T) {
			got := s.mustTencent(t, "get_room_info", map[string]string{"RoomId": room}).Response.RoomInfo
			if got.RoomId != room || got.Owner_Account != owner {
				t.Fatalf("got RoomId %q owner %q, want %q and %q", got.RoomId, got.Owner_Account, room, owner)
			}
		})
	}
	t.Run("AccountCheck", func(t *testing.T) {
		got := s.mustTencent(t, "account_check", map[string]any{"CheckItem": []map[string]string{{"UserID": owner}, {"UserID": guest}}})
		if len(got.ResultItem) != 2 || got.ResultItem[0].AccountStatus != "Imported" || got.ResultItem[1].AccountStatus != "Imported" {
			t.Fatalf("got %s, want both Imported", got.raw)
		}
	})
	t.Run("MemberList", func(t *testing.T) {
		got := s.mustTencent(t, "get_room_member_list", map[string]string{"RoomId": gen})
		if len(got.Response.MemberList) != 3 {
			t.Fatalf("got %s, want 3 members", got.raw)
		}
	})
	t.Run("UpdateMemberInfo", func(t *testing.T) {
		s.mustTencent(t, "update_room_member_info", map[string]any{"RoomId": gen, "MemberInfo": map[string]string{"Member_Account": guest, "Role": "Admin"}})
	})
	t.Run("ChangeRoomOwner", func(t *testing.T) {
		s.mustTencent(t, "change_room_owner", map[string]string{"RoomId": gen, "From_Account": owner, "NewOwner_Account": heir})
		if got := s.mustZEGO(t, "QueryGroupInfo", nil, map[string]string{"FromUserId": owner, "GroupId": gen}); got.GroupOwner != heir {
			t.Fatalf("ZEGO sees owner %q, want %q", got.GroupOwner, heir)
		}
	})
	t.Run("KickAndBan", func(t *testing.T) {
		s.mustTencent(t, "kick_user_out", map[string]any{"RoomId": gen, "MemberList_Account": []string{guest}})
		s.mustTencent(t, "ban_room_member", map[string]any{"RoomId": chosen, "MemberList_Account": []string{guest}})
		if got := s.zego(t, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": owner, "GroupId": chosen, "UserIds": []string{guest}}); got.Code != 660000003 {
			t.Fatalf("invite of a banned user: got %s, want 660000003", got.raw)
		}
		s.mustTencent(t, "unban_room_member", map[string]any{"RoomId": chosen, "MemberList_Account": []string{guest}})
	})
	t.Run("DestroyRoom", func(t *testing.T) {
		s.mustTencent(t, "destroy_room", map[string]string{"RoomId": gen})
		if got := s.zego(t, "QueryGroupInfo", nil, map[string]string{"FromUserId": owner, "GroupId": gen}); got.Code != 660600001 {
			t.Fatalf("QueryGroupInfo after destroy_room: got %s, want 660600001", got.raw)
		}
	})
	t.Run("AccountDelete", func(t *testing.T) {
		got := s.mustTencent(t, "account_delete", map[string]any{"DeleteItem": []map[string]string{{"UserID": guest}}})
		if len(got.ResultItem) != 1 || got.ResultItem[0].UserID != guest || got.ResultItem[0].ResultCode != 0 {
			t.Fatalf("got %s, want one result for %q with ResultCode 0", got.raw, guest)
		}
	})
}
