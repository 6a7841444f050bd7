package zego

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roomd/roomd"
)

// SignatureWindow is how far a request's Timestamp may be from the server's
// clock, either way.
const SignatureWindow = 10 * time.Minute

// Sign returns md5(AppId + SignatureNonce + ServerSecret + Timestamp) as 32
// lowercase hex chars, AppId and Timestamp in decimal.
func Sign(appID uint32, nonce, secret string, timestamp int64) string {
	sum := md5.Sum([]byte(strconv.FormatUint(uint64(appID), 10) + nonce + secret + strconv.FormatInt(timestamp, 10)))
	return hex.EncodeToString(sum[:])
}

// SignedQuery returns the common parameters (AppId, SignatureNonce = 16 fresh
// hex chars, Timestamp, SignatureVersion=2.0, Signature) plus Action, for a
// request at now.
func SignedQuery(appID uint32, secret, action string, now time.Time) url.Values {
	nonce := newNonce()
	ts := now.Unix()
	return url.Values{
		"Action":           {action},
		"AppId":            {strconv.FormatUint(uint64(appID), 10)},
		"SignatureNonce":   {nonce},
		"Timestamp":        {strconv.FormatInt(ts, 10)},
		"SignatureVersion": {"2.0"},
		"Signature":        {Sign(appID, nonce, secret, ts)},
	}
}

// authenticate runs the gateway checks in the documented order and sets
// c.app and c.route. An unknown Action is reported only after the signature
// and nonce have been checked, so that unauthenticated callers learn nothing
// but the gateway codes.
func (h *handler) authenticate(c *call) error {
	appID, err := strconv.ParseUint(c.q.Get("AppId"), 10, 32)
	if err != nil {
		return apiErr(codeAppIDFormat, "AppId is missing or not a uint32")
	}
	app := h.apps.App(uint32(appID))
	if app == nil {
		return apiErr(codeAppConfig, "failed to get app config: unknown AppId")
	}
	if app.Secret == "" {
		return apiErr(codeNoSecret, "failed to get ServerSecret: none configured for the app")
	}
	c.app = app
	c.name = c.q.Get("Action")
	c.route = routes[c.name]
	if c.name == "" {
		return apiErr(codeActionEmpty, "Action is empty")
	}
	nonce := c.q.Get("SignatureNonce")
	if nonce == "" {
		return apiErr(codeNonceEmpty, "SignatureNonce is empty")
	}
	tsText := c.q.Get("Timestamp")
	if tsText == "" {
		return apiErr(codeTimestampEmpty, "Timestamp is empty")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return apiErr(codeTimestampFormat, "Timestamp is not an integer")
	}
	switch v := c.q.Get("SignatureVersion"); v {
	case "":
		return apiErr(codeVersionEmpty, "SignatureVersion is empty")
	case "2.0":
	default:
		return apiErr(codeVersionUnsupported, "unsupported SignatureVersion")
	}
	sig := c.q.Get("Signature")
	if sig == "" {
		return apiErr(codeSignatureEmpty, "Signature is empty")
	}
	now := c.now.Unix()
	window := int64(SignatureWindow / time.Second)
	if ts < now-window || ts > now+window {
		return apiErr(codeSignatureExpired, "signature expired: Timestamp is more than 10 minutes from server time")
	}
	want := Sign(app.ID, nonce, app.Secret, ts)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return apiErr(codeSignatureInvalid, "signature invalid")
	}
	// The signature covers neither the action nor its parameters: a signed
	// URL must work once only, also across restarts, or a captured read-only
	// URL could be replayed as any action. The claim is durable no later
	// than the action's changes; ServeHTTP waits for it before answering.
	wait, err := h.svc.UseNonce(c.ctx, app.ID, nonce, c.now, time.Unix(ts, 0).Add(SignatureWindow))
	switch roomd.ErrorCode(err) {
	case "":
		c.nonceDurable = wait
	case roomd.EEXISTS:
		return apiErr(codeSignatureInvalid, "signature invalid: SignatureNonce was already used")
	case roomd.ERATELIMIT:
		return apiErr(codeAppRateLimit, "too many requests: too many signed requests in the signature window, retry later")
	case roomd.EINVALID:
		return roomd.Errorf(roomd.EINVALID, "parameter error: SignatureNonce longer than 128 bytes")
	default:
		return err
	}
	if c.route == nil {
		return apiErr(codeActionUnsupported, "unsupported Action")
	}
	return nil
}
