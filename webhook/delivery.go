package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/roomd/roomd"
)

const (
	// maxAnswer is how much of a receiver's answer is read and handed to
	// Hook.Accept.
	maxAnswer = 64 << 10
	// maxDrain is how much more of an answer is read, and dropped, so that
	// its connection can be reused; a longer answer closes the connection.
	maxDrain = 256 << 10
	// deliveryHeader names the callback being posted: the same on every
	// attempt, so that a receiver can drop the duplicates.
	deliveryHeader = "X-Roomd-Delivery"
)

// errOwnListener is the cause of a dial refused because its address is
// roomd's own listener.
var errOwnListener = errors.New("refused: the address is roomd's own listener")

// newClient returns the HTTP client of the workers: no proxy, no
// redirects, keep-alives on, HTTP/1.1 (one connection per busy worker, so
// that a receiver that hangs holds up its own worker alone), and dials to
// listener refused.
func newClient(listener net.Addr, workers int) *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if listener != nil {
		dialer.Control = listenerGuard(listener)
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			MaxIdleConns:          max(workers, 100),
			MaxIdleConnsPerHost:   max(workers, 2),
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// listenerGuard returns a net.Dialer Control function that refuses to
// connect to listener. It sees the address actually dialled, after name
// resolution. When listener's IP is unspecified, any loopback, unspecified
// or local interface IP with its port is listener.
func listenerGuard(listener net.Addr) func(network, address string, c syscall.RawConn) error {
	host, port, err := net.SplitHostPort(listener.String())
	if err != nil {
		return nil
	}
	ownPort, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil
	}
	own, err := netip.ParseAddr(host)
	anyIP := err != nil || own.IsUnspecified() // a listener without an IP listens on all of them
	own = own.Unmap().WithZone("")
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || ap.Port() != uint16(ownPort) {
			return nil
		}
		ip := ap.Addr().Unmap().WithZone("")
		if ip == own || ip.IsUnspecified() || anyIP && (ip.IsLoopback() || isLocal(ip)) {
			return errOwnListener
		}
		return nil
	}
}

// isLocal reports whether ip is one of this host's interface addresses.
func isLocal(ip netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if x, ok := netip.AddrFromSlice(n.IP); ok && x.Unmap() == ip {
				return true
			}
		}
	}
	return false
}

// redact returns raw without its user information, query and fragment
// (scheme://host/path): what of a callback URL may be logged and shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)" // err would quote raw
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}

// deliveryID returns the X-Roomd-Delivery value of ev's callbacks:
// app/room/seq, with the room id path-escaped.
func deliveryID(ev *roomd.Event) string {
	return fmt.Sprintf("%d/%s/%d", ev.AppID, url.PathEscape(ev.RoomID), ev.Seq)
}

// post makes one attempt at delivering req, the callback of ev, and
// returns nil if the hook accepts the answer. Its errors never quote the
// URL's user information or query, nor the body.
func (w *worker) post(ctx context.Context, ev *roomd.Event, req *roomd.HookRequest) error {
	u, err := url.Parse(req.URL)
	if err != nil {
		return errors.New("the callback URL is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("the callback URL %s is not an absolute http or https URL", redact(req.URL))
	}
	timeout := w.d.opts.Timeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return fmt.Errorf("the callback URL %s is not valid", redact(req.URL))
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("User-Agent", w.d.opts.UserAgent)
	hr.Header.Set(deliveryHeader, deliveryID(ev))
	resp, err := w.d.client.Do(hr)
	if err != nil {
		return fmt.Errorf("POST %s: %w", redact(req.URL), cause(err, timeout))
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, err := resp.Location(); err == nil {
			return fmt.Errorf("status %d: the redirect to %s was not followed", resp.StatusCode, loc.Host)
		}
		return fmt.Errorf("status %d: redirects are not followed", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("status %d: reading the answer: %w", resp.StatusCode, cause(err, timeout))
	}
	return w.hook.Accept(resp.StatusCode, body)
}

// cause returns the cause of a request's error: the client's own errors
// quote the whole URL, query included; a deadline is the request's timeout.
func cause(err error, timeout time.Duration) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %v", timeout)
	}
	return err
}
