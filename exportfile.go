package roomd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The export file: JSON Lines (one JSON object a line, UTF-8, "\n" after
// each). The first line is the header (ExportHeader), then one line per
// Record, then an end line {"kind":"end","records":N} that makes a cut
// file detectable. Each record line has "kind" first and then the fields
// of its entity under fixed snake_case names (the lines below); a field
// that is empty or zero may be left out, except attributes, props, roles,
// commands and marks, where null (none) and [] (an empty list) are told
// apart. Times are RFC 3339 with nanoseconds. An event's payload is its
// JSON as stored, under "payload" (or, if it is not compact JSON, as a
// string under "payload_text"). The same records always make the same
// bytes: docs/storage.md has an example.

// ExportFormat is the "format" of an export file's header, and
// ExportVersion its "version", which a reader must know.
const (
	ExportFormat  = "roomd-export"
	ExportVersion = 1
)

// MaxExportLine bounds the length of a line a RecordReader reads.
const MaxExportLine = 16 << 20

// ExportHeader is the first line of an export file.
type ExportHeader struct {
	Format  string `json:"format"`  // ExportFormat
	Version int    `json:"version"` // ExportVersion
	Roomd   string `json:"roomd"`   // the version of the roomd that wrote it
	Store   string `json:"store"`   // the kind of store it was read from: sqlite, postgres
}

// endLine is the last line of an export file.
type endLine struct {
	Kind    string `json:"kind"` // "end"
	Records int    `json:"records"`
}

// RecordWriter writes an export file. Its buffer is bounded (64 KiB plus
// the line being written).
type RecordWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
	n   int
}

// NewRecordWriter writes the header of an export of a store of kind store
// by roomd version roomd to w, and returns the writer of its records.
// Returns w's error.
func NewRecordWriter(w io.Writer, roomd, store string) (*RecordWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // text as it is stored
	rw := &RecordWriter{w: bw, enc: enc}
	return rw, enc.Encode(ExportHeader{Format: ExportFormat, Version: ExportVersion, Roomd: roomd, Store: store})
}

// Write writes one record (EINVALID if it is not valid, Record.Validate).
func (w *RecordWriter) Write(r Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	line, err := recordCodecs[r.Kind].encode(r)
	if err != nil {
		return err
	}
	if err := w.enc.Encode(line); err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	w.n++
	return nil
}

// Close writes the end line and flushes the buffer; it does not close the
// io.Writer. Returns its error.
func (w *RecordWriter) Close() error {
	if err := w.enc.Encode(endLine{Kind: "end", Records: w.n}); err != nil {
		return err
	}
	return w.w.Flush()
}

// Records returns the number of records written.
func (w *RecordWriter) Records() int { return w.n }

// RecordReader reads an export file, a line at a time (at most
// MaxExportLine bytes).
type RecordReader struct {
	sc     *bufio.Scanner
	line   int
	n      int
	done   bool
	header ExportHeader
}

// NewRecordReader reads and checks the header of the export file r.
// Returns EINVALID if it is not a roomd export of a version this roomd
// reads, and r's error.
func NewRecordReader(r io.Reader) (*RecordReader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxExportLine)
	rr := &RecordReader{sc: sc}
	data, err := rr.scan()
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, Errorf(EINVALID, "export file: empty, want a roomd export")
	}
	if err := strict(data, &rr.header); err != nil || rr.header.Format != ExportFormat {
		return nil, Errorf(EINVALID, "export file: line 1 is not the header of a roomd export (want {\"format\":%q,...})", ExportFormat)
	}
	if rr.header.Version != ExportVersion {
		return nil, Errorf(EINVALID, "export file: format version %d; this roomd reads version %d", rr.header.Version, ExportVersion)
	}
	return rr, nil
}

// Header returns the file's header.
func (r *RecordReader) Header() ExportHeader { return r.header }

// Records returns the number of records read so far.
func (r *RecordReader) Records() int { return r.n }

// scan returns the next line, nil at the end of the input.
func (r *RecordReader) scan() ([]byte, error) {
	if r.sc.Scan() {
		r.line++
		return r.sc.Bytes(), nil
	}
	err := r.sc.Err()
	switch {
	case errors.Is(err, bufio.ErrTooLong):
		return nil, Errorf(EINVALID, "export file: line %d is longer than %d bytes", r.line+1, MaxExportLine)
	case err != nil:
		return nil, err
	}
	return nil, nil
}

// Next returns the next record, or ok false after the end line. Returns
// EINVALID for a line that is not a valid record, a file that ends before
// its end line (cut short) or goes on after it, and the input's error.
// It may be passed as is to Importer.Import.
func (r *RecordReader) Next() (rec Record, ok bool, err error) {
	if r.done {
		return Record{}, false, nil
	}
	data, err := r.scan()
	if err != nil {
		return Record{}, false, err
	}
	if data == nil {
		return Record{}, false, Errorf(EINVALID, "export file: cut short: it ends after %d records, without its end line", r.n)
	}
	var head struct {
		Kind RecordKind `json:"kind"`
	}
	if k, ok := kindPrefix(data); ok { // as written: no need to decode the line twice
		head.Kind = k
	} else if err := json.Unmarshal(data, &head); err != nil {
		return Record{}, false, Errorf(EINVALID, "export file: line %d: not one JSON object: %v", r.line, err)
	}
	if head.Kind == "end" {
		return Record{}, false, r.end(data)
	}
	c, known := recordCodecs[head.Kind]
	if !known {
		return Record{}, false, Errorf(EINVALID, "export file: line %d: unknown record kind %q", r.line, head.Kind)
	}
	if rec, err = c.decode(data); err == nil {
		err = rec.Validate()
	}
	if err != nil {
		return Record{}, false, Errorf(EINVALID, "export file: line %d: %s", r.line, errorText(err))
	}
	r.n++
	return rec, true, nil
}

// kindPrefix returns the kind of a line that starts as a RecordWriter
// writes it, {"kind":"name", and false for any other line. The rest of the
// line is checked when it is decoded.
func kindPrefix(data []byte) (RecordKind, bool) {
	rest, ok := bytes.CutPrefix(data, []byte(`{"kind":"`))
	if !ok {
		return "", false
	}
	name, _, ok := bytes.Cut(rest, []byte(`"`))
	if !ok || bytes.IndexByte(name, '\\') >= 0 {
		return "", false
	}
	return RecordKind(name), true
}

// end checks the end line and that nothing follows it.
func (r *RecordReader) end(data []byte) error {
	var e endLine
	if err := strict(data, &e); err != nil {
		return Errorf(EINVALID, "export file: line %d: end line: %s", r.line, errorText(err))
	}
	if e.Records != r.n {
		return Errorf(EINVALID, "export file: the end line counts %d records, but %d came before it", e.Records, r.n)
	}
	more, err := r.scan()
	if err != nil {
		return err
	}
	if more != nil {
		return Errorf(EINVALID, "export file: line %d: data after the end line", r.line)
	}
	r.done = true
	return nil
}

// errorText is the message of a domain error, or the text of another.
func errorText(err error) string {
	if e := (*Error)(nil); errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// strict decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

// recordCodec encodes a Record as the value of its line, and decodes a
// line into a Record.
type recordCodec struct {
	encode func(Record) (any, error)
	decode func([]byte) (Record, error)
}

// codec returns the recordCodec of a kind whose lines are L.
func codec[L any](to func(Record) L, from func(L) Record) recordCodec {
	return recordCodec{
		encode: func(r Record) (any, error) { return to(r), nil },
		decode: func(data []byte) (Record, error) {
			var l L
			if err := strict(data, &l); err != nil {
				return Record{}, err
			}
			return from(l), nil
		},
	}
}

// The lines of each kind. Kind is checked by the reader.

type userLine struct {
	Kind      RecordKind `json:"kind"`
	App       uint32     `json:"app"`
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Avatar    string     `json:"avatar,omitempty"`
	Extra     string     `json:"extra,omitempty"`
	CreatedAt time.Time  `json:"created_at,omitzero"`
}

type eventLine struct {
	Kind        RecordKind      `json:"kind"`
	App         uint32          `json:"app"`
	Room        string          `json:"room"`
	Seq         int64           `json:"seq"`
	Pos         int64           `json:"pos"`
	Type        EventType       `json:"type"`
	Actor       string          `json:"actor,omitempty"`
	Time        time.Time       `json:"time,omitzero"`
	Payload     json.RawMessage `json:"payload,omitempty"`
	PayloadText string          `json:"payload_text,omitempty"`
}

type roomLine struct {
	Kind          RecordKind        `json:"kind"`
	App           uint32            `json:"app"`
	ID            string            `json:"id"`
	Name          string            `json:"name,omitempty"`
	Notice        string            `json:"notice,omitempty"`
	Avatar        string            `json:"avatar,omitempty"`
	Type          string            `json:"type,omitempty"`
	CustomInfo    string            `json:"custom_info,omitempty"`
	MaxMembers    int               `json:"max_members,omitempty"`
	Attributes    []Attribute       `json:"attributes"`
	Props         map[string]string `json:"props"`
	JoinMode      JoinMode          `json:"join_mode,omitempty"`
	InviteMode    InviteMode        `json:"invite_mode,omitempty"`
	BeInvitedMode BeInvitedMode     `json:"be_invited_mode,omitempty"`
	Owner         string            `json:"owner"`
	CreatedAt     time.Time         `json:"created_at,omitzero"`
	Seq           int64             `json:"seq"`
}

type roomLogLine struct {
	Kind RecordKind `json:"kind"`
	App  uint32     `json:"app"`
	Room string     `json:"room"`
	Seq  int64      `json:"seq"`
}

type appLogLine struct {
	Kind RecordKind `json:"kind"`
	App  uint32     `json:"app"`
	Pos  int64      `json:"pos"`
}

type memberLine struct {
	Kind       RecordKind `json:"kind"`
	App        uint32     `json:"app"`
	Room       string     `json:"room"`
	User       string     `json:"user"`
	Role       Role       `json:"role"`
	NameCard   string     `json:"name_card,omitempty"`
	CustomInfo string     `json:"custom_info,omitempty"`
	JoinedAt   time.Time  `json:"joined_at,omitzero"`
}

type membershipLine struct {
	Kind RecordKind `json:"kind"`
	App  uint32     `json:"app"`
	Room string     `json:"room"`
	User string     `json:"user"`
	From int64      `json:"from"`
	To   int64      `json:"to,omitempty"`
}

type banLine struct {
	Kind      RecordKind `json:"kind"`
	App       uint32     `json:"app"`
	Room      string     `json:"room"`
	User      string     `json:"user"`
	Until     time.Time  `json:"until,omitzero"`
	Reason    string     `json:"reason,omitempty"`
	CreatedAt time.Time  `json:"created_at,omitzero"`
}

type seatLine struct {
	Kind          RecordKind `json:"kind"`
	App           uint32     `json:"app"`
	Room          string     `json:"room"`
	Index         int        `json:"index"`
	User          string     `json:"user,omitempty"`
	Locked        bool       `json:"locked,omitempty"`
	VideoDisabled bool       `json:"video_disabled,omitempty"`
	AudioDisabled bool       `json:"audio_disabled,omitempty"`
}

type seatRequestLine struct {
	Kind  RecordKind `json:"kind"`
	App   uint32     `json:"app"`
	Room  string     `json:"room"`
	User  string     `json:"user"`
	Index int        `json:"index"`
	At    time.Time  `json:"at,omitzero"`
}

type marksLine struct {
	Kind  RecordKind `json:"kind"`
	App   uint32     `json:"app"`
	Room  string     `json:"room"`
	User  string     `json:"user"`
	Marks []int64    `json:"marks"`
}

type roomMuteLine struct {
	Kind  RecordKind `json:"kind"`
	App   uint32     `json:"app"`
	Room  string     `json:"room"`
	All   bool       `json:"all,omitempty"`
	Roles []Role     `json:"roles"`
	Until time.Time  `json:"until,omitzero"`
}

type memberMuteLine struct {
	Kind  RecordKind `json:"kind"`
	App   uint32     `json:"app"`
	Room  string     `json:"room"`
	User  string     `json:"user"`
	Until time.Time  `json:"until,omitzero"`
}

type callbackLine struct {
	Kind     RecordKind `json:"kind"`
	App      uint32     `json:"app"`
	URL      string     `json:"url"`
	Commands []string   `json:"commands"`
}

type hookCursorLine struct {
	Kind  RecordKind `json:"kind"`
	App   uint32     `json:"app"`
	Style string     `json:"style"`
	Pos   int64      `json:"pos"`
}

// recordCodecs maps each kind to its line. The composite literals list
// every field of the domain types, so that a field added to one fails to
// compile here until the format carries it.
var recordCodecs = map[RecordKind]recordCodec{
	RecordUser: codec(func(r Record) userLine {
		u := r.User
		return userLine{RecordUser, u.AppID, u.ID, u.Name, u.Avatar, u.Extra, u.CreatedAt}
	}, func(l userLine) Record {
		return Record{Kind: RecordUser, User: &User{l.App, l.ID, l.Name, l.Avatar, l.Extra, l.CreatedAt}}
	}),
	RecordEvent: {encode: encodeEvent, decode: decodeEvent},
	RecordRoom: codec(func(r Record) roomLine {
		m := r.Room
		return roomLine{RecordRoom, m.AppID, m.ID, m.Name, m.Notice, m.Avatar, m.Type, m.CustomInfo, m.MaxMembers, m.Attributes, m.Props,
			m.JoinMode, m.InviteMode, m.BeInvitedMode, m.Owner, m.CreatedAt, m.Seq}
	}, func(l roomLine) Record {
		return Record{Kind: RecordRoom, Room: &Room{l.App, l.ID, l.Name, l.Notice, l.Avatar, l.Type, l.CustomInfo, l.MaxMembers, l.Attributes, l.Props,
			l.JoinMode, l.InviteMode, l.BeInvitedMode, l.Owner, l.CreatedAt, l.Seq, 0}}
	}),
	RecordRoomLog: codec(func(r Record) roomLogLine {
		return roomLogLine{RecordRoomLog, r.RoomLog.AppID, r.RoomLog.RoomID, r.RoomLog.Seq}
	}, func(l roomLogLine) Record {
		return Record{Kind: RecordRoomLog, RoomLog: &RoomLog{l.App, l.Room, l.Seq}}
	}),
	RecordAppLog: codec(func(r Record) appLogLine {
		return appLogLine{RecordAppLog, r.AppLog.AppID, r.AppLog.Pos}
	}, func(l appLogLine) Record {
		return Record{Kind: RecordAppLog, AppLog: &AppLog{l.App, l.Pos}}
	}),
	RecordMember: codec(func(r Record) memberLine {
		m := r.Member
		return memberLine{RecordMember, m.AppID, m.RoomID, m.UserID, m.Role, m.NameCard, m.CustomInfo, m.JoinedAt}
	}, func(l memberLine) Record {
		return Record{Kind: RecordMember, Member: &Member{l.App, l.Room, l.User, l.Role, l.NameCard, l.CustomInfo, l.JoinedAt, "", nil}}
	}),
	RecordMembership: codec(func(r Record) membershipLine {
		p := r.Membership
		return membershipLine{RecordMembership, p.AppID, p.RoomID, p.UserID, p.From, p.To}
	}, func(l membershipLine) Record {
		return Record{Kind: RecordMembership, Membership: &MemberPeriod{l.App, l.Room, l.User, Membership{l.From, l.To}}}
	}),
	RecordBan: codec(func(r Record) banLine {
		b := r.Ban
		return banLine{RecordBan, b.AppID, b.RoomID, b.UserID, b.Until, b.Reason, b.CreatedAt}
	}, func(l banLine) Record {
		return Record{Kind: RecordBan, Ban: &Ban{l.App, l.Room, l.User, l.Until, l.Reason, l.CreatedAt}}
	}),
	RecordSeat: codec(func(r Record) seatLine {
		s := r.Seat
		return seatLine{RecordSeat, s.AppID, s.RoomID, s.Index, s.UserID, s.Locked, s.VideoDisabled, s.AudioDisabled}
	}, func(l seatLine) Record {
		return Record{Kind: RecordSeat, Seat: &RoomSeat{l.App, l.Room, Seat{l.Index, l.User, l.Locked, l.VideoDisabled, l.AudioDisabled}}}
	}),
	RecordSeatRequest: codec(func(r Record) seatRequestLine {
		q := r.SeatRequest
		return seatRequestLine{RecordSeatRequest, q.AppID, q.RoomID, q.UserID, q.Index, q.At}
	}, func(l seatRequestLine) Record {
		return Record{Kind: RecordSeatRequest, SeatRequest: &SeatRequest{l.App, l.Room, l.User, l.Index, l.At}}
	}),
	RecordMarks: codec(func(r Record) marksLine {
		m := r.Marks
		return marksLine{RecordMarks, m.AppID, m.RoomID, m.UserID, m.Marks}
	}, func(l marksLine) Record {
		return Record{Kind: RecordMarks, Marks: &RoomMarks{l.App, l.Room, l.User, l.Marks}}
	}),
	RecordRoomMute: codec(func(r Record) roomMuteLine {
		m := r.RoomMute
		return roomMuteLine{RecordRoomMute, m.AppID, m.RoomID, m.All, m.Roles, m.Until}
	}, func(l roomMuteLine) Record {
		return Record{Kind: RecordRoomMute, RoomMute: &RoomMute{l.App, l.Room, l.All, l.Roles, l.Until}}
	}),
	RecordMemberMute: codec(func(r Record) memberMuteLine {
		m := r.MemberMute
		return memberMuteLine{RecordMemberMute, m.AppID, m.RoomID, m.UserID, m.Until}
	}, func(l memberMuteLine) Record {
		return Record{Kind: RecordMemberMute, MemberMute: &MemberMute{l.App, l.Room, l.User, l.Until}}
	}),
	RecordCallback: codec(func(r Record) callbackLine {
		c := r.Callback
		return callbackLine{RecordCallback, c.AppID, c.URL, c.Commands}
	}, func(l callbackLine) Record {
		return Record{Kind: RecordCallback, Callback: &Callback{l.App, l.URL, l.Commands}}
	}),
	RecordHookCursor: codec(func(r Record) hookCursorLine {
		c := r.HookCursor
		return hookCursorLine{RecordHookCursor, c.AppID, c.Style, c.Pos}
	}, func(l hookCursorLine) Record {
		return Record{Kind: RecordHookCursor, HookCursor: &HookCursor{l.App, l.Style, l.Pos}}
	}),
}

// encodeEvent encodes an event's line: its payload as JSON when it is
// compact JSON, which the line keeps byte for byte, else as a string.
func encodeEvent(r Record) (any, error) {
	e := r.Event
	l := eventLine{Kind: RecordEvent, App: e.AppID, Room: e.RoomID, Seq: e.Seq, Pos: e.Pos, Type: e.Type, Actor: e.Actor, Time: e.Time}
	var c bytes.Buffer
	if json.Valid(e.Payload) && json.Compact(&c, e.Payload) == nil && bytes.Equal(c.Bytes(), e.Payload) {
		l.Payload = e.Payload
	} else {
		l.PayloadText = string(e.Payload)
	}
	return l, nil
}

// decodeEvent decodes an event's line.
func decodeEvent(data []byte) (Record, error) {
	var l eventLine
	if err := strict(data, &l); err != nil {
		return Record{}, err
	}
	if l.Payload != nil && l.PayloadText != "" {
		return Record{}, errors.New("an event has both payload and payload_text")
	}
	if l.Pos < 0 {
		return Record{}, fmt.Errorf("event pos %d is negative", l.Pos)
	}
	e := &Event{l.App, l.Room, l.Seq, l.Pos, l.Type, l.Actor, l.Payload, l.Time}
	if l.PayloadText != "" {
		e.Payload = json.RawMessage(l.PayloadText)
	}
	return Record{Kind: RecordEvent, Event: e}, nil
}
