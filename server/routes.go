package server

import (
	"net/http"
	"strings"

	"github.com/roomd/roomd/internal/wire"
)

// errorBody is the JSON answer of requests that reach no dialect.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Outcome labels of the answers given outside the dialects, for the request
// log and the metrics: dialect "none", the action naming the failure, the
// code the HTTP status.
const (
	dialectNone      = "none"
	actionNotFound   = "not_found"
	actionNotAllowed = "method_not_allowed"
)

// fallback answers every request no route serves. One whose query carries
// ZEGO's Action or AppId goes to the ZEGO handler, which answers it with
// its envelope and the wrong-endpoint code (its API is at "/" only);
// anything else is a JSON 404.
func (s *Server) fallback(routes Routes) http.Handler {
	var where []string
	if routes.ZEGO != nil {
		where = append(where, "the ZEGO API is at /?Action=<action>")
	}
	if routes.Tencent != nil {
		where = append(where, "the Tencent API under /v4/<service>/<command>")
	}
	if routes.Webhooks != nil {
		where = append(where, "callback delivery status at /v1/webhooks")
	}
	if routes.Console != nil {
		where = append(where, "the operator console at /console/")
	}
	where = append(where, "health at /healthz")
	if routes.Metrics != nil {
		where = append(where, "metrics at /metrics")
	}
	hint := strings.Join(where, ", ")
	return s.api(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if routes.ZEGO != nil && isZEGOQuery(r.URL.RawQuery) {
			routes.ZEGO.ServeHTTP(w, r)
			return
		}
		o := wire.OutcomeFrom(r.Context())
		o.Dialect, o.Action, o.Code = dialectNone, actionNotFound, http.StatusNotFound
		wire.WriteJSONStatus(w, http.StatusNotFound, errorBody{
			Error:   actionNotFound,
			Message: "no endpoint at " + r.URL.Path + "; " + hint,
		})
	}))
}

// isZEGOQuery reports whether a query carries one of ZEGO's common
// parameters Action and AppId. A query over wire.MaxQueryParams parameters
// cannot be read and is not ZEGO's.
func isZEGOQuery(rawQuery string) bool {
	q, err := wire.ParseQuery(rawQuery)
	return err == nil && (q.Has("Action") || q.Has("AppId"))
}

// methodNotAllowed answers a method other than GET and HEAD on a GET-only
// path (/healthz, /metrics) with a JSON 405.
func (s *Server) methodNotAllowed() http.Handler {
	return s.api(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := wire.OutcomeFrom(r.Context())
		o.Dialect, o.Action, o.Code = dialectNone, actionNotAllowed, http.StatusMethodNotAllowed
		w.Header().Set("Allow", "GET, HEAD")
		wire.WriteJSONStatus(w, http.StatusMethodNotAllowed, errorBody{
			Error:   actionNotAllowed,
			Message: "method " + r.Method + " not allowed at " + r.URL.Path + "; use GET or HEAD",
		})
	}))
}
