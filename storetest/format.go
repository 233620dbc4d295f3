package storetest

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/token"
)

var formattingTests = []subtest{
	{"NeverShowsToken", testFormatting},
}

// formatsOf renders s in every way a program might print or log it.
func formatsOf(s *sessionstore.MemberSession) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out["pointer "+verb] = fmt.Sprintf(verb, s)
		out["value "+verb] = fmt.Sprintf(verb, *s)
	}
	out["Sprint"] = fmt.Sprint(s, *s)
	out["Sprintln"] = fmt.Sprintln(s, *s)
	out["String"] = s.String()
	out["GoString"] = s.GoString()
	out["value slice %+v"] = fmt.Sprintf("%+v", []sessionstore.MemberSession{*s})
	out["value slice %#v"] = fmt.Sprintf("%#v", []sessionstore.MemberSession{*s})
	out["map %v"] = fmt.Sprintf("%v", map[string]sessionstore.MemberSession{"s": *s})
	out["struct field %+v"] = fmt.Sprintf("%+v", struct{ Session sessionstore.MemberSession }{*s})
	out["struct pointer field %#v"] = fmt.Sprintf("%#v", struct{ Session *sessionstore.MemberSession }{s})
	out["error wrapping %v"] = fmt.Errorf("failed for %v", s).Error()

	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var b bytes.Buffer
		log := slog.New(newHandler(&b))
		log.Info("session created", "session", s)
		log.Info("session created", slog.Any("session", *s))
		log.With("session", s).Info("with")
		log.WithGroup("g").Info("group", "session", s)
		out[name] = b.String()
	}
	return out
}

func testFormatting(t *testing.T, newStore newStoreFunc) {
	h := newHarness(t, newStore)
	s := h.create(params(1, 1))
	l := h.lookupOK(s)
	random := s.Token[len(h.prefix) : len(h.prefix)+token.RandomLen]
	for which, sess := range map[string]*sessionstore.MemberSession{"from Create": s, "from Lookup": l} {
		for how, text := range formatsOf(sess) {
			if strings.Contains(text, random) {
				t.Errorf("%s session printed with %s shows the token: %s", which, how, strings.ReplaceAll(text, random, "<RANDOM>"))
			}
		}
	}
	// The slog line still says which session it was.
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "session", s)
	if !strings.Contains(b.String(), s.ID) {
		t.Errorf("slog JSON line %q does not name the session ID", b.String())
	}
}
