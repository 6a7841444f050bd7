package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBenchWebhooksSmall runs `roomd bench webhooks` small and checks that
// the report has each figure and that every callback was delivered once.
func TestBenchWebhooksSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"bench", "webhooks", "-backlog", "300", "-rate", "200", "-duration", "500ms", "-rooms", "4"}, &out, &errOut)
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatalf("bench webhooks: %v\nstderr: %s", err, errOut.String())
	}
	for _, want := range []string{
		"backlog     300 transfers committed in ",
		"throughput  304 callbacks delivered in ",
		"latency     100 transfers at ",
		"over 4 rooms",
		"target p99 ≤ 100ms: ",
		// 4 group_create, 300 and 100 transfers.
		"whole run: 404 delivered, ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report has no %q", want)
		}
	}
	if !regexp.MustCompile(`p50 \S+ p99 \S+ max \S+`).MatchString(out.String()) {
		t.Errorf("the report has no latency percentiles")
	}
}

// TestBenchWebhooksFlags: out-of-range flags are usage errors.
func TestBenchWebhooksFlags(t *testing.T) {
	for _, args := range [][]string{{"-backlog", "0"}, {"-rate", "0"}, {"-duration", "0s"}, {"-rooms", "0"}, {"extra"}} {
		err := run(context.Background(), append([]string{"bench", "webhooks"}, args...), new(bytes.Buffer), new(bytes.Buffer))
		if ue := (*usageError)(nil); !errors.As(err, &ue) {
			t.Errorf("%v: got %v, want a usage error", args, err)
		}
	}
}
