package tencent

import (
	"net/url"
	"strconv"
)

// Services of the REST API.
const (
	svcAccount = "im_open_login_svc"
	svcRoom    = "room_engine_http_srv"
	svcConfig  = "room_config"
	svcMic     = "room_engine_http_mic" // seats
)

// defaultRate is the vendor's documented limit: calls per second per
// SDKAppID per command.
const defaultRate = 200

// route is one command of the API.
type route struct {
	service   string
	command   string
	fam       family
	perSecond int
	serve     func(h *handler, c *call) (any, error)
}

// routes lists every command the dialect serves.
var routes = []route{
	{svcAccount, "account_import", famAccount, defaultRate, (*handler).accountImport},
	{svcAccount, "multiaccount_import", famAccount, 100, (*handler).multiAccountImport},
	{svcAccount, "account_check", famAccount, defaultRate, (*handler).accountCheck},
	{svcAccount, "account_delete", famAccount, defaultRate, (*handler).accountDelete},

	{svcRoom, "create_room", famRoom, defaultRate, (*handler).createRoom},
	{svcRoom, "destroy_room", famRoom, defaultRate, (*handler).destroyRoom},
	{svcRoom, "get_room_info", famRoom, defaultRate, (*handler).getRoomInfo},
	{svcRoom, "update_room_info", famRoom, defaultRate, (*handler).updateRoomInfo},
	{svcRoom, "get_room_member_list", famRoom, defaultRate, (*handler).getRoomMemberList},
	{svcRoom, "update_room_member_info", famRoom, defaultRate, (*handler).updateRoomMemberInfo},
	{svcRoom, "change_room_owner", famRoom, defaultRate, (*handler).changeRoomOwner},
	{svcRoom, "kick_user_out", famRoom, defaultRate, (*handler).kickUserOut},
	{svcRoom, "ban_room_member", famRoom, defaultRate, (*handler).banRoomMember},
	{svcRoom, "unban_room_member", famRoom, defaultRate, (*handler).unbanRoomMember},
	{svcRoom, "get_banned_member_list", famRoom, defaultRate, (*handler).getBannedMemberList},
	{svcRoom, "mark_room_member", famRoom, defaultRate, (*handler).markRoomMember},

	{svcMic, "get_seat_list", famRoom, defaultRate, (*handler).getSeatList},
	{svcMic, "pick_user_on_seat", famRoom, defaultRate, (*handler).pickUserOnSeat},
	{svcMic, "kick_user_off_seat", famRoom, defaultRate, (*handler).kickUserOffSeat},
	{svcMic, "lock_seat", famRoom, defaultRate, (*handler).lockSeat},
	{svcMic, "switch_seat", famRoom, defaultRate, (*handler).switchSeat},

	{svcConfig, "set_callback", famRoom, defaultRate, (*handler).setCallback},
	{svcConfig, "update_callback", famRoom, defaultRate, (*handler).setCallback},
	{svcConfig, "get_callback", famRoom, defaultRate, (*handler).getCallback},
	{svcConfig, "delete_callback", famRoom, defaultRate, (*handler).deleteCallback},
}

// routeIndex returns the routes by "service/command".
func routeIndex() map[string]*route {
	m := make(map[string]*route, len(routes))
	for i := range routes {
		m[routes[i].service+"/"+routes[i].command] = &routes[i]
	}
	return m
}

// CommandURL returns the path and query for a command:
// "/v4/<service>/<command>?sdkappid=..&identifier=..&usersig=..&random=..&contenttype=json"
// (for the `roomd sign tencent` CLI and the benchmark); ok=false for an
// unknown command name (commands are named by their last path element e.g.
// "change_room_owner").
func CommandURL(appID uint32, identifier, usersig, command string, random uint32) (string, bool) {
	for i := range routes {
		rt := &routes[i]
		if rt.command != command {
			continue
		}
		return "/v4/" + rt.service + "/" + rt.command +
			"?sdkappid=" + strconv.FormatUint(uint64(appID), 10) +
			"&identifier=" + url.QueryEscape(identifier) +
			"&usersig=" + url.QueryEscape(usersig) +
			"&random=" + strconv.FormatUint(uint64(random), 10) +
			"&contenttype=json", true
	}
	return "", false
}
