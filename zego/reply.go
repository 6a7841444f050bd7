package zego

import "github.com/roomd/roomd"

// result is the part every answer has.
type result struct {
	Code      int    `json:"Code"`
	Message   string `json:"Message"`
	RequestId string `json:"RequestId"`
}

func (r *result) base() *result { return r }

// reply is an action's answer: a struct embedding result.
type reply interface{ base() *result }

// itemReply is one entry of an ErrorList or ErrorUsers.
type itemReply struct {
	UserId     string `json:"UserId"`
	SubCode    int    `json:"SubCode"`
	SubMessage string `json:"SubMessage"`
}

// errorList is the answer of the batch actions that report failures in ErrorList.
type errorList struct {
	result
	ErrorList []itemReply `json:"ErrorList"`
}

// errorUsers is the answer of the batch actions that report failures in ErrorUsers.
type errorUsers struct {
	result
	ErrorUsers []itemReply `json:"ErrorUsers"`
}

// items converts the ItemErrors of a batch of n items. When every item
// failed (n > 0 and as many failures as items), it sets res's Code to the
// first item's SubCode, or to the action's allFailedCodes entry: Code 0
// with a non-empty list is a partial failure.
func (c *call) items(res *result, list []roomd.ItemError, n int) []itemReply {
	out := make([]itemReply, 0, len(list))
	for _, it := range list {
		out = append(out, itemReply{UserId: it.ID, SubCode: zegoCode(itemCodes, c.name, it.Code), SubMessage: it.Message})
	}
	if n > 0 && len(out) >= n {
		res.Code = out[0].SubCode
		if code, ok := allFailedCodes[c.name]; ok {
			res.Code = code
		}
		res.Message = "failed for every user: " + out[0].SubMessage
	}
	return out
}

// paging holds the Limit and Next of a list action; Next is the offset to
// start at.
type paging struct {
	Limit int `json:"Limit"`
	Next  int `json:"Next"`
}

// check validates Limit and Next: Limit 0 becomes def; over max or negative
// values are EINVALID.
func (p *paging) check(def, max int) error {
	if p.Limit < 0 || p.Limit > max || p.Next < 0 {
		return roomd.Errorf(roomd.EINVALID, "parameter error: Limit or Next out of range")
	}
	if p.Limit == 0 {
		p.Limit = def
	}
	return nil
}

// pageReply is the part of a list action's answer that pages.
type pageReply struct {
	result
	TotalCount int `json:"TotalCount"`
	// Next is where the next page starts: 0 when nothing is left.
	Next int `json:"Next"`
}

// pageOf returns the pageReply of n items read at p.Next out of total.
func (p *paging) pageOf(n, total int) pageReply {
	next := p.Next + n
	if next >= total || n == 0 {
		next = 0
	}
	return pageReply{TotalCount: total, Next: next}
}
