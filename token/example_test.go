package token_test

import (
	"errors"
	"fmt"

	"github.com/memberkit/sessionstore/token"
)

// counter is a deterministic stand-in for crypto/rand: it yields the bytes
// 0, 1, 2, ... so NewFrom picks the alphabet in order.
type counter struct{ next byte }

func (c *counter) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.next
		c.next++
	}
	return len(p), nil
}

func ExampleNewFrom() {
	tok, err := token.NewFrom(&counter{}, "polar_mst_")
	if err != nil {
		panic(err)
	}
	fmt.Println(tok)
	fmt.Println(token.Check(tok, "polar_mst_"))
	// Output:
	// polar_mst_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZa33EDWO
	// <nil>
}

func ExampleNew() {
	tok, err := token.New("polar_mst_")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(tok), token.Check(tok, "polar_mst_") == nil)
	// Output: 53 true
}

func ExampleChecksum() {
	fmt.Println(token.Checksum("4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB"))
	// Output: 0ICCd7
}

func ExampleCheck() {
	for _, tok := range []string{
		"polar_mst_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB0ICCd7",
		"polar_mst_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB0ICCd8", // typo
		"polar_mst_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB",       // truncated
		"polar_oat_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB0ICCd7", // other kind
	} {
		err := token.Check(tok, "polar_mst_")
		fmt.Println(errors.Is(err, token.ErrMalformed), err)
	}
	// Output:
	// false <nil>
	// true token: malformed: checksum mismatch
	// true token: malformed: wrong length
	// true token: malformed: wrong prefix
}

func ExampleValidPrefix() {
	fmt.Println(token.ValidPrefix("polar_mst_"), token.ValidPrefix("Polar-MST"))
	// Output: true false
}

func ExampleHash_String() {
	h := token.NewHasher(nil).Sum("polar_mst_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB0ICCd7")
	fmt.Println(h)
	// Output: 6df3aa405a213700c927206dd7c9d2209109ad368533579b4749903c054ed392
}

func ExampleNewHasher() {
	h := token.NewHasher([]byte("secret"))
	fmt.Println(h.Sum("polar_mst_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB0ICCd7"))
	// Output: 11c881273759d3eedb70ebddfa95acd8432a34e1ffd5fd38e671a191e9d58667
}
