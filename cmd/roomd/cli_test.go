package main_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	roomdcmd "github.com/roomd/roomd/cmd/roomd"
)

// The commands themselves are tested in process (commands_test.go, package
// main); these helpers serve the tests that run the binary.

// curlRequest turns the curl command `roomd sign` printed into a request.
var curlRequest = roomdcmd.CurlRequest

// runRoomd runs `roomd args...` in dir to its end (at most 30s) and returns
// what it printed and its exit code.
func runRoomd(tb testing.TB, dir string, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, roomdBin, args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		tb.Fatalf("roomd %s: still running after 30s", strings.Join(args, " "))
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		tb.Fatalf("roomd %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}
