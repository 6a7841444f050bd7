package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/roomd/roomd/roomdclient"
	"github.com/roomd/roomd/tencent"
)

const watchUsage = `usage: roomd watch --app ID --secret KEY --user ID [--addr URL] [--resume ROOM=SEQ,...]

connects to roomd's real-time gateway (GET /v1/connect) as the user, with a
UserSig signed with the app's secret key, and prints the events of the
user's rooms, one line each, until interrupted:

  2026-11-25T10:00:00.123Z team #42 owner.changed by alice {"from":"alice","to":"bob"}

--resume starts each room given after the seq given (the events after it
are printed first). Drops are reported on stderr, and the watch resumes
where it was. Ids or data with characters that are not printable are
printed quoted or escaped.
`

// watchSigValidity is how long the UserSig watch logs in with is valid: it
// logs in again with it on every reconnect.
const watchSigValidity = 180 * 24 * time.Hour

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	addr := fs.String("addr", "http://"+defaultListen, "roomd's base `URL`")
	app := fs.Uint("app", 0, "SDKAppID")
	secret := fs.String("secret", "", "the app's secret key")
	user := fs.String("user", "", "the user to watch as (a registered user of the app)")
	resumeFlag := fs.String("resume", "", "per room, the last seq already seen, as `ROOM=SEQ,...`")
	if err := parseFlags(fs, watchUsage, args, stdout, stderr); err != nil {
		return err
	}
	if *app == 0 || *app > 1<<32-1 || *secret == "" || *user == "" {
		return usagef("watch: --app (a uint32), --secret and --user are required")
	}
	if fs.NArg() > 0 {
		return usagef("watch: unexpected argument %q", fs.Arg(0))
	}
	wsURL, err := connectURL(*addr)
	if err != nil {
		return usagef("watch: --addr: %v", err)
	}
	resume, err := parseResume(*resumeFlag)
	if err != nil {
		return usagef("watch: --resume: %v", err)
	}
	sig, err := tencent.GenUserSig(uint32(*app), *secret, *user, watchSigValidity, time.Now())
	if err != nil {
		return err
	}
	cred := roomdclient.Credentials{App: uint32(*app), User: *user, UserSig: sig}
	c, err := roomdclient.Dial(ctx, wsURL, cred, roomdclient.WithResume(resume), roomdclient.WithStatus(func(s roomdclient.Status) {
		fmt.Fprintln(stderr, formatStatus(s))
	}))
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted
		}
		return fmt.Errorf("watch: %s", escapeText(err.Error()))
	}
	defer c.Close()
	for {
		ev, err := c.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted
			}
			return fmt.Errorf("watch: %s", escapeText(err.Error()))
		}
		if _, err := fmt.Fprintln(stdout, formatEvent(ev)); err != nil {
			return err
		}
	}
}

// connectURL returns the gateway's WebSocket URL on the roomd at addr
// (http://host:port, https://..., or host:port).
func connectURL(addr string) (string, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("scheme %q: want http or https", u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", addr)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/v1/connect"
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// parseResume parses ROOM=SEQ,... into a map; "" is no resume.
func parseResume(s string) (map[string]int64, error) {
	resume := map[string]int64{}
	if s == "" {
		return resume, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		i := strings.LastIndex(part, "=")
		if i <= 0 {
			return nil, fmt.Errorf("%s is not ROOM=SEQ", quoteID(part))
		}
		room := part[:i]
		seq, err := strconv.ParseInt(part[i+1:], 10, 64)
		if err != nil || seq < 0 {
			return nil, fmt.Errorf("%s: the seq is not a number from 0", quoteID(part))
		}
		if _, dup := resume[room]; dup {
			return nil, fmt.Errorf("room %s is given twice", quoteID(room))
		}
		resume[room] = seq
	}
	return resume, nil
}

// formatEvent returns the line watch prints for ev:
//
//	2026-11-25T10:00:00.123Z team #42 owner.changed by alice {"from":"alice","to":"bob"}
//	team #42 resync: the events before are no longer kept; reload the room
//
// Nothing in it comes raw from the wire: ids that are empty or hold
// spaces, quotes or characters that are not printable are quoted, and the
// data is compact JSON with every such character escaped.
func formatEvent(ev roomdclient.Event) string {
	if ev.Resync {
		return fmt.Sprintf("%s #%d resync: the events before are no longer kept; reload the room", quoteID(ev.Room), ev.Seq)
	}
	line := fmt.Sprintf("%s %s #%d %s by %s", ev.Time.UTC().Format("2006-01-02T15:04:05.000Z"), quoteID(ev.Room), ev.Seq, quoteID(ev.Type), quoteID(ev.Actor))
	if len(ev.Data) > 0 {
		line += " " + safeJSON(ev.Data)
	}
	return line
}

// formatStatus returns the line watch prints on stderr for a change of its
// connection.
func formatStatus(s roomdclient.Status) string {
	switch {
	case s.Connected:
		return "roomd watch: reconnected; resuming"
	case s.Retry == 0:
		return "roomd watch: connection lost for good: " + escapeText(errText(s.Err))
	case s.Attempt == 0:
		return fmt.Sprintf("roomd watch: connection lost (%s); reconnecting in %v", escapeText(errText(s.Err)), s.Retry.Round(time.Millisecond))
	default:
		return fmt.Sprintf("roomd watch: reconnect attempt %d failed (%s); next in %v", s.Attempt, escapeText(errText(s.Err)), s.Retry.Round(time.Millisecond))
	}
}

func errText(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// quoteID returns id as one word of a line: as it is when it is non-empty
// and every character is printable and none is a space or a quote, else
// quoted as a Go string (control characters escaped).
func quoteID(id string) string {
	if id != "" && printable(id) && !strings.ContainsAny(id, " \"\\") {
		return id
	}
	return strconv.Quote(id)
}

// escapeText returns free text as it is when every character is printable,
// else quoted as a Go string.
func escapeText(s string) string {
	if printable(s) {
		return s
	}
	return strconv.Quote(s)
}

// printable reports whether s is valid UTF-8 made of printable characters
// (strconv.IsPrint: no control, format or bidirectional characters).
func printable(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// safeJSON returns raw as compact JSON in which every character that is not
// printable is a \u escape (and invalid UTF-8 is U+FFFD). JSON that is not
// valid is quoted whole.
func safeJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return strconv.Quote(string(raw))
	}
	s := buf.String()
	if printable(s) {
		return s
	}
	// After Compact, characters that are not printable can only be inside
	// strings, where a \u escape means the same character.
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case !strconv.IsPrint(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		case !strconv.IsPrint(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
