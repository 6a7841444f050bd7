package roomd

import (
	"context"
	"time"
)

// MaxNonceLen is the longest signature nonce the domain accepts, in bytes.
const MaxNonceLen = 128

// UseNonce claims the nonce that app used to sign a request at now, a
// request that a dialect's signature window keeps valid until expires, so
// that the same signed request is accepted at most once in the deployment,
// across restarts and, with a shared store, across nodes. Returns EEXISTS if
// the nonce was claimed before and has not expired, ERATELIMIT if the app
// has as many unexpired nonces as the store keeps, EINVALID for an empty or
// over-long nonce or an expiry before now.
//
// The caller may serve the request at once: the claim is durable no later
// than any change the request makes through the Service. It must call wait
// before it answers, and answer with wait's error if there is one (the
// claim could not be made durable, EINTERNAL).
func (s *Service) UseNonce(ctx context.Context, app uint32, nonce string, now, expires time.Time) (wait func() error, err error) {
	if nonce == "" || len(nonce) > MaxNonceLen {
		return nil, Errorf(EINVALID, "signature nonce must be 1 to %d bytes", MaxNonceLen)
	}
	if expires.Before(now) {
		return nil, Errorf(EINVALID, "signature expiry is before the time of use")
	}
	return s.store.UseNonce(ctx, app, nonce, now, expires)
}
