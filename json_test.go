package sessionstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// exampleFile is a create response in the wire format of Polar API version
// 2026-04; oldExampleFile is the same session in the older shape, without
// billing_name and default_payment_method_id.
const (
	exampleFile    = "testdata/member-session-2026-04.json"
	oldExampleFile = "testdata/member-session.json"
)

func strp(s string) *string { return &s }

func timep(t time.Time) *time.Time { return &t }

// exampleSession is exampleFile as Go values.
func exampleSession() MemberSession {
	token := "polar_mst_4fJq9LrT2vXb7NcW1kPz8YhD3sGm6EaQ0uRtB0ICCd7"
	individual := CustomerIndividual
	return MemberSession{
		CreatedAt:       time.Date(2026, 1, 20, 10, 0, 0, 123456000, time.UTC),
		ModifiedAt:      nil,
		ID:              "3b2f4d9e-8c1a-4e57-9b6d-2a0c7e5f1d43",
		Token:           token,
		ExpiresAt:       time.Date(2026, 1, 20, 11, 0, 0, 123456000, time.UTC),
		ReturnURL:       strp("https://example.com/account"),
		MemberPortalURL: "https://polar.sh/acme/portal?member_session_token=" + token + "&email=member%40example.com",
		MemberID:        "7d1e0c6b-5a49-4382-9716-05f4e3d2c1b0",
		Member: Member{
			ID:         "7d1e0c6b-5a49-4382-9716-05f4e3d2c1b0",
			CreatedAt:  time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC),
			CustomerID: "c0ffee00-1234-4abc-8def-001122334455",
			Email:      "member@example.com",
			Name:       strp("Jane Doe"),
			ExternalID: strp("usr_1337"),
			Role:       RoleOwner,
		},
		CustomerID: "c0ffee00-1234-4abc-8def-001122334455",
		Customer: Customer{
			ID:         "c0ffee00-1234-4abc-8def-001122334455",
			CreatedAt:  time.Date(2025, 11, 30, 8, 30, 0, 500000000, time.UTC),
			ModifiedAt: timep(time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)),
			Metadata: Metadata{
				"plan":  StringValue("pro"),
				"seats": IntValue(5),
				"beta":  BoolValue(true),
				"ratio": FloatValue(1.5),
			},
			ExternalID:    strp("cus_42"),
			Email:         "billing@example.com",
			EmailVerified: true,
			Type:          &individual,
			Name:          strp("Acme Inc."),
			BillingName:   strp("Acme Inc. Accounts Payable"),
			BillingAddress: &Address{
				Line1:      strp("1 Infinite Loop"),
				Line2:      nil,
				PostalCode: strp("95014"),
				City:       strp("Cupertino"),
				State:      strp("US-CA"),
				Country:    "US",
			},
			TaxID:                  &TaxID{Value: "911144442", Format: "us_ein"},
			Locale:                 strp("en-US"),
			OrganizationID:         "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d",
			DefaultPaymentMethodID: strp("5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"),
			DeletedAt:              nil,
			AvatarURL:              "https://www.gravatar.com/avatar/5d41402abc4b2a76b9719d911017c592?d=404",
		},
	}
}

// The example's metadata object lists its keys in Polar's (insertion) order.
// Metadata is a Go map, which keeps no order, so it is written with sorted
// keys, as encoding/json writes maps. That object is the one place where the
// encoding differs from the example's bytes.
const (
	exampleMetadata       = `"metadata":{"plan":"pro","seats":5,"beta":true,"ratio":1.5}`
	exampleMetadataSorted = `"metadata":{"beta":true,"plan":"pro","ratio":1.5,"seats":5}`
)

// wantExample returns the example file in compact form with its metadata
// keys sorted: what encoding the decoded example must give, byte for byte.
func wantExample(t testing.TB) []byte {
	t.Helper()
	c := compactExample(t)
	if bytes.Count(c, []byte(exampleMetadata)) != 1 {
		t.Fatalf("example metadata is not %s", exampleMetadata)
	}
	return bytes.Replace(c, []byte(exampleMetadata), []byte(exampleMetadataSorted), 1)
}

// compactExample returns the example file in compact form.
func compactExample(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONExampleRoundTrip(t *testing.T) {
	want := wantExample(t)
	raw, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}

	var s MemberSession
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decode example: %v", err)
	}
	if exp := exampleSession(); !reflect.DeepEqual(s, exp) {
		t.Fatalf("decoded example differs:\n got %#v\nwant %#v", s.Member, exp.Member)
	}

	// WithCredentials gives Polar's exact bytes (metadata keys sorted).
	got, err := WithCredentials(&s).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("WithCredentials differs from the example:\n got %s\nwant %s", got, want)
	}
	// Decoding the output gives the same session again.
	var again0 MemberSession
	if err := json.Unmarshal(got, &again0); err != nil || !reflect.DeepEqual(again0, s) {
		t.Fatalf("re-decoding the output = %v", err)
	}
	// A document whose metadata keys are already sorted is reproduced exactly.
	var sorted MemberSession
	if err := json.Unmarshal(want, &sorted); err != nil {
		t.Fatal(err)
	}
	if got, err := WithCredentials(&sorted).MarshalJSON(); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("sorted example: got %s, %v", got, err)
	}

	// So does an Encoder without HTML escaping (plus its newline), and the
	// hand-built struct encodes the same.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	exp := exampleSession()
	if err := enc.Encode(WithCredentials(&exp)); err != nil {
		t.Fatal(err)
	}
	if got := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
		t.Fatalf("Encoder differs from the example:\n got %s\nwant %s", got, want)
	}

	// json.Marshal HTML-escapes '&' (it does so for every Marshaler's
	// output); otherwise the bytes are the same, and the meaning is.
	viaMarshal, err := json.Marshal(WithCredentials(&s))
	if err != nil {
		t.Fatal(err)
	}
	if got := bytes.ReplaceAll(viaMarshal, []byte(`\u0026`), []byte("&")); !bytes.Equal(got, want) {
		t.Fatalf("json.Marshal differs beyond HTML escapes:\n got %s\nwant %s", viaMarshal, want)
	}
	var again MemberSession
	if err := json.Unmarshal(viaMarshal, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, s) {
		t.Fatal("json.Marshal output decodes to a different session")
	}

	// Nested types on their own are the matching parts of the document.
	for name, v := range map[string]any{
		"member":   s.Member,
		"customer": s.Customer,
	} {
		b, err := marshalWire(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(want, append([]byte(`"`+name+`":`), b...)) {
			t.Errorf("%s encodes as %s, not found in the example", name, b)
		}
	}
}

func TestJSONExplicitNulls(t *testing.T) {
	const want = `{"created_at":"0001-01-01T00:00:00Z","modified_at":null,"id":"","token":"",` +
		`"expires_at":"0001-01-01T00:00:00Z","return_url":null,"member_portal_url":"","member_id":"",` +
		`"member":{"id":"","created_at":"0001-01-01T00:00:00Z","modified_at":null,"customer_id":"",` +
		`"email":"","name":null,"external_id":null,"role":""},"customer_id":"",` +
		`"customer":{"id":"","created_at":"0001-01-01T00:00:00Z","modified_at":null,"metadata":{},` +
		`"external_id":null,"email":null,"email_verified":false,"type":"individual","name":null,"billing_name":null,` +
		`"billing_address":null,"tax_id":null,"locale":null,"organization_id":"","default_payment_method_id":null,` +
		`"deleted_at":null,"avatar_url":null}}`
	got, err := MemberSession{}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("zero session:\n got %s\nwant %s", got, want)
	}

	got, err = Address{Country: "DE"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"line1":null,"line2":null,"postal_code":null,"city":null,"state":null,"country":"DE"}`; string(got) != want {
		t.Fatalf("address:\n got %s\nwant %s", got, want)
	}

	// Nulls decode to nil pointers, and to zero values for non-nullable
	// fields.
	in := `{"created_at":null,"modified_at":null,"return_url":null,"member":null,` +
		`"customer":{"type":null,"locale":null,"billing_address":null,"tax_id":null,` +
		`"metadata":null,"deleted_at":null,"email_verified":null,"name":null,"email":null,` +
		`"billing_name":null,"default_payment_method_id":null,"avatar_url":null}}`
	s := exampleSession()
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, MemberSession{}) {
		t.Fatalf("nulls decoded to %#v", s)
	}
}

func TestJSONUnknownMissingAndCaseKeys(t *testing.T) {
	s := exampleSession()
	in := `{"id":"x","ID":"upper","Token":"t","unknown":{"deep":[1,2,{"a":null}]},"member":{"role":"member","extra":1}}`
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	want := MemberSession{ID: "x", Member: Member{Role: RoleMember}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %#v, want %#v", s, want)
	}
	// Top-level null leaves the value alone, as encoding/json does.
	s = exampleSession()
	if err := json.Unmarshal([]byte("null"), &s); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, exampleSession()) {
		t.Fatal("null changed the session")
	}
}

func TestTimeFormat(t *testing.T) {
	plus2 := time.FixedZone("UTC+2", 2*3600)
	minus530 := time.FixedZone("UTC-5:30", -(5*3600 + 30*60))
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC), "2026-01-20T10:00:00Z"},
		{time.Date(2026, 1, 20, 10, 0, 0, 120000000, time.UTC), "2026-01-20T10:00:00.120000Z"},
		{time.Date(2026, 1, 20, 10, 0, 0, 123456000, time.UTC), "2026-01-20T10:00:00.123456Z"},
		{time.Date(2026, 1, 20, 10, 0, 0, 123456789, time.UTC), "2026-01-20T10:00:00.123456Z"},
		{time.Date(2026, 1, 20, 10, 0, 0, 999999999, time.UTC), "2026-01-20T10:00:00.999999Z"},
		{time.Date(2026, 1, 20, 10, 0, 0, 1000, time.UTC), "2026-01-20T10:00:00.000001Z"},
		{time.Date(2026, 1, 20, 10, 0, 0, 999, time.UTC), "2026-01-20T10:00:00Z"},
		{time.Date(2026, 1, 20, 12, 0, 0, 500000000, plus2), "2026-01-20T10:00:00.500000Z"},
		{time.Date(2026, 1, 20, 20, 0, 0, 0, minus530), "2026-01-21T01:30:00Z"},
		{time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC).Local(), "2026-01-20T10:00:00Z"},
		{time.Time{}, "0001-01-01T00:00:00Z"},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "0000-01-01T00:00:00Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "9999-12-31T23:59:59.999999Z"},
	}
	for _, tt := range tests {
		if got := string(appendTime([]byte("x"), tt.in)); got != "x"+tt.want {
			t.Errorf("appendTime(%v) = %q, want %q", tt.in, got, "x"+tt.want)
		}
		if got := FormatTime(tt.in); got != tt.want {
			t.Errorf("FormatTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
		got, err := jsonTime(tt.in).MarshalJSON()
		if err != nil || string(got) != `"`+tt.want+`"` {
			t.Errorf("MarshalJSON(%v) = %s, %v; want %q", tt.in, got, err, tt.want)
		}
		// Through a model type too.
		b, err := Member{CreatedAt: tt.in}.MarshalJSON()
		if err != nil || !bytes.Contains(b, []byte(`"created_at":"`+tt.want+`"`)) {
			t.Errorf("Member.MarshalJSON with %v = %s, %v", tt.in, b, err)
		}
		// The text parses back to the same instant, truncated.
		back, err := parseTime([]byte(tt.want))
		if err != nil {
			t.Errorf("parseTime(%q): %v", tt.want, err)
		} else if wantT := tt.in.UTC().Truncate(time.Microsecond); !back.Equal(wantT) || back.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, want %v in UTC", tt.want, back, wantT)
		}
	}

	for _, bad := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600)),
	} {
		if b, err := jsonTime(bad).MarshalJSON(); err == nil {
			t.Errorf("MarshalJSON(%v) = %s, want an error", bad, b)
		}
		if b, err := (MemberSession{ExpiresAt: bad}).MarshalJSON(); err == nil {
			t.Errorf("MemberSession with ExpiresAt %v encodes as %s, want an error", bad, b)
		}
	}
}

func TestTimeParse(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	good := []struct {
		in   string
		want time.Time
	}{
		{"2026-01-20T10:00:00Z", utc(2026, 1, 20, 10, 0, 0, 0)},
		{"2026-01-20T10:00:00.12Z", utc(2026, 1, 20, 10, 0, 0, 120000000)},
		{"2026-01-20T10:00:00.120000Z", utc(2026, 1, 20, 10, 0, 0, 120000000)},
		{"2026-01-20T10:00:00.123456Z", utc(2026, 1, 20, 10, 0, 0, 123456000)},
		{"2026-01-20T10:00:00.123456789Z", utc(2026, 1, 20, 10, 0, 0, 123456000)},
		{"2026-01-20T10:00:00.1234569999999999999Z", utc(2026, 1, 20, 10, 0, 0, 123456000)},
		{"2026-01-20T10:00:00.0000009Z", utc(2026, 1, 20, 10, 0, 0, 0)},
		{"2026-01-20T10:00:00.5+02:00", utc(2026, 1, 20, 8, 0, 0, 500000000)},
		{"2026-01-20T20:00:00-05:30", utc(2026, 1, 21, 1, 30, 0, 0)},
		{"2026-01-20T10:00:00+00:00", utc(2026, 1, 20, 10, 0, 0, 0)},
		{"2026-01-20T10:00:00-00:00", utc(2026, 1, 20, 10, 0, 0, 0)},
		{"2026-01-20t10:00:00z", utc(2026, 1, 20, 10, 0, 0, 0)},
		{"2024-02-29T00:00:00Z", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"2026-01-01T00:30:00+01:00", utc(2025, 12, 31, 23, 30, 0, 0)},
		{"0000-01-01T00:00:00Z", utc(0, 1, 1, 0, 0, 0, 0)},
		{"9999-12-31T23:59:59.999999999Z", utc(9999, 12, 31, 23, 59, 59, 999999000)},
		{"9999-12-31T23:59:59+01:00", utc(9999, 12, 31, 22, 59, 59, 0)},
	}
	for _, tt := range good {
		got, err := parseTime([]byte(tt.in))
		if err != nil {
			t.Errorf("parseTime(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
		// And through JSON.
		var m Member
		if err := json.Unmarshal([]byte(`{"created_at":"`+tt.in+`","modified_at":"`+tt.in+`"}`), &m); err != nil {
			t.Errorf("decode %q: %v", tt.in, err)
		} else if m.CreatedAt != tt.want || m.ModifiedAt == nil || *m.ModifiedAt != tt.want {
			t.Errorf("decode %q = %v, %v", tt.in, m.CreatedAt, m.ModifiedAt)
		}
	}

	bad := []string{
		"",
		"2026-01-20",
		"2026-01-20T10:00:00",
		"2026-01-20 10:00:00Z",
		"2026-01-20T10:00Z",
		"2026-1-20T10:00:00Z",
		"2026-01-20T10:00:00.Z",
		"2026-01-20T10:00:00,5Z",
		"2026-01-20T10:00:00ZZ",
		"2026-01-20T10:00:00Z ",
		" 2026-01-20T10:00:00Z",
		"2026-01-20T10:00:00+0200",
		"2026-01-20T10:00:00+2:00",
		"2026-01-20T10:00:00+24:00",
		"2026-01-20T10:00:00+01:60",
		"2026-01-20T10:00:00UTC",
		"2026-00-20T10:00:00Z",
		"2026-13-20T10:00:00Z",
		"2026-01-00T10:00:00Z",
		"2026-01-32T10:00:00Z",
		"2023-02-29T10:00:00Z",
		"2026-04-31T10:00:00Z",
		"2026-01-20T24:00:00Z",
		"2026-01-20T10:60:00Z",
		"2016-12-31T23:59:60Z",
		"+2026-01-20T10:00:00Z",
		"20260-01-20T10:00:00Z",
		"2026-01-20T1a:00:00Z",
		"9999-12-31T23:59:59-01:00",
		"0000-01-01T00:00:00+01:00",
		"２026-01-20T10:00:00Z",
	}
	for _, in := range bad {
		if got, err := parseTime([]byte(in)); err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", in, got)
		}
		var m Member
		if err := json.Unmarshal([]byte(`{"created_at":`+mustQuote(in)+`}`), &m); err == nil {
			t.Errorf("decoding created_at %q succeeded", in)
		}
	}

	// Not a string at all.
	for _, in := range []string{`1`, `true`, `[]`, `{}`} {
		var m Member
		if err := json.Unmarshal([]byte(`{"created_at":`+in+`}`), &m); err == nil {
			t.Errorf("decoding created_at %s succeeded", in)
		}
	}
	// Escapes in the JSON string are decoded first.
	var m Member
	if err := json.Unmarshal([]byte(`{"created_at":"2026-01-20T10:00:00\u005a"}`), &m); err != nil {
		t.Errorf("escaped Z: %v", err)
	}
	// The error message is bounded and says what failed.
	_, err := parseTime([]byte(strings.Repeat("9", 10000)))
	if err == nil || len(err.Error()) > 200 || !strings.HasPrefix(err.Error(), "sessionstore: ") {
		t.Errorf("long input error: %v", err)
	}
}

func mustQuote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestMetadataKinds(t *testing.T) {
	tests := []struct {
		in   string
		want MetadataValue
		out  string // encoding of the decoded value
	}{
		{`1`, IntValue(1), `1`},
		{`0`, IntValue(0), `0`},
		{`-0`, IntValue(0), `0`},
		{`-42`, IntValue(-42), `-42`},
		{`9223372036854775807`, IntValue(math.MaxInt64), `9223372036854775807`},
		{`-9223372036854775808`, IntValue(math.MinInt64), `-9223372036854775808`},
		{`1.0`, FloatValue(1), `1.0`},
		{`1.5`, FloatValue(1.5), `1.5`},
		{`1.50`, FloatValue(1.5), `1.5`},
		{`-0.5`, FloatValue(-0.5), `-0.5`},
		{`1e3`, FloatValue(1000), `1000.0`},
		{`1E3`, FloatValue(1000), `1000.0`},
		{`1e+3`, FloatValue(1000), `1000.0`},
		{`2.5e-3`, FloatValue(0.0025), `0.0025`},
		{`0.0`, FloatValue(0), `0.0`},
		{`-0.0`, FloatValue(math.Copysign(0, -1)), `-0.0`},
		{`1e21`, FloatValue(1e21), `1e+21`},
		{`1e20`, FloatValue(1e20), `100000000000000000000.0`},
		{`0.0000001`, FloatValue(1e-7), `1e-7`},
		{`1e-400`, FloatValue(0), `0.0`},
		{`9223372036854775808.0`, FloatValue(9223372036854775808), `9223372036854776000.0`},
		{`1.7976931348623157e308`, FloatValue(math.MaxFloat64), `1.7976931348623157e+308`},
		{`true`, BoolValue(true), `true`},
		{`false`, BoolValue(false), `false`},
		{`"pro"`, StringValue("pro"), `"pro"`},
		{`""`, StringValue(""), `""`},
		{`"1"`, StringValue("1"), `"1"`},
		{`"a&b<c>\u2028"`, StringValue("a&b<c>\u2028"), `"a&b<c>\u2028"`},
	}
	for _, tt := range tests {
		var v MetadataValue
		if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
			t.Errorf("decode %s: %v", tt.in, err)
			continue
		}
		if v.Kind() != tt.want.Kind() || !reflect.DeepEqual(v, tt.want) {
			t.Errorf("decode %s = %#v (%v), want %#v", tt.in, v, v.Any(), tt.want)
		}
		out, err := v.MarshalJSON()
		if err != nil || string(out) != tt.out {
			t.Errorf("encode %s = %s, %v; want %s", tt.in, out, err, tt.out)
		}
		// Inside a Metadata map, and again from the output: stable.
		var m Metadata
		if err := json.Unmarshal([]byte(`{"k":`+tt.in+`}`), &m); err != nil || !reflect.DeepEqual(m["k"], tt.want) {
			t.Errorf("decode map with %s = %#v, %v", tt.in, m, err)
		}
		var v2 MetadataValue
		if err := json.Unmarshal(out, &v2); err != nil || !reflect.DeepEqual(v2, v) {
			t.Errorf("re-decode %s = %#v, %v", out, v2, err)
		}
	}

	for _, in := range []string{
		`null`, `[]`, `[1]`, `{}`, `{"a":1}`,
		`9223372036854775808`, `-9223372036854775809`, `123456789012345678901234567890`,
		`1e400`, `-1e400`,
	} {
		var v MetadataValue
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("decode %s = %#v, want an error", in, v)
		}
		var m Metadata
		if err := json.Unmarshal([]byte(`{"k":`+in+`}`), &m); err == nil {
			t.Errorf("decode map with %s = %#v, want an error", in, m)
		}
	}
	// UnmarshalJSON called directly sees bytes encoding/json has not checked.
	for _, in := range []string{``, ` `, `1x`, `tru`, `nul`, `"abc`, `--1`, `1.`, `.5`, `+1`, `01`, `x`} {
		var v MetadataValue
		if err := v.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("UnmarshalJSON(%q) = %#v, want an error", in, v)
		}
	}

	for _, v := range []MetadataValue{
		{}, FloatValue(math.NaN()), FloatValue(math.Inf(1)), FloatValue(math.Inf(-1)),
	} {
		if b, err := v.MarshalJSON(); err == nil {
			t.Errorf("encode %#v = %s, want an error", v, b)
		}
		if b, err := (Customer{Metadata: Metadata{"k": v}}).MarshalJSON(); err == nil {
			t.Errorf("encode customer with %#v = %s, want an error", v, b)
		}
	}

	for _, tt := range []struct {
		f    float64
		want string
	}{
		{1, `1.0`}, {-3, `-3.0`}, {123456789, `123456789.0`}, {0.1, `0.1`},
		{1e-6, `0.000001`}, {1e-7, `1e-7`}, {1.5e-9, `1.5e-9`}, {1e300, `1e+300`},
		{5e-324, `5e-324`},
	} {
		b, err := FloatValue(tt.f).MarshalJSON()
		if err != nil || string(b) != tt.want {
			t.Errorf("FloatValue(%v) = %s, %v; want %s", tt.f, b, err, tt.want)
		}
		// Same text as encoding/json writes, apart from the added ".0".
		std, _ := json.Marshal(tt.f)
		if strings.TrimSuffix(string(b), ".0") != string(std) && string(b) != string(std) {
			t.Errorf("FloatValue(%v) = %s, encoding/json writes %s", tt.f, b, std)
		}
	}
}

func TestMetadataJSON(t *testing.T) {
	m := Metadata{
		"zeta":  IntValue(1),
		"alpha": FloatValue(1),
		"mid":   StringValue("x&y"),
		"Beta":  BoolValue(false),
		"a<b":   StringValue(""),
	}
	got, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"Beta":false,"a<b":"","alpha":1.0,"mid":"x&y","zeta":1}`; string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	var back Metadata
	if err := json.Unmarshal(got, &back); err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip = %#v, %v", back, err)
	}

	for _, nilOrEmpty := range []Metadata{nil, {}} {
		got, err := nilOrEmpty.MarshalJSON()
		if err != nil || string(got) != `{}` {
			t.Errorf("MarshalJSON(%#v) = %s, %v; want {}", nilOrEmpty, got, err)
		}
		c, err := Customer{Metadata: nilOrEmpty}.MarshalJSON()
		if err != nil || !bytes.Contains(c, []byte(`"metadata":{}`)) {
			t.Errorf("customer with %#v = %s, %v", nilOrEmpty, c, err)
		}
	}

	// Decoding replaces the map rather than merging into it.
	old := Metadata{"keep": IntValue(1)}
	if err := json.Unmarshal([]byte(`{"new":2}`), &old); err != nil {
		t.Fatal(err)
	}
	if want := (Metadata{"new": IntValue(2)}); !reflect.DeepEqual(old, want) {
		t.Errorf("decode into a full map = %#v, want %#v", old, want)
	}

	for _, in := range []string{`[]`, `"x"`, `1`, `{"k":[]}`, `{"k":null}`} {
		var md Metadata
		if err := json.Unmarshal([]byte(in), &md); err == nil {
			t.Errorf("decode metadata %s = %#v, want an error", in, md)
		}
	}

	// The error names the path.
	var s MemberSession
	err = json.Unmarshal([]byte(`{"customer":{"metadata":{"seats":1e999}}}`), &s)
	if err == nil || !strings.Contains(err.Error(), `customer.metadata."seats"`) {
		t.Errorf("error = %v, want the path customer.metadata.\"seats\"", err)
	}
}

func TestTaxIDJSON(t *testing.T) {
	got, err := TaxID{Value: "911144442", Format: "us_ein"}.MarshalJSON()
	if err != nil || string(got) != `["911144442","us_ein"]` {
		t.Fatalf("MarshalJSON = %s, %v", got, err)
	}
	var tid TaxID
	if err := json.Unmarshal([]byte(` [ "DE123" , "eu_vat" ] `), &tid); err != nil || tid != (TaxID{"DE123", "eu_vat"}) {
		t.Fatalf("decode = %#v, %v", tid, err)
	}
	if err := json.Unmarshal([]byte(`["a&b",""]`), &tid); err != nil || tid != (TaxID{"a&b", ""}) {
		t.Fatalf("decode = %#v, %v", tid, err)
	}

	for _, in := range []string{
		`[]`, `["a"]`, `["a","b","c"]`, `["a",1]`, `[1,"a"]`, `[null]`, `[null,null,null]`,
		`["a",["b"]]`, `["a",{}]`, `["a",true]`, `"911144442 us_ein"`, `{}`, `{"value":"a","format":"b"}`, `1`,
	} {
		var tid TaxID
		if err := json.Unmarshal([]byte(in), &tid); err == nil {
			t.Errorf("decode TaxID %s = %#v, want an error", in, tid)
		}
		var c Customer
		err := json.Unmarshal([]byte(`{"tax_id":`+in+`}`), &c)
		if err == nil {
			t.Errorf("decode customer with tax_id %s = %#v, want an error", in, c.TaxID)
		} else if !strings.Contains(err.Error(), "tax_id") {
			t.Errorf("error %q does not name tax_id", err)
		}
	}
	for _, in := range []string{``, `[`, `["a","b"`, `["a" "b"]`} {
		var tid TaxID
		if err := tid.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("UnmarshalJSON(%q) = %#v, want an error", in, tid)
		}
	}

	// Polar allows null elements; they are "".
	for in, want := range map[string]TaxID{
		`[null,"us_ein"]`: {Format: "us_ein"},
		`["a",null]`:      {Value: "a"},
		`[null,null]`:     {},
	} {
		var tid TaxID
		if err := json.Unmarshal([]byte(in), &tid); err != nil || tid != want {
			t.Errorf("decode %s = %#v, %v", in, tid, err)
		}
		if got, err := want.MarshalJSON(); err != nil || string(got) != in {
			t.Errorf("encode %#v = %s, %v, want %s", want, got, err, in)
		}
	}

	var c Customer
	if err := json.Unmarshal([]byte(`{"tax_id":null}`), &c); err != nil || c.TaxID != nil {
		t.Errorf("tax_id null = %#v, %v", c.TaxID, err)
	}
}

func TestJSONEnumsAndAddress(t *testing.T) {
	team := CustomerTeam
	c := Customer{Type: &team, BillingAddress: &Address{Line2: strp("Suite 5"), Country: "FR"}}
	got, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte(`"type":"team"`)) ||
		!bytes.Contains(got, []byte(`"billing_address":{"line1":null,"line2":"Suite 5","postal_code":null,"city":null,"state":null,"country":"FR"}`)) {
		t.Fatalf("got %s", got)
	}
	var back Customer
	if err := json.Unmarshal(got, &back); err != nil || !reflect.DeepEqual(back, Customer{
		Type: &team, BillingAddress: c.BillingAddress, Metadata: Metadata{},
	}) {
		t.Fatalf("round trip = %#v, %v", back, err)
	}

	for _, role := range []MemberRole{RoleOwner, RoleBillingManager, RoleMember} {
		b, err := Member{Role: role}.MarshalJSON()
		if err != nil || !bytes.Contains(b, []byte(`"role":"`+string(role)+`"`)) {
			t.Errorf("role %s encodes as %s, %v", role, b, err)
		}
		var m Member
		if err := json.Unmarshal(b, &m); err != nil || m.Role != role {
			t.Errorf("role %s decodes as %q, %v", role, m.Role, err)
		}
	}
}

func TestJSONDecodeGarbage(t *testing.T) {
	inputs := []string{
		``, `{`, `}`, `[]`, `1`, `"x"`, `true`, `{"id":}`, `{"id":"a",}`, `nul`,
		`{"created_at":5}`, `{"created_at":"yesterday"}`, `{"expires_at":"2026-02-30T00:00:00Z"}`,
		`{"modified_at":[]}`, `{"id":1}`, `{"token":{}}`, `{"return_url":false}`,
		`{"member":[]}`, `{"member":"x"}`, `{"member":{"name":5}}`, `{"member":{"role":1}}`,
		`{"member":{"created_at":"2026-01-20T10:00:00"}}`,
		`{"customer":1}`, `{"customer":{"metadata":[]}}`, `{"customer":{"metadata":{"k":null}}}`,
		`{"customer":{"metadata":{"k":{}}}}`, `{"customer":{"metadata":{"k":99999999999999999999}}}`,
		`{"customer":{"tax_id":["a"]}}`, `{"customer":{"tax_id":"a"}}`,
		`{"customer":{"billing_address":"x"}}`, `{"customer":{"billing_address":{"line1":1}}}`,
		`{"customer":{"email_verified":"yes"}}`, `{"customer":{"type":1}}`, `{"customer":{"deleted_at":"now"}}`,
		"{\"id\":\"\xff\"", "\x00", `{"a":1}{"b":2}`,
	}
	for _, in := range inputs {
		var s MemberSession
		if err := json.Unmarshal([]byte(in), &s); err == nil {
			t.Errorf("json.Unmarshal(%q) succeeded", in)
		}
		var s2 MemberSession
		if err := s2.UnmarshalJSON([]byte(in)); err == nil {
			t.Errorf("UnmarshalJSON(%q) succeeded", in)
		} else if !strings.HasPrefix(err.Error(), "sessionstore: decode JSON") {
			t.Errorf("UnmarshalJSON(%q) error %q lacks the sessionstore prefix", in, err)
		}
	}

	// Paths in errors.
	for in, path := range map[string]string{
		`{"member":{"created_at":"x"}}`:                           "member.created_at",
		`{"customer":{"billing_address":{"city":1}}}`:             "customer.billing_address.city",
		`{"customer":{"tax_id":[1,2]}}`:                           "customer.tax_id",
		`{"customer":{"deleted_at":"2026-01-20T10:00:00+25:00"}}`: "customer.deleted_at",
	} {
		var s MemberSession
		err := json.Unmarshal([]byte(in), &s)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("decode %s: error %v does not name %s", in, err, path)
		}
	}
}

func TestJSONKeepsRedaction(t *testing.T) {
	var s MemberSession
	if err := json.Unmarshal(compactExample(t), &s); err != nil {
		t.Fatal(err)
	}
	if s.Token == "" {
		t.Fatal("no token decoded")
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		if out := fmt.Sprintf(verb, s); strings.Contains(out, s.Token) {
			t.Errorf("%s shows the token: %s", verb, out)
		}
		if out := fmt.Sprintf(verb, &s); strings.Contains(out, s.Token) {
			t.Errorf("%s of a pointer shows the token: %s", verb, out)
		}
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("session", "s", s, "p", &s)
		if strings.Contains(buf.String(), s.Token) {
			t.Errorf("slog shows the token: %s", buf.String())
		}
	}
}

func TestJSONOldShape(t *testing.T) {
	// A document in the older shape (no billing_name or
	// default_payment_method_id) decodes, with those fields nil ...
	raw, err := os.ReadFile(oldExampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var s MemberSession
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	want := exampleSession()
	want.Customer.BillingName = nil
	want.Customer.DefaultPaymentMethodID = nil
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("old shape decoded to %#v", s.Customer)
	}
	// ... and encodes in today's shape, with both keys null.
	got, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"billing_name":null,`, `"default_payment_method_id":null,`} {
		if !bytes.Contains(got, []byte(key)) {
			t.Errorf("encoding lacks %s: %s", key, got)
		}
	}
	// An old null or missing type is an individual customer, written so.
	for _, in := range []string{`{"type":null}`, `{}`} {
		var c Customer
		if err := json.Unmarshal([]byte(in), &c); err != nil || c.Type != nil {
			t.Fatalf("decode %s: type %v, %v", in, c.Type, err)
		}
		if b, err := c.MarshalJSON(); err != nil || !bytes.Contains(b, []byte(`"type":"individual"`)) {
			t.Errorf("encode %s = %s, %v", in, b, err)
		}
	}
}

func TestJSONTeamWithoutEmail(t *testing.T) {
	in := `{"id":"c","email":null,"type":"team","billing_name":null,"avatar_url":null,` +
		`"default_payment_method_id":null,"tax_id":[null,"eu_vat"]}`
	var c Customer
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	team := CustomerTeam
	want := Customer{ID: "c", Type: &team, TaxID: &TaxID{Format: "eu_vat"}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("decoded %#v", c)
	}
	got, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"email":null,`, `"type":"team",`, `"avatar_url":null}`, `"tax_id":[null,"eu_vat"]`} {
		if !bytes.Contains(got, []byte(key)) {
			t.Errorf("encoding lacks %s: %s", key, got)
		}
	}
	// The key may also be missing, as Polar's schema makes it optional.
	var c2 Customer
	if err := json.Unmarshal([]byte(`{"id":"c","type":"team"}`), &c2); err != nil || c2.Email != "" {
		t.Fatalf("missing email = %q, %v", c2.Email, err)
	}
}
