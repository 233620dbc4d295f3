package sessionstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// withoutCredentials returns the example document with token and
// member_portal_url written as "".
func withoutCredentials(t *testing.T, s MemberSession) []byte {
	t.Helper()
	want := wantExample(t)
	for key, v := range map[string]string{"token": s.Token, "member_portal_url": s.MemberPortalURL} {
		from := []byte(`"` + key + `":"` + v + `"`)
		if bytes.Count(want, from) != 1 {
			t.Fatalf("the example has no %s", from)
		}
		want = bytes.Replace(want, from, []byte(`"`+key+`":""`), 1)
	}
	return want
}

func TestJSONWithoutCredentials(t *testing.T) {
	s := exampleSession()
	want := withoutCredentials(t, s)

	got, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON:\n got %s\nwant %s", got, want)
	}
	if s.Token != exampleSession().Token {
		t.Fatal("MarshalJSON changed the session's token")
	}
	// It decodes to the session without its credentials.
	var back MemberSession
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	blank := exampleSession()
	blank.Token, blank.MemberPortalURL = "", ""
	if !reflect.DeepEqual(back, blank) {
		t.Fatalf("decoded to %v, want the session without credentials", back)
	}
	// WithCredentials of a session without them writes the same bytes.
	if b, err := WithCredentials(&blank).MarshalJSON(); err != nil || !bytes.Equal(b, want) {
		t.Fatalf("WithCredentials of a session without credentials = %s, %v", b, err)
	}

	// Wherever encoding/json meets a session, it writes no credentials.
	type holder struct {
		Value   MemberSession
		Pointer *MemberSession
	}
	for name, v := range map[string]any{
		"value":             s,
		"pointer":           &s,
		"slice":             []MemberSession{s},
		"slice of pointers": []*MemberSession{&s},
		"map":               map[string]MemberSession{"s": s},
		"struct":            holder{Value: s, Pointer: &s},
		"any":               []any{s, &s},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Contains(b, []byte(s.Token)) || bytes.Contains(b, []byte("member_session_token")) {
			t.Errorf("json.Marshal of a %s writes credentials: %s", name, b)
		}
		if !bytes.Contains(b, []byte(s.ID)) {
			t.Errorf("json.Marshal of a %s lost the session: %s", name, b)
		}
	}
}

func TestWithCredentials(t *testing.T) {
	s := exampleSession()

	// It composes: a response that holds it writes the token.
	b, err := json.Marshal(map[string]any{"session": WithCredentials(&s)})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Session MemberSession }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc.Session, s) {
		t.Fatalf("a response holding WithCredentials decodes to %v", doc.Session)
	}

	// It refers to the session: a change before encoding is encoded.
	c := WithCredentials(&s)
	s.Token = "changed"
	if b, err := c.MarshalJSON(); err != nil || !bytes.Contains(b, []byte(`"token":"changed"`)) {
		t.Fatalf("after a change: %s, %v", b, err)
	}
	s = exampleSession()

	if b, err := WithCredentials(nil).MarshalJSON(); err != nil || string(b) != "null" {
		t.Fatalf("WithCredentials(nil) = %s, %v; want null", b, err)
	}

	// Printed or logged at top level, it shows what the session shows.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%p"} {
		if out := fmt.Sprintf(verb, WithCredentials(&s)); strings.Contains(out, s.Token) {
			t.Errorf("%s shows the token: %s", verb, out)
		}
	}
	if out, want := fmt.Sprint(WithCredentials(&s)), s.String(); out != want {
		t.Errorf("Sprint = %s, want %s", out, want)
	}
	if out := fmt.Sprint(WithCredentials(nil)); out != "<nil>" {
		t.Errorf("Sprint of nil = %s", out)
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("created", "session", WithCredentials(&s), "none", WithCredentials(nil))
		if out := buf.String(); strings.Contains(out, s.Token) || !strings.Contains(out, s.ID) {
			t.Errorf("slog %s: %s", name, out)
		}
	}
}
