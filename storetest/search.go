package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// searchTests check the console's reads (roomd/search.go): rooms and users
// by id prefix and a room's members in join order, each paged by key.
var searchTests = []test{
	{"SearchRooms", testSearchRooms},
	{"SearchRoomsPrefixes", testSearchRoomsPrefixes},
	{"SearchUsers", testSearchUsers},
	{"SearchInvalid", testSearchInvalid},
	{"MembersAfter", testMembersAfter},
	{"MembersAfterEdgeTimes", testMembersAfterEdgeTimes},
}

// searchIDs are ids whose byte order differs from other orders (case,
// accents, the last code point, a prefix of another): every search must
// return them in byte order.
var searchIDs = []string{
	"b", "ab", "a", "abc", "abd", "ac", "Ab", "ab\U0010FFFF", "ab\U0010FFFFz", "é", "日本", "日", "\U0010FFFF", "\U0010FFFFx", "<script>",
}

// pageAll reads every page of a search, limit items at a time, and
// returns the ids in the order read; it fails the test if a page is
// longer than limit or pages do not end.
func pageAll(t *testing.T, limit int, page func(after string) ([]string, error)) []string {
	t.Helper()
	var out []string
	after := ""
	for range 1000 {
		ids, err := page(after)
		wantCode(t, "page after "+after, err, "")
		if len(ids) > limit {
			t.Fatalf("page after %q: got %d items, want at most %d", after, len(ids), limit)
		}
		out = append(out, ids...)
		if len(ids) < limit {
			return out
		}
		after = ids[len(ids)-1]
	}
	t.Fatalf("pages did not end after 1000 reads")
	return nil
}

// withPrefix returns the ids among ids that start with prefix, in byte order.
func withPrefix(ids []string, prefix string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// searchRooms pages through the rooms of app starting with prefix.
func (f *fixture) searchRooms(prefix string, limit int) []string {
	f.t.Helper()
	return pageAll(f.t, limit, func(after string) ([]string, error) {
		rooms, err := f.svc.SearchRooms(f.ctx, app, prefix, after, limit)
		var ids []string
		for _, r := range rooms {
			ids = append(ids, r.ID)
		}
		return ids, err
	})
}

func testSearchRooms(t *testing.T, f *fixture) {
	f.register("ann", "bob")
	for _, id := range searchIDs {
		f.createRoom(id, "ann", "bob")
	}
	f.createRoom("gone", "ann")
	wantCode(t, "DismissRoom", f.svc.DismissRoom(f.ctx, admin, app, "gone"), "")
	if _, err := f.svc.RegisterUsers(f.ctx, otherApp, []roomd.User{{ID: "cy"}}, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.CreateRoom(f.ctx, admin, roomd.Room{AppID: otherApp, ID: "other", Owner: "cy"}, nil); err != nil {
		t.Fatal(err)
	}
	want := withPrefix(searchIDs, "")
	for _, limit := range []int{1, 2, 3, len(want), roomd.MaxPage} {
		if got := f.searchRooms("", limit); !slices.Equal(got, want) {
			t.Fatalf("every room, %d a page: got %q, want %q (byte order, live rooms of the app only)", limit, got, want)
		}
	}
	rooms, err := f.svc.SearchRooms(f.ctx, app, "ab", "", 1)
	wantCode(t, "SearchRooms", err, "")
	if len(rooms) != 1 || rooms[0].ID != "ab" || rooms[0].Owner != "ann" || rooms[0].Name != "room ab" || rooms[0].MemberCount != 2 || rooms[0].Seq != f.room("ab").Seq {
		t.Fatalf("SearchRooms(ab): got %+v, want room ab, whole, with its 2 members and seq", rooms)
	}
	// The Tx method, as the store contract states it.
	got := read(f, func(tx roomd.Tx) ([]*roomd.Room, error) { return tx.SearchRooms(f.ctx, app, "a", "ab", 3) })
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if want := []string{"abc", "abd", "ab\U0010FFFF"}; !slices.Equal(ids, want) {
		t.Fatalf("Tx.SearchRooms(a, after ab, 3): got %q, want %q", ids, want)
	}
}

func testSearchRoomsPrefixes(t *testing.T, f *fixture) {
	f.register("ann")
	for _, id := range searchIDs {
		f.createRoom(id, "ann")
	}
	for _, prefix := range []string{"a", "ab", "ab\U0010FFFF", "abc", "A", "é", "日", "\U0010FFFF", "<", "z", "abcd"} {
		want := withPrefix(searchIDs, prefix)
		if got := f.searchRooms(prefix, 2); !slices.Equal(got, want) {
			t.Errorf("prefix %q: got %q, want %q", prefix, got, want)
		}
	}
	// A page key before, inside and beyond the prefix's range.
	for _, c := range []struct {
		prefix, after string
		want          []string
	}{
		{"ab", "Z", []string{"ab", "abc", "abd", "ab\U0010FFFF", "ab\U0010FFFFz"}},
		{"ab", "abc", []string{"abd", "ab\U0010FFFF", "ab\U0010FFFFz"}},
		{"ab", "ab\U0010FFFFz", nil},
		{"ab", "ac", nil},
		{"", "日本", []string{"\U0010FFFF", "\U0010FFFFx"}},
	} {
		rooms, err := f.svc.SearchRooms(f.ctx, app, c.prefix, c.after, 10)
		wantCode(t, "SearchRooms", err, "")
		var ids []string
		for _, r := range rooms {
			ids = append(ids, r.ID)
		}
		if !slices.Equal(ids, c.want) {
			t.Errorf("prefix %q after %q: got %q, want %q", c.prefix, c.after, ids, c.want)
		}
	}
}

func testSearchUsers(t *testing.T, f *fixture) {
	f.register(searchIDs...)
	if _, err := f.svc.RegisterUsers(f.ctx, otherApp, []roomd.User{{ID: "abz"}}, false); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"", "a", "ab", "日", "\U0010FFFF", "q"} {
		want := withPrefix(searchIDs, prefix)
		got := pageAll(t, 2, func(after string) ([]string, error) {
			users, err := f.svc.SearchUsers(f.ctx, app, prefix, after, 2)
			var ids []string
			for _, u := range users {
				ids = append(ids, u.ID)
			}
			return ids, err
		})
		if !slices.Equal(got, want) {
			t.Errorf("users with prefix %q: got %q, want %q", prefix, got, want)
		}
	}
	users := read(f, func(tx roomd.Tx) ([]*roomd.User, error) { return tx.SearchUsers(f.ctx, app, "ab", "", 1) })
	if len(users) != 1 || users[0].ID != "ab" || users[0].Name != "Name of ab" || !users[0].CreatedAt.Equal(t0) || users[0].AppID != app {
		t.Fatalf("Tx.SearchUsers(ab): got %+v, want user ab, whole", users)
	}
}

func testSearchInvalid(t *testing.T, f *fixture) {
	for _, c := range []struct {
		name          string
		prefix, after string
		limit         int
	}{
		{"LimitZero", "", "", 0},
		{"LimitOverMax", "", "", roomd.MaxPage + 1},
		{"ControlInPrefix", "a\nb", "", 10},
		{"InvalidUTF8", "a\xff", "", 10},
		{"LongPrefix", strings.Repeat("a", roomd.MaxIDLen+1), "", 10},
		{"ControlInAfter", "", "a\x00", 10},
	} {
		_, err := f.svc.SearchRooms(f.ctx, app, c.prefix, c.after, c.limit)
		wantCode(t, c.name+": SearchRooms", err, roomd.EINVALID)
		_, err = f.svc.SearchUsers(f.ctx, app, c.prefix, c.after, c.limit)
		wantCode(t, c.name+": SearchUsers", err, roomd.EINVALID)
	}
	_, err := f.svc.MembersAfter(f.ctx, app, "none", roomd.MemberKey{}, 10)
	wantCode(t, "MembersAfter of no room", err, roomd.ENOROOM)
	f.register("ann")
	f.createRoom("r1", "ann")
	_, err = f.svc.MembersAfter(f.ctx, app, "r1", roomd.MemberKey{}, 0)
	wantCode(t, "MembersAfter limit 0", err, roomd.EINVALID)
}

// memberPages pages through a room's members, limit at a time, by key.
func (f *fixture) memberPages(room string, limit int) []string {
	f.t.Helper()
	var out []string
	after := roomd.MemberKey{}
	for range 1000 {
		ms, err := f.svc.MembersAfter(f.ctx, app, room, after, limit)
		wantCode(f.t, "MembersAfter", err, "")
		for _, m := range ms {
			out = append(out, m.UserID)
		}
		if len(ms) < limit {
			return out
		}
		after = ms[len(ms)-1].Key()
	}
	f.t.Fatalf("member pages did not end")
	return nil
}

func testMembersAfter(t *testing.T, f *fixture) {
	ids := []string{"owner", "m1", "m2", "m3", "a-tie", "z-tie", "b-tie", "late"}
	f.register(ids...)
	f.createRoom("r1", "owner")
	base := t0.Add(time.Hour)
	adds := []roomd.MemberAdd{
		{UserID: "m3", JoinedAt: base.Add(3 * time.Second)},
		{UserID: "m1", JoinedAt: base.Add(1 * time.Second)},
		{UserID: "z-tie", JoinedAt: base.Add(2 * time.Second)},
		{UserID: "m2", JoinedAt: base.Add(2 * time.Second)},
		{UserID: "a-tie", JoinedAt: base.Add(2 * time.Second)},
		{UserID: "b-tie", JoinedAt: base.Add(2 * time.Second)},
		{UserID: "late", JoinedAt: base.Add(time.Minute)},
	}
	items, err := f.svc.AddMembers(f.ctx, admin, app, "r1", adds)
	wantItems(t, "AddMembers", items, err, nil)
	var want []string
	for _, m := range f.members("r1") { // Tx.Members: join order, then id
		want = append(want, m.UserID)
	}
	if w := []string{"owner", "m1", "a-tie", "b-tie", "m2", "z-tie", "m3", "late"}; !slices.Equal(want, w) {
		t.Fatalf("Members: got %q, want %q", want, w)
	}
	for _, limit := range []int{1, 2, 3, 8, roomd.MaxPage} {
		if got := f.memberPages("r1", limit); !slices.Equal(got, want) {
			t.Fatalf("member pages of %d: got %q, want %q", limit, got, want)
		}
	}
	ms, err := f.svc.MembersAfter(f.ctx, app, "r1", roomd.MemberKey{JoinedAt: base.Add(2 * time.Second), UserID: "b-tie"}, 2)
	wantCode(t, "MembersAfter", err, "")
	if len(ms) != 2 || ms[0].UserID != "m2" || ms[0].UserName != "Name of m2" || ms[0].Role != roomd.RoleMember ||
		!ms[0].JoinedAt.Equal(base.Add(2*time.Second)) || ms[0].RoomID != "r1" || ms[1].UserID != "z-tie" {
		t.Fatalf("MembersAfter(b-tie): got %+v, want m2 (whole, with its name) then z-tie", ms)
	}
}

// testMembersAfterEdgeTimes: members with a zero join time and one before
// 1970 are paged like the others, and the zero key comes before them all.
func testMembersAfterEdgeTimes(t *testing.T, f *fixture) {
	f.register("ann", "old", "zero", "new")
	f.createRoom("r1", "ann")
	f.update(func(tx roomd.Tx) error {
		for _, m := range []*roomd.Member{
			{AppID: app, RoomID: "r1", UserID: "old", Role: roomd.RoleMember, JoinedAt: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)},
			{AppID: app, RoomID: "r1", UserID: "zero", Role: roomd.RoleMember},
			{AppID: app, RoomID: "r1", UserID: "new", Role: roomd.RoleMember, JoinedAt: t0.Add(time.Hour)},
		} {
			if err := tx.PutMember(f.ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	want := []string{"old", "zero", "ann", "new"}
	for _, limit := range []int{1, 2, 4} {
		if got := f.memberPages("r1", limit); !slices.Equal(got, want) {
			t.Fatalf("member pages of %d: got %q, want %q", limit, got, want)
		}
	}
}

// BenchSearchRooms is the benchmark of the console's room list that each
// store runs over a Service whose app 1 has rooms "room000000" up to
// "room%06d" (rooms of them), each with one member: a page of 100 (with
// member counts) first, last by key, by prefix, and, to compare, last by
// OFFSET (Service.Rooms), which reads every room before it.
func BenchSearchRooms(b *testing.B, svc *roomd.Service, rooms int) {
	ctx := context.Background()
	last := fmt.Sprintf("room%06d", rooms-101)
	for _, c := range []struct {
		name          string
		prefix, after string
	}{
		{"KeysetFirst", "", ""},
		{"KeysetLast", "", last},
		{"Prefix", fmt.Sprintf("room%04d", rooms/100-1), ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				got, err := svc.SearchRooms(ctx, 1, c.prefix, c.after, 100)
				if err != nil || len(got) != 100 || got[0].MemberCount != 1 {
					b.Fatalf("SearchRooms(%q, %q): got %d rooms, error %v; want 100, each with 1 member", c.prefix, c.after, len(got), err)
				}
			}
		})
	}
	b.Run("OffsetLast", func(b *testing.B) {
		for b.Loop() {
			got, _, err := svc.Rooms(ctx, 1, rooms-100, 100)
			if err != nil || len(got) != 100 {
				b.Fatalf("Rooms: got %d rooms, error %v; want 100", len(got), err)
			}
		}
	})
}
