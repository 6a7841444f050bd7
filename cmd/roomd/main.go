// Command roomd is a self-hosted room and group server that speaks the
// ZEGOCLOUD ZIM and Tencent Cloud Chat room engine server APIs.
//
// Usage:
//
//	roomd serve [--config FILE] [--listen ADDR] [--store sqlite:PATH|postgres://...]
//	roomd migrate [--config FILE] [--store STORE]
//	roomd export [--store STORE] [--config FILE] [--out FILE]
//	roomd import [--store STORE] [--config FILE] [--in FILE]
//	roomd sign zego --app ID --secret S ACTION key=value...
//	roomd sign tencent --app ID --secret KEY [--admin ID] COMMAND '{json}'
//	roomd usersig --app ID --secret KEY --user ID [--expire SECONDS]
//	roomd token zego --app ID --secret S --user ID [--expire SECONDS] [--payload P]
//	roomd watch --app ID --secret KEY --user ID [--addr URL] [--resume ROOM=SEQ,...]
//	roomd webhooks status --app ID --secret KEY [--addr URL]
//	roomd bench [flags]
//	roomd bench realtime [flags]
//	roomd version
//
// "roomd COMMAND -h" prints a command's usage and exits 0. A mistake in the
// command line exits 2; a failure at run time (a taken port, a data directory
// that cannot be created, a store another roomd holds, a bad config) prints
// one line "roomd: ..." on stderr and exits 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

const usage = `usage: roomd COMMAND [flags]

roomd: a self-hosted room and group server (ZEGOCLOUD ZIM and Tencent room engine APIs)

commands:
  serve     run the server (no config needed: embedded store, development app)
  migrate   bring a store's schema up to this version (needed before serving on PostgreSQL)
  export    write a whole store (users, rooms, event logs...) to a file, for "roomd import"
  import    read an export into an empty store, SQLite or PostgreSQL
  sign      print a ready curl command for one API call, freshly signed
  usersig   print a Tencent UserSig
  token     print a ZEGO Token04 ("roomd token zego")
  watch     print the events of a user's rooms as they happen (the real-time gateway)
  webhooks  print an app's callback delivery status ("roomd webhooks status")
  bench     measure REST calls against the /healthz ceiling; "bench realtime": the gateway
  version   print the version
  help      print this, or "roomd help COMMAND" a command's usage
run "roomd COMMAND -h" for a command's flags
`

const versionUsage = `usage: roomd version

prints roomd's version, the Go version it was built with and its revision.
`

// usageError is a mistake in the command line: main prints it and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// exitCode prints err, if any, as one line on stderr and returns the exit
// code: 0 for success or a usage asked for with -h, 2 for a usage error, 1
// for any other failure.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "roomd:", oneLine(err.Error()))
	if ue := (*usageError)(nil); errors.As(err, &ue) {
		return 2
	}
	return 1
}

// oneLine joins the lines of a message (a YAML error, say) into one.
func oneLine(s string) string {
	var parts []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// run runs the command line args. It returns flag.ErrHelp when it printed a
// usage that was asked for, and a *usageError for a mistake in args.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("a command is required")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "sign":
		return runSign(rest, stdout, stderr)
	case "usersig":
		return runUserSig(rest, stdout, stderr)
	case "token":
		return runToken(rest, stdout, stderr)
	case "watch":
		return runWatch(ctx, rest, stdout, stderr)
	case "webhooks":
		return runWebhooks(ctx, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "export":
		return runExport(ctx, rest, stdout, stderr)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "version":
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		if err := parseFlags(fs, versionUsage, rest, stdout, stderr); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("version: unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintln(stdout, "roomd", buildVersion())
		return nil
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && !helpAsked(rest) {
			return run(ctx, []string{rest[0], "-h"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usagef("unknown command %q", cmd)
	}
}

// parseFlags parses args with fs, whose usage is text followed by the flags.
// -h or --help prints that usage on stdout and returns flag.ErrHelp; a bad
// flag prints it on stderr and returns a usage error.
func parseFlags(fs *flag.FlagSet, text string, args []string, stdout, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		printUsage(stdout, fs, text)
		return flag.ErrHelp
	default:
		printUsage(stderr, fs, text)
		return usagef("%s: %v", fs.Name(), err)
	}
}

// printUsage writes text and then fs's flags to w.
func printUsage(w io.Writer, fs *flag.FlagSet, text string) {
	fmt.Fprint(w, text)
	fs.SetOutput(w)
	defer fs.SetOutput(io.Discard)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nflags:")
		fs.PrintDefaults()
	}
}

// helpAsked reports whether args ask for help before their first non-flag
// argument, as the flag package reads them.
func helpAsked(args []string) bool {
	for _, a := range args {
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			return true
		case a == "--" || !strings.HasPrefix(a, "-"):
			return false
		}
	}
	return false
}

func buildVersion() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		v += " " + bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
	}
	return v
}
