package tencent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// resultItems decodes the top-level ResultItem of account_check/account_delete.
func resultItems(tb testing.TB, r reply) map[string]struct {
	ResultCode    int
	AccountStatus string
} {
	tb.Helper()
	var out struct {
		ResultItem []struct {
			UserID        string
			ResultCode    int
			AccountStatus string
		}
	}
	if err := json.Unmarshal(r.raw, &out); err != nil {
		tb.Fatalf("decode ResultItem: %v: %s", err, r.raw)
	}
	m := map[string]struct {
		ResultCode    int
		AccountStatus string
	}{}
	for _, it := range out.ResultItem {
		m[it.UserID] = struct {
			ResultCode    int
			AccountStatus string
		}{it.ResultCode, it.AccountStatus}
	}
	return m
}

// item is one {UserID} entry of CheckItem or DeleteItem.
func item(id string) map[string]any { return map[string]any{"UserID": id} }

func TestAccountImport(t *testing.T) {
	e := newEnv(t)
	t.Run("OK", func(t *testing.T) {
		e.ok(t, "account_import", map[string]string{"UserID": "alice", "Nick": "Alice", "FaceUrl": "https://x/a.png"}, nil)
		users, _, err := e.svc.Users(context.Background(), appID, []string{"alice"})
		if err != nil || len(users) != 1 || users[0].Name != "Alice" || users[0].Avatar != "https://x/a.png" {
			t.Fatalf("Users(alice) = %+v, %v; want Name Alice and the FaceUrl", users, err)
		}
	})
	t.Run("Reimport", func(t *testing.T) {
		e.ok(t, "account_import", map[string]string{"UserID": "alice", "Nick": "Alice 2"}, nil)
		users, _, _ := e.svc.Users(context.Background(), appID, []string{"alice"})
		if len(users) != 1 || users[0].Name != "Alice 2" {
			t.Fatalf("Users(alice) = %+v, want Name Alice 2", users)
		}
	})
	t.Run("UserIDMissing", func(t *testing.T) { e.want(t, 70402, "account_import", map[string]string{"Nick": "x"}) })
	t.Run("UserIDTooLong", func(t *testing.T) {
		e.want(t, 70402, "account_import", map[string]string{"UserID": strings.Repeat("u", 33)})
	})
	t.Run("UserIDControlChar", func(t *testing.T) { e.want(t, 70402, "account_import", map[string]string{"UserID": "a\x01b"}) })
	t.Run("UserIDNotString", func(t *testing.T) { e.want(t, 60015, "account_import", `{"UserID": 12345}`) })
	t.Run("NickNotString", func(t *testing.T) { e.want(t, 70402, "account_import", `{"UserID": "bob", "Nick": 5}`) })
	t.Run("InvalidJSON", func(t *testing.T) { e.want(t, 60003, "account_import", `{"UserID": "bob"`) })
}

func TestMultiAccountImport(t *testing.T) {
	e := newEnv(t)
	t.Run("MixedWithLegacy", func(t *testing.T) {
		long := strings.Repeat("x", 33)
		r := e.ok(t, "multiaccount_import", map[string]any{
			"AccountList": []map[string]string{{"UserID": "u1", "Nick": "One"}, {"UserID": long}},
			"Accounts":    []string{"u2", "u3"},
		}, nil)
		var out struct{ FailAccounts []string }
		if err := json.Unmarshal(r.raw, &out); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.FailAccounts, []string{long}) {
			t.Fatalf("FailAccounts = %v, want [%s]", out.FailAccounts, long)
		}
		users, missing, err := e.svc.Users(context.Background(), appID, []string{"u1", "u2", "u3"})
		if err != nil || len(users) != 3 || len(missing) != 0 {
			t.Fatalf("Users = %d users, missing %v, %v; want all 3", len(users), missing, err)
		}
	})
	t.Run("AllOKHasEmptyFailAccounts", func(t *testing.T) {
		r := e.ok(t, "multiaccount_import", map[string]any{"Accounts": []string{"u4"}}, nil)
		if !strings.Contains(string(r.raw), `"FailAccounts":[]`) {
			t.Fatalf("answer %s, want FailAccounts []", r.raw)
		}
	})
	t.Run("Empty", func(t *testing.T) { e.want(t, 70402, "multiaccount_import", "{}") })
	t.Run("TooMany", func(t *testing.T) {
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = fmt.Sprintf("user%d", i)
		}
		e.want(t, 70402, "multiaccount_import", map[string]any{"Accounts": ids})
	})
	t.Run("LegacyNotStrings", func(t *testing.T) { e.want(t, 60015, "multiaccount_import", `{"Accounts": [1, 2]}`) })
	t.Run("ListUserIDNotString", func(t *testing.T) {
		e.want(t, 60015, "multiaccount_import", `{"AccountList": [{"UserID": true}]}`)
	})
	t.Run("ListNotArray", func(t *testing.T) { e.want(t, 70402, "multiaccount_import", `{"AccountList": "u1"}`) })
}

func TestAccountCheck(t *testing.T) {
	e := newEnv(t)
	e.importAccounts(t, "in1", "in2")
	r := e.ok(t, "account_check", map[string]any{"CheckItem": []any{item("in1"), item("out1"), item("in2")}}, nil)
	got := resultItems(t, r)
	for id, want := range map[string]string{"in1": "Imported", "in2": "Imported", "out1": "NotImported"} {
		if got[id].AccountStatus != want || got[id].ResultCode != 0 {
			t.Fatalf("%s: %+v, want AccountStatus %s and ResultCode 0", id, got[id], want)
		}
	}
	t.Run("Empty", func(t *testing.T) { e.want(t, 70402, "account_check", `{"CheckItem": []}`) })
	t.Run("UserIDNotString", func(t *testing.T) { e.want(t, 60015, "account_check", `{"CheckItem": [{"UserID": 7}]}`) })
}

func TestAccountDelete(t *testing.T) {
	e := newEnv(t)
	e.room(t, "r1", "owner", "m1", "m2")
	r := e.ok(t, "account_delete", map[string]any{"DeleteItem": []any{item("owner"), item("ghost")}}, nil)
	got := resultItems(t, r)
	if got["owner"].ResultCode != 0 || got["ghost"].ResultCode != 70107 {
		t.Fatalf("ResultItem = %+v, want owner 0 and ghost 70107", got)
	}
	info := e.roomInfo(t, "r1")
	if info["Owner_Account"] != "m1" || info["MemberCount"] != float64(2) {
		t.Fatalf("after deleting the owner: Owner_Account %v MemberCount %v, want m1 and 2", info["Owner_Account"], info["MemberCount"])
	}
	r = e.ok(t, "account_check", map[string]any{"CheckItem": []any{item("owner")}}, nil)
	if st := resultItems(t, r)["owner"].AccountStatus; st != "NotImported" {
		t.Fatalf("deleted account: AccountStatus %q, want NotImported", st)
	}
	t.Run("TooMany", func(t *testing.T) {
		items := make([]any, 101)
		for i := range items {
			items[i] = item(fmt.Sprint(i))
		}
		e.want(t, 70402, "account_delete", map[string]any{"DeleteItem": items})
	})
	t.Run("UserIDNotString", func(t *testing.T) {
		e.want(t, 60015, "account_delete", `{"DeleteItem": [{"UserID": null}, {"UserID": {}}]}`)
	})
}
