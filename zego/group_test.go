package zego_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCreateGroup(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "own", "m1", "m2")
	t.Run("OK", func(t *testing.T) {
		created := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		r := s.Call(t, appOpen, "CreateGroup", map[string]any{
			"GroupId": "g1", "GroupName": "G", "GroupNotice": "hello", "GroupAvatar": "https://a/g.png", "GroupOwner": "own",
			"UserId": []string{"m1", "own", "ghost", "m2", "m1"}, "CreateGroupTime": created,
			"Attributes": []map[string]string{{"Key": "k", "Value": "v"}},
		})
		WantCode(t, r, 0)
		WantItems(t, r.ErrorUsers, "ghost", 660500002)
		if r.GroupId != "g1" || len(r.Members) != 3 || r.Members[0].UserId != "own" || r.Members[0].UserName != "name-own" || r.Members[1].UserId != "m1" || r.Members[2].UserId != "m2" {
			t.Fatalf("CreateGroup got %s, want g1 with own, m1, m2", r.Raw)
		}
		info := s.MustCall(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "m1", "GroupId": "g1"})
		if info.GroupName != "G" || info.GroupNotice != "hello" || info.GroupAvatar != "https://a/g.png" || info.GroupOwner != "own" ||
			info.GroupCreateTime != created || info.MemberCount != 3 || len(info.GroupAttributes) != 1 || info.GroupAttributes[0].Key != "k" || info.GroupDataSeq < 4 {
			t.Fatalf("QueryGroupInfo got %s, want the created group", info.Raw)
		}
	})
	t.Run("GeneratedID", func(t *testing.T) {
		r := s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupOwner": "own"})
		if !strings.HasPrefix(r.GroupId, "#") || len(r.Members) != 1 {
			t.Fatalf("CreateGroup got %s, want a generated '#' id and the owner as only member", r.Raw)
		}
		s.MustCall(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "own", "GroupId": r.GroupId})
	})
	t.Run("Exists", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "CreateGroup", map[string]any{"GroupId": "g1", "GroupOwner": "own"}), 660600011)
	})
	t.Run("OwnerNotRegistered", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "CreateGroup", map[string]any{"GroupId": "g2", "GroupOwner": "ghost"}), 660600013)
	})
	t.Run("TooManyMembers", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "CreateGroup", map[string]any{"GroupId": "g2", "GroupOwner": "own", "UserId": users("m", 101)}), 660600016)
	})
	attrs := func(n int) []map[string]string {
		out := make([]map[string]string, n)
		for i := range out {
			out[i] = map[string]string{"Key": string(rune('a' + i)), "Value": "v"}
		}
		return out
	}
	bad := map[string]map[string]any{
		"LeadingHash":      {"GroupId": "#mine", "GroupOwner": "own"},
		"GroupIDTooLong":   {"GroupId": strings.Repeat("g", 33), "GroupOwner": "own"},
		"GroupIDBadChar":   {"GroupId": "g 1", "GroupOwner": "own"},
		"OwnerMissing":     {"GroupId": "g2"},
		"OwnerTooLong":     {"GroupId": "g2", "GroupOwner": strings.Repeat("o", 65)},
		"OwnerControlChar": {"GroupId": "g2", "GroupOwner": "o\x01"},
		"MemberIDTooLong":  {"GroupId": "g2", "GroupOwner": "own", "UserId": []string{strings.Repeat("m", 65)}},
		"NameNUL":          {"GroupId": "g2", "GroupOwner": "own", "GroupName": "a\x00b"},
		"NoticeNUL":        {"GroupId": "g2", "GroupOwner": "own", "GroupNotice": "a\x00b"},
		"AttrValueNUL":     {"GroupId": "g2", "GroupOwner": "own", "Attributes": []map[string]string{{"Key": "k", "Value": "\x00"}}},
		"GroupIDNUL":       {"GroupId": "g\x00", "GroupOwner": "own"},
		"NameTooLong":      {"GroupId": "g2", "GroupOwner": "own", "GroupName": strings.Repeat("n", 51)},
		"NoticeTooLong":    {"GroupId": "g2", "GroupOwner": "own", "GroupNotice": strings.Repeat("n", 301)},
		"AvatarTooLong":    {"GroupId": "g2", "GroupOwner": "own", "GroupAvatar": strings.Repeat("n", 501)},
		"TooManyAttrs":     {"GroupId": "g2", "GroupOwner": "own", "Attributes": attrs(11)},
		"AttrKeyTooLong":   {"GroupId": "g2", "GroupOwner": "own", "Attributes": []map[string]string{{"Key": strings.Repeat("k", 17)}}},
		"AttrValueTooLong": {"GroupId": "g2", "GroupOwner": "own", "Attributes": []map[string]string{{"Key": "k", "Value": strings.Repeat("v", 1025)}}},
		"AttrKeyRepeated":  {"GroupId": "g2", "GroupOwner": "own", "Attributes": []map[string]string{{"Key": "k"}, {"Key": "k"}}},
		"NegativeTime":     {"GroupId": "g2", "GroupOwner": "own", "CreateGroupTime": -1},
		"TimeAfter9999":    {"GroupId": "g2", "GroupOwner": "own", "CreateGroupTime": int64(253402300800000)},
		"GroupIDNumber":    {"GroupId": 42, "GroupOwner": "own"},
	}
	for name, p := range bad {
		t.Run(name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "CreateGroup", p), 660000002)
		})
	}
	// Owner and members are existing users: any id the domain accepts
	// (created through Tencent, say) is looked up, not refused.
	t.Run("Owner33BytesNotRegistered", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "CreateGroup", map[string]any{"GroupId": "g2", "GroupOwner": strings.Repeat("o", 33)}), 660600013)
	})
	t.Run("Member33BytesNotRegistered", func(t *testing.T) {
		long := strings.Repeat("m", 33)
		r := s.Call(t, appOpen, "CreateGroup", map[string]any{"GroupId": "g4", "GroupOwner": "own", "UserId": []string{long}})
		WantCode(t, r, 0)
		WantItems(t, r.ErrorUsers, long, 660500002)
	})
	t.Run("TenAttributes", func(t *testing.T) {
		s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupId": "g3", "GroupOwner": "own", "Attributes": attrs(10)})
	})
}

func TestDismissGroup(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "m1")
	s.Register(t, appOpen, "outsider")
	t.Run("OperatorNotRegistered", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "DismissGroup", map[string]any{"FromUserId": "ghost", "GroupId": "g1"}), 660500002)
	})
	t.Run("MissingGroupId", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "DismissGroup", map[string]any{"FromUserId": "own"}), 660000002)
	})
	t.Run("AnyRegisteredUser", func(t *testing.T) {
		s.MustCall(t, appOpen, "DismissGroup", map[string]any{"FromUserId": "outsider", "GroupId": "g1"})
		if _, err := s.Svc.Room(context.Background(), appOpen, "g1"); err == nil {
			t.Fatalf("group g1 still exists after DismissGroup")
		}
	})
	t.Run("NoGroup", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "DismissGroup", map[string]any{"FromUserId": "own", "GroupId": "g1"}), 660600001)
	})
	t.Run("RecreateKeepsLog", func(t *testing.T) {
		s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupId": "g1", "GroupOwner": "own"})
		info := s.MustCall(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "own", "GroupId": "g1"})
		if info.GroupDataSeq <= 4 {
			t.Fatalf("GroupDataSeq of re-created group = %d, want it to continue past the first life's events", info.GroupDataSeq)
		}
	})
}

func TestQueryGroupInfo(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own")
	for name, tc := range map[string]struct {
		p    map[string]any
		want int64
	}{
		"NoGroup":            {map[string]any{"FromUserId": "own", "GroupId": "nope"}, 660600001},
		"OperatorUnknown":    {map[string]any{"FromUserId": "ghost", "GroupId": "g1"}, 660500002},
		"OperatorMissing":    {map[string]any{"GroupId": "g1"}, 660000002},
		"GroupIDTooLong":     {map[string]any{"FromUserId": "own", "GroupId": strings.Repeat("g", 65)}, 660000002},
		"GroupID33Bytes":     {map[string]any{"FromUserId": "own", "GroupId": strings.Repeat("g", 33)}, 660600001},
		"GroupIDSpace":       {map[string]any{"FromUserId": "own", "GroupId": "g 1"}, 660600001},
		"GroupIDWrongType":   {map[string]any{"FromUserId": "own", "GroupId": 7}, 660000002},
		"FromUserIDBadChars": {map[string]any{"FromUserId": "o\x00n", "GroupId": "g1"}, 660000002},
	} {
		t.Run(name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "QueryGroupInfo", tc.p), tc.want)
		})
	}
}

func TestQueryAppGroupList(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "own")
	for _, g := range []string{"g3", "g1", "g5", "g2", "g4"} {
		s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupId": g, "GroupOwner": "own", "GroupName": "name " + g})
	}
	t.Run("Pages", func(t *testing.T) {
		var got []string
		next := 0
		for i := 0; i < 5; i++ {
			r := s.MustCall(t, appOpen, "QueryAppGroupList", map[string]any{"Limit": 2, "Next": next})
			if r.TotalCount != 5 {
				t.Fatalf("TotalCount = %d, want 5", r.TotalCount)
			}
			for _, g := range r.GroupIdList {
				got = append(got, g.GroupId+"/"+g.GroupName)
			}
			if next = r.Next; next == 0 {
				break
			}
		}
		if want := "g1/name g1,g2/name g2,g3/name g3,g4/name g4,g5/name g5"; strings.Join(got, ",") != want {
			t.Fatalf("groups = %v, want %s", got, want)
		}
	})
	t.Run("DefaultLimit", func(t *testing.T) {
		r := s.MustCall(t, appOpen, "QueryAppGroupList", map[string]any{})
		if len(r.GroupIdList) != 5 || r.Next != 0 {
			t.Fatalf("got %s, want all 5 groups and Next 0", r.Raw)
		}
	})
	t.Run("PastTheEnd", func(t *testing.T) {
		r := s.MustCall(t, appOpen, "QueryAppGroupList", map[string]any{"Next": 50})
		if len(r.GroupIdList) != 0 || r.Next != 0 || r.TotalCount != 5 {
			t.Fatalf("got %s, want no groups, Next 0, TotalCount 5", r.Raw)
		}
	})
	for name, p := range map[string]map[string]any{
		"LimitTooBig":   {"Limit": 10001},
		"LimitNegative": {"Limit": -1},
		"NextNegative":  {"Next": -1},
		"LimitNotInt":   {"Limit": "ten"},
	} {
		t.Run(name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "QueryAppGroupList", p), 660000002)
		})
	}
	t.Run("MaxLimit", func(t *testing.T) {
		s.MustCall(t, appOpen, "QueryAppGroupList", map[string]any{"Limit": 10000})
	})
}
