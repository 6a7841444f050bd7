package roomd

import "context"

// The verification settings of a room (ZEGO's LimitInfo: JoinMode,
// InviteMode, BeInvitedMode), kept in Room. roomd stores and reports all
// three; of them only JoinMode has an effect, on EnterRoom (a user entering
// by themselves): the server APIs that add members act for the app and are
// never held up by them, and roomd has neither join requests nor
// invitations that a user could accept.

// JoinMode says who may join a room by themselves.
type JoinMode int

// Join modes.
const (
	// JoinAnyone: anyone may enter (the default).
	JoinAnyone JoinMode = 0
	// JoinApproval: joining takes the approval of the owner or an admin.
	// roomd has no approval flow, so EnterRoom refuses (EFORBIDDEN); the
	// app's server adds members instead.
	JoinApproval JoinMode = 1
	// JoinInvite: only members' invitations add users. EnterRoom refuses
	// (EFORBIDDEN); the app's server adds members instead.
	JoinInvite JoinMode = 2
)

// InviteMode says who may invite users into a room.
type InviteMode int

// Invite modes.
const (
	InviteAnyMember InviteMode = 0 // any member may invite (the default)
	InviteAdmins    InviteMode = 1 // only the owner and admins may invite
)

// BeInvitedMode says whether an invited user must consent.
type BeInvitedMode int

// Be-invited modes.
const (
	BeInvitedDirectly BeInvitedMode = 0 // invited users join at once (the default)
	BeInvitedConsent  BeInvitedMode = 1 // invited users must consent
)

// validateModes checks a room's verification settings.
func (r *Room) validateModes() error {
	if r.JoinMode < JoinAnyone || r.JoinMode > JoinInvite {
		return Errorf(EINVALID, "join mode must be 0, 1 or 2, not %d", r.JoinMode)
	}
	if r.InviteMode < InviteAnyMember || r.InviteMode > InviteAdmins {
		return Errorf(EINVALID, "invite mode must be 0 or 1, not %d", r.InviteMode)
	}
	if r.BeInvitedMode < BeInvitedDirectly || r.BeInvitedMode > BeInvitedConsent {
		return Errorf(EINVALID, "be-invited mode must be 0 or 1, not %d", r.BeInvitedMode)
	}
	return nil
}

// enterRoom is EnterRoom: user joins a room by themselves, as a member
// (role 3), in one transaction with the checks. A user who is a member
// already changes nothing, whatever the room's JoinMode. Otherwise the room
// must admit anyone (JoinAnyone; else EFORBIDDEN), no ban may be in force
// (EBANNED) and the room must not be full (ELIMIT). Returns the room's seq
// afterwards; ENOROOM and ENOUSER (user not registered) as updateRoom does.
func (s *Service) enterRoom(ctx context.Context, app uint32, roomID, user string) (int64, error) {
	var seq int64
	err := s.updateRoom(ctx, Actor{ID: user}, app, roomID, func(t *roomTx) error {
		seq = t.room.Seq
		if _, err := t.Member(ctx, app, roomID, user); err == nil {
			return nil
		} else if ErrorCode(err) != ENOTMEMBER {
			return err
		}
		switch t.room.JoinMode {
		case JoinAnyone:
		case JoinApproval:
			return Errorf(EFORBIDDEN, "room %q admits members by approval (join mode 1), and roomd has no approval flow: the app's server must add you", roomID)
		default:
			return Errorf(EFORBIDDEN, "room %q admits members by invitation only (join mode 2): the app's server must add you", roomID)
		}
		if ban, err := t.Ban(ctx, app, roomID, user); err != nil {
			return err
		} else if ban != nil && ban.Active(t.now) {
			return Errorf(EBANNED, "user is banned from the room")
		}
		count, err := t.MemberCount(ctx, app, roomID)
		if err != nil {
			return err
		}
		if count >= t.room.maxMembers() {
			return Errorf(ELIMIT, "room is full")
		}
		if err := s.putMember(ctx, t, t.em, Actor{ID: user}, t.room, &Member{AppID: app, RoomID: roomID, UserID: user, Role: RoleMember, JoinedAt: t.now}, ""); err != nil {
			return err
		}
		seq = t.room.Seq
		return nil
	})
	return seq, err
}
