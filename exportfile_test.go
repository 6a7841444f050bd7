package roomd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/roomd/roomd"
)

// sampleRecords holds a record of every kind, with the values an encoding
// could lose: nanoseconds, text needing escapes, nil and empty lists.
func sampleRecords() []roomd.Record {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	return []roomd.Record{
		{Kind: roomd.RecordUser, User: &roomd.User{AppID: 7, ID: "ann", Name: "Ann <&>", Extra: "a\nb\u2028", CreatedAt: at}},
		{Kind: roomd.RecordUser, User: &roomd.User{AppID: 7, ID: "room 😀"}},
		{Kind: roomd.RecordEvent, Event: &roomd.Event{AppID: 7, RoomID: "r1", Seq: 1, Pos: 1, Type: roomd.EventRoomCreated, Actor: "administrator",
			Payload: json.RawMessage(`{"name":"\u003cb\u003e","owner":"ann"}`), Time: at}},
		{Kind: roomd.RecordEvent, Event: &roomd.Event{AppID: 7, RoomID: "r1", Seq: 2, Pos: 2, Type: "x", Payload: json.RawMessage(`{"spaced": 1}`)}},
		{Kind: roomd.RecordEvent, Event: &roomd.Event{AppID: 7, RoomID: "r1", Seq: 3, Type: "x", Payload: json.RawMessage(`null`)}},
		{Kind: roomd.RecordEvent, Event: &roomd.Event{AppID: 7, RoomID: "r1", Seq: 4, Type: "x"}},
		{Kind: roomd.RecordEvent, Event: &roomd.Event{AppID: 7, RoomID: "r1", Seq: 5, Type: "x", Payload: json.RawMessage(`not json`)}},
		{Kind: roomd.RecordRoom, Room: &roomd.Room{AppID: 7, ID: "r1", Name: "n", Attributes: []roomd.Attribute{}, Props: map[string]string{"b": "1", "a": ""},
			JoinMode: 1, Owner: "ann", CreatedAt: at, Seq: 5}},
		{Kind: roomd.RecordRoom, Room: &roomd.Room{AppID: 7, ID: "r2", Owner: "ann", Props: map[string]string{}}},
		{Kind: roomd.RecordRoomLog, RoomLog: &roomd.RoomLog{AppID: 7, RoomID: "r3", Seq: 9}},
		{Kind: roomd.RecordAppLog, AppLog: &roomd.AppLog{AppID: 7, Pos: 2}},
		{Kind: roomd.RecordMember, Member: &roomd.Member{AppID: 7, RoomID: "r1", UserID: "ann", Role: roomd.RoleOwner, NameCard: "A", CustomInfo: "c", JoinedAt: at}},
		{Kind: roomd.RecordMembership, Membership: &roomd.MemberPeriod{AppID: 7, RoomID: "r1", UserID: "ann", Membership: roomd.Membership{From: 2, To: 0}}},
		{Kind: roomd.RecordBan, Ban: &roomd.Ban{AppID: 7, RoomID: "r1", UserID: "bob", Until: at, Reason: "r", CreatedAt: at}},
		{Kind: roomd.RecordSeat, Seat: &roomd.RoomSeat{AppID: 7, RoomID: "r1", Seat: roomd.Seat{Index: 0, UserID: "ann", AudioDisabled: true}}},
		{Kind: roomd.RecordSeatRequest, SeatRequest: &roomd.SeatRequest{AppID: 7, RoomID: "r1", UserID: "bob", Index: -1, At: at}},
		{Kind: roomd.RecordMarks, Marks: &roomd.RoomMarks{AppID: 7, RoomID: "r1", UserID: "ann", Marks: []int64{1000, 2000}}},
		{Kind: roomd.RecordRoomMute, RoomMute: &roomd.RoomMute{AppID: 7, RoomID: "r1", Roles: []roomd.Role{}}},
		{Kind: roomd.RecordRoomMute, RoomMute: &roomd.RoomMute{AppID: 7, RoomID: "r2", Roles: []roomd.Role{3}, Until: at}},
		{Kind: roomd.RecordMemberMute, MemberMute: &roomd.MemberMute{AppID: 7, RoomID: "r1", UserID: "ann"}},
		{Kind: roomd.RecordCallback, Callback: &roomd.Callback{AppID: 7, URL: "https://h/?a=1&b=2"}},
		{Kind: roomd.RecordHookCursor, HookCursor: &roomd.HookCursor{AppID: 7, Style: roomd.HookZEGO, Pos: 2}},
	}
}

// writeRecords writes records as an export file.
func writeRecords(tb testing.TB, records []roomd.Record) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := roomd.NewRecordWriter(&buf, "v1.2.3", "sqlite")
	if err != nil {
		tb.Fatalf("NewRecordWriter: got error %v, want nil", err)
	}
	for _, r := range records {
		if err := w.Write(r); err != nil {
			tb.Fatalf("Write(%s): got error %v, want nil", r, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("Close: got error %v, want nil", err)
	}
	return buf.Bytes()
}

// readRecords reads an export file whole, returning the first error.
func readRecords(data []byte) ([]roomd.Record, error) {
	rr, err := roomd.NewRecordReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []roomd.Record
	for {
		r, ok, err := rr.Next()
		if err != nil || !ok {
			return out, err
		}
		out = append(out, r)
	}
}

// TestExportFileRoundTrip: records written and read back are the same,
// down to each time's nanoseconds, nil against empty lists and each
// payload's bytes, and the same records make the same bytes.
func TestExportFileRoundTrip(t *testing.T) {
	want := sampleRecords()
	file := writeRecords(t, want)
	if again := writeRecords(t, want); !bytes.Equal(again, file) {
		t.Fatalf("two writes of the same records differ:\n%s\n%s", file, again)
	}
	got, err := readRecords(file)
	if err != nil {
		t.Fatalf("reading back: got error %v, want nil\n%s", err, file)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Fatalf("records read back:\n got %s\nwant %s", g, w)
	}
	for i := range got {
		if e := got[i].Event; e != nil && !bytes.Equal(e.Payload, want[i].Event.Payload) {
			t.Errorf("event %d: got payload %q, want %q", e.Seq, e.Payload, want[i].Event.Payload)
		}
	}
	lines := strings.Split(string(file), "\n")
	if lines[0] != `{"format":"roomd-export","version":1,"roomd":"v1.2.3","store":"sqlite"}` {
		t.Errorf("header: got %s", lines[0])
	}
	if !strings.Contains(lines[3], `"payload":{"name":"\u003cb\u003e","owner":"ann"}`) || !strings.Contains(lines[4], `"payload_text":"{\"spaced\": 1}"`) {
		t.Errorf("payloads: got\n%s\n%s\nwant compact JSON embedded as is and other text as a string", lines[3], lines[4])
	}
	if last := lines[len(lines)-2]; last != `{"kind":"end","records":22}` || lines[len(lines)-1] != "" {
		t.Errorf("end: got %q then %q, want the end line and a final newline", last, lines[len(lines)-1])
	}
}

// TestExportFileRefused: a reader refuses, with EINVALID and a message
// naming the line, what is not a whole export of a known version.
func TestExportFileRefused(t *testing.T) {
	good := string(writeRecords(t, sampleRecords()[:2]))
	lines := strings.SplitAfter(good, "\n") // header, 2 records, end, ""
	for _, c := range []struct{ name, file, want string }{
		{"Empty", "", "empty"},
		{"NotJSON", "{\n", "line 1 is not the header"},
		{"NoFormat", `{"version":1}` + "\n", "line 1 is not the header"},
		{"UnknownHeaderField", strings.Replace(good, `"store"`, `"stores"`, 1), "line 1 is not the header"},
		{"Version", strings.Replace(good, `"version":1`, `"version":0`, 1), "format version 0"},
		{"NoEnd", lines[0] + lines[1] + lines[2], "cut short: it ends after 2 records"},
		{"CutLine", good[:len(lines[0])+10], "line 2"},
		{"NotObject", lines[0] + "[1]\n", "line 2: not one JSON object"},
		{"UnknownKind", lines[0] + `{"kind":"robot"}` + "\n", `line 2: unknown record kind "robot"`},
		{"UnknownField", lines[0] + `{"kind":"app_log","app":1,"pos":1,"extra":1}` + "\n", `line 2: json: unknown field "extra"`},
		{"WrongType", lines[0] + `{"kind":"app_log","app":"one","pos":1}` + "\n", "line 2"},
		{"TwoValues", lines[0] + `{"kind":"app_log","app":1,"pos":1} {}` + "\n", "line 2: more than one JSON value"},
		{"KindAfter", lines[0] + `{"app":1,"pos":1,"kind":"app_log"}` + "\n", "cut short: it ends after 1 records"}, // read, kind last
		{"EmptyID", lines[0] + `{"kind":"user","app":1,"id":""}` + "\n", "line 2: user of app 1 \"\": an id is empty"},
		{"BothPayloads", lines[0] + `{"kind":"event","app":1,"room":"r","seq":1,"pos":1,"type":"x","payload":{},"payload_text":"x"}` + "\n", "both payload"},
		{"NegativePos", lines[0] + `{"kind":"event","app":1,"room":"r","seq":1,"pos":-1,"type":"x"}` + "\n", "pos -1"},
		{"EndCount", lines[0] + lines[1] + lines[3], "the end line counts 2 records, but 1 came before it"},
		{"AfterEnd", good + lines[1], "line 5: data after the end line"},
		{"LongLine", lines[0] + `{"kind":"user","app":1,"id":"` + strings.Repeat("a", roomd.MaxExportLine) + "\"}\n", "longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readRecords([]byte(c.file))
			if roomd.ErrorCode(err) != roomd.EINVALID || !strings.Contains(roomd.ErrorMessage(err), c.want) {
				t.Fatalf("got error %v, want EINVALID saying %q", err, c.want)
			}
		})
	}
}

// TestRecordValidate: a record holds exactly the entity of its kind.
func TestRecordValidate(t *testing.T) {
	u := &roomd.User{AppID: 1, ID: "ann"}
	for _, c := range []struct {
		name string
		r    roomd.Record
		want string // "" for valid
	}{
		{"Valid", roomd.Record{Kind: roomd.RecordUser, User: u}, ""},
		{"UnknownKind", roomd.Record{Kind: "robot", User: u}, `unknown record kind "robot"`},
		{"None", roomd.Record{Kind: roomd.RecordUser}, "want exactly a user"},
		{"Other", roomd.Record{Kind: roomd.RecordBan, User: u}, "a ban record holds [user]"},
		{"Two", roomd.Record{Kind: roomd.RecordUser, User: u, AppLog: &roomd.AppLog{AppID: 1}}, "holds [user app_log]"},
		{"EmptyRoom", roomd.Record{Kind: roomd.RecordMember, Member: &roomd.Member{AppID: 1, UserID: "ann"}}, "an id is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.r.Validate()
			if c.want == "" && err != nil || c.want != "" && (roomd.ErrorCode(err) != roomd.EINVALID || !strings.Contains(roomd.ErrorMessage(err), c.want)) {
				t.Fatalf("Validate: got %v, want %q", err, c.want)
			}
		})
	}
}

// TestImportRecords: the loop of an importer checks the order of kinds,
// numbers the records it puts, and passes the input's and put's errors on.
func TestImportRecords(t *testing.T) {
	records := sampleRecords()
	from := func(rs []roomd.Record, fail error) func() (roomd.Record, bool, error) {
		i := 0
		return func() (roomd.Record, bool, error) {
			if i == len(rs) {
				return roomd.Record{}, false, fail
			}
			i++
			return rs[i-1], true, nil
		}
	}
	var got []int
	n, err := roomd.ImportRecords(context.Background(), from(records, nil), func(n int, r roomd.Record) error {
		got = append(got, n)
		return nil
	})
	if err != nil || n != len(records) || len(got) != n || got[n-1] != n {
		t.Fatalf("ImportRecords: got %d, %v and numbers %v; want %d records numbered from 1", n, err, got, len(records))
	}

	backwards := append(records[2:4:4], records[0])
	_, err = roomd.ImportRecords(context.Background(), from(backwards, nil), func(int, roomd.Record) error { return nil })
	if roomd.ErrorCode(err) != roomd.EINVALID || !strings.Contains(roomd.ErrorMessage(err), "record 3 (user of app 7 \"ann\"): it comes after the event records") {
		t.Fatalf("a user after events: got %v, want EINVALID naming record 3", err)
	}

	broken := errors.New("disk gone")
	if _, err := roomd.ImportRecords(context.Background(), from(records[:1], broken), func(int, roomd.Record) error { return nil }); !errors.Is(err, broken) {
		t.Fatalf("failing input: got %v, want its error", err)
	}
	_, err = roomd.ImportRecords(context.Background(), from(records, nil), func(n int, r roomd.Record) error {
		if n == 2 {
			return roomd.RecordError(n, r, roomd.Errorf(roomd.EINVALID, "no"))
		}
		return nil
	})
	if roomd.ErrorMessage(err) != `record 2 (user of app 7 "room 😀"): no` {
		t.Fatalf("put's error: got %q, want it with the record's number and name", roomd.ErrorMessage(err))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	many := make([]roomd.Record, 2000)
	for i := range many {
		many[i] = records[0]
	}
	if _, err := roomd.ImportRecords(ctx, from(many, nil), func(int, roomd.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended ctx: got %v, want context.Canceled", err)
	}
}
