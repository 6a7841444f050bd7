package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/roomd/roomd/zego"
)

const tokenUsage = `usage: roomd token zego --app ID --secret S --user ID [--expire SECONDS] [--payload P]

prints a ZEGO Token04 (the AES-CBC variant) for the user, made with the app's
ServerSecret, valid for --expire seconds from now. The secret's bytes are the
AES key, so it must be 16, 24 or 32 bytes long (ZEGO's are 32). A member logs
in to roomd's real-time gateway (GET /v1/connect) with it, as with a Tencent
UserSig from "roomd usersig".
`

func runToken(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return usagef("token: zego is required")
	}
	switch args[0] {
	case "zego":
		return tokenZEGO(args[1:], stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return flag.ErrHelp
	default:
		fmt.Fprint(stderr, tokenUsage)
		return usagef(`token: unknown dialect %q (zego; a Tencent UserSig is "roomd usersig")`, args[0])
	}
}

func tokenZEGO(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token zego", flag.ContinueOnError)
	app := fs.Uint("app", 0, "AppId")
	secret := fs.String("secret", "", "ServerSecret (16, 24 or 32 bytes)")
	user := fs.String("user", "", "user id the token is for")
	expire := fs.Int64("expire", 24*3600, "validity in `seconds` (1 to 2147483647)")
	payload := fs.String("payload", "", "the token's payload string")
	if err := parseFlags(fs, tokenUsage, args, stdout, stderr); err != nil {
		return err
	}
	if *app == 0 || *app > 1<<32-1 || *secret == "" || *user == "" {
		return usagef("token zego: --app (a uint32), --secret and --user are required")
	}
	if *expire <= 0 || *expire > maxExpire {
		return usagef("token zego: --expire %d: want 1 to %d seconds", *expire, maxExpire)
	}
	if fs.NArg() > 0 {
		return usagef("token zego: unexpected argument %q", fs.Arg(0))
	}
	tok, err := zego.GenerateToken04(uint32(*app), *secret, *user, time.Duration(*expire)*time.Second, time.Now(), *payload)
	switch {
	case errors.Is(err, zego.ErrTokenSecret):
		return usagef("token zego: --secret must be 16, 24 or 32 bytes long (ZEGO's ServerSecrets are 32): its bytes are the AES key")
	case err != nil:
		return usagef("token zego: %v", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
