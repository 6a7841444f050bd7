// Package roomd is the domain of the roomd room and group server: apps, users,
// rooms, members and their roles, the event log, the error codes every adapter
// maps to its wire protocol, the Store contract every storage engine fulfils,
// and the Service that enforces the membership and ownership rules.
//
// The rules live here, once, so that every wire dialect (ZEGOCLOUD ZIM,
// Tencent Cloud Chat room engine) and every store (SQLite, PostgreSQL) share
// them. The package imports only the standard library.
package roomd

import (
	"context"
	"time"
)

// App is a tenant: one application of a vendor's console. Every user, room
// and event belongs to exactly one app.
type App struct {
	// ID is the ZEGO AppId and, the same number, the Tencent SDKAppID.
	ID uint32
	// Secret is the ZEGO ServerSecret and the Tencent secret key.
	Secret string
	// Admins are the identifiers allowed to call the Tencent REST API.
	Admins []string
	// RateLimitsOff disables the vendors' documented call-rate limits.
	RateLimitsOff bool
}

// IsAdmin reports whether id is one of the app's administrator identifiers.
func (a *App) IsAdmin(id string) bool {
	for _, x := range a.Admins {
		if x == id {
			return true
		}
	}
	return false
}

// AppDirectory resolves apps by id.
type AppDirectory interface {
	// App returns the app with the given id, or nil when none is configured.
	App(id uint32) *App
}

// Apps is an immutable AppDirectory built from a list.
type Apps map[uint32]*App

// App returns the app with id, or nil.
func (m Apps) App(id uint32) *App { return m[id] }

// Actor is whoever performs an operation. Admin actors are the app's
// administrator accounts (Tencent identifiers): they need not be registered
// users and pass every permission check. Other actors must be registered users.
type Actor struct {
	ID    string
	Admin bool
}

// Clock returns the current time; tests replace it.
type Clock func() time.Time

// Publisher receives events after the transaction that wrote them has committed.
// Publish must not block for long: it is called on the request path.
type Publisher interface {
	Publish(ctx context.Context, events []Event)
}

// Publishers is a Publisher that hands events to each of its elements in turn.
type Publishers []Publisher

// Publish publishes events to each publisher.
func (ps Publishers) Publish(ctx context.Context, events []Event) {
	for _, p := range ps {
		p.Publish(ctx, events)
	}
}
