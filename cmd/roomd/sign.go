package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
		return flag.ErrHelp
	}
	switch args[0] {
	case "zego":
		return signZEGO(args[1:], stdout, stderr)
	case "tencent":
		return signTencent(args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, signUsage)
		return fmt.Errorf("sign: unknown dialect %q (zego or tencent)", args[0])
	}
}

// signFlags are the flags both dialects of sign share.
type signFlags struct {
	fs     *flag.FlagSet
	app    *uint
	secret *string
	addr   *string
}

func newSignFlags(name string, stderr io.Writer) *signFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, signUsage); fs.PrintDefaults() }
	return &signFlags{
		fs:     fs,
		app:    fs.Uint("app", 0, "AppId / SDKAppID"),
		secret: fs.String("secret", "", "ServerSecret / secret key"),
		addr:   fs.String("addr", "http://"+defaultListen, "roomd's base URL"),
	}
}

func (f *signFlags) parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if *f.app == 0 || *f.app > 1<<32-1 || *f.secret == "" {
		return errors.New("sign: --app (a uint32) and --secret are required")
	}
	if f.fs.NArg() == 0 {
		return errors.New("sign: the action or command is missing")
	}
	return nil
}

func signZEGO(args []string, stdout, stderr io.Writer) error {
	f := newSignFlags("sign zego", stderr)
	if err := f.parse(args); err != nil {
		return err
	}
	action, params := f.fs.Arg(0), f.fs.Args()[1:]
	method, ok := zego.ActionMethod(action)
	if !ok {
		return fmt.Errorf("sign: unknown ZEGO action %q", action)
	}
	q := zego.SignedQuery(uint32(*f.app), *f.secret, action, time.Now())
	var body []byte
	if method == "GET" {
		for _, p := range params {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				return fmt.Errorf("sign: %q is not key=value", p)
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
	f := newSignFlags("sign tencent", stderr)
	admin := f.fs.String("admin", "administrator", "the app administrator identifier to sign as")
	if err := f.parse(args); err != nil {
		return err
	}
	body := []byte("{}")
	if f.fs.NArg() > 1 {
		body = []byte(f.fs.Arg(1))
		if !json.Valid(body) {
			return errors.New("sign: the body is not valid JSON")
		}
	}
	sig, err := tencent.GenUserSig(uint32(*f.app), *f.secret, *admin, time.Hour, time.Now())
	if err != nil {
		return err
	}
	path, ok := tencent.CommandURL(uint32(*f.app), *admin, sig, f.fs.Arg(0), rand.Uint32())
	if !ok {
		return fmt.Errorf("sign: unknown Tencent command %q", f.fs.Arg(0))
	}
	fmt.Fprintln(stdout, curl("POST", strings.TrimRight(*f.addr, "/")+path, body))
	return nil
}

func runUserSig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usersig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	app := fs.Uint("app", 0, "SDKAppID")
	secret := fs.String("secret", "", "secret key")
	user := fs.String("user", "", "identifier the UserSig is for")
	expire := fs.Int("expire", 180*24*3600, "validity in seconds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *app == 0 || *app > 1<<32-1 || *secret == "" || *user == "" || *expire <= 0 {
		return errors.New("usersig: --app (a uint32), --secret, --user and a positive --expire are required")
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
			return nil, errors.New("sign: the body is not valid JSON")
		}
		return []byte(params[0]), nil
	}
	obj := map[string]any{}
	for _, p := range params {
		if k, v, ok := strings.Cut(p, ":="); ok && !strings.Contains(k, "=") {
			var raw json.RawMessage
			if err := json.Unmarshal([]byte(v), &raw); err != nil {
				return nil, fmt.Errorf("sign: %s: %v", k, err)
			}
			obj[k] = raw
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("sign: %q is not key=value", p)
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

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
