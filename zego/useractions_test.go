package zego_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/zego"
)

// decodeRaw decodes r's whole answer into a value of type T.
func decodeRaw[T any](tb testing.TB, r *Reply) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(r.Raw, &v); err != nil {
		tb.Fatalf("answer %s: %v", r.Raw, err)
	}
	return v
}

// wantRateLimit calls action on appLimited until it is refused: the first
// 20 calls at one instant pass the app-level limit, the 21st gets 660300005.
func wantRateLimit(t *testing.T, s *Server, action string, p map[string]any) {
	t.Helper()
	for i := range 20 {
		if r := s.Call(t, appLimited, action, p); r.Code == 660300005 {
			t.Fatalf("%s call %d: got 660300005, want the burst of 20 allowed", action, i+1)
		}
	}
	WantCode(t, s.Call(t, appLimited, action, p), 660300005)
}

// profile is a user's profile as QueryUserInfos answers it.
type profile struct{ UserId, UserName, UserAvatar, Extra string }

// profileOf reads a user's profile through QueryUserInfos.
func profileOf(t *testing.T, s *Server, id string) profile {
	t.Helper()
	r := s.MustCall(t, appOpen, "QueryUserInfos", map[string]any{"UserIds": []string{id}})
	if len(r.Result) != 1 {
		t.Fatalf("QueryUserInfos %s: got %s, want one profile", id, r.Raw)
	}
	return profile(r.Result[0])
}

func TestModifyUserInfo(t *testing.T) {
	s := MustOpenServer(t)
	s.MustCall(t, appOpen, "UserRegister", map[string]any{"UserInfo": []map[string]any{
		{"UserId": "alice", "UserName": "Alice", "UserAvatar": "https://a.example/a.png"}, {"UserId": "bob"},
	}})
	modify := func(infos ...map[string]any) *Reply {
		t.Helper()
		return s.Call(t, appOpen, "ModifyUserInfo", map[string]any{"UserInfo": infos})
	}
	t.Run("OmittedFieldsUnchanged", func(t *testing.T) {
		WantCode(t, modify(map[string]any{"UserId": "alice", "UserName": "Alice Liddell"}), 0)
		want := profile{"alice", "Alice Liddell", "https://a.example/a.png", ""}
		if got := profileOf(t, s, "alice"); got != want {
			t.Fatalf("after changing the name: got %+v, want %+v", got, want)
		}
		WantCode(t, modify(map[string]any{"UserId": "alice", "Extra": "{\"level\":\n3}", "UserName": nil}), 0)
		want.Extra = "{\"level\":\n3}"
		if got := profileOf(t, s, "alice"); got != want {
			t.Fatalf("after setting Extra (UserName null): got %+v, want %+v", got, want)
		}
	})
	t.Run("EmptyClears", func(t *testing.T) {
		WantCode(t, modify(map[string]any{"UserId": "alice", "UserAvatar": "", "Extra": ""}), 0)
		want := profile{"alice", "Alice Liddell", "", ""}
		if got := profileOf(t, s, "alice"); got != want {
			t.Fatalf("after clearing: got %+v, want %+v", got, want)
		}
	})
	t.Run("InOrder", func(t *testing.T) {
		WantCode(t, modify(map[string]any{"UserId": "bob", "UserName": "B1"}, map[string]any{"UserId": "bob", "UserName": "B2"}), 0)
		if got := profileOf(t, s, "bob").UserName; got != "B2" {
			t.Fatalf("after two changes: got name %q, want the last, B2", got)
		}
	})
	t.Run("MemberNamesFollow", func(t *testing.T) {
		s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupId": "g1", "GroupOwner": "alice", "UserId": []string{"bob"}})
		WantCode(t, modify(map[string]any{"UserId": "bob", "UserName": "Robert"}), 0)
		r := s.MustCall(t, appOpen, "QueryGroupMemberList", map[string]any{"GroupId": "g1"})
		names := map[string]string{}
		for _, m := range r.MemberList {
			names[m.UserId] = m.UserName
		}
		if names["bob"] != "Robert" {
			t.Fatalf("member list after the change: got %s, want bob named Robert", r.Raw)
		}
	})
	t.Run("IDFromAnotherDialect", func(t *testing.T) {
		id := "team lead 😀 " + strings.Repeat("x", 30) // 48 bytes, a space and an emoji
		if items, err := s.Svc.RegisterUsers(context.Background(), appOpen, []roomd.User{{ID: id}}, false); err != nil || len(items) > 0 {
			t.Fatalf("RegisterUsers: %v %v", items, err)
		}
		WantCode(t, modify(map[string]any{"UserId": id, "UserName": "Lead"}), 0)
		if got := profileOf(t, s, id).UserName; got != "Lead" {
			t.Fatalf("got name %q, want Lead", got)
		}
	})
	t.Run("PartlyRegistered", func(t *testing.T) {
		r := modify(map[string]any{"UserId": "alice", "UserName": "A"}, map[string]any{"UserId": "carol", "UserName": "C"})
		WantCode(t, r, 0)
		WantItems(t, r.ErrorList, "carol", 660700012)
		if got := profileOf(t, s, "alice").UserName; got != "A" {
			t.Fatalf("the registered user: got name %q, want A (changed)", got)
		}
	})
	t.Run("NoneRegistered", func(t *testing.T) {
		r := modify(map[string]any{"UserId": "carol"}, map[string]any{"UserId": "dave"})
		WantCode(t, r, 660700012)
		WantItems(t, r.ErrorList, "carol", 660700012, "dave", 660700012)
	})
	t.Run("Hundred", func(t *testing.T) {
		infos := make([]map[string]any, 100)
		for i := range infos {
			infos[i] = map[string]any{"UserId": "alice", "UserName": "n"}
		}
		WantCode(t, modify(infos...), 0)
	})
	bad := []struct {
		name string
		body string
		want int64
	}{
		{"Empty", `{"UserInfo":[]}`, 660000002},
		{"Missing", `{}`, 660000002},
		{"TooMany", `{"UserInfo":[` + strings.Repeat(`{"UserId":"alice"},`, 100) + `{"UserId":"alice"}]}`, 660000011},
		{"IDEmpty", `{"UserInfo":[{"UserName":"x"}]}`, 660000002},
		{"IDTooLong", `{"UserInfo":[{"UserId":"` + strings.Repeat("a", 65) + `"}]}`, 660000002},
		{"IDControl", `{"UserInfo":[{"UserId":"a\tb"}]}`, 660000002},
		{"NameTooLong", `{"UserInfo":[{"UserId":"alice","UserName":"` + strings.Repeat("n", 257) + `"}]}`, 660000002},
		{"AvatarTooLong", `{"UserInfo":[{"UserId":"alice","UserAvatar":"` + strings.Repeat("a", 501) + `"}]}`, 660000002},
		{"ExtraTooLong", `{"UserInfo":[{"UserId":"alice","Extra":"` + strings.Repeat("e", 2049) + `"}]}`, 660000002},
		{"NameNewline", `{"UserInfo":[{"UserId":"alice","UserName":"a\nb"}]}`, 660000002},
		{"AvatarControl", `{"UserInfo":[{"UserId":"alice","UserAvatar":"\u007f"}]}`, 660000002},
		{"ExtraNUL", `{"UserInfo":[{"UserId":"alice","Extra":"a\u0000b"}]}`, 660000002},
		{"NameWrongType", `{"UserInfo":[{"UserId":"alice","UserName":5}]}`, 660000002},
		{"NotAList", `{"UserInfo":{"UserId":"alice"}}`, 660000002},
		{"OneBadFailsAll", `{"UserInfo":[{"UserId":"bob","UserName":"changed?"},{"UserId":"alice","UserName":"a\u0000"}]}`, 660000002},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := profileOf(t, s, "bob")
			WantCode(t, s.Send(t, http.MethodPost, s.Signed(appOpen, "ModifyUserInfo", nil).Encode(), []byte(tc.body)), tc.want)
			if got := profileOf(t, s, "bob"); got != before {
				t.Fatalf("a refused request changed bob: got %+v, want %+v", got, before)
			}
		})
	}
	t.Run("Limits", func(t *testing.T) {
		WantCode(t, modify(map[string]any{"UserId": "alice", "UserName": strings.Repeat("n", 256),
			"UserAvatar": strings.Repeat("a", 500), "Extra": strings.Repeat("e", 2048)}), 0)
	})
	t.Run("RateLimit", func(t *testing.T) {
		wantRateLimit(t, s, "ModifyUserInfo", map[string]any{"UserInfo": []map[string]any{{"UserId": "alice"}}})
	})
}

// userGroups is QueryGroupsInfoOfUser's answer.
type userGroups struct {
	Code            int64
	NextRsp         *string
	HasJoinGroupNum *int64
	GroupInfoList   []struct{ GroupId, GroupName, GroupAvatar string }
}

func TestQueryGroupsInfoOfUser(t *testing.T) {
	s := MustOpenServer(t)
	s.Register(t, appOpen, "ann", "bob", "cid")
	groups := []string{"g5", "g1", "g4", "g2", "g3"} // created out of order: pages are in GroupId order
	for _, g := range groups {
		s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupId": g, "GroupName": "name " + g, "GroupAvatar": "https://a/" + g, "GroupOwner": "ann", "UserId": []string{"bob"}})
	}
	s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupId": "other", "GroupOwner": "cid"})
	query := func(user string, limit int, next string) userGroups {
		t.Helper()
		r := s.Call(t, appOpen, "QueryGroupsInfoOfUser", map[string]any{"FromUserId": user, "Limit": limit, "Next": next})
		WantCode(t, r, 0)
		a := decodeRaw[userGroups](t, r)
		if a.NextRsp == nil || a.HasJoinGroupNum == nil || a.GroupInfoList == nil {
			t.Fatalf("answer %s lacks NextRsp, HasJoinGroupNum or GroupInfoList", r.Raw)
		}
		return a
	}
	t.Run("Pages", func(t *testing.T) {
		var got []string
		next := ""
		for range 10 {
			a := query("bob", 2, next)
			if *a.HasJoinGroupNum != 5 {
				t.Fatalf("HasJoinGroupNum: got %d, want 5", *a.HasJoinGroupNum)
			}
			for _, g := range a.GroupInfoList {
				if g.GroupName != "name "+g.GroupId || g.GroupAvatar != "https://a/"+g.GroupId {
					t.Fatalf("got %+v, want its name and avatar", g)
				}
				got = append(got, g.GroupId)
			}
			if next = *a.NextRsp; next == "0" {
				break
			}
		}
		if strings.Join(got, ",") != "g1,g2,g3,g4,g5" {
			t.Fatalf("pages: got %v, want g1..g5 once each, in order", got)
		}
	})
	t.Run("OnePage", func(t *testing.T) {
		if a := query("bob", 100, ""); len(a.GroupInfoList) != 5 || *a.NextRsp != "0" {
			t.Fatalf("got %+v, want all 5 groups and NextRsp 0", a)
		}
		// Exactly Limit left: no empty page follows.
		if a := query("bob", 5, ""); len(a.GroupInfoList) != 5 || *a.NextRsp != "0" {
			t.Fatalf("Limit 5: got %+v, want all 5 groups and NextRsp 0", a)
		}
	})
	t.Run("ChangesBetweenPages", func(t *testing.T) {
		a := query("bob", 2, "") // g1, g2
		s.MustCall(t, appOpen, "KickoutGroupUser", map[string]any{"FromUserId": "ann", "GroupId": "g1", "UserId": []string{"bob"}})
		b := query("bob", 2, *a.NextRsp)
		if len(b.GroupInfoList) != 2 || b.GroupInfoList[0].GroupId != "g3" || *b.HasJoinGroupNum != 4 {
			t.Fatalf("after leaving g1: got %+v, want g3 and g4 of 4 (a left group shifts nothing)", b)
		}
	})
	t.Run("NoGroups", func(t *testing.T) {
		s.Register(t, appOpen, "dan")
		if a := query("dan", 10, ""); len(a.GroupInfoList) != 0 || *a.NextRsp != "0" || *a.HasJoinGroupNum != 0 {
			t.Fatalf("got %+v, want no groups, NextRsp 0", a)
		}
	})
	t.Run("Dismissed", func(t *testing.T) {
		s.MustCall(t, appOpen, "DismissGroup", map[string]any{"FromUserId": "ann", "GroupId": "g5"})
		if a := query("ann", 100, ""); len(a.GroupInfoList) != 4 || *a.HasJoinGroupNum != 4 {
			t.Fatalf("got %+v, want the 4 live groups", a)
		}
	})
	cursor := base64.RawURLEncoding.EncodeToString
	bad := []struct {
		name string
		p    map[string]any
		want int64
	}{
		{"Unregistered", map[string]any{"FromUserId": "nobody", "Limit": 10}, 660500002},
		{"NoUser", map[string]any{"Limit": 10}, 660000002},
		{"BadUser", map[string]any{"FromUserId": "a\x00", "Limit": 10}, 660000002},
		{"NoLimit", map[string]any{"FromUserId": "bob"}, 660000002},
		{"LimitZero", map[string]any{"FromUserId": "bob", "Limit": 0}, 660000002},
		{"LimitOver", map[string]any{"FromUserId": "bob", "Limit": 101}, 660000002},
		{"LimitNegative", map[string]any{"FromUserId": "bob", "Limit": -1}, 660000002},
		{"LimitString", map[string]any{"FromUserId": "bob", "Limit": "10"}, 660000002},
		{"NextNumber", map[string]any{"FromUserId": "bob", "Limit": 10, "Next": 0}, 660000002},
		{"NextNotBase64", map[string]any{"FromUserId": "bob", "Limit": 10, "Next": "g1!"}, 660000002},
		{"NextNotAnID", map[string]any{"FromUserId": "bob", "Limit": 10, "Next": cursor([]byte("a\x00"))}, 660000002},
		{"NextZero", map[string]any{"FromUserId": "bob", "Limit": 10, "Next": "0"}, 660000002},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "QueryGroupsInfoOfUser", tc.p), tc.want)
		})
	}
	t.Run("InQuery", func(t *testing.T) {
		q := s.Signed(appOpen, "QueryGroupsInfoOfUser", url.Values{"FromUserId": {"bob"}, "Limit": {"1"}, "Next": {cursor([]byte("g3"))}})
		a := decodeRaw[userGroups](t, s.Send(t, http.MethodGet, q.Encode(), nil))
		if a.Code != 0 || len(a.GroupInfoList) != 1 || a.GroupInfoList[0].GroupId != "g4" {
			t.Fatalf("GET with the parameters in the query: got %+v, want g4", a)
		}
	})
	t.Run("RateLimit", func(t *testing.T) {
		wantRateLimit(t, s, "QueryGroupsInfoOfUser", map[string]any{"FromUserId": "bob", "Limit": 1})
	})
}

// presence is a roomd.Presence the test sets.
type presence struct {
	mu     sync.Mutex
	online map[string]bool
}

func (p *presence) Online(_ context.Context, app uint32, users []string) (map[string]bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]bool{}
	for _, u := range users {
		if app == appOpen && p.online[u] {
			out[u] = true
		}
	}
	return out, nil
}

// onlineStates is QueryUserOnlineState's answer.
type onlineStates struct {
	Code      int64
	Result    []struct{ UserId, Status string }
	ErrorList []Item
}

func TestQueryUserOnlineState(t *testing.T) {
	p := &presence{online: map[string]bool{"ann": true, "ghost": true}}
	s := MustOpenServer(t, func(o *zego.Options, _ *sqlite.Options) { o.Presence = p })
	s.Register(t, appOpen, "ann", "bob")
	ask := func(ids ...string) onlineStates {
		t.Helper()
		return decodeRaw[onlineStates](t, s.Call(t, appOpen, "QueryUserOnlineState", map[string]any{"UserId": ids}))
	}
	statuses := func(a onlineStates) string {
		var out []string
		for _, r := range a.Result {
			out = append(out, r.UserId+"="+r.Status)
		}
		return strings.Join(out, ",")
	}
	t.Run("States", func(t *testing.T) {
		a := ask("bob", "ann", "ann")
		if a.Code != 0 || statuses(a) != "bob=Offline,ann=Online,ann=Online" || len(a.ErrorList) != 0 {
			t.Fatalf("got %+v, want bob Offline then ann Online twice, in request order", a)
		}
	})
	t.Run("Unregistered", func(t *testing.T) {
		// ghost is "online" by the presence but not registered: unknown.
		a := ask("ghost", "ann")
		WantItems(t, a.ErrorList, "ghost", 660200001)
		if a.Code != 0 || statuses(a) != "ann=Online" {
			t.Fatalf("got %+v, want ann Online and ghost an item", a)
		}
	})
	t.Run("NoneRegistered", func(t *testing.T) {
		a := ask("x", "y")
		if a.Code != 660200001 || len(a.Result) != 0 {
			t.Fatalf("got %+v, want Code 660200001 and no Result", a)
		}
		WantItems(t, a.ErrorList, "x", 660200001, "y", 660200001)
	})
	t.Run("LoggedOut", func(t *testing.T) {
		p.mu.Lock()
		p.online["ann"] = false
		p.mu.Unlock()
		if a := ask("ann"); statuses(a) != "ann=Offline" {
			t.Fatalf("got %+v, want ann Offline", a)
		}
	})
	t.Run("QueryForms", func(t *testing.T) {
		q := s.Signed(appOpen, "QueryUserOnlineState", url.Values{"UserId[]": {"bob"}, "UserId": {"ann"}})
		a := decodeRaw[onlineStates](t, s.Send(t, http.MethodGet, q.Encode(), nil))
		if a.Code != 0 || statuses(a) != "bob=Offline,ann=Offline" {
			t.Fatalf("got %+v, want both forms read", a)
		}
	})
	t.Run("NoPresence", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Register(t, appOpen, "ann")
		a := decodeRaw[onlineStates](t, s.Call(t, appOpen, "QueryUserOnlineState", map[string]any{"UserId": []string{"ann"}}))
		if a.Code != 0 || statuses(a) != "ann=Offline" {
			t.Fatalf("without a gateway: got %+v, want ann Offline", a)
		}
	})
	bad := []struct {
		name string
		ids  []string
		want int64
	}{
		{"Empty", nil, 660000002},
		{"TooMany", users("u", 101), 660000011},
		{"EmptyID", []string{"ann", ""}, 660000002},
		{"IDTooLong", []string{strings.Repeat("a", 65)}, 660000002},
		{"IDControl", []string{"a\nb"}, 660000002},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			WantCode(t, s.Call(t, appOpen, "QueryUserOnlineState", map[string]any{"UserId": tc.ids}), tc.want)
		})
	}
	t.Run("Hundred", func(t *testing.T) {
		if a := ask(users("u", 100)...); a.Code != 660200001 || len(a.ErrorList) != 100 {
			t.Fatalf("100 unknown ids: got Code %d and %d items, want 660200001 and 100", a.Code, len(a.ErrorList))
		}
	})
	t.Run("RateLimit", func(t *testing.T) {
		wantRateLimit(t, s, "QueryUserOnlineState", map[string]any{"UserId": []string{"ann"}})
	})
}
