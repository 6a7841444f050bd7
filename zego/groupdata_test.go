package zego_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/tencent"
)

// groupInfo is QueryGroupInfo's answer with the fields Reply lacks.
type groupInfo struct {
	GroupName, GroupNotice, GroupAvatar string
	GroupAttributes                     []struct{ Key, Value string }
	IsAllForbid                         bool
	ForbidList                          []int
	ForbidExpireTime                    int64
	LimitInfo                           map[string]int
}

// info queries a group's info as a registered user.
func (s *Server) info(t *testing.T, group string) groupInfo {
	t.Helper()
	s.Call(t, appOpen, "UserRegister", map[string]any{"UserInfo": []map[string]any{{"UserId": "querier"}}}) // once, or already
	return decodeRaw[groupInfo](t, s.MustCall(t, appOpen, "QueryGroupInfo", map[string]any{"FromUserId": "querier", "GroupId": group}))
}

// log returns "type actor payload" of each event of a group after seq.
func (s *Server) log(t *testing.T, group string, seq int64) []string {
	t.Helper()
	evs, err := s.Svc.Events(context.Background(), appOpen, group, seq, 1000)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Type)+" "+e.Actor+" "+string(e.Payload))
	}
	return out
}

// seq returns a group's last event seq.
func (s *Server) seq(t *testing.T, group string) int64 {
	t.Helper()
	r, err := s.Svc.Room(context.Background(), appOpen, group)
	if err != nil {
		t.Fatalf("Room(%s): %v", group, err)
	}
	return r.Seq
}

// wantLog fails the test unless the events after seq are want.
func wantLog(t *testing.T, s *Server, group string, seq int64, want ...string) {
	t.Helper()
	got := s.log(t, group, seq)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events of %s after %d:\n got %q\nwant %q", group, seq, got, want)
	}
}

// tencentCall runs one Tencent command as the administrator over the same
// Service (the cross-dialect view) and returns its Response.
func tencentCall(t *testing.T, s *Server, command string, body any) json.RawMessage {
	t.Helper()
	apps := roomd.Apps{appOpen: {ID: appOpen, Secret: secret, Admins: []string{"administrator"}, RateLimitsOff: true}}
	h := tencent.NewHandler(s.Svc, apps, tencent.Options{Clock: s.Clock.Now})
	sig, err := tencent.GenUserSig(appOpen, secret, "administrator", time.Hour, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, err := tencent.NewRequest(context.Background(), "http://roomd", appOpen, "administrator", sig, command, body, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var env struct {
		ErrorCode int
		Response  json.RawMessage
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.ErrorCode != 0 {
		t.Fatalf("%s: got %s (%v), want ErrorCode 0", command, rec.Body.Bytes(), err)
	}
	return env.Response
}

func TestUpdateGroupData(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "m1")
	s.MustCall(t, appOpen, "UpdateGroupData", map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupNotice": "hello", "GroupAvatar": "https://a/g.png"})
	t.Run("OmittedKeptEmptyCleared", func(t *testing.T) {
		seq := s.seq(t, "g1")
		s.MustCall(t, appOpen, "UpdateGroupData", map[string]any{"FromUserId": "m1", "GroupId": "g1", "GroupName": "Team", "GroupAvatar": ""})
		if info := s.info(t, "g1"); info.GroupName != "Team" || info.GroupNotice != "hello" || info.GroupAvatar != "" {
			t.Fatalf("after UpdateGroupData: got %+v, want name Team, notice kept, avatar cleared", info)
		}
		wantLog(t, s, "g1", seq, `room.updated m1 {"name":"Team","owner":"own","notice":"hello","created_at":"2026-03-01T12:00:00Z"}`)
	})
	t.Run("CrossDialect", func(t *testing.T) {
		var got struct{ RoomInfo struct{ RoomName string } }
		if err := json.Unmarshal(tencentCall(t, s, "get_room_info", map[string]any{"RoomId": "g1"}), &got); err != nil || got.RoomInfo.RoomName != "Team" {
			t.Fatalf("get_room_info: got %+v (%v), want RoomName Team", got, err)
		}
	})
	t.Run("InQuery", func(t *testing.T) { // any method, parameters in the query
		q := s.Signed(appOpen, "UpdateGroupData", map[string][]string{"FromUserId": {"own"}, "GroupId": {"g1"}, "GroupName": {"Q"}})
		WantCode(t, s.Send(t, "GET", q.Encode(), nil), 0)
		if info := s.info(t, "g1"); info.GroupName != "Q" {
			t.Fatalf("GroupName: got %q, want Q", info.GroupName)
		}
	})
	for name, c := range map[string]struct {
		p    map[string]any
		code int
	}{
		"NothingToChange":    {map[string]any{"FromUserId": "own", "GroupId": "g1"}, 660000002},
		"NullIsAbsent":       {map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupName": nil}, 660000002},
		"NameTooLong":        {map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupName": strings.Repeat("n", 51)}, 660000002},
		"NoticeTooLong":      {map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupNotice": strings.Repeat("n", 301)}, 660000002},
		"AvatarTooLong":      {map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupAvatar": strings.Repeat("n", 501)}, 660000002},
		"NameControlChar":    {map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupName": "a\nb"}, 660000002},
		"NameNumber":         {map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupName": 5}, 660000002},
		"NoGroupId":          {map[string]any{"FromUserId": "own", "GroupName": "x"}, 660000002},
		"OperatorNotRegistr": {map[string]any{"FromUserId": "ghost", "GroupId": "g1", "GroupName": "x"}, 660500002},
		"NoGroup":            {map[string]any{"FromUserId": "own", "GroupId": "nope", "GroupName": "x"}, 660600001},
	} {
		t.Run(name, func(t *testing.T) { WantCode(t, s.Call(t, appOpen, "UpdateGroupData", c.p), int64(c.code)) })
	}
	t.Run("Fits", func(t *testing.T) {
		s.MustCall(t, appOpen, "UpdateGroupData", map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupName": strings.Repeat("n", 50),
			"GroupNotice": strings.Repeat("n", 299) + "\n", "GroupAvatar": strings.Repeat("a", 500)})
	})
	t.Run("RateLimit", func(t *testing.T) {
		s.Group(t, appLimited, "g1", "own")
		wantRateLimit(t, s, "UpdateGroupData", map[string]any{"FromUserId": "own", "GroupId": "g1", "GroupName": "x"})
	})
}

// attrReply is ModifyGroupAttribute's answer.
type attrReply struct {
	FailKeys   []struct{ Key, Reason string }
	Attributes struct{ Attributes []struct{ Key, Value string } }
}

func TestModifyGroupAttribute(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "m1")
	s.Register(t, appOpen, "outsider")
	kv := func(pairs ...string) []map[string]string {
		var out []map[string]string
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, map[string]string{"Key": pairs[i], "Value": pairs[i+1]})
		}
		return out
	}
	attrs := func() string {
		var parts []string
		for _, a := range s.info(t, "g1").GroupAttributes {
			parts = append(parts, a.Key+"="+a.Value)
		}
		return strings.Join(parts, ",")
	}
	t.Run("Set", func(t *testing.T) {
		seq := s.seq(t, "g1")
		r := s.MustCall(t, appOpen, "ModifyGroupAttribute", map[string]any{"FromUserId": "outsider", "GroupId": "g1", "Attributes": kv("a", "1", "b", "")})
		if got := decodeRaw[attrReply](t, r); len(got.FailKeys) != 0 || len(got.Attributes.Attributes) != 2 || got.Attributes.Attributes[0].Key != "a" {
			t.Fatalf("answer: got %s, want FailKeys [] and a, b", r.Raw)
		}
		if !strings.Contains(string(r.Raw), `"FailKeys":[]`) {
			t.Fatalf("answer: got %s, want FailKeys []", r.Raw)
		}
		s.MustCall(t, appOpen, "ModifyGroupAttribute", map[string]any{"FromUserId": "own", "GroupId": "g1", "Action": 0, "Attributes": kv("a", "one", "c", "3")})
		if got := attrs(); got != "a=one,b=,c=3" {
			t.Fatalf("attributes: got %s, want a=one,b=,c=3", got)
		}
		wantLog(t, s, "g1", seq,
			`room.updated outsider {"owner":"own","attributes":[{"key":"a","value":"1"},{"key":"b","value":""}],"created_at":"2026-03-01T12:00:00Z"}`,
			`room.updated own {"owner":"own","attributes":[{"key":"a","value":"one"},{"key":"b","value":""},{"key":"c","value":"3"}],"created_at":"2026-03-01T12:00:00Z"}`)
	})
	t.Run("Delete", func(t *testing.T) {
		seq := s.seq(t, "g1")
		r := s.MustCall(t, appOpen, "ModifyGroupAttribute", map[string]any{"FromUserId": "m1", "GroupId": "g1", "Action": 1, "Attributes": []map[string]string{{"Key": "zz"}, {"Key": "a"}}})
		got := decodeRaw[attrReply](t, r)
		if len(got.FailKeys) != 1 || got.FailKeys[0].Key != "zz" || got.FailKeys[0].Reason == "" ||
			len(got.Attributes.Attributes) != 1 || got.Attributes.Attributes[0] != (struct{ Key, Value string }{"a", "one"}) {
			t.Fatalf("answer: got %s, want FailKeys zz and deleted a=one", r.Raw)
		}
		if got := attrs(); got != "b=,c=3" {
			t.Fatalf("attributes: got %s, want b=,c=3", got)
		}
		r = s.MustCall(t, appOpen, "ModifyGroupAttribute", map[string]any{"FromUserId": "m1", "GroupId": "g1", "Action": 1, "Attributes": []map[string]string{{"Key": "zz"}}})
		if got := decodeRaw[attrReply](t, r); len(got.FailKeys) != 1 || len(got.Attributes.Attributes) != 0 {
			t.Fatalf("answer: got %s, want FailKeys zz and nothing deleted", r.Raw)
		}
		wantLog(t, s, "g1", seq, `room.updated m1 {"owner":"own","attributes":[{"key":"b","value":""},{"key":"c","value":"3"}],"created_at":"2026-03-01T12:00:00Z"}`)
	})
	t.Run("QueryActionIsNotBodyAction", func(t *testing.T) {
		// The query's Action names the action; only the body's says delete.
		r := s.Call(t, appOpen, "ModifyGroupAttribute", map[string]any{"FromUserId": "own", "GroupId": "g1", "Action": nil, "Attributes": kv("d", "4")})
		WantCode(t, r, 0)
		if got := attrs(); got != "b=,c=3,d=4" {
			t.Fatalf("attributes: got %s, want b=,c=3,d=4", got)
		}
	})
	t.Run("Limit", func(t *testing.T) {
		var many []string
		for i := range roomd.MaxAttributes - 2 {
			many = append(many, "k"+string(rune('A'+i)), "v")
		}
		WantCode(t, s.Call(t, appOpen, "ModifyGroupAttribute", map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv(many...)}), 660300019)
		if got := attrs(); got != "b=,c=3,d=4" {
			t.Fatalf("attributes after a refused set: got %s, want them unchanged", got)
		}
		s.MustCall(t, appOpen, "ModifyGroupAttribute", map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv(many[:2*(roomd.MaxAttributes-3)]...)})
	})
	for name, c := range map[string]struct {
		p    map[string]any
		code int
	}{
		"BodyAction2":      {map[string]any{"FromUserId": "own", "GroupId": "g1", "Action": 2, "Attributes": kv("a", "1")}, 660000002},
		"BodyActionString": {map[string]any{"FromUserId": "own", "GroupId": "g1", "Action": "1", "Attributes": kv("a", "1")}, 660000002},
		"NoAttributes":     {map[string]any{"FromUserId": "own", "GroupId": "g1"}, 660000002},
		"EmptyKey":         {map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv("", "1")}, 660000002},
		"RepeatedKey":      {map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv("a", "1", "a", "2")}, 660000002},
		"KeyTooLong":       {map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv(strings.Repeat("k", 17), "1")}, 660000002},
		"ValueTooLong":     {map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv("a", strings.Repeat("v", 1025))}, 660000002},
		"ValueNUL":         {map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv("a", "\x00")}, 660000002},
		"TooMany":          {map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv(strings.Split(strings.Repeat("k,v,", 33), ",")[:66]...)}, 660000002},
		"NotRegistered":    {map[string]any{"FromUserId": "ghost", "GroupId": "g1", "Attributes": kv("a", "1")}, 660500002},
		"NoGroup":          {map[string]any{"FromUserId": "own", "GroupId": "nope", "Attributes": kv("a", "1")}, 660600001},
	} {
		t.Run(name, func(t *testing.T) { WantCode(t, s.Call(t, appOpen, "ModifyGroupAttribute", c.p), int64(c.code)) })
	}
	t.Run("RateLimit", func(t *testing.T) {
		s.Group(t, appLimited, "g1", "own")
		wantRateLimit(t, s, "ModifyGroupAttribute", map[string]any{"FromUserId": "own", "GroupId": "g1", "Attributes": kv("a", "1")})
	})
}

func TestModifyGroupLimit(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "m1", "m2")
	s.Register(t, appOpen, "joiner")
	if got := s.info(t, "g1").LimitInfo; got["MemberCountLimit"] != roomd.DefaultMaxMember || got["JoinMode"] != 0 || got["InviteMode"] != 0 || got["BeInvitedMode"] != 0 {
		t.Fatalf("LimitInfo of a new group: got %v, want the defaults", got)
	}
	t.Run("Set", func(t *testing.T) {
		seq := s.seq(t, "g1")
		s.MustCall(t, appOpen, "ModifyGroupLimit", map[string]any{"FromUserId": "m1", "GroupId": "g1", "JoinMode": "2", "InviteMode": "1", "MemberCountLimit": "5"})
		s.MustCall(t, appOpen, "ModifyGroupLimit", map[string]any{"FromUserId": "m1", "GroupId": "g1", "BeInvitedMode": "1"})
		got := s.info(t, "g1").LimitInfo
		want := map[string]int{"MemberCountLimit": 5, "JoinMode": 2, "InviteMode": 1, "BeInvitedMode": 1}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("LimitInfo: got %v, want %v", got, want)
			}
		}
		wantLog(t, s, "g1", seq,
			`room.updated m1 {"owner":"own","max_members":5,"created_at":"2026-03-01T12:00:00Z","join_mode":2,"invite_mode":1}`,
			`room.updated m1 {"owner":"own","max_members":5,"created_at":"2026-03-01T12:00:00Z","join_mode":2,"invite_mode":1,"be_invited_mode":1}`)
		// The domain's member limit, through the Tencent dialect.
		var info struct{ RoomInfo struct{ MaxMemberCount int } }
		if err := json.Unmarshal(tencentCall(t, s, "get_room_info", map[string]any{"RoomId": "g1"}), &info); err != nil || info.RoomInfo.MaxMemberCount != 5 {
			t.Fatalf("get_room_info: got %+v (%v), want MaxMemberCount 5", info, err)
		}
	})
	t.Run("JoinModeInEnterRoom", func(t *testing.T) {
		ctx := context.Background()
		if _, err := s.Svc.EnterRoom(ctx, appOpen, "g1", "joiner"); roomd.ErrorCode(err) != roomd.EFORBIDDEN {
			t.Fatalf("EnterRoom with JoinMode 2: got %v, want %s", err, roomd.EFORBIDDEN)
		}
		s.MustCall(t, appOpen, "ModifyGroupLimit", map[string]any{"FromUserId": "m1", "GroupId": "g1", "JoinMode": "0"})
		if _, err := s.Svc.EnterRoom(ctx, appOpen, "g1", "joiner"); err != nil {
			t.Fatalf("EnterRoom with JoinMode 0: got %v", err)
		}
	})
	t.Run("DefaultLimit", func(t *testing.T) {
		s.MustCall(t, appOpen, "ModifyGroupLimit", map[string]any{"FromUserId": "m1", "GroupId": "g1", "MemberCountLimit": "0"})
		if got := s.info(t, "g1").LimitInfo["MemberCountLimit"]; got != roomd.DefaultMaxMember {
			t.Fatalf("MemberCountLimit 0: got %d, want %d", got, roomd.DefaultMaxMember)
		}
	})
	for name, c := range map[string]struct {
		p    map[string]any
		code int
	}{
		"NothingToChange":  {map[string]any{"FromUserId": "own", "GroupId": "g1"}, 660000002},
		"EmptyValue":       {map[string]any{"FromUserId": "own", "GroupId": "g1", "JoinMode": ""}, 660000002},
		"JoinMode3":        {map[string]any{"FromUserId": "own", "GroupId": "g1", "JoinMode": "3"}, 660000002},
		"JoinModeNegative": {map[string]any{"FromUserId": "own", "GroupId": "g1", "JoinMode": "-1"}, 660000002},
		"InviteMode2":      {map[string]any{"FromUserId": "own", "GroupId": "g1", "InviteMode": "2"}, 660000002},
		"BeInvitedMode2":   {map[string]any{"FromUserId": "own", "GroupId": "g1", "BeInvitedMode": "2"}, 660000002},
		"LimitBelowCount":  {map[string]any{"FromUserId": "own", "GroupId": "g1", "MemberCountLimit": "3"}, 660000002},
		"LimitNegative":    {map[string]any{"FromUserId": "own", "GroupId": "g1", "MemberCountLimit": "-1"}, 660000002},
		"LimitHuge":        {map[string]any{"FromUserId": "own", "GroupId": "g1", "MemberCountLimit": "2147483648"}, 660000002},
		"NotANumber":       {map[string]any{"FromUserId": "own", "GroupId": "g1", "JoinMode": "open"}, 660000002},
		"NotRegistered":    {map[string]any{"FromUserId": "ghost", "GroupId": "g1", "JoinMode": "1"}, 660500002},
		"NoGroup":          {map[string]any{"FromUserId": "own", "GroupId": "nope", "JoinMode": "1"}, 660600001},
	} {
		t.Run(name, func(t *testing.T) { WantCode(t, s.Call(t, appOpen, "ModifyGroupLimit", c.p), int64(c.code)) })
	}
	t.Run("Fits", func(t *testing.T) {
		s.MustCall(t, appOpen, "ModifyGroupLimit", map[string]any{"FromUserId": "own", "GroupId": "g1", "MemberCountLimit": "4"})
	})
	t.Run("RateLimit", func(t *testing.T) {
		s.Group(t, appLimited, "g1", "own")
		wantRateLimit(t, s, "ModifyGroupLimit", map[string]any{"FromUserId": "own", "GroupId": "g1", "JoinMode": "1"})
	})
}

// memberRow is one entry of QueryGroupMemberList's MemberList, with the
// fields Reply lacks.
type memberRow struct {
	UserId, UserNickName string
	Role, MemberRole     int
	MuteExpiredTime      int64
}

// members returns the members of a group by id.
func (s *Server) members(t *testing.T, group string) map[string]memberRow {
	t.Helper()
	r := s.MustCall(t, appOpen, "QueryGroupMemberList", map[string]any{"GroupId": group})
	out := map[string]memberRow{}
	for _, m := range decodeRaw[struct{ MemberList []memberRow }](t, r).MemberList {
		out[m.UserId] = m
	}
	return out
}

func TestSetGroupMembersNickname(t *testing.T) {
	s := MustOpenServer(t)
	s.Group(t, appOpen, "g1", "own", "m1", "m2")
	s.Register(t, appOpen, "outsider")
	custom := 150
	s.MustCall(t, appOpen, "SetGroupMemberRole", map[string]any{"FromUserId": "own", "GroupId": "g1", "ToUserId": "m2", "Role": "150"})
	t.Run("OK", func(t *testing.T) {
		seq := s.seq(t, "g1")
		r := s.Call(t, appOpen, "SetGroupMembersNickname", map[string]any{"FromUserId": "m1", "GroupId": "g1",
			"UserIds": []map[string]string{{"UserId": "own", "Nickname": "Boss"}, {"UserId": "outsider", "Nickname": "x"}, {"UserId": "m2", "Nickname": "Two"}}})
		WantCode(t, r, 0)
		WantItems(t, r.ErrorUsers, "outsider", 660600024)
		ms := s.members(t, "g1")
		if ms["own"].UserNickName != "Boss" || ms["m2"].UserNickName != "Two" || ms["m1"].UserNickName != "" {
			t.Fatalf("nicknames: got %+v", ms)
		}
		// Role: the vendor's field beside MemberRole; a custom role as its number.
		if ms["own"].Role != 1 || ms["m1"].Role != 3 || ms["m2"].Role != custom || ms["m2"].MemberRole != custom {
			t.Fatalf("roles: got %+v, want own 1, m1 3, m2 %d", ms, custom)
		}
		wantLog(t, s, "g1", seq, `member.updated m1 {"user_id":"own","role":1}`, `member.updated m1 {"user_id":"m2","role":150}`)
		// Tencent's NameCard is the same field.
		var list struct {
			MemberList []struct{ Member_Account, NameCard string }
		}
		if err := json.Unmarshal(tencentCall(t, s, "get_room_member_list", map[string]any{"RoomId": "g1"}), &list); err != nil {
			t.Fatal(err)
		}
		for _, m := range list.MemberList {
			if m.Member_Account == "own" && m.NameCard != "Boss" {
				t.Fatalf("get_room_member_list: own's NameCard %q, want Boss", m.NameCard)
			}
		}
	})
	t.Run("EveryUserFailed", func(t *testing.T) {
		r := s.Call(t, appOpen, "SetGroupMembersNickname", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []map[string]string{{"UserId": "outsider"}, {"UserId": "ghost"}}})
		WantCode(t, r, 660600024)
		WantItems(t, r.ErrorUsers, "outsider", 660600024, "ghost", 660600024)
	})
	entries := func(n int) []map[string]string {
		out := make([]map[string]string, n)
		for i := range out {
			out[i] = map[string]string{"UserId": "m1", "Nickname": "n"}
		}
		return out
	}
	for name, c := range map[string]struct {
		p    map[string]any
		code int
	}{
		"NoUsers":          {map[string]any{"FromUserId": "own", "GroupId": "g1"}, 660000002},
		"TooMany":          {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": entries(21)}, 660000011},
		"NicknameTooLong":  {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []map[string]string{{"UserId": "m1", "Nickname": strings.Repeat("n", 257)}}}, 660000002},
		"NicknameControl":  {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []map[string]string{{"UserId": "m1", "Nickname": "a\tb"}}}, 660000002},
		"UserIdMissing":    {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []map[string]string{{"Nickname": "n"}}}, 660000002},
		"UserIdsOfStrings": {map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{"m1"}}, 660000002},
		"NotRegistered":    {map[string]any{"FromUserId": "ghost", "GroupId": "g1", "UserIds": entries(1)}, 660500002},
		"NoGroup":          {map[string]any{"FromUserId": "own", "GroupId": "nope", "UserIds": entries(1)}, 660600001},
	} {
		t.Run(name, func(t *testing.T) { WantCode(t, s.Call(t, appOpen, "SetGroupMembersNickname", c.p), int64(c.code)) })
	}
	t.Run("Twenty", func(t *testing.T) {
		s.MustCall(t, appOpen, "SetGroupMembersNickname", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": entries(20)})
	})
	t.Run("GroupRateLimit", func(t *testing.T) {
		s.Group(t, appLimited, "g1", "own", "m1")
		s.MustCall(t, appLimited, "CreateGroup", map[string]any{"GroupId": "g2", "GroupOwner": "own", "UserId": []string{"m1"}})
		p := map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": entries(1)}
		WantCode(t, s.Call(t, appLimited, "SetGroupMembersNickname", p), 0)
		WantCode(t, s.Call(t, appLimited, "SetGroupMembersNickname", p), 660300006)
		WantCode(t, s.Call(t, appLimited, "SetGroupMembersNickname", map[string]any{"FromUserId": "own", "GroupId": "g2", "UserIds": entries(1)}), 0)
		s.Clock.Advance(time.Second)
		WantCode(t, s.Call(t, appLimited, "SetGroupMembersNickname", p), 0)
	})
}
