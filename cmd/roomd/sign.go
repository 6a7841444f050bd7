package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/roomd/roomd/tencent"
	"github.com/roomd/roomd/zego"
)

const signUsage = `usage:
  roomd sign zego --app ID --secret S [--addr URL] ACTION [key=value | key[]=value | key:=JSON | '{JSON body}']...
  roomd sign tencent --app ID --secret KEY [--admin ID] [--addr URL] COMMAND ['{JSON body}']

prints a curl command for one call, signed now. For ZEGO GET actions the
parameters go in the query; for POST actions they make the JSON body
(key=value a string, key:=JSON any JSON value, key[]=value an array item).
`

func runSign(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, signUsage)
		return usagef("sign: zego or tencent is required")
	}
	switch args[0] {
	case "zego":
		return signZEGO(args[1:], stdout, stderr)
	case "tencent":
		return signTencent(args[1:], stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, signUsage)
		return flag.ErrHelp
	default:
		fmt.Fprint(stderr, signUsage)
		return usagef("sign: unknown dialect %q (zego or tencent)", args[0])
	}
}

// signFlags are the flags both dialects of sign share.
type signFlags struct {
	fs     *flag.FlagSet
	app    *uint
	secret *string
	addr   *string
}

func newSignFlags(name string) *signFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	return &signFlags{
		fs:     fs,
		app:    fs.Uint("app", 0, "AppId / SDKAppID"),
		secret: fs.String("secret", "", "ServerSecret / secret key"),
		addr:   fs.String("addr", "http://"+defaultListen, "roomd's base URL"),
	}
}

func (f *signFlags) parse(args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(f.fs, signUsage, args, stdout, stderr); err != nil {
		return err
	}
	if *f.app == 0 || *f.app > 1<<32-1 || *f.secret == "" {
		return usagef("%s: --app (a uint32) and --secret are required", f.fs.Name())
	}
	if f.fs.NArg() == 0 {
		return usagef("%s: the action or command is missing", f.fs.Name())
	}
	return nil
}

func signZEGO(args []string, stdout, stderr io.Writer) error {
	f := newSignFlags("sign zego")
	if err := f.parse(args, stdout, stderr); err != nil {
		return err
	}
	action, params := f.fs.Arg(0), f.fs.Args()[1:]
	method, ok := zego.ActionMethod(action)
	if !ok {
		return usagef("sign zego: unknown ZEGO action %q", action)
	}
	q := zego.SignedQuery(uint32(*f.app), *f.secret, action, time.Now())
	var body []byte
	if method == "GET" {
		for _, p := range params {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				return usagef("sign zego: %q is not key=value", p)
			}
			q.Add(k, v)
		}
	} else {
		var err error
		if body, err = jsonBody(params); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, curl(method, strings.TrimRight(*f.addr, "/")+"/?"+q.Encode(), body))
	return nil
}

func signTencent(args []string, stdout, stderr io.Writer) error {
	f := newSignFlags("sign tencent")
	admin := f.fs.String("admin", "administrator", "the app administrator identifier to sign as")
	if err := f.parse(args, stdout, stderr); err != nil {
		return err
	}
	body := []byte("{}")
	if f.fs.NArg() > 1 {
		body = []byte(f.fs.Arg(1))
		if !json.Valid(body) {
			return usagef("sign tencent: the body is not valid JSON")
		}
	}
	if f.fs.NArg() > 2 {
		return usagef("sign tencent: unexpected argument %q (the body is one JSON argument)", f.fs.Arg(2))
	}
	sig, err := tencent.GenUserSig(uint32(*f.app), *f.secret, *admin, time.Hour, time.Now())
	if err != nil {
		return err
	}
	path, ok := tencent.CommandURL(uint32(*f.app), *admin, sig, f.fs.Arg(0), rand.Uint32())
	if !ok {
		return usagef("sign tencent: unknown Tencent command %q", f.fs.Arg(0))
	}
	fmt.Fprintln(stdout, curl("POST", strings.TrimRight(*f.addr, "/")+path, body))
	return nil
}

const userSigUsage = `usage: roomd usersig --app ID --secret KEY --user ID [--expire SECONDS]

prints a Tencent UserSig (TLS sig v2) for the user, signed with the app's
secret key, valid for --expire seconds from now.
`

// maxExpire is the longest validity usersig signs: the largest number of
// seconds a signed 32-bit integer holds (about 68 years), so that the
// UserSig's TLS.expire fits the int fields of every verifier.
const maxExpire = math.MaxInt32

func runUserSig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usersig", flag.ContinueOnError)
	app := fs.Uint("app", 0, "SDKAppID")
	secret := fs.String("secret", "", "secret key")
	user := fs.String("user", "", "identifier the UserSig is for")
	expire := fs.Int64("expire", 180*24*3600, "validity in `seconds` (1 to 2147483647)")
	if err := parseFlags(fs, userSigUsage, args, stdout, stderr); err != nil {
		return err
	}
	if *app == 0 || *app > 1<<32-1 || *secret == "" || *user == "" {
		return usagef("usersig: --app (a uint32), --secret and --user are required")
	}
	if *expire <= 0 || *expire > maxExpire {
		return usagef("usersig: --expire %d: want 1 to %d seconds (about 68 years: the largest a 32-bit TLS.expire holds)", *expire, maxExpire)
	}
	if fs.NArg() > 0 {
		return usagef("usersig: unexpected argument %q", fs.Arg(0))
	}
	sig, err := tencent.GenUserSig(uint32(*app), *secret, *user, time.Duration(*expire)*time.Second, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, sig)
	return nil
}

// jsonBody builds a JSON object from key=value (string), key:=JSON (raw)
// and key[]=value (array item) arguments, or takes one '{...}' argument whole.
func jsonBody(params []string) ([]byte, error) {
	if len(params) == 1 && strings.HasPrefix(strings.TrimSpace(params[0]), "{") {
		if !json.Valid([]byte(params[0])) {
			return nil, usagef("sign zego: the body is not valid JSON")
		}
		return []byte(params[0]), nil
	}
	obj := map[string]any{}
	for _, p := range params {
		if k, v, ok := strings.Cut(p, ":="); ok && !strings.Contains(k, "=") {
			var raw json.RawMessage
			if err := json.Unmarshal([]byte(v), &raw); err != nil {
				return nil, usagef("sign zego: %s: %v", k, err)
			}
			obj[k] = raw
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, usagef("sign zego: %q is not key=value", p)
		}
		if name, isArray := strings.CutSuffix(k, "[]"); isArray {
			list, _ := obj[name].([]any)
			obj[name] = append(list, v)
			continue
		}
		obj[k] = v
	}
	return json.Marshal(obj)
}

// curl returns a shell command that makes the request.
func curl(method, u string, body []byte) string {
	if method == "GET" {
		return "curl -s " + shellQuote(u)
	}
	if body == nil {
		body = []byte("{}")
	}
	return "curl -s -X POST -H 'Content-Type: application/json' " + shellQuote(u) + " -d " + shellQuote(string(body))
}

// shellWord returns s as one shell word: as it is when no character of it
// is special to the shell, else quoted.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:@%,=") == "" {
		return s
	}
	return shellQuote(s)
}

// shellQuote returns s single-quoted for the shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
