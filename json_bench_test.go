package sessionstore

import (
	"encoding/json"
	"testing"
	"time"
)

// The JSON decode benchmarks run side by side: BenchmarkJSONDecode is
// json.Unmarshal into a MemberSession, BenchmarkJSONDecodePlain the same
// bytes into plainSession, a struct of the same shape without custom
// methods, which is what encoding/json alone costs. Compare them with
//
//	go test -run '^$' -bench JSON -benchmem -count 6 . | tee new.txt
//	go run golang.org/x/perf/cmd/benchstat@latest new.txt

// plainSession is MemberSession's wire shape as a plain struct.
type plainSession struct {
	CreatedAt       time.Time     `json:"created_at"`
	ModifiedAt      *time.Time    `json:"modified_at"`
	ID              string        `json:"id"`
	Token           string        `json:"token"`
	ExpiresAt       time.Time     `json:"expires_at"`
	ReturnURL       *string       `json:"return_url"`
	MemberPortalURL string        `json:"member_portal_url"`
	MemberID        string        `json:"member_id"`
	Member          plainMember   `json:"member"`
	CustomerID      string        `json:"customer_id"`
	Customer        plainCustomer `json:"customer"`
}

type plainMember struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	ModifiedAt *time.Time `json:"modified_at"`
	CustomerID string     `json:"customer_id"`
	Email      string     `json:"email"`
	Name       *string    `json:"name"`
	ExternalID *string    `json:"external_id"`
	Role       string     `json:"role"`
}

type plainCustomer struct {
	ID                     string         `json:"id"`
	CreatedAt              time.Time      `json:"created_at"`
	ModifiedAt             *time.Time     `json:"modified_at"`
	Metadata               map[string]any `json:"metadata"`
	ExternalID             *string        `json:"external_id"`
	Email                  *string        `json:"email"`
	EmailVerified          bool           `json:"email_verified"`
	Type                   *string        `json:"type"`
	Name                   *string        `json:"name"`
	BillingName            *string        `json:"billing_name"`
	BillingAddress         *plainAddress  `json:"billing_address"`
	TaxID                  []*string      `json:"tax_id"`
	Locale                 *string        `json:"locale"`
	OrganizationID         string         `json:"organization_id"`
	DefaultPaymentMethodID *string        `json:"default_payment_method_id"`
	DeletedAt              *time.Time     `json:"deleted_at"`
	AvatarURL              *string        `json:"avatar_url"`
}

type plainAddress struct {
	Line1      *string `json:"line1"`
	Line2      *string `json:"line2"`
	PostalCode *string `json:"postal_code"`
	City       *string `json:"city"`
	State      *string `json:"state"`
	Country    string  `json:"country"`
}

func BenchmarkJSONDecode(b *testing.B) {
	data := compactExample(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var s MemberSession
		if err := json.Unmarshal(data, &s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONDecodePlain(b *testing.B) {
	data := compactExample(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var s plainSession
		if err := json.Unmarshal(data, &s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONEncode(b *testing.B) {
	var s MemberSession
	if err := json.Unmarshal(compactExample(b), &s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseTime compares parseTime (the RFC 3339 layout check, then
// time.Parse) with time.Parse alone, on a timestamp as the decoder has it:
// bytes of the input.
func BenchmarkParseTime(b *testing.B) {
	ts := []byte("2026-01-20T10:00:00.123456Z")
	b.Run("parser=parseTime", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseTime(ts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parser=time.Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := time.Parse(time.RFC3339, string(ts))
			if err != nil {
				b.Fatal(err)
			}
			_ = t.UTC().Truncate(time.Microsecond)
		}
	})
}
