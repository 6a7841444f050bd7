package zego

import (
	"errors"

	"github.com/roomd/roomd"
)

// Gateway codes (request-level, before any action runs).
const (
	codeWrongEndpoint      = 100000000 // the vendor's "wrong Host": roomd's API is at "/" only
	codeAppIDFormat        = 100000001
	codeTimestampEmpty     = 100000002
	codeTimestampFormat    = 100000003
	codeSignatureExpired   = 100000004
	codeSignatureInvalid   = 100000005
	codeActionEmpty        = 100000006
	codeActionUnsupported  = 100000007
	codeNonceEmpty         = 100000008
	codeSignatureEmpty     = 100000009
	codeNoSecret           = 100000010
	codeAppConfig          = 100000011
	codeBodyRead           = 100000012
	codeVersionEmpty       = 100000013
	codeVersionUnsupported = 100000014
)

// Business codes the dialect itself answers.
const (
	codeFailure        = 660000001
	codeParam          = 660000002
	codeLogic          = 660000003
	codeTooManyUsers   = 660000011
	codeUserIDTooLong  = 660000012
	codeAppRateLimit   = 660300005
	codeGroupRateLimit = 660300006
	codeUserNotFound   = 660500002
	codeTooManyMembers = 660600016 // CreateGroup: more than 100 initial members
)

// domainCodes maps each domain error code to its ZEGO number.
var domainCodes = map[string]int{
	roomd.EINVALID:      codeParam,
	roomd.ENOROOM:       660600001,
	roomd.ENOUSER:       codeUserNotFound, // the operator (FromUserId) is not registered
	roomd.ENOTMEMBER:    660600024,
	roomd.EEXISTS:       660600011,
	roomd.EFORBIDDEN:    660600032,
	roomd.EOWNERROLE:    660600029,
	roomd.ESELF:         660600030,
	roomd.EBANNED:       codeLogic, // ZEGO has no bans; a ban set through another dialect
	roomd.ELIMIT:        codeTooManyUsers,
	roomd.ERATELIMIT:    codeAppRateLimit,
	roomd.EUNAUTHORIZED: codeSignatureInvalid,
	roomd.EINTERNAL:     codeFailure,
	// ZEGO has no seats (the Tencent dialect's); a logic error if one shows.
	roomd.ENOSEATS:     codeLogic,
	roomd.ESEATLOCKED:  codeLogic,
	roomd.ESEATTAKEN:   codeLogic,
	roomd.ESEATSFULL:   codeLogic,
	roomd.ESEATED:      codeLogic,
	roomd.ENOTSEATED:   codeLogic,
	roomd.ESEATPENDING: codeLogic,
}

// actionCodes overrides domainCodes for the request-level Code of one action.
var actionCodes = map[string]map[string]int{
	"CreateGroup": {
		roomd.ENOUSER: 660600013, // the group owner is not registered
		roomd.ELIMIT:  codeTooManyMembers,
	},
	// The group would hold more attributes than roomd keeps (roomd.MaxAttributes).
	"ModifyGroupAttribute": {roomd.ELIMIT: 660300019},
}

// itemCodes overrides domainCodes for the SubCode of one action's
// ErrorList / ErrorUsers entries.
var itemCodes = map[string]map[string]int{
	"KickoutGroupUser":     {roomd.ENOTMEMBER: 660600008},
	"UserRegister":         {roomd.EEXISTS: 660700002},
	"ModifyUserInfo":       {roomd.ENOUSER: 660700012}, // the user to change is not registered
	"QueryUserOnlineState": {roomd.ENOUSER: 660200001}, // unknown user
}

// allFailedCodes overrides, for one action, the Code of a batch whose every
// item failed (by default the first item's SubCode).
var allFailedCodes = map[string]int{
	"MuteGroupMembers": 660600033, // every target failed
}

// zegoCode returns the ZEGO number of a domain code in action's context.
func zegoCode(over map[string]map[string]int, action, code string) int {
	if n, ok := over[action][code]; ok {
		return n
	}
	if n, ok := domainCodes[code]; ok {
		return n
	}
	return codeFailure
}

// apiError is a failure the dialect answers with a ZEGO code of its own:
// the gateway's (path, query, signature, nonce, body read), the rate limits,
// and codeUserIDTooLong, which no domain code expresses. Every other
// failure, parameter errors included, is a roomd.Error the tables above map.
type apiError struct {
	code int
	msg  string
}

// Error returns the message answered to the client.
func (e *apiError) Error() string { return e.msg }

func apiErr(code int, msg string) error { return &apiError{code: code, msg: msg} }

func isAPIError(err error) bool {
	var e *apiError
	return errors.As(err, &e)
}

// codeOf returns the Code and client-safe Message answering err.
func codeOf(action string, err error) (int, string) {
	var e *apiError
	if errors.As(err, &e) {
		return e.code, e.msg
	}
	return zegoCode(actionCodes, action, roomd.ErrorCode(err)), roomd.ErrorMessage(err)
}
