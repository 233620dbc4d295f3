package sessionstore

import (
	"encoding/json"
	"strings"
	"testing"
)

// stringSeeds are JSON strings whose decoding has corners: escapes,
// surrogate pairs and lone surrogates, invalid UTF-8.
var stringSeeds = []string{
	`""`, `"plain"`, `"\u00e9\u0041\/\b\f\n\r\t\"\\"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800"`,
	`"\ud800\u0041"`, `"\ud800\\u"`, "\"a\xffb\"", "\"\xed\xa0\x80\"", "\"é😀\"", "\"\xf0\x9f\x98\"",
	"\"\x01\"", `"\x"`, `"\u12"`, `"unterminated`,
}

// TestDecoderStrings checks that the decoder reads strings exactly as
// encoding/json does, through json.Unmarshal and through UnmarshalJSON.
func TestDecoderStrings(t *testing.T) {
	for _, s := range stringSeeds {
		checkDecoderString(t, []byte(s))
	}
}

// FuzzDecoderStrings compares the decoder's strings with encoding/json's.
//
//	go test -run '^$' -fuzz FuzzDecoderStrings -fuzztime 1m -fuzzminimizetime 10s .
func FuzzDecoderStrings(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecoderString)
}

func checkDecoderString(t *testing.T, lit []byte) {
	if len(lit) == 0 || lit[0] != '"' {
		return // strings only
	}
	var want string
	if err := json.Unmarshal(lit, &want); err != nil {
		// Not a JSON string: the decoder must refuse it too.
		var m Member
		if err := m.UnmarshalJSON([]byte(`{"id":` + string(lit) + `}`)); err == nil && json.Valid(lit) {
			t.Fatalf("decoder accepts %q as a string, encoding/json does not", lit)
		}
		return
	}
	doc := []byte(`{"id":` + string(lit) + `,` + string(lit) + `:1}`)
	var viaUnmarshal, direct Member
	if err := json.Unmarshal(doc, &viaUnmarshal); err != nil {
		t.Fatalf("json.Unmarshal(%q): %v", doc, err)
	}
	if err := direct.UnmarshalJSON(doc); err != nil {
		t.Fatalf("UnmarshalJSON(%q): %v", doc, err)
	}
	if viaUnmarshal.ID != want || direct.ID != want {
		t.Fatalf("%q decodes to %q and %q, encoding/json to %q", lit, viaUnmarshal.ID, direct.ID, want)
	}
}

// TestDecoderDepth: UnmarshalJSON called directly on deeply nested input
// fails cleanly, as json.Unmarshal does, instead of recursing without end.
func TestDecoderDepth(t *testing.T) {
	deep := `{"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`
	var s MemberSession
	if err := s.UnmarshalJSON([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Fatalf("UnmarshalJSON of 100000 nested arrays = %v", err)
	}
	ok := `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"id":"a"}`
	if err := s.UnmarshalJSON([]byte(ok)); err != nil || s.ID != "a" {
		t.Fatalf("UnmarshalJSON of 100 nested arrays = %v, id %q", err, s.ID)
	}
}
