package console

import "net/http"

// webhooksView is the page of an app's callback delivery.
type webhooksView struct {
	base
	Hooks     []HookStatus
	Available bool
}

// webhooks shows the delivery state of an app's callbacks.
func (c *Console) webhooks(w http.ResponseWriter, r *http.Request, s *session) {
	app, ok := c.appOf(w, r, s)
	if !ok {
		return
	}
	v := &webhooksView{base: c.page(s, "Callbacks", "webhooks", app), Available: c.opts.Webhooks != nil}
	if v.Available {
		v.Hooks = c.opts.Webhooks.Status(r.Context(), app)
	}
	c.render(w, r, http.StatusOK, "webhooks", v)
}
