package console

// Sample reads the metrics once, as Start does every SampleEvery, so that
// a test can fill the overview's window without waiting 15 minutes.
func (c *Console) Sample() { c.sample() }
