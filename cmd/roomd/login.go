package main

import (
	"errors"
	"time"

	"github.com/roomd/roomd"
	"github.com/roomd/roomd/tencent"
	"github.com/roomd/roomd/zego"
)

// verifyLogin checks a gateway login credential: a Tencent UserSig of the
// user, or a ZEGO Token04 of the user, made with the app's secret.
func verifyLogin(app *roomd.App, user, usersig, token string, now time.Time) error {
	switch {
	case usersig != "":
		return tencent.VerifyUserSig(app.ID, app.Secret, user, usersig, now)
	case token != "":
		return zego.VerifyToken04(app.ID, app.Secret, user, token, now)
	}
	return errors.New("no credential")
}
