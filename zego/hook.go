package zego

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/roomd/roomd"
)

// HookConfig is where an app's ZEGO-style callbacks go: the app's
// callback_url and callback_secret from roomd's configuration.
type HookConfig struct {
	URL    string // the receiver's absolute http or https URL; "" = no callbacks
	Secret string // signs the callbacks (CallbackSignature)
}

// destroyUserIDs is the most user_ids a group_destroy callback lists.
const destroyUserIDs = 10_000

// Hook is the ZEGO style of callbacks (roomd.HookZEGO): ZIM's group
// callbacks, a signed JSON POST per event to the app's callback_url.
//
//   - room.created: group_create, with owner_account, group_name,
//     attributes [{key, value}] and user_ids, the members the room was
//     created with (owner first). Their member.joined events (reason
//     roomd.JoinCreated) have no callback of their own.
//   - room.dismissed: group_destroy, with owner_account and user_ids, the
//     members right before the dismissal in id order, at most the first
//     10,000 of them ([] when the last member's leaving dismissed the room).
//   - member.joined: group_join, with join_type "Apply" when the user joined
//     by themselves and "Invited" when someone else added them, and
//     new_user_ids [user].
//   - member.left: group_exit, with exit_type "Quit" when the user left by
//     themselves and "Kickout" otherwise (removed, banned, account deleted),
//     and exit_user_ids [user].
//   - owner.changed: group_owner_transfer, with old_owner and new_owner.
//     ZIM has no such callback; it is roomd's own.
//
// The other events have no callback. Every body carries appid (a string),
// event, timestamp (Unix seconds, a number), nonce, signature, group_id
// and operator_account (the event's actor).
//
// A Hook is safe for concurrent use; SetTargets may run while callbacks
// are made.
type Hook struct {
	svc     *roomd.Service
	targets atomic.Pointer[map[uint32]HookConfig]
}

var _ roomd.Hook = (*Hook)(nil)

// NewHook returns the ZEGO-style callbacks of svc's events, posted to the
// apps' targets (see SetTargets).
func NewHook(svc *roomd.Service, targets map[uint32]HookConfig) *Hook {
	h := &Hook{svc: svc}
	h.SetTargets(targets)
	return h
}

// SetTargets replaces the apps' callback targets, as a configuration reload
// does; it keeps a copy of targets. An app without a URL has no callbacks.
func (h *Hook) SetTargets(targets map[uint32]HookConfig) {
	m := maps.Clone(targets)
	h.targets.Store(&m)
}

// Style returns roomd.HookZEGO.
func (h *Hook) Style() string { return roomd.HookZEGO }

// Target returns where app's callbacks go, or nil when the app has no
// callback URL configured. It never fails.
func (h *Hook) Target(_ context.Context, app uint32) (*roomd.HookTarget, error) {
	c := (*h.targets.Load())[app]
	if c.URL == "" {
		return nil, nil
	}
	return &roomd.HookTarget{AppID: app, URL: c.URL, Secret: c.Secret}, nil
}

// callbackBody holds the fields every callback has.
type callbackBody struct {
	AppID           string `json:"appid"`
	Event           string `json:"event"`
	Timestamp       int64  `json:"timestamp"`
	Nonce           string `json:"nonce"`
	Signature       string `json:"signature"`
	GroupID         string `json:"group_id"`
	OperatorAccount string `json:"operator_account"`
}

// groupCreateBody is group_create's body. roomd.Attribute marshals as
// {key, value}, the callback's lower-case keys.
type groupCreateBody struct {
	callbackBody
	OwnerAccount string            `json:"owner_account"`
	GroupName    string            `json:"group_name"`
	Attributes   []roomd.Attribute `json:"attributes"`
	UserIDs      []string          `json:"user_ids"`
}

// groupDestroyBody is group_destroy's body.
type groupDestroyBody struct {
	callbackBody
	OwnerAccount string   `json:"owner_account"`
	UserIDs      []string `json:"user_ids"`
}

// groupJoinBody is group_join's body.
type groupJoinBody struct {
	callbackBody
	JoinType   string   `json:"join_type"`
	NewUserIDs []string `json:"new_user_ids"`
}

// groupExitBody is group_exit's body.
type groupExitBody struct {
	callbackBody
	ExitType    string   `json:"exit_type"`
	ExitUserIDs []string `json:"exit_user_ids"`
}

// groupOwnerTransferBody is group_owner_transfer's body.
type groupOwnerTransferBody struct {
	callbackBody
	OldOwner string `json:"old_owner"`
	NewOwner string `json:"new_owner"`
}

// Request returns ev's callback to t, signed with t.Secret at now with a
// fresh nonce, or nil when ev has no callback (see Hook). A group_destroy
// reads the members before the dismissal from the store. Returns EINTERNAL
// when ev's payload does not decode or the store fails.
func (h *Hook) Request(ctx context.Context, t *roomd.HookTarget, ev *roomd.Event, now time.Time) (*roomd.HookRequest, error) {
	ts, nonce := now.Unix(), newNonce()
	c := callbackBody{
		AppID:           strconv.FormatUint(uint64(ev.AppID), 10),
		Timestamp:       ts,
		Nonce:           nonce,
		Signature:       CallbackSignature(t.Secret, strconv.FormatInt(ts, 10), nonce),
		GroupID:         ev.RoomID,
		OperatorAccount: ev.Actor,
	}
	var body any
	var err error
	switch ev.Type {
	case roomd.EventRoomCreated:
		body, err = groupCreate(c, ev)
	case roomd.EventRoomDismissed:
		body, err = h.groupDestroy(ctx, c, ev)
	case roomd.EventMemberJoined:
		body, err = groupJoin(c, ev)
	case roomd.EventMemberLeft:
		body, err = groupExit(c, ev)
	case roomd.EventOwnerChanged:
		body, err = groupOwnerTransfer(c, ev)
	}
	if err != nil || body == nil {
		return nil, err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, roomd.Errorf(roomd.EINTERNAL, "zego: callback of event %d of room %q does not marshal: %v", ev.Seq, ev.RoomID, err)
	}
	return &roomd.HookRequest{URL: t.URL, Body: data}, nil
}

// The builders below return ev's callback body, given its common fields c
// but the event's name, or nil when ev has no callback.

func groupCreate(c callbackBody, ev *roomd.Event) (any, error) {
	var p roomd.RoomPayload
	if err := ev.DecodePayload(&p); err != nil {
		return nil, err
	}
	c.Event = "group_create"
	attrs := p.Attributes
	if attrs == nil {
		attrs = []roomd.Attribute{}
	}
	members := p.Members
	if members == nil {
		members = []string{}
	}
	return &groupCreateBody{callbackBody: c, OwnerAccount: p.Owner, GroupName: p.Name, Attributes: attrs, UserIDs: members}, nil
}

func (h *Hook) groupDestroy(ctx context.Context, c callbackBody, ev *roomd.Event) (any, error) {
	var p roomd.RoomPayload
	if err := ev.DecodePayload(&p); err != nil {
		return nil, err
	}
	ids, _, err := h.svc.MembersAt(ctx, ev.AppID, ev.RoomID, ev.Seq-1, destroyUserIDs)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{}
	}
	c.Event = "group_destroy"
	return &groupDestroyBody{callbackBody: c, OwnerAccount: p.Owner, UserIDs: ids}, nil
}

func groupJoin(c callbackBody, ev *roomd.Event) (any, error) {
	var p roomd.MemberPayload
	if err := ev.DecodePayload(&p); err != nil {
		return nil, err
	}
	if p.Reason == roomd.JoinCreated {
		return nil, nil // part of the room's group_create
	}
	c.Event = "group_join"
	how := "Invited"
	if ev.Actor == p.UserID {
		how = "Apply"
	}
	return &groupJoinBody{callbackBody: c, JoinType: how, NewUserIDs: []string{p.UserID}}, nil
}

func groupExit(c callbackBody, ev *roomd.Event) (any, error) {
	var p roomd.MemberPayload
	if err := ev.DecodePayload(&p); err != nil {
		return nil, err
	}
	c.Event = "group_exit"
	how := "Kickout"
	if p.Reason == roomd.LeaveLeft || ev.Actor == p.UserID {
		how = "Quit"
	}
	return &groupExitBody{callbackBody: c, ExitType: how, ExitUserIDs: []string{p.UserID}}, nil
}

func groupOwnerTransfer(c callbackBody, ev *roomd.Event) (any, error) {
	var p roomd.OwnerPayload
	if err := ev.DecodePayload(&p); err != nil {
		return nil, err
	}
	c.Event = "group_owner_transfer"
	return &groupOwnerTransferBody{callbackBody: c, OldOwner: p.From, NewOwner: p.To}, nil
}

// Accept returns nil for a 2xx status, which is how a receiver acknowledges
// a callback; its body is not read.
func (h *Hook) Accept(status int, _ []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	return fmt.Errorf("status %d", status)
}

// CallbackSignature returns a callback's signature: the sha1 of secret,
// timestamp (Unix seconds in decimal) and nonce concatenated in ascending
// order, as 40 lowercase hex chars.
func CallbackSignature(secret, timestamp, nonce string) string {
	parts := []string{secret, timestamp, nonce}
	slices.Sort(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// newNonce returns a fresh nonce for a signed request or callback: 16
// random hex chars.
func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
