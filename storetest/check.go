package storetest

import (
	"errors"
	"fmt"
	"hash/crc32"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

// This file holds the comparisons the suite and the model share: expected
// snapshots, field-by-field diffs, token and portal URL checks.

// tb is what both *testing.T and *rapid.T provide.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

var uuid4RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// specChecksum is the checksum exactly as the reference describes it,
// written independently of the token package.
func specChecksum(random string) string {
	v := crc32.ChecksumIEEE([]byte(random))
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out[:])
}

// utcMicro is how a store must write every time: UTC, truncated to the
// microsecond.
func utcMicro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func utcMicroPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := utcMicro(*t)
	return &v
}

// wantMember is the snapshot a store must keep of m: a deep copy with its
// times in UTC, truncated to the microsecond.
func wantMember(m sessionstore.Member) sessionstore.Member {
	m = m.Clone()
	m.CreatedAt = utcMicro(m.CreatedAt)
	m.ModifiedAt = utcMicroPtr(m.ModifiedAt)
	return m
}

// wantCustomer is the snapshot a store must keep of c: a deep copy with its
// times in UTC, truncated to the microsecond.
func wantCustomer(c sessionstore.Customer) sessionstore.Customer {
	c = c.Clone()
	c.CreatedAt = utcMicro(c.CreatedAt)
	c.ModifiedAt = utcMicroPtr(c.ModifiedAt)
	c.DeletedAt = utcMicroPtr(c.DeletedAt)
	return c
}

// copySession returns a deep copy of s.
func copySession(s *sessionstore.MemberSession) *sessionstore.MemberSession {
	c := s.Clone()
	return &c
}

// withoutToken returns a copy of s as Get and the list methods return it.
func withoutToken(s *sessionstore.MemberSession) *sessionstore.MemberSession {
	c := copySession(s)
	c.Token = ""
	c.MemberPortalURL = ""
	return c
}

func sortedKeys(m sessionstore.Metadata) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// differ collects the differences between a wanted and a got value.
type differ struct{ diffs []string }

func (d *differ) add(path string, want, got any) {
	d.diffs = append(d.diffs, fmt.Sprintf("%s: want %s, got %s", path, show(want), show(got)))
}

func show(v any) string {
	switch v := v.(type) {
	case time.Time:
		return v.Format(time.RFC3339Nano) + " (" + v.Location().String() + ")"
	case string:
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%v", v)
}

func (d *differ) str(path, want, got string) {
	if want != got {
		d.add(path, want, got)
	}
}

func (d *differ) strPtr(path string, want, got *string) {
	switch {
	case want == nil && got == nil:
	case want == nil:
		d.add(path, "nil", fmt.Sprintf("&%q", *got))
	case got == nil:
		d.add(path, fmt.Sprintf("&%q", *want), "nil")
	default:
		d.str(path, *want, *got)
	}
}

func (d *differ) time(path string, want, got time.Time) {
	if !want.Equal(got) {
		d.add(path, want, got)
	}
}

func (d *differ) timePtr(path string, want, got *time.Time) {
	switch {
	case want == nil && got == nil:
	case want == nil:
		d.add(path, "nil", *got)
	case got == nil:
		d.add(path, *want, "nil")
	default:
		d.time(path, *want, *got)
	}
}

func (d *differ) member(path string, want, got sessionstore.Member) {
	d.str(path+".id", want.ID, got.ID)
	d.time(path+".created_at", want.CreatedAt, got.CreatedAt)
	d.timePtr(path+".modified_at", want.ModifiedAt, got.ModifiedAt)
	d.str(path+".customer_id", want.CustomerID, got.CustomerID)
	d.str(path+".email", want.Email, got.Email)
	d.strPtr(path+".name", want.Name, got.Name)
	d.strPtr(path+".external_id", want.ExternalID, got.ExternalID)
	d.str(path+".role", string(want.Role), string(got.Role))
}

func (d *differ) customer(path string, want, got sessionstore.Customer) {
	d.str(path+".id", want.ID, got.ID)
	d.time(path+".created_at", want.CreatedAt, got.CreatedAt)
	d.timePtr(path+".modified_at", want.ModifiedAt, got.ModifiedAt)
	if len(want.Metadata) != len(got.Metadata) {
		d.add(path+".metadata", fmtMetadata(want.Metadata), fmtMetadata(got.Metadata))
	} else {
		for k, wv := range want.Metadata {
			gv, ok := got.Metadata[k]
			if !ok || gv != wv {
				d.add(path+".metadata", fmtMetadata(want.Metadata), fmtMetadata(got.Metadata))
				break
			}
		}
	}
	d.strPtr(path+".external_id", want.ExternalID, got.ExternalID)
	d.str(path+".email", want.Email, got.Email)
	if want.EmailVerified != got.EmailVerified {
		d.add(path+".email_verified", want.EmailVerified, got.EmailVerified)
	}
	d.strPtr(path+".type", (*string)(want.Type), (*string)(got.Type))
	d.strPtr(path+".name", want.Name, got.Name)
	d.strPtr(path+".billing_name", want.BillingName, got.BillingName)
	switch wa, ga := want.BillingAddress, got.BillingAddress; {
	case wa == nil && ga == nil:
	case wa == nil || ga == nil:
		d.add(path+".billing_address", wa, ga)
	default:
		p := path + ".billing_address"
		d.strPtr(p+".line1", wa.Line1, ga.Line1)
		d.strPtr(p+".line2", wa.Line2, ga.Line2)
		d.strPtr(p+".postal_code", wa.PostalCode, ga.PostalCode)
		d.strPtr(p+".city", wa.City, ga.City)
		d.strPtr(p+".state", wa.State, ga.State)
		d.str(p+".country", wa.Country, ga.Country)
	}
	switch wt, gt := want.TaxID, got.TaxID; {
	case wt == nil && gt == nil:
	case wt == nil || gt == nil || *wt != *gt:
		d.add(path+".tax_id", wt, gt)
	}
	d.strPtr(path+".locale", want.Locale, got.Locale)
	d.str(path+".organization_id", want.OrganizationID, got.OrganizationID)
	d.strPtr(path+".default_payment_method_id", want.DefaultPaymentMethodID, got.DefaultPaymentMethodID)
	d.timePtr(path+".deleted_at", want.DeletedAt, got.DeletedAt)
	d.str(path+".avatar_url", want.AvatarURL, got.AvatarURL)
}

func fmtMetadata(m sessionstore.Metadata) string {
	if m == nil {
		return "nil"
	}
	var b strings.Builder
	b.WriteString("{")
	first := true
	for _, k := range sortedKeys(m) {
		if !first {
			b.WriteString(" ")
		}
		first = false
		fmt.Fprintf(&b, "%q:%d:%v", k, m[k].Kind(), m[k].Any())
	}
	b.WriteString("}")
	return b.String()
}

func (d *differ) session(want, got *sessionstore.MemberSession) {
	if want == nil || got == nil {
		if want != got {
			d.add("session", want == nil, got == nil)
		}
		return
	}
	d.time("created_at", want.CreatedAt, got.CreatedAt)
	d.timePtr("modified_at", want.ModifiedAt, got.ModifiedAt)
	d.str("id", want.ID, got.ID)
	if want.Token != got.Token {
		// Never print tokens in full, even in a failing test's log.
		d.add("token", redact(want.Token), redact(got.Token))
	}
	d.time("expires_at", want.ExpiresAt, got.ExpiresAt)
	d.timePtr("last_used_at", want.LastUsedAt, got.LastUsedAt)
	d.str("kind", string(want.Kind), string(got.Kind))
	d.time("authenticated_at", want.AuthenticatedAt, got.AuthenticatedAt)
	d.str("link_id", want.LinkID, got.LinkID)
	d.str("device_label", want.DeviceLabel, got.DeviceLabel)
	d.strPtr("return_url", want.ReturnURL, got.ReturnURL)
	if want.MemberPortalURL != got.MemberPortalURL {
		d.add("member_portal_url", redact(want.MemberPortalURL), redact(got.MemberPortalURL))
	}
	d.str("member_id", want.MemberID, got.MemberID)
	d.member("member", want.Member, got.Member)
	d.str("customer_id", want.CustomerID, got.CustomerID)
	d.customer("customer", want.Customer, got.Customer)
}

// redact shortens a token or a URL holding one for a failure message.
func redact(s string) string {
	if len(s) <= 12 {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:8], len(s))
}

// diffSession returns the differences between want and got, or nil.
func diffSession(want, got *sessionstore.MemberSession) []string {
	var d differ
	d.session(want, got)
	return d.diffs
}

// checkSession fails t when got differs from want, or when got breaks the
// rules every returned session follows (UTC microsecond times).
func checkSession(t tb, op string, want, got *sessionstore.MemberSession) {
	t.Helper()
	if diffs := diffSession(want, got); len(diffs) > 0 {
		t.Fatalf("%s returned a different session:\n\t%s", op, strings.Join(diffs, "\n\t"))
	}
	checkTimes(t, op, got)
}

// checkTimes fails t unless every time in s is UTC with no nanoseconds
// below the microsecond.
func checkTimes(t tb, op string, s *sessionstore.MemberSession) {
	t.Helper()
	if s == nil {
		return
	}
	var bad []string
	check := func(name string, v time.Time) {
		if v.Location() != time.UTC {
			bad = append(bad, fmt.Sprintf("%s is in location %q, want UTC", name, v.Location()))
		}
		if v.Nanosecond()%1000 != 0 {
			bad = append(bad, fmt.Sprintf("%s = %s has nanoseconds below the microsecond", name, v.Format(time.RFC3339Nano)))
		}
	}
	checkPtr := func(name string, v *time.Time) {
		if v != nil {
			check(name, *v)
		}
	}
	check("created_at", s.CreatedAt)
	checkPtr("modified_at", s.ModifiedAt)
	check("expires_at", s.ExpiresAt)
	checkPtr("last_used_at", s.LastUsedAt)
	check("member.created_at", s.Member.CreatedAt)
	checkPtr("member.modified_at", s.Member.ModifiedAt)
	check("customer.created_at", s.Customer.CreatedAt)
	checkPtr("customer.modified_at", s.Customer.ModifiedAt)
	checkPtr("customer.deleted_at", s.Customer.DeletedAt)
	if len(bad) > 0 {
		t.Fatalf("%s: %s", op, strings.Join(bad, "; "))
	}
}

// checkTokenShape fails t unless tok is prefix, 37 characters of
// [A-Za-z0-9] and the reference checksum of those characters.
func checkTokenShape(t tb, tok, prefix string) {
	t.Helper()
	want := len(prefix) + token.RandomLen + 6
	if len(tok) != want {
		t.Fatalf("token is %d bytes, want %d (prefix %q + %d random + 6 checksum)", len(tok), want, prefix, token.RandomLen)
	}
	if !strings.HasPrefix(tok, prefix) {
		t.Fatalf("token starts with %q, want prefix %q", tok[:len(prefix)], prefix)
	}
	body := tok[len(prefix):]
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(base62, body[i]) < 0 {
			t.Fatalf("token character %d is %q, want [A-Za-z0-9]", len(prefix)+i, body[i])
		}
	}
	random, sum := body[:token.RandomLen], body[token.RandomLen:]
	if want := specChecksum(random); sum != want {
		t.Fatalf("token checksum is %q, want %q (CRC-32 IEEE of the random part, base 62, 6 digits)", sum, want)
	}
	if tc := token.Checksum(random); tc != sum {
		t.Fatalf("token.Checksum of the random part is %q, but the token ends with %q", tc, sum)
	}
}

// checkPortalURL fails t unless got is base + "?" + exactly the query
// member_session_token=tok&email=email, form-encoded, or "" when base is "".
func checkPortalURL(t tb, got, base, tok, email string) {
	t.Helper()
	if base == "" {
		if got != "" {
			t.Fatalf("member_portal_url = %s, want \"\" (no PortalURL configured)", redact(got))
		}
		return
	}
	if !strings.HasPrefix(got, base+"?") {
		t.Fatalf("member_portal_url = %s, want it to start with %q", redact(got), base+"?")
	}
	rawQuery := got[len(base)+1:]
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		t.Fatalf("member_portal_url query does not parse: %v", err)
	}
	if len(q) != 2 || len(q["member_session_token"]) != 1 || len(q["email"]) != 1 {
		keys := make([]string, 0, len(q))
		for k, v := range q {
			keys = append(keys, fmt.Sprintf("%s(x%d)", k, len(v)))
		}
		t.Fatalf("member_portal_url query has parameters %v, want exactly member_session_token and email once each", keys)
	}
	if q.Get("member_session_token") != tok {
		t.Fatalf("member_portal_url carries token %s, want %s", redact(q.Get("member_session_token")), redact(tok))
	}
	if q.Get("email") != email {
		t.Fatalf("member_portal_url carries email %q (raw query %q), want %q", q.Get("email"), strings.ReplaceAll(rawQuery, tok, "<token>"), email)
	}
	for _, c := range []string{"@", "+", " "} {
		if strings.Contains(rawQuery, c) {
			t.Fatalf("member_portal_url query %q contains %q, want it form-encoded", strings.ReplaceAll(rawQuery, tok, "<token>"), c)
		}
	}
}

// expectErr fails t unless errors.Is(err, target).
func expectErr(t tb, op string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", op, err, target)
	}
}

// expectInvalid fails t unless err is a *sessionstore.ValidationError that
// matches ErrInvalid, naming field when field is not "". Field may list
// acceptable fields separated by "|".
func expectInvalid(t tb, op string, err error, field string) {
	t.Helper()
	if !errors.Is(err, sessionstore.ErrInvalid) {
		t.Fatalf("%s: got error %v, want ErrInvalid", op, err)
	}
	var ve *sessionstore.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%s: error %v (%T) is not a *sessionstore.ValidationError", op, err, err)
	}
	if field != "" && !slices.Contains(strings.Split(field, "|"), ve.Field) {
		t.Fatalf("%s: ValidationError.Field = %q, want %q (error: %v)", op, ve.Field, field, err)
	}
	if !strings.HasPrefix(err.Error(), "sessionstore:") {
		t.Fatalf("%s: error message %q does not start with \"sessionstore:\"", op, err.Error())
	}
}
