package roomd

import "unicode/utf8"

// The text rules every dialect shares. Ids, names and texts must be valid
// UTF-8 (invalid bytes are refused, never rewritten to U+FFFD) and may never
// hold NUL. Ids and names, which are shown on one line and used as keys,
// hold no control character at all; free texts (notices, custom info,
// attribute values, reasons) may hold tabs and newlines. Dialects apply
// their vendors' tighter rules (length, charset) where an id is created
// through them; an id that exists is addressable through every dialect.

// ValidateID checks an id: non-empty, at most MaxIDLen bytes, valid UTF-8,
// no control characters. what names the id in the error message.
func ValidateID(what, id string) error {
	if id == "" {
		return Errorf(EINVALID, "%s is required", what)
	}
	if len(id) > MaxIDLen {
		return Errorf(EINVALID, "%s longer than %d bytes", what, MaxIDLen)
	}
	return ValidateName(what, id)
}

// ValidateName checks a one-line string such as a name, an avatar URL or an
// attribute key: valid UTF-8 and no control character (U+0000–U+001F,
// U+007F). The empty string is valid; lengths are the caller's to check.
// what names the field in the error message.
func ValidateName(what, s string) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8", what)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return Errorf(EINVALID, "%s contains a control character", what)
		}
	}
	return nil
}

// ValidateText checks free text such as a notice, custom info, an attribute
// value or a reason: valid UTF-8 and no NUL; other control characters
// (tabs, newlines) are allowed. The empty string is valid. what names the
// field in the error message.
func ValidateText(what, s string) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8", what)
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return Errorf(EINVALID, "%s contains a NUL character", what)
		}
	}
	return nil
}
