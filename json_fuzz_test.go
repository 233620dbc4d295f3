package sessionstore

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// FuzzMemberSessionJSON decodes arbitrary bytes as a MemberSession. Decoding
// must never panic; whatever decodes must encode, with and without
// credentials, and each encoding must be a fixed point: decoding it and
// encoding again gives the same bytes. The encoding without credentials is
// the one with them of the session with token and portal URL cleared. The
// seeds hold both shapes of the wire format (today's and the older one) and
// every field today's adds, set and null.
//
//	go test -run '^$' -fuzz FuzzMemberSessionJSON -fuzztime 1m -fuzzminimizetime 10s .
func FuzzMemberSessionJSON(f *testing.F) {
	for _, file := range []string{exampleFile, oldExampleFile} {
		example, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(example)
		var compact bytes.Buffer
		if err := json.Compact(&compact, example); err != nil {
			f.Fatal(err)
		}
		f.Add(compact.Bytes())
	}
	for _, seed := range []string{
		`null`,
		`{}`,
		`{"created_at":"2026-01-20T10:00:00.1234567+05:30","modified_at":"9999-12-31T23:59:59.999999999Z"}`,
		`{"expires_at":"0000-01-01T00:00:00z","return_url":null,"id":"\u00e9\ud800"}`,
		`{"customer":{"metadata":{"a":1,"b":1.0,"c":1e3,"d":-0.5,"e":-0.0,"f":"x","g":true,"h":1e-400,"i":1e21}}}`,
		`{"customer":{"metadata":{"k":9223372036854775808}}}`,
		`{"customer":{"tax_id":["911144442","us_ein"],"type":"team","locale":null,"billing_address":{"country":"US"}}}`,
		`{"customer":{"tax_id":["a"]}}`,
		`{"member":{"role":"billing_manager","name":null},"Member":{"role":"x"}}`,
		`{"token":"a&b<c>","member_portal_url":"https://x/?a=1&b=2","unknown":[1,{"x":null}]}`,
		`{"customer":{"type":"team","email":null,"billing_name":null,"default_payment_method_id":null,"avatar_url":null}}`,
		`{"customer":{"type":"individual","email":"a@b","billing_name":"B\u00e9","default_payment_method_id":"pm_1","avatar_url":"https://a"}}`,
		`{"customer":{"tax_id":[null,"eu_vat"],"email":"","avatar_url":""}}`,
		`{"customer":{"tax_id":["DE1",null],"billing_name":"x","billing_name":null,"metadata":{"a":1},"metadata":null}}`,
		`{"member":{"name":"\ud800\udc00\ud800x","email":"\u0041\/"},"member":null}`,
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		// UnmarshalJSON on unchecked bytes must not panic either.
		var direct MemberSession
		_ = direct.UnmarshalJSON(data)
		var md Metadata
		_ = md.UnmarshalJSON(data)
		var mv MetadataValue
		_ = mv.UnmarshalJSON(data)
		var tid TaxID
		_ = tid.UnmarshalJSON(data)

		var s1 MemberSession
		if err := json.Unmarshal(data, &s1); err != nil {
			return
		}
		b1, err := s1.MarshalJSON()
		if err != nil {
			t.Fatalf("decoded session does not encode: %v\ninput: %q", err, data)
		}
		if !json.Valid(b1) {
			t.Fatalf("encoding is not valid JSON: %s", b1)
		}
		var s2 MemberSession
		if err := json.Unmarshal(b1, &s2); err != nil {
			t.Fatalf("encoding does not decode: %v\nencoding: %s", err, b1)
		}
		b2, err := s2.MarshalJSON()
		if err != nil {
			t.Fatalf("re-decoded session does not encode: %v", err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("encoding is not idempotent:\nfirst  %s\nsecond %s", b1, b2)
		}
		// With credentials: a fixed point that keeps token and portal URL,
		// and otherwise the same as without.
		c1, err := WithCredentials(&s1).MarshalJSON()
		if err != nil {
			t.Fatalf("decoded session does not encode with credentials: %v", err)
		}
		var sc MemberSession
		if err := json.Unmarshal(c1, &sc); err != nil {
			t.Fatalf("encoding with credentials does not decode: %v\nencoding: %s", err, c1)
		}
		if sc.Token != s1.Token || sc.MemberPortalURL != s1.MemberPortalURL {
			t.Fatalf("credentials lost: %q %q, want %q %q", sc.Token, sc.MemberPortalURL, s1.Token, s1.MemberPortalURL)
		}
		if c2, err := WithCredentials(&sc).MarshalJSON(); err != nil || !bytes.Equal(c1, c2) {
			t.Fatalf("encoding with credentials is not idempotent:\nfirst  %s\nsecond %s", c1, c2)
		}
		blank := s1
		blank.Token, blank.MemberPortalURL = "", ""
		if cb, err := WithCredentials(&blank).MarshalJSON(); err != nil || !bytes.Equal(cb, b1) {
			t.Fatalf("without credentials is not with them cleared:\n%s\n%s", cb, b1)
		}
		// json.Marshal agrees, up to its HTML escaping.
		viaMarshal, err := json.Marshal(s2)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		var s3 MemberSession
		if err := json.Unmarshal(viaMarshal, &s3); err != nil {
			t.Fatalf("json.Marshal output does not decode: %v", err)
		}
		if b3, err := s3.MarshalJSON(); err != nil || !bytes.Equal(b3, b1) {
			t.Fatalf("json.Marshal output decodes differently: %s, %v", b3, err)
		}
	})
}
