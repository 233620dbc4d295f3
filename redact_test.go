package sessionstore_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
)

// createdSession returns a session fresh from Create, with its token and
// portal URL set.
func createdSession(t *testing.T) *sessionstore.MemberSession {
	t.Helper()
	store, err := memory.New(&sessionstore.Options{PortalURL: "https://portal.example.com/acme/portal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	s, err := store.Create(context.Background(), exampleParams())
	if err != nil {
		t.Fatal(err)
	}
	if s.Token == "" || s.MemberPortalURL == "" {
		t.Fatal("Create returned no token or portal URL")
	}
	return s
}

// sessionShapes returns s in the places a program may put it before
// printing or logging it: as a value and a pointer, alone and in slices,
// maps, struct fields and []any.
func sessionShapes(s *sessionstore.MemberSession) map[string]any {
	type holder struct {
		Session sessionstore.MemberSession
		Note    string
	}
	type pointerHolder struct {
		Session *sessionstore.MemberSession
		Note    string
	}
	return map[string]any{
		"value":                   *s,
		"pointer":                 s,
		"slice of values":         []sessionstore.MemberSession{*s, *s},
		"slice of pointers":       []*sessionstore.MemberSession{s, nil},
		"array of values":         [1]sessionstore.MemberSession{*s},
		"map of values":           map[string]sessionstore.MemberSession{"a": *s},
		"map of pointers":         map[string]*sessionstore.MemberSession{"a": s},
		"struct field value":      holder{Session: *s, Note: "x"},
		"struct field pointer":    pointerHolder{Session: s, Note: "x"},
		"pointer to struct":       &holder{Session: *s},
		"slice of structs":        []holder{{Session: *s}},
		"map of slices":           map[string][]*sessionstore.MemberSession{"a": {s}},
		"slice of any":            []any{*s, s},
		"map of any":              map[string]any{"value": *s, "pointer": s},
		"anonymous struct values": struct{ A, B sessionstore.MemberSession }{*s, *s},
	}
}

// secretsIn returns which of the session's secrets text shows: the token
// (or its random part, which also catches escaped forms) and the portal
// URL that carries it.
func secretsIn(text string, s *sessionstore.MemberSession) []string {
	var found []string
	random := s.Token[len("mst_"):]
	if strings.Contains(text, random) {
		found = append(found, "token")
	}
	if strings.Contains(text, s.MemberPortalURL) || strings.Contains(text, "member_session_token") {
		found = append(found, "portal URL")
	}
	return found
}

func TestSlogNeverShowsToken(t *testing.T) {
	s := createdSession(t)
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	}
	for hname, newHandler := range handlers {
		for shape, v := range sessionShapes(s) {
			var b bytes.Buffer
			log := slog.New(newHandler(&b))
			log.Info("session", "session", v)
			log.Info("session", slog.Any("session", v))
			log.With("session", v).Info("with")
			log.WithGroup("g").Info("group", slog.Group("inner", "session", v))
			out := b.String()
			if found := secretsIn(out, s); found != nil {
				t.Errorf("slog %s handler, %s: shows the %s:\n%s", hname, shape, strings.Join(found, " and "), out)
			}
			// The line still says which session it was.
			if !strings.Contains(out, s.ID) {
				t.Errorf("slog %s handler, %s: does not name the session ID:\n%s", hname, shape, out)
			}
		}
	}
}

func TestFmtNeverShowsToken(t *testing.T) {
	s := createdSession(t)
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.5v", "%-v"}
	for shape, v := range sessionShapes(s) {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			if found := secretsIn(out, s); found != nil {
				t.Errorf("fmt %s of %s shows the %s: %s", verb, shape, strings.Join(found, " and "), out)
			}
		}
		for how, out := range map[string]string{
			"Sprint":   fmt.Sprint(v),
			"Sprintln": fmt.Sprintln(v, v),
			"extra":    fmt.Sprintf(noVerb, v), // printed after %!(EXTRA
			"Errorf":   fmt.Errorf("failed for %v: %w", v, sessionstore.ErrNotFound).Error(),
		} {
			if found := secretsIn(out, s); found != nil {
				t.Errorf("fmt %s of %s shows the %s: %s", how, shape, strings.Join(found, " and "), out)
			}
		}
	}
}

// noVerb is a format without a verb, so that fmt prints its argument after
// %!(EXTRA: a variable, since the checks refuse a constant one.
var noVerb = "no verb"
