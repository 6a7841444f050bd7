package zego

// SetForbidPage sets how many groups one FetchForbidGroupList answers and
// returns a function that restores it.
func SetForbidPage(n int) (restore func()) {
	old := forbidPage
	forbidPage = n
	return func() { forbidPage = old }
}
