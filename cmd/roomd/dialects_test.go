package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/sqlite"
	"github.com/roomd/roomd/storetest"
	"github.com/roomd/roomd/tencent"
)

// tencentAnswer is the Tencent envelope with the payloads the tests read.
type tencentAnswer struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	RequestId    string
	FailAccounts []string // multiaccount_import's accounts not imported
	Response     struct {
		RoomInfo struct {
			RoomId         string
			RoomName       string
			RoomType       string
			Owner_Account  string
			MaxMemberCount int
			MemberCount    int
		}
		MemberList []struct {
			Member_Account string
			Role           string
			NameCard       string
			Marks          []int
		}
		SeatList []struct {
			Index          int
			Member_Account string
		}
	}
}

// tencentCall makes one Tencent call as the app's administrator.
func tencentCall(tb testing.TB, base, command string, body any) (tencentAnswer, error) {
	tb.Helper()
	var ans tencentAnswer
	sig, err := tencent.GenUserSig(777, crashSecret, "administrator", time.Hour, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	req, err := tencent.NewRequest(context.Background(), base, 777, "administrator", sig, command, body, rand.Uint32())
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return ans, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ans, fmt.Errorf("%s: HTTP status %d", command, resp.StatusCode)
	}
	return ans, json.NewDecoder(resp.Body).Decode(&ans)
}

// MustTencent makes a Tencent call that must succeed.
func MustTencent(tb testing.TB, base, command string, body any) tencentAnswer {
	tb.Helper()
	ans, err := tencentCall(tb, base, command, body)
	if err != nil {
		tb.Fatalf("%s: %v", command, err)
	}
	if ans.ErrorCode != 0 || ans.ActionStatus != "OK" {
		tb.Fatalf("%s: got %d %s (%s), want 0 OK", command, ans.ErrorCode, ans.ActionStatus, ans.ErrorInfo)
	}
	return ans
}

func roles(ans tencentAnswer) map[string]string {
	m := map[string]string{}
	for _, e := range ans.Response.MemberList {
		m[e.Member_Account] = e.Role
	}
	return m
}

// TestCrossDialect: one store behind both dialects.
func TestCrossDialect(t *testing.T) {
	dir := t.TempDir()
	p := MustStartRoomd(t, dir, "--config", writeConfig(t, dir))
	base := p.addr
	zegoOK := func(action string, query map[string]string, body any) codeAnswer {
		t.Helper()
		return MustZEGO(t, base, 777, crashSecret, action, query, body)
	}
	zegoOK("UserRegister", nil, map[string]any{"UserInfo": []map[string]string{{"UserId": "alice"}, {"UserId": "bob"}, {"UserId": "carol"}}})
	zegoOK("CreateGroup", nil, map[string]any{"GroupId": "room-z", "GroupOwner": "alice", "UserId": []string{"bob", "carol"}})

	t.Run("ZEGORoomSeenByTencent", func(t *testing.T) {
		info := MustTencent(t, base, "get_room_info", map[string]string{"RoomId": "room-z"})
		if got := info.Response.RoomInfo; got.Owner_Account != "alice" || got.MemberCount != 3 || got.RoomType != "Conference" {
			t.Fatalf("got owner %q, %d members, type %q; want alice, 3, Conference", got.Owner_Account, got.MemberCount, got.RoomType)
		}
	})
	t.Run("TencentRoomSeenByZEGO", func(t *testing.T) {
		MustTencent(t, base, "account_import", map[string]string{"UserID": "dave"})
		MustTencent(t, base, "account_import", map[string]string{"UserID": "erin"})
		MustTencent(t, base, "create_room", map[string]any{"RoomInfo": map[string]string{"RoomId": "room-t", "Owner_Account": "dave"}})
		if got := zegoOK("QueryGroupInfo", nil, map[string]string{"FromUserId": "dave", "GroupId": "room-t"}); got.GroupOwner != "dave" {
			t.Fatalf("got GroupOwner %q, want dave", got.GroupOwner)
		}
	})
	t.Run("TencentTransferSeenByZEGO", func(t *testing.T) {
		zegoOK("InviteUsersIntoGroup", nil, map[string]any{"FromUserId": "dave", "GroupId": "room-t", "UserIds": []string{"erin"}})
		MustTencent(t, base, "change_room_owner", map[string]string{"RoomId": "room-t", "From_Account": "dave", "NewOwner_Account": "erin"})
		if got := zegoOK("QueryGroupInfo", nil, map[string]string{"FromUserId": "dave", "GroupId": "room-t"}); got.GroupOwner != "erin" {
			t.Fatalf("got GroupOwner %q, want erin", got.GroupOwner)
		}
	})
	t.Run("ZEGOTransferSeenByTencent", func(t *testing.T) {
		zegoOK("TransferGroupOwner", map[string]string{"FromUserId": "alice", "GroupId": "room-z", "NewOwner": "bob"}, nil)
		got := roles(MustTencent(t, base, "get_room_member_list", map[string]any{"RoomId": "room-z"}))
		if got["bob"] != "Owner" || got["alice"] != "Member" || got["carol"] != "Member" {
			t.Fatalf("got roles %v, want bob Owner, alice and carol Member", got)
		}
		// A retry through the other dialect changes nothing and succeeds.
		MustTencent(t, base, "change_room_owner", map[string]string{"RoomId": "room-z", "From_Account": "alice", "NewOwner_Account": "bob"})
	})
	t.Run("TencentBanHoldsInZEGO", func(t *testing.T) {
		MustTencent(t, base, "ban_room_member", map[string]any{"RoomId": "room-z", "MemberList_Account": []string{"carol"}, "Duration": 3600})
		var ans struct {
			Code       int
			ErrorUsers []struct {
				UserId  string
				SubCode int
			}
		}
		if err := zegoCall(t, base, 777, crashSecret, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": "bob", "GroupId": "room-z", "UserIds": []string{"carol"}}, &ans); err != nil {
			t.Fatal(err)
		}
		if len(ans.ErrorUsers) != 1 || ans.ErrorUsers[0].UserId != "carol" || ans.ErrorUsers[0].SubCode == 0 {
			t.Fatalf("invite of a banned user: got %+v, want carol refused", ans)
		}
		MustTencent(t, base, "unban_room_member", map[string]any{"RoomId": "room-z", "MemberList_Account": []string{"carol"}})
		zegoOK("InviteUsersIntoGroup", nil, map[string]any{"FromUserId": "bob", "GroupId": "room-z", "UserIds": []string{"carol"}})
		if got := roles(MustTencent(t, base, "get_room_member_list", map[string]any{"RoomId": "room-z"})); got["carol"] != "Member" {
			t.Fatalf("after unban and invite: got roles %v, want carol Member", got)
		}
	})
	t.Run("ZEGOGroupDataSeenByTencent", func(t *testing.T) {
		zegoOK("UpdateGroupData", nil, map[string]string{"FromUserId": "alice", "GroupId": "room-z", "GroupName": "Zed"})
		zegoOK("ModifyGroupLimit", map[string]string{"FromUserId": "alice", "GroupId": "room-z", "MemberCountLimit": "50"}, nil)
		zegoOK("SetGroupMembersNickname", nil, map[string]any{"FromUserId": "alice", "GroupId": "room-z", "UserIds": []map[string]string{{"UserId": "carol", "Nickname": "Cee"}}})
		info := MustTencent(t, base, "get_room_info", map[string]string{"RoomId": "room-z"}).Response.RoomInfo
		if info.RoomName != "Zed" || info.MaxMemberCount != 50 {
			t.Fatalf("got RoomName %q, MaxMemberCount %d; want Zed, 50", info.RoomName, info.MaxMemberCount)
		}
		for _, m := range MustTencent(t, base, "get_room_member_list", map[string]any{"RoomId": "room-z"}).Response.MemberList {
			if m.Member_Account == "carol" && m.NameCard != "Cee" {
				t.Fatalf("carol's NameCard: got %q, want Cee", m.NameCard)
			}
		}
	})
	t.Run("ZEGOKickFreesTencentSeat", func(t *testing.T) {
		MustTencent(t, base, "create_room", map[string]any{"RoomInfo": map[string]any{"RoomId": "room-s", "Owner_Account": "dave", "IsSeatEnabled": true, "MaxSeatCount": 2}})
		zegoOK("InviteUsersIntoGroup", nil, map[string]any{"FromUserId": "dave", "GroupId": "room-s", "UserIds": []string{"erin"}})
		MustTencent(t, base, "pick_user_on_seat", map[string]any{"RoomId": "room-s", "Index": 1, "Member_Account": "erin"})
		MustTencent(t, base, "mark_room_member", map[string]any{"RoomId": "room-s", "CommandType": 1, "MemberList": []map[string]any{{"Member_Account": "erin", "Marks": []int{1001}}}})
		for _, m := range MustTencent(t, base, "get_room_member_list", map[string]any{"RoomId": "room-s"}).Response.MemberList {
			if m.Member_Account == "erin" && (len(m.Marks) != 1 || m.Marks[0] != 1001) {
				t.Fatalf("erin's marks: got %v, want [1001]", m.Marks)
			}
		}
		seats := MustTencent(t, base, "get_seat_list", map[string]string{"RoomId": "room-s"}).Response.SeatList
		if len(seats) != 2 || seats[1].Member_Account != "erin" {
			t.Fatalf("seats after the pick: got %+v, want erin on seat 1 of 2", seats)
		}
		zegoOK("KickoutGroupUser", nil, map[string]any{"FromUserId": "dave", "GroupId": "room-s", "UserId": []string{"erin"}})
		seats = MustTencent(t, base, "get_seat_list", map[string]string{"RoomId": "room-s"}).Response.SeatList
		if len(seats) != 2 || seats[1].Member_Account != "" {
			t.Fatalf("seats after a ZEGO kick: got %+v, want seat 1 free", seats)
		}
	})
	t.Run("TencentAccountDeleteHandsOwnershipOn", func(t *testing.T) {
		MustTencent(t, base, "account_delete", map[string]any{"DeleteItem": []map[string]string{{"UserID": "bob"}}})
		// alice joined room-z first; carol left and came back.
		if got := zegoOK("QueryGroupInfo", nil, map[string]string{"FromUserId": "alice", "GroupId": "room-z"}); got.GroupOwner != "alice" {
			t.Fatalf("got GroupOwner %q, want alice (longest-standing member)", got.GroupOwner)
		}
	})
}

// TestMixedDialectConcurrency drives random transfers, kicks, invites and
// role changes through both dialects at once, then checks in the store
// that every live room has exactly one owner, who is a member, and that
// every room's event log has no gaps.
func TestMixedDialectConcurrency(t *testing.T) {
	dir := t.TempDir()
	p := MustStartRoomd(t, dir, "--config", writeConfig(t, dir))
	base := p.addr
	const nUsers, nRooms = 10, 3
	users := make([]string, nUsers)
	var infos []map[string]string
	for i := range users {
		users[i] = fmt.Sprintf("u%d", i)
		infos = append(infos, map[string]string{"UserId": users[i]})
	}
	MustZEGO(t, base, 777, crashSecret, "UserRegister", nil, map[string]any{"UserInfo": infos})
	rooms := make([]string, nRooms)
	for i := range rooms {
		rooms[i] = fmt.Sprintf("r%d", i)
		MustZEGO(t, base, 777, crashSecret, "CreateGroup", nil, map[string]any{"GroupId": rooms[i], "GroupOwner": users[0], "UserId": users[1:]})
	}
	// Codes that mean the server failed rather than refused.
	internal := map[int]bool{660000001: true, 100000015: true, 100001: true}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	okByOp := map[string]int{}
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 42))
			pick := func(s []string) string { return s[r.IntN(len(s))] }
			for i := 0; i < 120 && ctx.Err() == nil; i++ {
				room, a, b := pick(rooms), pick(users), pick(users)
				var op string
				var code int
				var err error
				var z codeAnswer
				switch r.IntN(7) {
				case 0:
					op = "zego.transfer"
					err = zegoCall(t, base, 777, crashSecret, "TransferGroupOwner", map[string]string{"FromUserId": a, "GroupId": room, "NewOwner": b}, nil, &z)
				case 1:
					op = "zego.kick"
					err = zegoCall(t, base, 777, crashSecret, "KickoutGroupUser", nil, map[string]any{"FromUserId": a, "GroupId": room, "UserId": []string{b}}, &z)
				case 2:
					op = "zego.invite"
					err = zegoCall(t, base, 777, crashSecret, "InviteUsersIntoGroup", nil, map[string]any{"FromUserId": a, "GroupId": room, "UserIds": []string{b, pick(users)}}, &z)
				case 3:
					op = "zego.role"
					err = zegoCall(t, base, 777, crashSecret, "SetGroupMemberRole", map[string]string{"FromUserId": a, "GroupId": room, "ToUserId": b, "Role": fmt.Sprint(2 + r.IntN(2))}, nil, &z)
				case 4:
					op = "tencent.transfer"
					var ans tencentAnswer
					ans, err = tencentCall(t, base, "change_room_owner", map[string]string{"RoomId": room, "From_Account": a, "NewOwner_Account": b})
					code = ans.ErrorCode
				case 5:
					op = "tencent.kick"
					var ans tencentAnswer
					ans, err = tencentCall(t, base, "kick_user_out", map[string]any{"RoomId": room, "MemberList_Account": []string{b}})
					code = ans.ErrorCode
				case 6:
					op = "tencent.role"
					var ans tencentAnswer
					ans, err = tencentCall(t, base, "update_room_member_info", map[string]any{"RoomId": room, "MemberInfo": map[string]string{"Member_Account": b, "Role": pick([]string{"Admin", "Member"})}})
					code = ans.ErrorCode
				}
				if z.Code != 0 {
					code = z.Code
				}
				if err != nil || internal[code] {
					t.Errorf("%s: err %v, code %d (%s)", op, err, code, z.Message)
					return
				}
				if code == 0 {
					mu.Lock()
					okByOp[op]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, op := range []string{"zego.transfer", "zego.kick", "zego.invite", "tencent.transfer", "tencent.kick", "tencent.role"} {
		if okByOp[op] == 0 {
			t.Errorf("%s never succeeded; the test exercised nothing for it", op)
		}
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
	checkInvariants(t, filepath.Join(dir, "data", "roomd.db"), rooms)
}

// checkInvariants opens the store roomd left and checks every room
// (storetest.Invariants).
func checkInvariants(t *testing.T, path string, rooms []string) {
	t.Helper()
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.CheckRooms(t, context.Background(), roomd.NewService(db, nil, nil), 777, rooms...)
}

// TestMetricsAndRequestLog: /metrics counts requests by dialect, action and
// code, and the request log line carries the RequestId the client got.
func TestMetricsAndRequestLog(t *testing.T) {
	dir := t.TempDir()
	p := MustStartRoomd(t, dir, "--config", writeConfig(t, dir))
	MustZEGO(t, p.addr, 777, crashSecret, "UserRegister", nil, map[string]any{"UserInfo": []map[string]string{{"UserId": "m1"}}})
	ans, err := tencentCall(t, p.addr, "get_room_info", map[string]string{"RoomId": "nope"})
	if err != nil || ans.ErrorCode != 100004 {
		t.Fatalf("get_room_info of a missing room: got %d (%v), want 100004", ans.ErrorCode, err)
	}
	resp, err := http.Get(p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`roomd_requests_total{action="UserRegister",code="0",dialect="zego"} 1`,
		`roomd_requests_total{action="get_room_info",code="100004",dialect="tencent"} 1`,
		`roomd_request_duration_seconds_count{action="UserRegister",dialect="zego"} 1`,
		`roomd_store_commit_batch_size_count`,
		`roomd_store_commit_seconds_bucket`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	line := ""
	re := regexp.MustCompile(`(?m)^.*"request_id":"` + regexp.QuoteMeta(ans.RequestId) + `".*$`)
	for range 50 { // the log line is written just after the answer; allow it a moment
		if line = re.FindString(p.logText()); line != "" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if line == "" {
		t.Fatalf("no log line with request_id %s in:\n%s", ans.RequestId, p.logText())
	}
	var rec struct {
		Remote     string
		DurationMS *float64 `json:"duration_ms"`
		Path       string
	}
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("log line %s: %v", line, err)
	}
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(rec.Remote) || rec.DurationMS == nil || *rec.DurationMS <= 0 || *rec.DurationMS > 30_000 {
		t.Errorf("log line %s: got remote %q and duration_ms %v, want the client's 127.0.0.1:PORT and a number of milliseconds in (0, 30000]", line, rec.Remote, rec.DurationMS)
	}
	if strings.Contains(line, "sdkappid=") || !strings.HasPrefix(rec.Path, "/v4/") || strings.ContainsAny(rec.Path, "?&") {
		t.Errorf("log line %s: got path %q, want the path alone, without the query", line, rec.Path)
	}
	if strings.Contains(p.logText(), "usersig=") || strings.Contains(p.logText(), crashSecret) {
		t.Errorf("a UserSig or the secret appears in the logs")
	}
}
