package zego

import (
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/internal/wire"
)

// Limits of the ZEGO dialect, tighter than the domain's.
const (
	maxIDLen        = 32   // bytes in an id created through ZEGO: UserRegister's UserId, CreateGroup's GroupId
	maxUserName     = 256  // bytes in a UserName
	maxAvatar       = 500  // bytes in a UserAvatar or GroupAvatar
	maxGroupName    = 50   // bytes in a GroupName
	maxGroupNotice  = 300  // bytes in a GroupNotice
	maxAttributes   = 10   // attributes of a group
	maxAttrKey      = 16   // bytes in an attribute key
	maxAttrValue    = 1024 // bytes in an attribute value
	maxReason       = 32   // bytes in a CustomReason
	maxBatch        = 100  // users in one UserRegister, QueryUserInfos, InviteUsersIntoGroup, CreateGroup
	maxKickBatch    = 50   // users in one KickoutGroupUser
	maxGroupList    = 10000
	defGroupList    = 1000
	maxMemberList   = 1000
	defMemberList   = 100
	groupIDReserved = '#' // generated GroupIds start with it; chosen ones may not
)

// decode fills p, a pointer to an action's parameter struct, from the query
// string and then from the JSON body, whatever the HTTP method: a field in
// the body wins over the same field in the query. In the query, a []string
// field named X is read from both X[] and X; other non-scalar fields are
// read from the body only.
func (c *call) decode(p any) error {
	if err := decodeQuery(c.q, p); err != nil {
		return err
	}
	body, err := wire.ReadBody(c.r, wire.MaxBody)
	if errors.Is(err, wire.ErrTooLarge) {
		return apiErr(codeBodyRead, "failed to read HTTP body: larger than 1 MiB")
	}
	if err != nil {
		return apiErr(codeBodyRead, "failed to read HTTP body")
	}
	if err := wire.Decode(body, p); err != nil {
		var te *wire.TypeError
		switch {
		case errors.As(err, &te):
			return roomd.Errorf(roomd.EINVALID, "parameter error: wrong JSON type for %s", te.Field)
		case errors.Is(err, wire.ErrEncoding):
			return roomd.Errorf(roomd.EINVALID, "parameter error: %v", err)
		}
		return roomd.Errorf(roomd.EINVALID, "parameter error: malformed JSON body")
	}
	return nil
}

// decodeQuery sets the string, integer, boolean, []string and integer
// slice fields of the struct p points to from q, by their JSON names; a
// pointer to a string, integer or boolean is set when its parameter is
// present. A value that is not valid
// UTF-8 is a parameter error (url.ParseQuery decodes %ff as is).
func decodeQuery(q url.Values, p any) error {
	return decodeQueryValue(q, reflect.ValueOf(p).Elem())
}

func decodeQueryValue(q url.Values, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		sf, f := t.Field(i), v.Field(i)
		if sf.Anonymous && f.Kind() == reflect.Struct {
			if err := decodeQueryValue(q, f); err != nil {
				return err
			}
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		if f.Kind() == reflect.Slice {
			list := slices.Concat(q[name+"[]"], q[name])
			switch {
			case len(list) == 0:
			case f.Type().Elem().Kind() == reflect.String:
				if slices.ContainsFunc(list, func(v string) bool { return !utf8.ValidString(v) }) {
					return notUTF8(name)
				}
				f.Set(reflect.ValueOf(list))
			case f.Type().Elem().Kind() == reflect.Int:
				// A list of numbers (MuteRoleList[]=2&MuteRoleList[]=3).
				ns := reflect.MakeSlice(f.Type(), len(list), len(list))
				for i, v := range list {
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil || ns.Index(i).OverflowInt(n) {
						return roomd.Errorf(roomd.EINVALID, "parameter error: %s holds a value that is not an integer", name)
					}
					ns.Index(i).SetInt(n)
				}
				f.Set(ns)
			}
			continue
		}
		s := q[name]
		if len(s) == 0 {
			continue
		}
		if !utf8.ValidString(s[0]) {
			return notUTF8(name)
		}
		// An optional parameter (a pointer field) is set when present.
		if f.Kind() == reflect.Pointer {
			switch f.Type().Elem().Kind() {
			case reflect.String, reflect.Int, reflect.Int64, reflect.Bool:
				f.Set(reflect.New(f.Type().Elem()))
				f = f.Elem()
			}
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(s[0])
		case reflect.Int, reflect.Int64:
			n, err := strconv.ParseInt(s[0], 10, 64)
			if err != nil || f.OverflowInt(n) {
				return roomd.Errorf(roomd.EINVALID, "parameter error: %s is not an integer", name)
			}
			f.SetInt(n)
		case reflect.Bool:
			b, err := strconv.ParseBool(s[0])
			if err != nil {
				return roomd.Errorf(roomd.EINVALID, "parameter error: %s is not a boolean", name)
			}
			f.SetBool(b)
		}
	}
	return nil
}

// notUTF8 is the EINVALID error of a query parameter that is not valid UTF-8.
func notUTF8(name string) error {
	return roomd.Errorf(roomd.EINVALID, "parameter error: %s is not valid UTF-8", name)
}

// idChars are the characters allowed in ids besides ASCII letters and digits.
// The vendor's pages disagree on the hyphen, the apostrophe and the space:
// roomd allows the hyphen and the apostrophe and refuses the space.
const idChars = "!#$%&()+-':;<=.>?@[]^_{}|~"

// checkNewID validates an id created through ZEGO (UserRegister's UserId,
// CreateGroup's GroupId) by the vendor's rule: 1–32 bytes of the allowed
// characters. A UserId over 32 bytes is 660000012; every other failure is
// EINVALID (660000002).
func checkNewID(param, id string) error {
	switch {
	case id == "":
		return required(param)
	case len(id) > maxIDLen:
		if param == "UserId" {
			// The vendor has a number of its own for this one failure,
			// while UserRegister's other invalid parameters are 660000002:
			// no domain code tells a too-long id from another invalid one,
			// so the dialect answers it.
			return apiErr(codeUserIDTooLong, "UserId longer than 32 bytes")
		}
		return roomd.Errorf(roomd.EINVALID, "parameter error: %s longer than 32 bytes", param)
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !('0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || strings.IndexByte(idChars, b) >= 0) {
			return roomd.Errorf(roomd.EINVALID, "parameter error: %s contains a character outside the allowed set", param)
		}
	}
	return nil
}

// required is the EINVALID error of a missing parameter.
func required(param string) error {
	return roomd.Errorf(roomd.EINVALID, "parameter error: %s is required", param)
}

// checkRef validates an id that only addresses an existing user or group
// by the domain's rule (roomd.ValidateID: 1–64 bytes of UTF-8 without
// control characters), so that ids created through another dialect (with
// spaces, emoji, up to 48 bytes) can be addressed. Failures are EINVALID
// (660000002).
func checkRef(param, id string) error {
	return paramErr(roomd.ValidateID(param, id))
}

// paramErr prefixes the message of a domain validation error with
// "parameter error: ", as the dialect words them; nil stays nil.
func paramErr(err error) error {
	if err == nil {
		return nil
	}
	return roomd.Errorf(roomd.ErrorCode(err), "parameter error: %s", roomd.ErrorMessage(err))
}

// checkIDs validates user ids named param: a non-empty list (EINVALID) of
// at most max ids (ELIMIT: 660000011, CreateGroup's 660600016), each
// passing check (checkNewID or checkRef).
func checkIDs(param string, ids []string, max int, check func(param, id string) error) error {
	if len(ids) == 0 {
		return required(param)
	}
	if len(ids) > max {
		return roomd.Errorf(roomd.ELIMIT, "too many users in one call: at most %d", max)
	}
	for _, id := range ids {
		if err := check("UserId", id); err != nil {
			return err
		}
	}
	return nil
}

// checkGroupID validates a GroupId a client chose in CreateGroup: the
// vendor's rule, and not starting with '#'.
func checkGroupID(id string) error {
	if err := checkNewID("GroupId", id); err != nil {
		return err
	}
	if id[0] == groupIDReserved {
		return roomd.Errorf(roomd.EINVALID, "parameter error: GroupId may not start with '#'")
	}
	return nil
}

// checkLen refuses (EINVALID) a value of the named parameter longer than
// max bytes.
func checkLen(param, value string, max int) error {
	if len(value) > max {
		return roomd.Errorf(roomd.EINVALID, "parameter error: %s longer than %d bytes", param, max)
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// maxMillis is the last millisecond of year 9999, the latest time roomd accepts.
const maxMillis = 253402300799999

// msTime converts a vendor time in milliseconds (0 = unset) to a time;
// EINVALID when it is out of range.
func msTime(param string, ms int64) (time.Time, error) {
	if ms < 0 || ms > maxMillis {
		return time.Time{}, roomd.Errorf(roomd.EINVALID, "parameter error: %s out of range", param)
	}
	if ms == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(ms), nil
}

// groupOp holds the parameters of the actions that have an operator and a group.
type groupOp struct {
	FromUserId string `json:"FromUserId"`
	GroupId    string `json:"GroupId"`
}

// check validates the operator and the group ids, which address existing ones.
func (g *groupOp) check() error {
	return firstErr(checkRef("FromUserId", g.FromUserId), checkRef("GroupId", g.GroupId))
}

// actor is the operator: a user, never an admin.
func (g *groupOp) actor() roomd.Actor { return roomd.Actor{ID: g.FromUserId} }

func (g *groupOp) group() string { return g.GroupId }

// params is an action's parameter struct.
type params interface {
	// check validates the parameters the dialect constrains.
	check() error
}

// parse decodes and checks p, then applies the action's per-group rate
// limit when p names a group.
func (h *handler) parse(c *call, p params) error {
	if err := c.decode(p); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	l := c.route.limit
	g, ok := p.(interface{ group() string })
	if !ok || c.app.RateLimitsOff || !l.perGroup {
		return nil
	}
	key := strconv.FormatUint(uint64(c.app.ID), 10) + "|" + c.name + "|" + g.group()
	if !h.limits.Allow(key, l.perSecond, l.burst, c.now) {
		return apiErr(codeGroupRateLimit, "group-level call rate limit exceeded")
	}
	return nil
}
