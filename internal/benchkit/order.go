package benchkit

// Order walks [0, n) in a fixed scattered order, so that consecutive
// operations touch unrelated sessions as real traffic does.
type Order struct{ i, n, stride int }

// NewOrder returns an Order over [0, n) that starts at start%n.
func NewOrder(n, start int) *Order {
	stride := max(1, n*618/1000)
	for gcd(stride, n) != 1 {
		stride++
	}
	return &Order{i: start % n, n: n, stride: stride}
}

// Next returns the next index; after n calls every index was returned once.
func (o *Order) Next() int {
	i := o.i
	if o.i += o.stride; o.i >= o.n {
		o.i -= o.n
	}
	return i
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
