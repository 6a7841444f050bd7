package zego_test

import (
	"fmt"
	"strings"
	"testing"
)

// users returns n user ids with prefix.
func users(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return ids
}

func userInfos(ids ...string) []map[string]any {
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"UserId": id, "UserName": "n" + id}
	}
	return out
}

func TestUserRegister(t *testing.T) {
	s := MustOpenServer(t)
	t.Run("OK", func(t *testing.T) {
		s.MustCall(t, appOpen, "UserRegister", map[string]any{"UserInfo": []map[string]any{
			{"UserId": "alice", "UserName": "Alice", "UserAvatar": "https://a.example/a.png"},
			{"UserId": "b-o'b!#$%&()+:;<=.>?@[]^_{}|~"},
		}})
		r := s.MustCall(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"alice"}})
		if len(r.Result) != 1 || r.Result[0].UserName != "Alice" || r.Result[0].UserAvatar != "https://a.example/a.png" {
			t.Fatalf("QueryUserInfos got %s, want alice's profile", r.Raw)
		}
	})
	t.Run("PartlyRegistered", func(t *testing.T) {
		r := s.Call(t, appOpen, "UserRegister", map[string]any{"UserInfo": userInfos("alice", "carol")})
		WantCode(t, r, 0)
		WantItems(t, r.ErrorList, "alice", 660700002)
	})
	t.Run("AllRegistered", func(t *testing.T) {
		r := s.Call(t, appOpen, "UserRegister", map[string]any{"UserInfo": userInfos("alice", "carol")})
		WantCode(t, r, 660700002)
		WantItems(t, r.ErrorList, "alice", 660700002, "carol", 660700002)
	})
	t.Run("Hundred", func(t *testing.T) {
		s.MustCall(t, appOpen, "UserRegister", map[string]any{"UserInfo": userInfos(users("h", 100)...)})
	})
	bad := []struct {
		name string
		info []map[string]any
		want int64
	}{
		{"Empty", nil, 660000002},
		{"TooMany", userInfos(users("x", 101)...), 660000011},
		{"IDTooLong", userInfos(strings.Repeat("a", 33)), 660000012},
		{"IDEmpty", userInfos(""), 660000002},
		{"IDSpace", userInfos("a b"), 660000002},
		{"IDNonASCII", userInfos("zoë"), 660000002},
		{"IDSlash", userInfos("a/b"), 660000002},
		{"NameTooLong", []map[string]any{{"UserId": "n1", "UserName": strings.Repeat("n", 257)}}, 660000002},
		{"AvatarTooLong", []map[string]any{{"UserId": "n1", "UserAvatar": strings.Repeat("a", 501)}}, 660000002},
		{"NameWrongType", []map[string]any{{"UserId": "n1", "UserName": 5}}, 660000002},
		{"NameNUL", []map[string]any{{"UserId": "n1", "UserName": "a\x00b"}}, 660000002},
		{"NameNewline", []map[string]any{{"UserId": "n1", "UserName": "a\nb"}}, 660000002},
		{"AvatarNUL", []map[string]any{{"UserId": "n1", "UserAvatar": "\x00"}}, 660000002},
		{"IDEmoji", userInfos("a😀"), 660000002},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "UserRegister", map[string]any{"UserInfo": tc.info}), tc.want)
		})
	}
	t.Run("ID32Bytes", func(t *testing.T) {
		s.MustCall(t, appOpen, "UserRegister", map[string]any{"UserInfo": userInfos(strings.Repeat("a", 32))})
	})
}

func TestQueryUserInfos(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "u1", "u2")
	t.Run("Partial", func(t *testing.T) {
		r := s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"u1", "ghost", "u2"}})
		WantCode(t, r, 0)
		WantItems(t, r.ErrorList, "ghost", 660500002)
		if len(r.Result) != 2 || r.Result[0].UserId != "u1" || r.Result[1].UserName != "name-u2" {
			t.Fatalf("Result got %s, want u1 and u2", r.Raw)
		}
	})
	t.Run("AllMissing", func(t *testing.T) {
		r := s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{"ghost"}})
		WantCode(t, r, 660500002)
		WantItems(t, r.ErrorList, "ghost", 660500002)
	})
	t.Run("OtherApp", func(t *testing.T) {
		WantCode(t, s.Call(t, appLimited, "QueryUserInfos", map[string]any{"UserIds": []string{"u1"}}), 660500002)
	})
	t.Run("Empty", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "QueryUserInfos", map[string]any{}), 660000002)
	})
	t.Run("TooMany", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": users("u", 101)}), 660000011)
	})
	t.Run("IDTooLong", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{strings.Repeat("u", 65)}}), 660000002)
	})
	t.Run("ID33BytesNotRegistered", func(t *testing.T) {
		long := strings.Repeat("u", 33)
		r := s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{long}})
		WantCode(t, r, 660500002)
		WantItems(t, r.ErrorList, long, 660500002)
	})
	t.Run("WrongType", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": "u1"}), 660000002)
	})
}
