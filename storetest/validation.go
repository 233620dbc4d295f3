package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

var validationTests = []subtest{
	{"Rejects", testValidationRejects},
	{"Accepts", testValidationAccepts},
}

// validationCase changes valid CreateParams; field is the
// ValidationError.Field the store must name, or "" when the suite does not
// pin it.
type validationCase struct {
	name, field string
	mutate      func(p *sessionstore.CreateParams)
}

// setCustomerID sets the customer's ID, and the member's customer_id too
// when both is set.
func setCustomerID(id string, both bool) func(p *sessionstore.CreateParams) {
	return func(p *sessionstore.CreateParams) {
		p.Customer.ID = id
		if both {
			p.Member.CustomerID = id
		}
	}
}

func metadataOf(n int, key func(i int) string, val func(i int) sessionstore.MetadataValue) sessionstore.Metadata {
	m := sessionstore.Metadata{}
	for i := 0; i < n; i++ {
		m[key(i)] = val(i)
	}
	return m
}

func keyN(i int) string                     { return fmt.Sprintf("key_%02d", i) }
func strVal(int) sessionstore.MetadataValue { return sessionstore.StringValue("v") }

// email320 returns a plausible email address of exactly 320 bytes: a
// 64-byte local part and a 255-byte domain of labels of at most 63 bytes.
func email320() string {
	label := strings.Repeat("d", 63) + "."
	return strings.Repeat("a", 64) + "@" + strings.Repeat(label, 3) + strings.Repeat("e", 59) + ".com"
}

// longURL returns an https URL of exactly n bytes.
func longURL(n int) string {
	base := "https://example.com/"
	return base + strings.Repeat("p", n-len(base))
}

var rejectCases = []validationCase{
	// IDs.
	{"empty member id", "member.id", func(p *sessionstore.CreateParams) { p.Member.ID = "" }},
	{"member id over 128 bytes", "member.id", func(p *sessionstore.CreateParams) { p.Member.ID = strings.Repeat("m", 129) }},
	{"member id with NUL", "member.id", func(p *sessionstore.CreateParams) { p.Member.ID = "mem\x00ber" }},
	{"member id with newline", "member.id", func(p *sessionstore.CreateParams) { p.Member.ID = "member\n" }},
	{"member id invalid UTF-8", "member.id", func(p *sessionstore.CreateParams) { p.Member.ID = "member-\xff" }},
	// A bad customer ID is also a mismatch with member.customer_id; either
	// field may be named.
	{"empty customer id", "customer.id|member.customer_id", setCustomerID("", false)},
	{"customer id over 128 bytes", "customer.id|member.customer_id", setCustomerID(strings.Repeat("c", 129), false)},
	{"customer id with tab", "customer.id|member.customer_id", setCustomerID("cus\ttomer", false)},
	{"customer id invalid UTF-8", "customer.id|member.customer_id", setCustomerID("\xc3\x28", false)},
	{"empty customer id and member customer_id", "customer.id|member.customer_id", setCustomerID("", true)},
	{"customer id and member customer_id over 128 bytes", "customer.id|member.customer_id", setCustomerID(strings.Repeat("c", 129), true)},
	{"customer id and member customer_id with tab", "customer.id|member.customer_id", setCustomerID("cus\ttomer", true)},
	{"member of another customer", "member.customer_id", func(p *sessionstore.CreateParams) { p.Member.CustomerID = CustomerID(2) }},
	{"member customer_id empty", "member.customer_id", func(p *sessionstore.CreateParams) { p.Member.CustomerID = "" }},
	// Email.
	{"email without @", "member.email", func(p *sessionstore.CreateParams) { p.Member.Email = "member.example.com" }},
	{"empty email", "member.email", func(p *sessionstore.CreateParams) { p.Member.Email = "" }},
	{"email over 320 bytes", "member.email", func(p *sessionstore.CreateParams) {
		p.Member.Email = email320() + "m"
	}},
	{"email invalid UTF-8", "member.email", func(p *sessionstore.CreateParams) { p.Member.Email = "m\xffm@example.com" }},
	// The customer's email, by customer type: NewCustomer is a team.
	{"individual customer without email", "customer.email", func(p *sessionstore.CreateParams) {
		p.Customer.Type = ptr(sessionstore.CustomerIndividual)
		p.Customer.Email = ""
	}},
	{"customer without type or email", "customer.email", func(p *sessionstore.CreateParams) {
		p.Customer.Type = nil
		p.Customer.Email = ""
	}},
	{"team customer email without @", "customer.email", func(p *sessionstore.CreateParams) { p.Customer.Email = "billing.example.com" }},
	{"unknown customer type", "customer.type", func(p *sessionstore.CreateParams) { p.Customer.Type = ptr(sessionstore.CustomerType("company")) }},
	{"billing name of 257 characters", "customer.billing_name", func(p *sessionstore.CreateParams) {
		p.Customer.BillingName = ptr(strings.Repeat("é", 257))
	}},
	{"empty default payment method id", "customer.default_payment_method_id", func(p *sessionstore.CreateParams) {
		p.Customer.DefaultPaymentMethodID = ptr("")
	}},
	// Role.
	{"unknown role", "member.role", func(p *sessionstore.CreateParams) { p.Member.Role = "admin" }},
	{"role in wrong case", "member.role", func(p *sessionstore.CreateParams) { p.Member.Role = "Owner" }},
	// Name.
	{"name of 257 characters", "member.name", func(p *sessionstore.CreateParams) { p.Member.Name = ptr(strings.Repeat("é", 257)) }},
	{"name invalid UTF-8", "member.name", func(p *sessionstore.CreateParams) { p.Member.Name = ptr("Jane \xed\xa0\x80 Doe") }},
	// Metadata.
	{"51 metadata keys", "customer.metadata", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata = metadataOf(51, keyN, strVal)
	}},
	{"empty metadata key", "customer.metadata", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata[""] = sessionstore.StringValue("x")
	}},
	{"metadata key of 41 characters", "customer.metadata", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata[strings.Repeat("k", 41)] = sessionstore.IntValue(1)
	}},
	{"metadata key invalid UTF-8", "customer.metadata", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata["key\xff"] = sessionstore.IntValue(1)
	}},
	{"empty metadata string", "customer.metadata", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata["plan"] = sessionstore.StringValue("")
	}},
	{"metadata string of 501 characters", "customer.metadata", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata["plan"] = sessionstore.StringValue(strings.Repeat("ü", 501))
	}},
	{"metadata string invalid UTF-8", "customer.metadata", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata["plan"] = sessionstore.StringValue("pro\xff")
	}},
	{"zero metadata value", "customer.metadata", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata["plan"] = sessionstore.MetadataValue{}
	}},
	// Return URL.
	{"relative return_url", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = "/account" }},
	{"scheme-relative return_url", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = "//example.com/account" }},
	{"ftp return_url", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = "ftp://example.com/file" }},
	{"javascript return_url", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = "javascript:alert(1)" }},
	{"return_url without host", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = "https://" }},
	{"return_url without host but path", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = "http:///path" }},
	{"unparsable return_url", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = "https://exa mple.com/%zz" }},
	{"return_url over 2083 bytes", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = longURL(2084) }},
	{"return_url invalid UTF-8", "return_url", func(p *sessionstore.CreateParams) { p.ReturnURL = "https://example.com/\xff" }},
	// TTL.
	{"negative ttl", "ttl", func(p *sessionstore.CreateParams) { p.TTL = -time.Nanosecond }},
	{"ttl over MaxTTL", "ttl", func(p *sessionstore.CreateParams) { p.TTL = sessionstore.DefaultMaxTTL + time.Microsecond }},
	{"ttl under one second", "ttl", func(p *sessionstore.CreateParams) { p.TTL = time.Second - time.Microsecond }},
	{"ttl of 3600 nanoseconds", "ttl", func(p *sessionstore.CreateParams) { p.TTL = 3600 }},
	// Deleted customer.
	{"deleted customer", "customer.deleted_at", func(p *sessionstore.CreateParams) {
		d := StartTime().Add(-time.Hour)
		p.Customer.DeletedAt = &d
	}},
	{"customer deleted in the future", "customer.deleted_at", func(p *sessionstore.CreateParams) {
		d := StartTime().Add(time.Hour)
		p.Customer.DeletedAt = &d
	}},
	// Invalid UTF-8 elsewhere.
	{"member external_id invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Member.ExternalID = ptr("usr_\xff") }},
	{"customer email invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.Email = "billing\xff@example.com" }},
	{"customer name invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.Name = ptr("Acme \xff") }},
	{"customer external_id invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.ExternalID = ptr("\xfe") }},
	{"address line invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.BillingAddress.Line1 = ptr("1 Main St \xff") }},
	{"address country invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.BillingAddress.Country = "U\xff" }},
	{"tax id invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.TaxID.Value = "91114\xff" }},
	{"locale invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.Locale = ptr("en-\xff") }},
	{"organization id invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.OrganizationID = "org\xff" }},
	{"avatar url invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.AvatarURL = "https://example.com/\xff.png" }},
	{"billing name invalid UTF-8", "", func(p *sessionstore.CreateParams) { p.Customer.BillingName = ptr("Acme \xff") }},
}

var acceptCases = []validationCase{
	{"member id of 128 bytes", "", func(p *sessionstore.CreateParams) { p.Member.ID = strings.Repeat("m", 128) }},
	{"non-UUID ids", "", func(p *sessionstore.CreateParams) {
		p.Member.ID = "usr_42"
		p.Customer.ID = "cus_42"
		p.Member.CustomerID = "cus_42"
	}},
	{"customer id of 128 bytes", "", setCustomerID(strings.Repeat("c", 128), true)},
	{"email of 320 bytes", "", func(p *sessionstore.CreateParams) { p.Member.Email = email320() }},
	{"every role", "", nil}, // expanded in testValidationAccepts
	{"name of 256 two-byte characters", "", func(p *sessionstore.CreateParams) { p.Member.Name = ptr(strings.Repeat("é", 256)) }},
	{"no optional fields", "", func(p *sessionstore.CreateParams) {
		p.Member.Name, p.Member.ExternalID, p.Member.ModifiedAt = nil, nil, nil
		c := &p.Customer
		c.Metadata, c.ExternalID, c.Type, c.Name, c.BillingAddress, c.TaxID, c.Locale, c.ModifiedAt = nil, nil, nil, nil, nil, nil, nil, nil
		c.BillingName, c.DefaultPaymentMethodID = nil, nil
		c.AvatarURL = ""
		p.ReturnURL = ""
	}},
	{"team customer without email", "", func(p *sessionstore.CreateParams) {
		p.Customer.Email = ""
		p.Customer.EmailVerified = false
	}},
	{"tax id with a null element", "", func(p *sessionstore.CreateParams) { p.Customer.TaxID.Format = "" }},
	{"tax id with null elements", "", func(p *sessionstore.CreateParams) { p.Customer.TaxID = &sessionstore.TaxID{} }},
	{"empty billing name", "", func(p *sessionstore.CreateParams) { p.Customer.BillingName = ptr("") }},
	{"empty metadata", "", func(p *sessionstore.CreateParams) { p.Customer.Metadata = sessionstore.Metadata{} }},
	{"50 metadata keys", "", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata = metadataOf(50, keyN, func(i int) sessionstore.MetadataValue {
			switch i % 4 {
			case 0:
				return sessionstore.StringValue(strings.Repeat("s", 1+i))
			case 1:
				return sessionstore.IntValue(int64(i) - 25)
			case 2:
				return sessionstore.FloatValue(float64(i) / 3)
			}
			return sessionstore.BoolValue(i%8 == 3)
		})
	}},
	{"metadata key of 1 and 40 characters", "", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata["k"] = sessionstore.BoolValue(false)
		p.Customer.Metadata[strings.Repeat("k", 40)] = sessionstore.IntValue(-1)
		p.Customer.Metadata[strings.Repeat("ß", 40)] = sessionstore.FloatValue(0)
	}},
	{"metadata string of 1 and 500 characters", "", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata["one"] = sessionstore.StringValue("x")
		p.Customer.Metadata["max"] = sessionstore.StringValue(strings.Repeat("ü", 500))
	}},
	{"metadata extreme numbers", "", func(p *sessionstore.CreateParams) {
		p.Customer.Metadata["big"] = sessionstore.IntValue(1<<53 + 1)
		p.Customer.Metadata["neg"] = sessionstore.IntValue(-1 << 62)
		p.Customer.Metadata["tiny"] = sessionstore.FloatValue(5e-324)
		p.Customer.Metadata["whole"] = sessionstore.FloatValue(1)
	}},
	{"return_url of 2083 bytes", "", func(p *sessionstore.CreateParams) { p.ReturnURL = longURL(2083) }},
	{"http return_url with port and query", "", func(p *sessionstore.CreateParams) {
		p.ReturnURL = "http://localhost:3000/back?x=1&y=%20#frag"
	}},
	{"ttl of exactly MaxTTL", "", func(p *sessionstore.CreateParams) { p.TTL = sessionstore.DefaultMaxTTL }},
	{"ttl of one second", "", func(p *sessionstore.CreateParams) { p.TTL = time.Second }},
	{"unicode strings", "", func(p *sessionstore.CreateParams) {
		p.Member.Name = ptr("Zoë 山田 🙂")
		p.Customer.Name = ptr("Ünïcode GmbH — 株式会社")
		p.Customer.BillingAddress.City = ptr("München")
	}},
}

func testValidationRejects(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	base := params(1, 1)
	for _, c := range rejectCases {
		t.Run(c.name, func(t *testing.T) {
			p := params(1, 1)
			c.mutate(&p)
			s, err := h.s.Create(h.ctx, p)
			expectInvalid(t, "Create with "+c.name, err, c.field)
			if s != nil {
				t.Fatalf("Create returned a session along with %v", err)
			}
			h := *h
			h.t = t
			h.listMember(base.Member.ID)
			h.listCustomer(base.Customer.ID)
		})
	}
	h.clock.Advance(2 * time.Hour)
	n, err := h.s.DeleteExpired(h.ctx)
	count(t, "DeleteExpired after only invalid Creates", n, err, 0)
}

func testValidationAccepts(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	var cases []validationCase
	for _, c := range acceptCases {
		if c.mutate != nil {
			cases = append(cases, c)
			continue
		}
		for _, r := range []sessionstore.MemberRole{sessionstore.RoleOwner, sessionstore.RoleBillingManager, sessionstore.RoleMember} {
			cases = append(cases, validationCase{name: "role " + string(r), mutate: func(p *sessionstore.CreateParams) { p.Member.Role = r }})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := *h
			h.t = t
			p := params(1, 1)
			c.mutate(&p)
			s := h.create(p)
			h.lookupOK(s)
			h.getOK(s)
		})
	}
}
