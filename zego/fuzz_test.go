package zego_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/roomd/roomd/zego"
)

// serveRaw runs one request through the handler in process and checks the answer.
func serveRaw(t *testing.T, s *Server, method, rawQuery string, body []byte) *Reply {
	t.Helper()
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	req.URL.RawQuery = rawQuery
	rec := httptest.NewRecorder()
	s.Handler.ServeHTTP(rec, req)
	r, err := CheckAnswer(rec.Code, rec.Header(), rec.Body.Bytes())
	if err != nil {
		t.Fatalf("%s ?%s %q: %v", method, rawQuery, body, err)
	}
	return r
}

// FuzzRequest sends signed requests of a few actions with fuzzed business
// parameters in the query and the body: every answer must be a 200 JSON
// body with a Code, whatever the input.
func FuzzRequest(f *testing.F) {
	s := MustOpenServer(f)
	s.Group(f, appOpen, "g1", "own", "a", "b")
	f.Add("TransferGroupOwner", "FromUserId=own&GroupId=g1&NewOwner=a", []byte(nil))
	f.Add("KickoutGroupUser", "", []byte(`{"FromUserId":"own","GroupId":"g1","UserId":["b","zz"]}`))
	f.Add("InviteUsersIntoGroup", "UserIds%5B%5D=b", []byte(`{"FromUserId":"a","GroupId":"g1","GroupMemberInfos":[{"UserId":"b","EnterGroupTime":-1}]}`))
	f.Add("CreateGroup", "GroupId=%23x&GroupOwner=own", []byte(`{"Attributes":[{"Key":1}]}`))
	f.Add("SetGroupMemberRole", "FromUserId=own&GroupId=g1&ToUserId=a&Role=99999999999999999999", []byte(`{`))
	f.Add("QueryGroupMemberList", "GroupId=g1&Limit=-1&Next=9223372036854775807", []byte(`{"Limit":1e300}`))
	f.Add("UserRegister", "UserInfo[]=x", []byte(`{"UserInfo":[{"UserId":"`+strings.Repeat("z", 40)+`"}]}`))
	f.Add("QueryAppGroupList", "Limit=%zz&Next=1", []byte(`null`))
	f.Add("CreateGroup", "", []byte(`{"GroupOwner":"own","CreateGroupTime":253402300799999,"UserId":["a",null]}`))
	f.Add("InviteUsersIntoGroup", "FromUserId=own&GroupId=g1", []byte(`{"GroupMemberInfos":[{"UserId":"b","EnterGroupTime":1,"IsInvite":{}}]}`))
	// Group data and mutes (groupdata.go, mute.go).
	f.Add("UpdateGroupData", "FromUserId=own&GroupId=g1&GroupName=", []byte(`{"GroupNotice":null,"GroupAvatar":"\ud800"}`))
	f.Add("ModifyGroupAttribute", "FromUserId=own&GroupId=g1", []byte(`{"Action":1e400,"Attributes":[{"Key":"k","Value":"v"}]}`))
	f.Add("ModifyGroupAttribute", "Attributes=k", []byte(`{"FromUserId":"own","GroupId":"g1","Action":"1","Attributes":[{"Key":"k"},{"Key":"k"}]}`))
	f.Add("ModifyGroupLimit", "FromUserId=own&GroupId=g1&JoinMode=&MemberCountLimit=9223372036854775808", []byte(nil))
	f.Add("ModifyGroupLimit", "FromUserId=own&GroupId=g1", []byte(`{"JoinMode":1,"InviteMode":-1,"MemberCountLimit":1}`))
	f.Add("MuteGroup", "FromUserId=own&GroupId=g1&MuteRoleList%5B%5D=1&MuteRoleList%5B%5D=x&Duration=-1", []byte(nil))
	f.Add("MuteGroup", "FromUserId=a&GroupId=g1&IsAllForbid=1", []byte(`{"MuteRoleList":null,"IsAllMuted":"true"}`))
	f.Add("MuteGroupMembers", "FromUserId=own&GroupId=g1&UserIds%5B%5D=a&UserIds=b&Duration=2592000", []byte(nil))
	f.Add("MuteGroupMembers", "", []byte(`{"FromUserId":"own","GroupId":"g1","UserIds":["a","a"],"Duration":-9223372036854775808}`))
	f.Add("SetGroupMembersNickname", "FromUserId=own&GroupId=g1&UserIds=a", []byte(`{"UserIds":[{"UserId":"a","Nickname":"x"},{"UserId":null}]}`))
	f.Add("FetchForbidGroupList", "FromUserId=own&StartFlag=2147483647", []byte(`{"StartFlag":-0}`))
	f.Add("ModifyUserInfo", "", []byte(`{"UserInfo":[{"UserId":"own","UserName":null,"Extra":"\u0000"},{"UserId":"zz","UserAvatar":7}]}`))
	f.Add("ModifyUserInfo", "UserInfo=own", []byte(`{"UserInfo":[{"UserId":"a","UserName":"","UserAvatar":"","Extra":""}]}`))
	f.Add("QueryGroupsInfoOfUser", "FromUserId=a&Limit=1&Next=ZzE", []byte(nil))
	f.Add("QueryGroupsInfoOfUser", "FromUserId=a&Limit=100&Next=%00", []byte(`{"Next":0,"Limit":-5}`))
	f.Add("QueryUserOnlineState", "UserId%5B%5D=own&UserId=zz&UserId[]=", []byte(nil))
	f.Add("QueryUserOnlineState", "", []byte(`{"UserId":["a",""]}`))
	f.Fuzz(func(t *testing.T, action, extra string, body []byte) {
		q := s.Signed(appOpen, action, nil).Encode()
		if extra != "" {
			q += "&" + extra
		}
		if r := serveRaw(t, s, http.MethodPost, q, body); r.Code == 660000001 {
			t.Fatalf("%s ?%s %q: got an internal error %s", action, extra, body, r.Raw)
		}
	})
}

// gatewayCodes are the codes of requests refused before any action ran.
var gatewayCodes = map[int64]bool{100000001: true, 100000002: true, 100000003: true, 100000004: true, 100000005: true,
	100000006: true, 100000007: true, 100000008: true, 100000009: true, 100000011: true, 100000013: true, 100000014: true}

// FuzzSignature sends fuzzed common parameters: the handler must answer
// with JSON, and a request may only get past the gateway when its
// Signature is Sign of its own AppId, nonce and Timestamp.
func FuzzSignature(f *testing.F) {
	s := MustOpenServer(f)
	s.Register(f, appOpen, "u1")
	ts := strconv.FormatInt(s.Clock.Now().Unix(), 10)
	good := zego.Sign(appOpen, "4fd24687296dd9f3", secret, s.Clock.Now().Unix())
	f.Add("1001", "4fd24687296dd9f3", ts, "2.0", good)
	f.Add("1001", "4fd24687296dd9f3", ts, "2.0", strings.ToUpper(good))
	f.Add("1001", "nonce", ts, "2.0", good)
	f.Add("01001", "4fd24687296dd9f3", "0"+ts, "2.0", good)
	f.Add("1001", "", "", "", "")
	f.Add("-1", "n", "-9223372036854775808", "2.0", "x")
	f.Add("1001", "n", "9223372036854775807", "2.00", good)
	f.Fuzz(func(t *testing.T, appID, nonce, timestamp, version, signature string) {
		q := url.Values{"Action": {"QueryUserInfos"}, "AppId": {appID}, "SignatureNonce": {nonce}, "Timestamp": {timestamp},
			"SignatureVersion": {version}, "Signature": {signature}, "UserIds[]": {"u1"}}
		r := serveRaw(t, s, http.MethodGet, q.Encode(), nil)
		if gatewayCodes[r.Code] {
			return
		}
		id, err1 := strconv.ParseUint(appID, 10, 32)
		n, err2 := strconv.ParseInt(timestamp, 10, 64)
		if err1 != nil || err2 != nil || !strings.EqualFold(signature, zego.Sign(uint32(id), nonce, secret, n)) {
			t.Fatalf("request with Signature %q passed the gateway (Code %d); want it refused", signature, r.Code)
		}
	})
}
