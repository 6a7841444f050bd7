package tencent

import (
	"strings"

	"github.com/roomd/roomd"
)

// Vendor limits of the account APIs.
const (
	maxUserIDLen    = 32  // bytes in a UserID
	maxAccountBatch = 100 // accounts in one call
)

// accountFields are the fields that hold account ids in account APIs: a
// non-string value there is 60015, as the vendor documents.
var accountFields = map[string]bool{"UserID": true, "Accounts": true}

// isAccountField reports whether a decoded field path ends in an account field.
func isAccountField(path string) bool {
	return accountFields[path[strings.LastIndexByte(path, '.')+1:]]
}

// account is one account of an import.
type account struct {
	UserID  string
	Nick    string
	FaceUrl string
}

func (a account) user() roomd.User { return roomd.User{ID: a.UserID, Name: a.Nick, Avatar: a.FaceUrl} }

// userID is one {UserID} item of account_check and account_delete.
type userID struct{ UserID string }

// resultItem is one per-account result of account_check and account_delete.
type resultItem struct {
	UserID        string
	ResultCode    int
	ResultInfo    string
	AccountStatus string `json:",omitempty"`
}

// resultItems is the answer of account_check and account_delete.
type resultItems struct {
	flat
	ResultItem []resultItem
}

// failAccounts is the answer of multiaccount_import.
type failAccounts struct {
	flat
	FailAccounts []string
}

// checkUserID validates the UserID of an account imported here (EINVALID).
func checkUserID(id string) error {
	if id == "" || len(id) > maxUserIDLen {
		return roomd.Errorf(roomd.EINVALID, "UserID must be 1 to %d bytes", maxUserIDLen)
	}
	return nil
}

// checkCount refuses a list named field of n accounts that is empty
// (EINVALID) or longer than max (ELIMIT); both are the family's parameter
// error.
func checkCount(field string, n, max int) error {
	code := roomd.EINVALID
	switch {
	case n > max:
		code = roomd.ELIMIT
	case n > 0:
		return nil
	}
	return roomd.Errorf(code, "%s must hold 1 to %d accounts", field, max)
}

// accountImport: {UserID, Nick, FaceUrl}; replaces the profile of an
// account that is already imported.
func (h *handler) accountImport(c *call) (any, error) {
	var req account
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if err := checkUserID(req.UserID); err != nil {
		return nil, err
	}
	items, err := h.svc.RegisterUsers(c.ctx, c.app.ID, []roomd.User{req.user()}, true)
	if err != nil {
		return nil, err
	}
	if len(items) > 0 {
		return nil, roomd.Errorf(items[0].Code, "%s", items[0].Message)
	}
	return nil, nil
}

// multiAccountImport: {AccountList[{UserID, Nick, FaceUrl}]} or the legacy
// {Accounts[]}; accounts that cannot be imported are listed in FailAccounts.
func (h *handler) multiAccountImport(c *call) (any, error) {
	var req struct {
		AccountList []account
		Accounts    []string
	}
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	all := req.AccountList
	for _, id := range req.Accounts {
		all = append(all, account{UserID: id})
	}
	if err := checkCount("AccountList", len(all), maxAccountBatch); err != nil {
		return nil, err
	}
	out := &failAccounts{FailAccounts: []string{}}
	users := make([]roomd.User, 0, len(all))
	for _, a := range all {
		if checkUserID(a.UserID) != nil {
			out.FailAccounts = append(out.FailAccounts, a.UserID)
			continue
		}
		users = append(users, a.user())
	}
	items, err := h.svc.RegisterUsers(c.ctx, c.app.ID, users, true)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		out.FailAccounts = append(out.FailAccounts, it.ID)
	}
	return out, nil
}

// accountCheck: {CheckItem[{UserID}]} -> ResultItem with AccountStatus.
func (h *handler) accountCheck(c *call) (any, error) {
	ids, err := decodeUserIDs(c, "CheckItem")
	if err != nil {
		return nil, err
	}
	_, items, err := h.svc.Users(c.ctx, c.app.ID, ids)
	if err != nil {
		return nil, err
	}
	missing := make(map[string]bool, len(items))
	for _, it := range items {
		missing[it.ID] = true
	}
	out := &resultItems{ResultItem: make([]resultItem, 0, len(ids))}
	for _, id := range ids {
		status := "Imported"
		if missing[id] {
			status = "NotImported"
		}
		out.ResultItem = append(out.ResultItem, resultItem{UserID: id, AccountStatus: status})
	}
	return out, nil
}

// accountDelete: {DeleteItem[{UserID}]}; each deleted account leaves every
// room it is in (ownership passes on as for kick_user_out).
func (h *handler) accountDelete(c *call) (any, error) {
	ids, err := decodeUserIDs(c, "DeleteItem")
	if err != nil {
		return nil, err
	}
	items, err := h.svc.DeleteUsers(c.ctx, c.actor(), c.app.ID, ids)
	if err != nil {
		return nil, err
	}
	failed := make(map[string]roomd.ItemError, len(items))
	for _, it := range items {
		failed[it.ID] = it
	}
	out := &resultItems{ResultItem: make([]resultItem, 0, len(ids))}
	for _, id := range ids {
		r := resultItem{UserID: id}
		if it, ok := failed[id]; ok {
			r.ResultCode, r.ResultInfo = codeOf(it.Code, famAccount), it.Message
		}
		out.ResultItem = append(out.ResultItem, r)
	}
	return out, nil
}

// decodeUserIDs decodes the {CheckItem[{UserID}]} or {DeleteItem[{UserID}]}
// body (field names the list) and returns the ids.
func decodeUserIDs(c *call, field string) ([]string, error) {
	var req struct{ CheckItem, DeleteItem []userID }
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	items := req.CheckItem
	if field == "DeleteItem" {
		items = req.DeleteItem
	}
	if err := checkCount(field, len(items), maxAccountBatch); err != nil {
		return nil, err
	}
	ids := make([]string, len(items))
	for i, it := range items {
		if err := roomd.ValidateID(field+" UserID", it.UserID); err != nil {
			return nil, err
		}
		ids[i] = it.UserID
	}
	return ids, nil
}
