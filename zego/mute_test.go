package zego_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/zego"
)

// t0ms is the test servers' starting time in Unix ms; at(d) is d later.
var t0ms = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixMilli()

func at(d time.Duration) int64 { return t0ms + d.Milliseconds() }

// wantForbid fails the test unless QueryGroupInfo reports the mute given.
func wantForbid(t *testing.T, s *Server, group string, all bool, roles []int, expires int64) {
	t.Helper()
	info := s.info(t, group)
	if info.IsAllForbid != all || fmt.Sprint(info.ForbidList) != fmt.Sprint(roles) || info.ForbidList == nil || info.ForbidExpireTime != expires {
		t.Fatalf("group mute of %s: got IsAllForbid %v, ForbidList %v, ForbidExpireTime %d; want %v, %v, %d",
			group, info.IsAllForbid, info.ForbidList, info.ForbidExpireTime, all, roles, expires)
	}
}

// mutedGroup sets up group g1: owner own, admin adm, members m1 and m2, and
// a registered outsider.
func mutedGroup(t *testing.T, s *Server, app uint32) {
	t.Helper()
	s.Group(t, app, "g1", "own", "adm", "m1", "m2")
	s.Register(t, app, "outsider")
	s.MustCall(t, app, "SetGroupMemberRole", map[string]any{"FromUserId": "own", "GroupId": "g1", "ToUserId": "adm", "Role": "2"})
}

func TestMuteGroup(t *testing.T) {
	s := MustOpenServer(t)
	mutedGroup(t, s, appOpen)
	mute := func(p map[string]any) *Reply {
		p["GroupId"] = "g1"
		return s.Call(t, appOpen, "MuteGroup", p)
	}
	wantForbid(t, s, "g1", false, []int{}, 0)
	t.Run("Roles", func(t *testing.T) {
		seq := s.seq(t, "g1")
		WantCode(t, mute(map[string]any{"FromUserId": "adm", "MuteRoleList": []string{"100", "3", "3"}, "Duration": "60"}), 0)
		wantForbid(t, s, "g1", false, []int{3, 100}, at(time.Minute))
		WantCode(t, mute(map[string]any{"FromUserId": "own", "IsAllMuted": "true", "MuteRoleList": []string{"2"}, "Duration": "-1"}), 0)
		wantForbid(t, s, "g1", true, []int{}, -1)
		// The old spelling; the new list replaces the mute of all.
		WantCode(t, mute(map[string]any{"FromUserId": "outsider", "IsAllForbid": "false", "MuteRoleList": []string{"1", "2"}, "Duration": "10"}), 0)
		wantForbid(t, s, "g1", false, []int{1, 2}, at(10*time.Second))
		wantLog(t, s, "g1", seq,
			`room.muted adm {"all":false,"roles":[3,100],"until":"2026-03-01T12:01:00Z"}`,
			`room.muted own {"all":true,"roles":[]}`,
			`room.muted outsider {"all":false,"roles":[1,2],"until":"2026-03-01T12:00:10Z"}`)
	})
	t.Run("Expiry", func(t *testing.T) { // no sweep: the clock decides
		s.Clock.Advance(9 * time.Second)
		wantForbid(t, s, "g1", false, []int{1, 2}, at(10*time.Second))
		s.Clock.Advance(time.Second)
		wantForbid(t, s, "g1", false, []int{}, 0)
		if got := decodeRaw[forbidList](t, s.MustCall(t, appOpen, "FetchForbidGroupList", map[string]any{"FromUserId": "own"})); len(got.GroupList) != 0 {
			t.Fatalf("FetchForbidGroupList after expiry: got %+v, want none", got)
		}
	})
	t.Run("DurationZeroLifts", func(t *testing.T) {
		WantCode(t, mute(map[string]any{"FromUserId": "own", "IsAllMuted": "true", "Duration": "30"}), 0)
		seq := s.seq(t, "g1")
		// IsAllMuted without Duration: Duration is 0, which lifts.
		WantCode(t, mute(map[string]any{"FromUserId": "adm", "IsAllMuted": "true"}), 0)
		wantForbid(t, s, "g1", false, []int{}, 0)
		WantCode(t, mute(map[string]any{"FromUserId": "adm", "Duration": "0"}), 0) // nothing in force: no event
		wantLog(t, s, "g1", seq, `room.unmuted adm {}`)
	})
	t.Run("NothingGivenLiftsEveryMute", func(t *testing.T) {
		WantCode(t, mute(map[string]any{"FromUserId": "own", "MuteRoleList": []string{"3"}, "Duration": "-1"}), 0)
		s.MustCall(t, appOpen, "MuteGroupMembers", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{"m2", "m1"}, "Duration": "-1"})
		seq := s.seq(t, "g1")
		WantCode(t, mute(map[string]any{"FromUserId": "adm"}), 0)
		wantForbid(t, s, "g1", false, []int{}, 0)
		if ms := s.members(t, "g1"); ms["m1"].MuteExpiredTime != 0 || ms["m2"].MuteExpiredTime != 0 {
			t.Fatalf("members' mutes after MuteGroup with nothing: got %+v, want none", ms)
		}
		wantLog(t, s, "g1", seq, `room.unmuted adm {}`, `member.unmuted adm {"user_id":"m1"}`, `member.unmuted adm {"user_id":"m2"}`)
	})
	t.Run("BodyToo", func(t *testing.T) { // any method: a JSON body with typed values
		q := s.Signed(appOpen, "MuteGroup", nil)
		r := s.Send(t, "POST", q.Encode(), []byte(`{"FromUserId":"own","GroupId":"g1","IsAllMuted":false,"MuteRoleList":[2],"Duration":2592000}`))
		WantCode(t, r, 0)
		wantForbid(t, s, "g1", false, []int{2}, s.Clock.Now().Add(30*24*time.Hour).UnixMilli())
	})
	roles := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strconv.Itoa(100 + i)
		}
		return out
	}
	for name, c := range map[string]struct {
		p    map[string]any
		code int
	}{
		"MemberMutes":          {map[string]any{"FromUserId": "m1", "IsAllMuted": "true", "Duration": "60"}, 660600032},
		"MemberLiftsAll":       {map[string]any{"FromUserId": "m1"}, 660600032},
		"AdminMutesOwnerRole":  {map[string]any{"FromUserId": "adm", "MuteRoleList": []string{"3", "1"}, "Duration": "60"}, 660600032},
		"DurationMinus2":       {map[string]any{"FromUserId": "own", "IsAllMuted": "true", "Duration": "-2"}, 660000002},
		"DurationOver30Days":   {map[string]any{"FromUserId": "own", "IsAllMuted": "true", "Duration": "2592001"}, 660000002},
		"DurationNotNumber":    {map[string]any{"FromUserId": "own", "IsAllMuted": "true", "Duration": "1h"}, 660000002},
		"TooManyRoles":         {map[string]any{"FromUserId": "own", "MuteRoleList": roles(21), "Duration": "60"}, 660000002},
		"InvalidRole":          {map[string]any{"FromUserId": "own", "MuteRoleList": []string{"4"}, "Duration": "60"}, 660000002},
		"RoleNotNumber":        {map[string]any{"FromUserId": "own", "MuteRoleList": []string{"admin"}, "Duration": "60"}, 660000002},
		"IsAllMutedNotBoolean": {map[string]any{"FromUserId": "own", "IsAllMuted": "maybe", "Duration": "60"}, 660000002},
		"OperatorNotRegisterd": {map[string]any{"FromUserId": "ghost", "IsAllMuted": "true", "Duration": "60"}, 660500002},
	} {
		t.Run(name, func(t *testing.T) { WantCode(t, mute(c.p), int64(c.code)) })
	}
	t.Run("TwentyRoles", func(t *testing.T) {
		WantCode(t, mute(map[string]any{"FromUserId": "own", "MuteRoleList": roles(20), "Duration": "60"}), 0)
	})
	t.Run("NoGroupId", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "MuteGroup", map[string]any{"FromUserId": "own", "Duration": "60"}), 660000002)
	})
	t.Run("NoGroup", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "MuteGroup", map[string]any{"FromUserId": "own", "GroupId": "nope", "Duration": "60"}), 660600001)
	})
	t.Run("RateLimit", func(t *testing.T) {
		mutedGroup(t, s, appLimited)
		wantRateLimit(t, s, "MuteGroup", map[string]any{"FromUserId": "own", "GroupId": "g1", "IsAllMuted": "true", "Duration": "60"})
	})
}

func TestMuteGroupMembers(t *testing.T) {
	s := MustOpenServer(t)
	mutedGroup(t, s, appOpen)
	mute := func(from string, users []string, duration string) *Reply {
		p := map[string]any{"FromUserId": from, "GroupId": "g1", "UserIds": users}
		if duration != "" {
			p["Duration"] = duration
		}
		return s.Call(t, appOpen, "MuteGroupMembers", p)
	}
	t.Run("Mute", func(t *testing.T) {
		seq := s.seq(t, "g1")
		r := mute("adm", []string{"m1", "m2"}, "60")
		WantCode(t, r, 0)
		WantItems(t, r.ErrorUsers)
		ms := s.members(t, "g1")
		if ms["m1"].MuteExpiredTime != at(time.Minute) || ms["m2"].MuteExpiredTime != at(time.Minute) || ms["own"].MuteExpiredTime != 0 {
			t.Fatalf("MuteExpiredTime: got %+v, want m1 and m2 muted for a minute", ms)
		}
		s.Clock.Advance(30 * time.Second)
		WantCode(t, mute("own", []string{"m2"}, "60"), 0) // counted again from now
		WantCode(t, mute("outsider", []string{"own"}, "-1"), 0)
		wantLog(t, s, "g1", seq,
			`member.muted adm {"user_id":"m1","until":"2026-03-01T12:01:00Z"}`,
			`member.muted adm {"user_id":"m2","until":"2026-03-01T12:01:00Z"}`,
			`member.muted own {"user_id":"m2","until":"2026-03-01T12:01:30Z"}`,
			`member.muted outsider {"user_id":"own"}`)
		s.Clock.Advance(30 * time.Second) // m1's is over, m2's not
		ms = s.members(t, "g1")
		if ms["m1"].MuteExpiredTime != 0 || ms["m2"].MuteExpiredTime != at(90*time.Second) || ms["own"].MuteExpiredTime != -1 {
			t.Fatalf("MuteExpiredTime after a minute: got %+v, want m1 0, m2 %d, own -1", ms, at(90*time.Second))
		}
	})
	t.Run("Partial", func(t *testing.T) {
		r := mute("own", []string{"m1", "outsider", "ghost"}, "-1")
		WantCode(t, r, 0)
		WantItems(t, r.ErrorUsers, "outsider", 660600024, "ghost", 660500002)
	})
	t.Run("EveryUserFailed", func(t *testing.T) {
		r := mute("own", []string{"outsider", "ghost", "outsider"}, "60")
		WantCode(t, r, 660600033)
		WantItems(t, r.ErrorUsers, "outsider", 660600024, "ghost", 660500002)
		r = mute("adm", []string{"own", "adm"}, "60") // an admin mutes only members below admin
		WantCode(t, r, 660600033)
		WantItems(t, r.ErrorUsers, "own", 660600032, "adm", 660600032)
	})
	t.Run("Unmute", func(t *testing.T) {
		seq := s.seq(t, "g1")
		WantCode(t, mute("own", []string{"m1", "m2"}, ""), 0) // Duration 0 by default
		WantCode(t, mute("own", []string{"m1"}, "0"), 0)      // not muted: nothing to tell
		if ms := s.members(t, "g1"); ms["m1"].MuteExpiredTime != 0 || ms["m2"].MuteExpiredTime != 0 {
			t.Fatalf("after unmute: got %+v", ms)
		}
		wantLog(t, s, "g1", seq, `member.unmuted own {"user_id":"m1"}`, `member.unmuted own {"user_id":"m2"}`)
	})
	t.Run("LeavingEndsTheMute", func(t *testing.T) {
		WantCode(t, mute("own", []string{"m2"}, "-1"), 0)
		s.MustCall(t, appOpen, "KickoutGroupUser", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserId": []string{"m2"}})
		s.MustCall(t, appOpen, "InviteUsersIntoGroup", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{"m2"}})
		if ms := s.members(t, "g1"); ms["m2"].MuteExpiredTime != 0 {
			t.Fatalf("m2 after leaving and coming back: got %+v, want not muted", ms["m2"])
		}
	})
	t.Run("MemberMutes", func(t *testing.T) {
		WantCode(t, mute("m1", []string{"m2"}, "60"), 660600032)
	})
	for name, c := range map[string]struct {
		from, duration string
		users          []string
		code           int
	}{
		"NoUsers":              {"own", "60", nil, 660000002},
		"TooManyUsers":         {"own", "60", users("u", 21), 660000002},
		"BadUserId":            {"own", "60", []string{"a\x01"}, 660000002},
		"DurationMinus2":       {"own", "-2", []string{"m1"}, 660000002},
		"DurationOver30Days":   {"own", "2592001", []string{"m1"}, 660000002},
		"OperatorNotRegisterd": {"ghost", "60", []string{"m1"}, 660500002},
	} {
		t.Run(name, func(t *testing.T) { WantCode(t, mute(c.from, c.users, c.duration), int64(c.code)) })
	}
	t.Run("TwentyUsers", func(t *testing.T) {
		r := mute("own", append(users("u", 19), "m1"), "2592000")
		WantCode(t, r, 0)
		if len(r.ErrorUsers) != 19 {
			t.Fatalf("ErrorUsers: got %d, want the 19 unregistered", len(r.ErrorUsers))
		}
	})
	t.Run("NoGroup", func(t *testing.T) {
		WantCode(t, s.Call(t, appOpen, "MuteGroupMembers", map[string]any{"FromUserId": "own", "GroupId": "nope", "UserIds": []string{"m1"}, "Duration": "60"}), 660600001)
	})
	t.Run("RateLimit", func(t *testing.T) {
		mutedGroup(t, s, appLimited)
		wantRateLimit(t, s, "MuteGroupMembers", map[string]any{"FromUserId": "own", "GroupId": "g1", "UserIds": []string{"m1"}, "Duration": "60"})
	})
}

// forbidList is FetchForbidGroupList's answer.
type forbidList struct {
	FetchEnd  int
	NextFlag  int64
	GroupList []struct {
		GroupId    string
		ForbidType int
	}
}

func TestFetchForbidGroupList(t *testing.T) {
	s := MustOpenServer(t)
	ctx := context.Background()
	s.Register(t, appOpen, "own", "m1")
	for _, g := range []string{"a", "b", "c", "d", "e", "f"} {
		s.MustCall(t, appOpen, "CreateGroup", map[string]any{"GroupId": g, "GroupOwner": "own", "UserId": []string{"m1"}})
	}
	for _, m := range []map[string]any{
		{"GroupId": "a", "IsAllMuted": "true", "Duration": "-1"},
		{"GroupId": "b", "MuteRoleList": []string{"3"}, "Duration": "60"},
		{"GroupId": "d", "IsAllMuted": "true", "Duration": "60"},
		{"GroupId": "f", "IsAllMuted": "true", "Duration": "1"},
	} {
		m["FromUserId"] = "own"
		s.MustCall(t, appOpen, "MuteGroup", m)
	}
	for _, g := range []string{"c", "d"} {
		s.MustCall(t, appOpen, "MuteGroupMembers", map[string]any{"FromUserId": "own", "GroupId": g, "UserIds": []string{"m1"}, "Duration": "-1"})
	}
	s.Clock.Advance(time.Second) // f's is over
	fetch := func(start int64) forbidList {
		return decodeRaw[forbidList](t, s.MustCall(t, appOpen, "FetchForbidGroupList", map[string]any{"FromUserId": "m1", "StartFlag": start}))
	}
	if got := fmt.Sprint(fetch(0)); got != "{1 0 [{a 1} {b 2} {c 4} {d 5}]}" {
		t.Fatalf("FetchForbidGroupList: got %s, want a 1, b 2, c 4, d 5, done", got)
	}
	t.Run("Pages", func(t *testing.T) {
		defer zego.SetForbidPage(3)()
		p1, p2 := fetch(0), fetch(3)
		if fmt.Sprint(p1) != "{0 3 [{a 1} {b 2} {c 4}]}" || fmt.Sprint(p2) != "{1 0 [{d 5}]}" {
			t.Fatalf("pages: got %v then %v", p1, p2)
		}
		if p := fetch(4); fmt.Sprint(p) != "{1 0 []}" {
			t.Fatalf("past the end: got %v", p)
		}
	})
	t.Run("DismissedGroupsGo", func(t *testing.T) {
		if err := s.Svc.DismissRoom(ctx, roomd.Actor{ID: "own"}, appOpen, "a"); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(fetch(0)); got != "{1 0 [{b 2} {c 4} {d 5}]}" {
			t.Fatalf("after dismissing a: got %s", got)
		}
	})
	for name, c := range map[string]struct {
		p    map[string]any
		code int
	}{
		"NegativeStart":  {map[string]any{"FromUserId": "own", "StartFlag": -1}, 660000002},
		"StartString":    {map[string]any{"FromUserId": "own", "StartFlag": "0"}, 660000002},
		"NoFromUserId":   {map[string]any{"StartFlag": 0}, 660000002},
		"NotRegistered":  {map[string]any{"FromUserId": "ghost", "StartFlag": 0}, 660500002},
		"StartAtTheLast": {map[string]any{"FromUserId": "own", "StartFlag": 2}, 0},
	} {
		t.Run(name, func(t *testing.T) { WantCode(t, s.Call(t, appOpen, "FetchForbidGroupList", c.p), int64(c.code)) })
	}
	t.Run("RateLimit", func(t *testing.T) {
		s.Register(t, appLimited, "own")
		wantRateLimit(t, s, "FetchForbidGroupList", map[string]any{"FromUserId": "own", "StartFlag": 0})
	})
}

// TestGroupDataActionMethods: the vendor's method of each action of
// groupdata.go and mute.go.
func TestGroupDataActionMethods(t *testing.T) {
	for action, want := range map[string]string{
		"UpdateGroupData": "POST", "ModifyGroupAttribute": "POST", "ModifyGroupLimit": "GET", "SetGroupMembersNickname": "POST",
		"MuteGroup": "GET", "MuteGroupMembers": "GET", "FetchForbidGroupList": "POST",
	} {
		if got, ok := zego.ActionMethod(action); !ok || got != want {
			t.Errorf("ActionMethod(%q) = %q, %v; want %q, true", action, got, ok, want)
		}
	}
}
