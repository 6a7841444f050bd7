package tencent_test

import (
	"strings"
	"testing"
	"time"
)

func roomBody(info map[string]any) map[string]any { return map[string]any{"RoomInfo": info} }

func TestCreateRoom(t *testing.T) {
	e := newEnv(t)
	e.importAccounts(t, "host")
	before := time.Now().Unix()
	e.ok(t, "create_room", roomBody(map[string]any{
		"RoomId": "conf-1", "RoomType": "Conference", "Owner_Account": "host", "MaxMemberCount": 300,
		"IsMessageDisabled": true, "IsVideoDisabled": false, "CustomInfo": "custom123",
		"IsSeatEnabled": true, "MaxSeatCount": 16, "TakeSeatMode": "ApplyToTake", "ScheduleStartTime": 1693271355,
	}), nil)
	info := e.roomInfo(t, "conf-1")
	want := map[string]any{
		"RoomId": "conf-1", "RoomName": "conf-1", "RoomType": "Conference", "Owner_Account": "host",
		"MaxMemberCount": float64(300), "IsMessageDisabled": true, "IsVideoDisabled": false, "CustomInfo": "custom123",
		"IsSeatEnabled": true, "MaxSeatCount": float64(16), "TakeSeatMode": "ApplyToTake", "ScheduleStartTime": float64(1693271355),
		"MemberCount": float64(1), "RoomStatus": "Running",
	}
	for k, v := range want {
		if info[k] != v {
			t.Fatalf("RoomInfo.%s = %v, want %v (RoomInfo %v)", k, info[k], v, info)
		}
	}
	if _, ok := info["IsAudioDisabled"]; ok {
		t.Fatalf("RoomInfo has IsAudioDisabled, never set: %v", info)
	}
	if ct, _ := info["CreateTime"].(float64); int64(ct) < before || int64(ct) > time.Now().Unix() {
		t.Fatalf("CreateTime = %v, want between %d and now", info["CreateTime"], before)
	}
	if got := e.members(t, "conf-1"); len(got) != 1 || got["host"] != "Owner" {
		t.Fatalf("members = %v, want host as Owner only", got)
	}

	t.Run("Duplicate", func(t *testing.T) {
		e.want(t, 100003, "create_room", roomBody(map[string]any{"RoomId": "conf-1", "Owner_Account": "host"}))
	})
	t.Run("DefaultsAndName", func(t *testing.T) {
		e.ok(t, "create_room", roomBody(map[string]any{"RoomId": "conf-2", "RoomName": "Weekly", "Owner_Account": "host"}), nil)
		info := e.roomInfo(t, "conf-2")
		if info["RoomName"] != "Weekly" || info["RoomType"] != "Conference" || info["MaxMemberCount"] != float64(10000) {
			t.Fatalf("RoomInfo = %v, want RoomName Weekly, RoomType Conference, MaxMemberCount 10000", info)
		}
	})
	t.Run("OwnerNotImported", func(t *testing.T) {
		e.want(t, 70107, "create_room", roomBody(map[string]any{"RoomId": "conf-3", "Owner_Account": "ghost"}))
	})
	t.Run("DefaultOwnerIsCaller", func(t *testing.T) {
		e.want(t, 70107, "create_room", roomBody(map[string]any{"RoomId": "conf-4"})) // admin not imported yet
		e.importAccounts(t, admin)
		e.ok(t, "create_room", roomBody(map[string]any{"RoomId": "conf-4"}), nil)
		if owner := e.roomInfo(t, "conf-4")["Owner_Account"]; owner != admin {
			t.Fatalf("Owner_Account = %v, want the caller %s", owner, admin)
		}
	})
	bad := map[string]map[string]any{
		"NoRoomId":            {"Owner_Account": "host"},
		"RoomIdTooLong":       {"RoomId": strings.Repeat("r", 49), "Owner_Account": "host"},
		"RoomIdNotString":     {"RoomId": 5, "Owner_Account": "host"},
		"RoomIdControlChar":   {"RoomId": "a\nb", "Owner_Account": "host"},
		"RoomNameTooLong":     {"RoomId": "x1", "RoomName": strings.Repeat("n", 101), "Owner_Account": "host"},
		"RoomType":            {"RoomId": "x2", "RoomType": "Party", "Owner_Account": "host"},
		"MaxMemberCountZero":  {"RoomId": "x3", "MaxMemberCount": 0, "Owner_Account": "host"},
		"MaxMemberCountFloat": {"RoomId": "x4", "MaxMemberCount": 1.5, "Owner_Account": "host"},
		"CustomInfoTooLong":   {"RoomId": "x5", "CustomInfo": strings.Repeat("c", 501), "Owner_Account": "host"},
		"TakeSeatMode":        {"RoomId": "x6", "TakeSeatMode": "Grab", "Owner_Account": "host"},
		"MaxSeatCountNeg":     {"RoomId": "x7", "MaxSeatCount": -1, "Owner_Account": "host"},
		"BoolNotBool":         {"RoomId": "x8", "IsMessageDisabled": "yes", "Owner_Account": "host"},
		"OwnerNotString":      {"RoomId": "x9", "Owner_Account": 1},
	}
	for name, info := range bad {
		t.Run(name, func(t *testing.T) { e.want(t, 100002, "create_room", roomBody(info)) })
	}
	t.Run("RoomInfoNotObject", func(t *testing.T) { e.want(t, 100002, "create_room", `{"RoomInfo": "conf"}`) })
	t.Run("MaxLengthRoomId", func(t *testing.T) {
		e.ok(t, "create_room", roomBody(map[string]any{"RoomId": strings.Repeat("r", 48), "Owner_Account": "host"}), nil)
	})
}

func TestGetRoomInfo(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1", "m2")
	if n := e.roomInfo(t, "r1")["MemberCount"]; n != float64(3) {
		t.Fatalf("MemberCount = %v, want 3", n)
	}
	t.Run("NoRoom", func(t *testing.T) { e.want(t, 100004, "get_room_info", map[string]string{"RoomId": "nope"}) })
	t.Run("NoRoomId", func(t *testing.T) { e.want(t, 100002, "get_room_info", "{}") })
	t.Run("RoomIdTooLong", func(t *testing.T) {
		e.want(t, 100002, "get_room_info", map[string]string{"RoomId": strings.Repeat("r", 65)})
	})
	// 49 bytes cannot be created here (create_room's limit is 48) but is
	// addressable: such a room may come from the domain.
	t.Run("RoomId49BytesAddressable", func(t *testing.T) {
		e.want(t, 100004, "get_room_info", map[string]string{"RoomId": strings.Repeat("r", 49)})
	})
}

func TestUpdateRoomInfo(t *testing.T) {
	e := newEnv(t)
	e.importAccounts(t, "host")
	e.ok(t, "create_room", roomBody(map[string]any{"RoomId": "r1", "Owner_Account": "host", "IsSeatEnabled": true, "MaxSeatCount": 4, "IsAudioDisabled": true}), nil)
	e.ok(t, "update_room_info", roomBody(map[string]any{
		"RoomId": "r1", "RoomName": "Renamed", "MaxMemberCount": 50, "CustomInfo": "c2",
		"IsMessageDisabled": true, "TakeSeatMode": "FreeToTake",
		"IsSeatEnabled": false, "MaxSeatCount": 9, // fixed at creation: ignored
	}), nil)
	info := e.roomInfo(t, "r1")
	want := map[string]any{
		"RoomName": "Renamed", "MaxMemberCount": float64(50), "CustomInfo": "c2", "IsMessageDisabled": true,
		"TakeSeatMode": "FreeToTake", "IsSeatEnabled": true, "MaxSeatCount": float64(4), "IsAudioDisabled": true,
		"Owner_Account": "host",
	}
	for k, v := range want {
		if info[k] != v {
			t.Fatalf("RoomInfo.%s = %v, want %v (RoomInfo %v)", k, info[k], v, info)
		}
	}
	t.Run("NoRoom", func(t *testing.T) {
		e.want(t, 100004, "update_room_info", roomBody(map[string]any{"RoomId": "nope", "RoomName": "x"}))
	})
	t.Run("NoRoomId", func(t *testing.T) { e.want(t, 100002, "update_room_info", roomBody(map[string]any{"RoomName": "x"})) })
	t.Run("NameTooLong", func(t *testing.T) {
		e.want(t, 100002, "update_room_info", roomBody(map[string]any{"RoomId": "r1", "RoomName": strings.Repeat("n", 101)}))
	})
	t.Run("MaxMemberCountNegative", func(t *testing.T) {
		e.want(t, 100002, "update_room_info", roomBody(map[string]any{"RoomId": "r1", "MaxMemberCount": -3}))
	})
	t.Run("TakeSeatMode", func(t *testing.T) {
		e.want(t, 100002, "update_room_info", roomBody(map[string]any{"RoomId": "r1", "TakeSeatMode": 2}))
	})
}

func TestDestroyRoom(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "host", "m1")
	e.ok(t, "destroy_room", map[string]string{"RoomId": "r1"}, nil)
	e.want(t, 100004, "get_room_info", map[string]string{"RoomId": "r1"})
	t.Run("Again", func(t *testing.T) { e.want(t, 100004, "destroy_room", map[string]string{"RoomId": "r1"}) })
	t.Run("NoRoomId", func(t *testing.T) { e.want(t, 100002, "destroy_room", "{}") })
	t.Run("Recreate", func(t *testing.T) {
		e.ok(t, "create_room", roomBody(map[string]any{"RoomId": "r1", "Owner_Account": "m1"}), nil)
		if got := e.members(t, "r1"); len(got) != 1 || got["m1"] != "Owner" {
			t.Fatalf("members of the re-created room = %v, want m1 as Owner only", got)
		}
	})
}
