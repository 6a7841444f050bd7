package tencent

import (
	"net/url"

	"github.com/roomd/roomd"
)

// Callback commands: the CallbackCommand of each callback (hook.go).
const (
	cmdCreateRoom  = "Room.CallbackAfterCreateRoom"
	cmdDestroyRoom = "Room.CallbackAfterDestroyRoom"
	cmdUpdateRoom  = "Room.CallbackAfterUpdateRoomInfo"
	cmdMemberEnter = "Room.CallbackAfterMemberEnter"
	cmdMemberLeave = "Room.CallbackAfterMemberLeave"
	cmdChangeOwner = "Room.CallbackAfterChangeRoomOwner" // roomd's own
	cmdSeatChanged = "Mic.CallbackAfterSeatInfoChanged"
)

// callbackCommands are the callback commands set_callback accepts: the
// vendor's room and seat callbacks, and roomd's own cmdChangeOwner (the
// vendor has no callback for an owner change).
var callbackCommands = map[string]bool{
	cmdCreateRoom:  true,
	cmdDestroyRoom: true,
	cmdUpdateRoom:  true,
	cmdMemberEnter: true,
	cmdMemberLeave: true,
	cmdChangeOwner: true,
	cmdSeatChanged: true,
}

// callbackConfig is the body of set_callback and update_callback and the
// payload of get_callback.
type callbackConfig struct {
	Url                 string
	CallbackCommandList []string
}

// setCallback serves set_callback and update_callback: {Url,
// CallbackCommandList[]} replaces the app's one callback configuration.
func (h *handler) setCallback(c *call) (any, error) {
	var req callbackConfig
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	u, err := url.Parse(req.Url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, roomd.Errorf(roomd.EINVALID, "Url must be an http or https URL")
	}
	for _, cmd := range req.CallbackCommandList {
		if !callbackCommands[cmd] {
			return nil, roomd.Errorf(roomd.EINVALID, "unknown callback command %s", cmd)
		}
	}
	if err := h.svc.PutCallback(c.ctx, roomd.Callback{AppID: c.app.ID, URL: req.Url, Commands: req.CallbackCommandList}); err != nil {
		return nil, err
	}
	h.callbackChanged(c.app.ID)
	return nil, nil
}

// getCallback: {} -> Response{Url, CallbackCommandList}; Url is "" when no
// callback is set.
func (h *handler) getCallback(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	cb, err := h.svc.Callback(c.ctx, c.app.ID)
	if err != nil {
		return nil, err
	}
	out := callbackConfig{CallbackCommandList: []string{}}
	if cb != nil {
		out.Url = cb.URL
		out.CallbackCommandList = append(out.CallbackCommandList, cb.Commands...)
	}
	return out, nil
}

// deleteCallback: {} removes the app's callback configuration, if any.
func (h *handler) deleteCallback(c *call) (any, error) {
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	if err := h.svc.DeleteCallback(c.ctx, c.app.ID); err != nil {
		return nil, err
	}
	h.callbackChanged(c.app.ID)
	return nil, nil
}
