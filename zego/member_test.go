package zego_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// memberRoles returns user -> MemberRole of a group, read through QueryGroupMemberList.
func memberRoles(tb testing.TB, s *Server, app uint32, group string) map[string]int {
	tb.Helper()
	roles := map[string]int{}
	next := 0
	for i := 0; i < 100; i++ {
		r := s.MustCall(tb, app, "QueryGroupMemberList", map[string]any{"GroupId": group, "Limit": 7, "Next": next})
		for _, m := range r.MemberList {
			roles[m.UserId] = m.MemberRole
		}
		if next = r.Next; next == 0 {
			return roles
		}
	}
	tb.Fatalf("QueryGroupMemberList of %s did not end", group)
	return nil
}

func TestInviteUsersIntoGroup(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own")
	s.Register(t, appOpen, "a", "b", "c", "d")
	t.Run("UserIds", func(t *testing.T) {
		r := s.Call(t, appOpen, "InviteUsersIntoGroup", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{"a", "ghost", "own"}})
		WantCode(t, r, 0)
		WantItems(t, r.ErrorUsers, "ghost", 660500002)
	})
	t.Run("GroupMemberInfos", func(t *testing.T) {
		joined := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		s.MustCall(t, appOpen, "InviteUsersIntoGroup", map[string]any{"FromUserId": "a", "GroupId": "g1", "GroupMemberInfos": []map[string]any{
			{"UserId": "b", "EnterGroupTime": joined.UnixMilli(), "IsInvite": true},
			{"UserId": "c", "IsInvite": 1},
		}})
		members, _, err := s.Svc.Members(context.Background(), appOpen, "g1", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != 4 || members[0].UserID != "b" || !members[0].JoinedAt.Equal(joined) {
			t.Fatalf("members %+v, want 4 with b first, joined at %v", members, joined)
		}
	})
	t.Run("AllFailed", func(t *testing.T) {
		r := s.Call(t, appOpen, "InviteUsersIntoGroup", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{"ghost", "ghost2"}})
		WantCode(t, r, 660500002)
		WantItems(t, r.ErrorUsers, "ghost", 660500002, "ghost2", 660500002)
	})
	for name, tc := range map[string]struct {
		p    map[string]any
		want int64
	}{
		"NoGroup":          {map[string]any{"FromUserId": "own", "GroupId": "nope", "UserIds": []string{"d"}}, 660600001},
		"OperatorUnknown":  {map[string]any{"FromUserId": "ghost", "GroupId": "g1", "UserIds": []string{"d"}}, 660500002},
		"Empty":            {map[string]any{"FromUserId": "own", "GroupId": "g1"}, 660000002},
		"TooMany":          {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": users("x", 60), "GroupMemberInfos": userInfos(users("y", 41)...)}, 660000011},
		"UserIDTooLong":    {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{strings.Repeat("d", 65)}}, 660000002},
		"UserID33Bytes":    {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{strings.Repeat("d", 33)}}, 660500002},
		"UserIDNUL":        {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{"d\x00"}}, 660000002},
		"NegativeTime":     {map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupMemberInfos": []map[string]any{{"UserId": "d", "EnterGroupTime": -5}}}, 660000002},
		"FromUserIDTooLng": {map[string]any{"FromUserId": strings.Repeat("o", 65), "GroupId": "g1", "UserIds": []string{"d"}}, 660000002},
		"FromUserID33":     {map[string]any{"FromUserId": strings.Repeat("o", 33), "GroupId": "g1", "UserIds": []string{"d"}}, 660500002},
	} {
		t.Run(name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "InviteUsersIntoGroup", tc.p), tc.want)
		})
	}
	t.Run("Banned", func(t *testing.T) {
		if _, err := s.Svc.BanMembers(context.Background(), roomd.Actor{ID: "admin", Admin: true}, appOpen, "g1", []string{"d"}, 0, ""); err != nil {
			t.Fatal(err)
		}
		r := s.Call(t, appOpen, "InviteUsersIntoGroup", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{"d"}})
		WantCode(t, r, 660000003)
		WantItems(t, r.ErrorUsers, "d", 660000003)
	})
}

func TestKickoutGroupUser(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "a", "b", "c")
	t.Run("Partial", func(t *testing.T) {
		r := s.Call(t, appOpen, "KickoutGroupUser", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": []string{"a", "zed"}, "CustomReason": "spam"})
		WantCode(t, r, 0)
		WantItems(t, r.ErrorList, "zed", 660600008)
	})
	t.Run("AllNotMembers", func(t *testing.T) {
		r := s.Call(t, appOpen, "KickoutGroupUser", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": []string{"a"}})
		WantCode(t, r, 660600008)
		WantItems(t, r.ErrorList, "a", 660600008)
	})
	t.Run("OwnerSuccession", func(t *testing.T) {
		s.MustCall(t, appOpen, "KickoutGroupUser", map[string]any{"FromUserId": "b", "GroupId": "g1", "UserId": []string{"own"}})
		info := s.MustCall(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "b", "GroupId": "g1"})
		roles := memberRoles(t, s, appOpen, "g1")
		if info.GroupOwner == "own" || roles[info.GroupOwner] != 1 || len(roles) != 2 {
			t.Fatalf("after kicking the owner: GroupOwner %q, roles %v; want a remaining member as owner", info.GroupOwner, roles)
		}
	})
	t.Run("LastMemberDismisses", func(t *testing.T) {
		s.MustCall(t, appOpen, "KickoutGroupUser", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": []string{"b", "c"}})
		WantCode(t, s.Call(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "own", "GroupId": "g1"}), 660600001)
	})
	for name, tc := range map[string]struct {
		p    map[string]any
		want int64
	}{
		"NoGroup":         {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": []string{"a"}}, 660600001},
		"OperatorUnknown": {map[string]any{"FromUserId": "ghost", "GroupId": "g1", "UserId": []string{"a"}}, 660500002},
		"TooMany":         {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": users("x", 51)}, 660000011},
		"Empty":           {map[string]any{"FromUserId": "own", "GroupId": "g1"}, 660000002},
		"ReasonTooLong":   {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": []string{"a"}, "CustomReason": strings.Repeat("r", 33)}, 660000002},
		"UserIDTooLong":   {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": []string{strings.Repeat("a", 65)}}, 660000002},
		"ReasonNUL":       {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": []string{"a"}, "CustomReason": "r\x00"}, 660000002},
		"UserIDWrongType": {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": "a"}, 660000002},
	} {
		t.Run(name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "KickoutGroupUser", tc.p), tc.want)
		})
	}
}

func TestQueryGroupMemberList(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", users("m", 20)...)
	s.MustCall(t, appOpen, "SetGroupMemberRole", map[string]any{"FromUserId": "own", "GroupId": "g1", "ToUserId": "m3", "Role": 2})
	t.Run("Pages", func(t *testing.T) {
		roles := memberRoles(t, s, appOpen, "g1")
		if len(roles) != 21 || roles["own"] != 1 || roles["m3"] != 2 || roles["m4"] != 3 {
			t.Fatalf("roles = %v, want 21 members with own 1, m3 2, others 3", roles)
		}
	})
	t.Run("Fields", func(t *testing.T) {
		r := s.MustCall(t, appOpen, "QueryGroupMemberList", map[string]any{"GroupId": "g1", "Limit": 1})
		if r.TotalCount != 21 || r.Next != 1 || len(r.MemberList) != 1 || r.MemberList[0].UserName == "" {
			t.Fatalf("got %s, want TotalCount 21, Next 1 and one named member", r.Raw)
		}
	})
	t.Run("DefaultLimit", func(t *testing.T) {
		if r := s.MustCall(t, appOpen, "QueryGroupMemberList", map[string]any{"GroupId": "g1"}); len(r.MemberList) != 21 || r.Next != 0 {
			t.Fatalf("got %s, want all 21 members and Next 0", r.Raw)
		}
	})
	for name, tc := range map[string]struct {
		p    map[string]any
		want int64
	}{
		"NoGroup":     {map[string]any{"GroupId": "nope"}, 660600001},
		"NoGroupId":   {map[string]any{}, 660000002},
		"LimitTooBig": {map[string]any{"GroupId": "g1", "Limit": 1001}, 660000002},
		"LimitString": {map[string]any{"GroupId": "g1", "Limit": "5"}, 660000002},
		"LimitFloat":  {map[string]any{"GroupId": "g1", "Limit": 1.5}, 660000002},
	} {
		t.Run(name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "QueryGroupMemberList", tc.p), tc.want)
		})
	}
}

func TestSetGroupMemberRole(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "a", "b")
	s.Register(t, appOpen, "outsider")
	set := func(from, to string, role any) *Reply {
		return s.Call(t, appOpen, "SetGroupMemberRole", map[string]any{"FromUserId": from, "GroupId": "g1", "ToUserId": to, "Role": role})
	}
	t.Run("Admin", func(t *testing.T) {
		WantCode(t, set("own", "a", 2), 0)
		WantCode(t, set("a", "b", 150), 0)
		if roles := memberRoles(t, s, appOpen, "g1"); roles["a"] != 2 || roles["b"] != 150 {
			t.Fatalf("roles = %v, want a 2 and b 150", roles)
		}
	})
	for name, tc := range map[string]struct {
		from, to string
		role     any
		want     int64
	}{
		"OwnerRole":       {"own", "a", 1, 660600029},
		"OwnersRole":      {"a", "own", 3, 660600029},
		"Self":            {"a", "a", 3, 660600030},
		"NotPermitted":    {"b", "a", 3, 660600032},
		"OutsiderOp":      {"outsider", "a", 3, 660600032},
		"TargetNotMember": {"own", "outsider", 3, 660600024},
		"OperatorUnknown": {"ghost", "a", 3, 660500002},
		"RoleInvalid":     {"own", "a", 4, 660000002},
		"RoleMissing":     {"own", "a", 0, 660000002},
		"RoleNotInt":      {"own", "a", "x", 660000002},
		"ToUserIdLong":    {"own", strings.Repeat("t", 65), 3, 660000002},
		"ToUserId33Bytes": {"own", strings.Repeat("t", 33), 3, 660600024},
	} {
		t.Run(name, func(t *testing.T) {
			WantCode(t, set(tc.from, tc.to, tc.role), tc.want)
		})
	}
	t.Run("NoGroup", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "SetGroupMemberRole", map[string]any{"FromUserId": "own", "GroupId": "g9", "ToUserId": "a", "Role": 3}), 660600001)
	})
}

func TestTransferGroupOwner(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "a")
	s.Register(t, appOpen, "outsider")
	transfer := func(from, to string) *Reply {
		return s.Call(t, appOpen, "TransferGroupOwner", map[string]any{"FromUserId": from, "GroupId": "g1", "NewOwner": to})
	}
	t.Run("ByNonOwner", func(t *testing.T) {
		WantCode(t, transfer("outsider", "a"), 0)
		roles := memberRoles(t, s, appOpen, "g1")
		info := s.MustCall(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "a", "GroupId": "g1"})
		if roles["a"] != 1 || roles["own"] != 3 || info.GroupOwner != "a" {
			t.Fatalf("roles %v, GroupOwner %q; want a owner (1), own member (3)", roles, info.GroupOwner)
		}
	})
	t.Run("ToCurrentOwner", func(t *testing.T) {
		before := s.MustCall(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "a", "GroupId": "g1"})
		WantCode(t, transfer("a", "a"), 0)
		after := s.MustCall(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "a", "GroupId": "g1"})
		if after.GroupOwner != "a" || after.GroupDataSeq != before.GroupDataSeq {
			t.Fatalf("after a no-op transfer: owner %q seq %d, want a and seq %d", after.GroupOwner, after.GroupDataSeq, before.GroupDataSeq)
		}
	})
	for name, tc := range map[string]struct {
		from, to string
		want     int64
	}{
		"NotMember":       {"own", "outsider", 660600024},
		"OperatorUnknown": {"ghost", "own", 660500002},
		"NewOwnerMissing": {"own", "", 660000002},
		"NewOwnerTooLong": {"own", strings.Repeat("n", 65), 660000002},
		"NewOwner33Bytes": {"own", strings.Repeat("n", 33), 660600024},
		"NewOwnerQuote":   {"own", "a\"b", 660600024},
		"NewOwnerControl": {"own", "a\x01b", 660000002},
	} {
		t.Run(name, func(t *testing.T) {
			WantCode(t, transfer(tc.from, tc.to), tc.want)
		})
	}
	t.Run("NoGroup", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "TransferGroupOwner", map[string]any{"FromUserId": "own", "GroupId": "g9", "NewOwner": "a"}), 660600001)
	})
}
