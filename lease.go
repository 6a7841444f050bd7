package roomd

import (
	"context"
	"time"
)

// Leaser grants leases: the right of one holder at a time to do a named
// job, such as delivering an app's callbacks when several nodes share a
// store. A lease lasts a time to live from when it was taken or last
// renewed, by the Leaser's own clock (one clock for every holder), so
// that a holder that dies loses it without a word.
type Leaser interface {
	// Hold takes the lease name for holder, or renews holder's, until ttl
	// from now, and reports whether holder has it: false while another
	// holder's lease lasts. Returns EINVALID for an empty name or holder
	// or a ttl under a millisecond, and EINTERNAL when the store fails. A
	// holder that cannot renew must stop the job once ttl has passed since
	// its last successful call began.
	Hold(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// Release gives up holder's lease on name, so that another holder may
	// take it at once; releasing a lease one does not hold does nothing.
	// Returns EINTERNAL when the store fails.
	Release(ctx context.Context, name, holder string) error
}

// CheckLease returns EINVALID unless Hold's arguments are valid; for
// Leaser implementations.
func CheckLease(name, holder string, ttl time.Duration) error {
	if name == "" || holder == "" || ttl < time.Millisecond {
		return Errorf(EINVALID, "a lease needs a name, a holder and a ttl of at least 1 ms")
	}
	return nil
}
