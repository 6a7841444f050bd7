package wire

import (
	"errors"
	"net/url"
	"strings"
)

// MaxQueryParams is the most query parameters a request may carry: the
// limit url.ParseQuery applies by default (GODEBUG urlmaxqueryparams),
// counted as it counts them, one more than the number of '&'.
const MaxQueryParams = 10000

// ErrTooManyParams: the query string has more than MaxQueryParams
// parameters. url.ParseQuery parses none of them then, so nothing in such a
// query can be relied on.
var ErrTooManyParams = errors.New("more than 10000 query parameters")

// ParseQuery parses a raw query string like url.ParseQuery, keeping the
// pairs that parse and ignoring the others (bad escapes, semicolons). A
// query of more than MaxQueryParams parameters is ErrTooManyParams, with an
// empty map.
func ParseQuery(raw string) (url.Values, error) {
	if strings.Count(raw, "&") >= MaxQueryParams {
		return url.Values{}, ErrTooManyParams
	}
	q, _ := url.ParseQuery(raw)
	return q, nil
}
