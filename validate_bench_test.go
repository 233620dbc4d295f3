package sessionstore_test

import (
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// BenchmarkCreateValidate measures the validation every Create runs on its
// parameters, for a member and customer in printable ASCII (the common
// case) and for one whose names and emails are not ASCII.
//
//	go test -run '^$' -bench 'Create' -benchmem -count 5 .
func BenchmarkCreateValidate(b *testing.B) {
	ascii := sessionstore.CreateParams{Customer: storetest.NewCustomer(1), ReturnURL: "https://example.com/account"}
	ascii.Member = storetest.NewMember(ascii.Customer.ID, 0)

	unicode := ascii
	unicode.Member.Email = "jürgen.müller@exämple.de"
	name := "Jürgen Müller"
	unicode.Member.Name = &name
	unicode.Customer.Email = "buchhaltung@müller-gmbh.de"
	company := "Müller GmbH"
	unicode.Customer.Name = &company

	for _, tc := range []struct {
		name string
		p    sessionstore.CreateParams
	}{{"ascii", ascii}, {"unicode", unicode}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := tc.p.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
