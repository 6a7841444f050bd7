package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

// init makes this test binary a roomd when it is run as "roomd serve ...":
// `roomd bench realtime` starts its own executable as the server it
// measures, and under test that executable is this binary.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		main()
	}
}

// TestBenchRealtimeSmall runs every phase of `roomd bench realtime` in a
// tiny configuration and checks that the report has each figure.
func TestBenchRealtimeSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	start := time.Now()
	err := run(ctx, []string{"bench", "realtime", "-rooms", "3", "-members-per-room", "3", "-fanout", "40", "-idle", "20",
		"-clients", "2", "-rounds", "2", "-duration", "300ms", "-warmup", "0"}, &out, &errOut)
	t.Logf("in %s:\n%s", time.Since(start).Round(time.Millisecond), out.String())
	if err != nil {
		t.Fatalf("bench realtime: %v\nstderr: %s", err, errOut.String())
	}
	for _, want := range []string{
		"roomd bench realtime: server pid ",
		"seeded: 3 rooms x 3 members, 1 room of 40 members",
		"connected and logged in 40 members of one room",
		"memory      40 idle logged-in connections: VmRSS ",
		"fan-out     40 connections, 2 transfers: ",
		"throughput  ZEGO TransferGroupOwner, 2 clients on 3 rooms: ",
		"with 20 idle connections ",
		"; drop ",
		"latency     9 connections in 3 rooms, 2 clients transferring for 300ms: ",
		"targets: ",
		"verified: all 4 groups have the owner their last acknowledged transfer named",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report has no %q", want)
		}
	}
	if n := strings.Count(out.String(), "   target "); n != 4 {
		t.Errorf("the report judges %d targets, want 4", n)
	}
}

// TestBenchRealtimeFlags: bad flags are usage errors, and -h prints the
// usage with every flag.
func TestBenchRealtimeFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-fanout", "10001"},
		{"-members-per-room", "1"},
		{"-duration", "0s"},
		{"-rounds", "0"},
		{"extra"},
		{"-skip-memory", "-skip-fanout", "-skip-throughput", "-skip-latency"},
	} {
		err := run(context.Background(), append([]string{"bench", "realtime"}, args...), new(bytes.Buffer), new(bytes.Buffer))
		if ue := (*usageError)(nil); !errors.As(err, &ue) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"bench", "realtime", "-h"}, &out, new(bytes.Buffer)); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, f := range []string{"-rooms", "-members-per-room", "-fanout", "-idle", "-clients", "-rounds", "-duration", "-warmup",
		"-skip-memory", "-skip-fanout", "-skip-throughput", "-skip-latency"} {
		if !strings.Contains(out.String(), "  "+f+" ") && !strings.Contains(out.String(), "  "+f+"\n") {
			t.Errorf("the usage has no %s", f)
		}
	}
}
