package roomd_test

import (
	"strings"
	"testing"

	"github.com/roomd/roomd"
)

// wantValid fails unless err is nil, or, when msg is not empty, an EINVALID
// error whose message contains msg.
func wantValid(tb testing.TB, what string, err error, msg string) {
	tb.Helper()
	if msg == "" {
		if err != nil {
			tb.Errorf("%s: got %v, want nil", what, err)
		}
		return
	}
	if got := roomd.ErrorCode(err); got != roomd.EINVALID {
		tb.Errorf("%s: got code %q (%v), want %q", what, got, err, roomd.EINVALID)
		return
	}
	if got := roomd.ErrorMessage(err); !strings.Contains(got, msg) {
		tb.Errorf("%s: got message %q, want it to contain %q", what, got, msg)
	}
}

func TestValidateText(t *testing.T) {
	for _, tc := range []struct {
		name, s            string
		id, nameRule, text string // the message each rule gives ("" = valid)
	}{
		{"ASCII", "alice", "", "", ""},
		{"Space", "a b", "", "", ""},
		{"Emoji", "room 😀", "", "", ""},
		{"Apostrophe", "o'brien", "", "", ""},
		{"Empty", "", "x is required", "", ""},
		{"NUL", "a\x00b", "x contains a control character", "x contains a control character", "x contains a NUL character"},
		{"Newline", "a\nb", "x contains a control character", "x contains a control character", ""},
		{"Tab", "a\tb", "x contains a control character", "x contains a control character", ""},
		{"DEL", "a\x7fb", "x contains a control character", "x contains a control character", ""},
		{"InvalidByte", "a\xffb", "x is not valid UTF-8", "x is not valid UTF-8", "x is not valid UTF-8"},
		{"EncodedSurrogate", "\xed\xa0\x80", "x is not valid UTF-8", "x is not valid UTF-8", "x is not valid UTF-8"},
		{"Truncated", "\xe2\x82", "x is not valid UTF-8", "x is not valid UTF-8", "x is not valid UTF-8"},
		{"ReplacementChar", "a\uFFFDb", "", "", ""}, // a real U+FFFD is text like any other
		{"IDMaxLen", strings.Repeat("é", roomd.MaxIDLen/2), "", "", ""},
		{"IDTooLong", strings.Repeat("a", roomd.MaxIDLen+1), "x longer than 64 bytes", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantValid(t, "ValidateID", roomd.ValidateID("x", tc.s), tc.id)
			wantValid(t, "ValidateName", roomd.ValidateName("x", tc.s), tc.nameRule)
			wantValid(t, "ValidateText", roomd.ValidateText("x", tc.s), tc.text)
		})
	}
}

func TestRoomValidate(t *testing.T) {
	base := func() roomd.Room {
		return roomd.Room{ID: "r 😀", Name: "Room", Notice: "line 1\nline 2", Avatar: "https://x/a.png", Type: "Live",
			CustomInfo: "{\"k\":\t1}", Attributes: []roomd.Attribute{{Key: "k", Value: "v\nw"}}, Props: map[string]string{"IsMessageDisabled": "true"}}
	}
	for _, tc := range []struct {
		name string
		edit func(r *roomd.Room)
		msg  string
	}{
		{"Valid", func(*roomd.Room) {}, ""},
		{"IDNUL", func(r *roomd.Room) { r.ID = "r\x00" }, "room id contains a control character"},
		{"IDInvalidUTF8", func(r *roomd.Room) { r.ID = "r\xff" }, "room id is not valid UTF-8"},
		{"NameNUL", func(r *roomd.Room) { r.Name = "a\x00" }, "room name contains a control character"},
		{"NameNewline", func(r *roomd.Room) { r.Name = "a\nb" }, "room name contains a control character"},
		{"NameInvalidUTF8", func(r *roomd.Room) { r.Name = "\xc0\xaf" }, "room name is not valid UTF-8"},
		{"TypeNUL", func(r *roomd.Room) { r.Type = "Live\x00" }, "room type contains a control character"},
		{"AvatarNUL", func(r *roomd.Room) { r.Avatar = "https://x/\x00" }, "room avatar contains a control character"},
		{"NoticeNUL", func(r *roomd.Room) { r.Notice = "hi\x00" }, "room notice contains a NUL character"},
		{"NoticeInvalidUTF8", func(r *roomd.Room) { r.Notice = "hi\xff" }, "room notice is not valid UTF-8"},
		{"CustomInfoNUL", func(r *roomd.Room) { r.CustomInfo = "\x00" }, "room custom info contains a NUL character"},
		{"AttributeKeyNUL", func(r *roomd.Room) { r.Attributes[0].Key = "k\x00" }, "room attribute key contains a control character"},
		{"AttributeValueNUL", func(r *roomd.Room) { r.Attributes[0].Value = "v\x00" }, "room attribute value contains a NUL character"},
		{"AttributeValueInvalidUTF8", func(r *roomd.Room) { r.Attributes[0].Value = "\xff" }, "room attribute value is not valid UTF-8"},
		{"SettingNUL", func(r *roomd.Room) { r.Props["TakeSeatMode"] = "\x00" }, "room setting TakeSeatMode contains a NUL character"},
		{"NegativeLimit", func(r *roomd.Room) { r.MaxMembers = -1 }, "negative member limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.edit(&r)
			wantValid(t, "Room.Validate", r.Validate(), tc.msg)
		})
	}
}

func TestUserValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		user roomd.User
		msg  string
	}{
		{"Valid", roomd.User{ID: "zoë 😀", Name: "Zoë", Avatar: "https://x/z.png", Extra: "a\tb\nc"}, ""},
		{"IDNUL", roomd.User{ID: "u\x00"}, "user id contains a control character"},
		{"IDInvalidUTF8", roomd.User{ID: "u\xff"}, "user id is not valid UTF-8"},
		{"NameNUL", roomd.User{ID: "u", Name: "n\x00"}, "user name contains a control character"},
		{"NameInvalidUTF8", roomd.User{ID: "u", Name: "n\xff"}, "user name is not valid UTF-8"},
		{"AvatarNewline", roomd.User{ID: "u", Avatar: "https://x/\n"}, "user avatar contains a control character"},
		{"ExtraNUL", roomd.User{ID: "u", Extra: "\x00"}, "user extra contains a NUL character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantValid(t, "User.Validate", tc.user.Validate(), tc.msg)
		})
	}
}
