// Command roomd is a self-hosted room and group server that speaks the
// ZEGOCLOUD ZIM and Tencent Cloud Chat room engine server APIs.
//
// Usage:
//
//	roomd serve [--config FILE] [--listen ADDR] [--store DSN]
//	roomd sign zego --app ID --secret S ACTION key=value...
//	roomd sign tencent --app ID --secret KEY [--admin ID] COMMAND '{json}'
//	roomd usersig --app ID --secret KEY --user ID [--expire SECONDS]
//	roomd bench [flags]
//	roomd version
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
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "roomd:", err)
		}
		os.Exit(2)
	}
}

const usage = `roomd: a self-hosted room and group server (ZEGOCLOUD ZIM and Tencent room engine APIs)

commands:
  serve     run the server (no config needed: embedded store, development app)
  sign      print a ready curl command for one API call, freshly signed
  usersig   print a Tencent UserSig
  bench     measure ownership transfers against the /healthz ceiling
  version   print the version
run "roomd COMMAND -h" for a command's flags
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr)
	case "sign":
		return runSign(rest, stdout, stderr)
	case "usersig":
		return runUserSig(rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "roomd", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
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
