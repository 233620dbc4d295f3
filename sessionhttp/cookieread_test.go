package sessionhttp

import (
	"net/http"
	"strings"
	"testing"
)

// requestCookie is what the middleware found before cookieValue: the value
// of r.Cookie(name), or "".
func requestCookie(lines []string, name string) string {
	r := &http.Request{Header: http.Header{"Cookie": lines}}
	if ck, err := r.Cookie(name); err == nil {
		return ck.Value
	}
	return ""
}

// cookieValue finds what Request.Cookie finds: the first cookie of the
// name with a valid value, over every Cookie header, unquoted.
func TestCookieValueAsRequestCookie(t *testing.T) {
	const name = DefaultSecureCookieName
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{nil, ""},
		{[]string{""}, ""},
		{[]string{name + "=tok"}, "tok"},
		{[]string{"a=b; " + name + "=tok; c=d"}, "tok"},                            // several cookies
		{[]string{"a=b", "c=d", name + "=tok"}, "tok"},                             // several headers
		{[]string{" \t" + name + " = tok ;"}, " tok"},                              // spaces around the name; the value keeps its own
		{[]string{name + `="quoted"`}, "quoted"},                                   // quotes removed
		{[]string{name + `=""`}, ""},                                               // empty once unquoted
		{[]string{name + `="`}, ""},                                                // a lone quote is invalid
		{[]string{name + `=a"b`}, ""},                                              // a quote inside is invalid
		{[]string{name + "=first; " + name + "=second"}, "first"},                  // duplicate: the first
		{[]string{name + "=first", name + "=second"}, "first"},                     // the first header's
		{[]string{name + `=bad"value; ` + name + "=good"}, "good"},                 // an invalid one is skipped
		{[]string{name + "=bad\\; other=1", name + "=second"}, "second"},           // backslash
		{[]string{name + "=", name + "=x"}, ""},                                    // an empty first one wins
		{[]string{name + "=tok\x7f", name + "=é", name + "=ok"}, "ok"},             // DEL, non-ASCII
		{[]string{name + "=a\tb", name + "=ok"}, "ok"},                             // control character
		{[]string{name + "=a b"}, "a b"},                                           // space inside is allowed
		{[]string{"member_session=old"}, ""},                                       // another name
		{[]string{"__host-member_session=x"}, ""},                                  // names are case-sensitive
		{[]string{"x" + name + "=x; " + name + "x=y"}, ""},                         // not a prefix or suffix match
		{[]string{"a=b;;; ;" + name + "=tok"}, "tok"},                              // empty parts
		{[]string{name}, ""},                                                       // no '='
		{[]string{name + "=a=b"}, "a=b"},                                           // '=' in the value
		{[]string{"a b=c; " + name + "=tok"}, "tok"},                               // an invalid name before
		{[]string{strings.Repeat("a=b; ", maxCookies) + name + "=late"}, ""},       // past net/http's limit
		{[]string{strings.Repeat("a=b; ", maxCookies-1) + name + "=last"}, "last"}, // at the limit
	} {
		if want := requestCookie(tc.lines, name); want != tc.want {
			t.Fatalf("%q: Request.Cookie finds %q, the test expects %q", tc.lines, want, tc.want)
		}
		r := &http.Request{Header: http.Header{"Cookie": tc.lines}}
		if got := cookieValue(r, name); got != tc.want {
			t.Errorf("%q: got %q, want %q as Request.Cookie", tc.lines, got, tc.want)
		}
	}
}

func TestCookieValueAllocations(t *testing.T) {
	r := &http.Request{Header: http.Header{"Cookie": {"a=b; c=d", "theme=dark; " + DefaultSecureCookieName + `="tok"`}}}
	if n := testing.AllocsPerRun(100, func() {
		if cookieValue(r, DefaultSecureCookieName) != "tok" {
			t.Fatal("not found")
		}
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

func TestSetsCookieLimit(t *testing.T) {
	for godebug, want := range map[string]bool{
		"":                                  false,
		"http2client=0":                     false,
		"httpcookiemaxnum=10":               true,
		"http2client=0,httpcookiemaxnum=0":  true,
		"httpcookiemaxnum=5000,panicnil=1":  true,
		"httpmuxgo121=1,tlsrsakex=1,x509=1": false,
	} {
		if got := setsCookieLimit(godebug); got != want {
			t.Errorf("setsCookieLimit(%q) = %v, want %v", godebug, got, want)
		}
	}
}

// FuzzCookieValue compares cookieValue with Request.Cookie on any two
// Cookie headers, for the default names and a short one.
func FuzzCookieValue(f *testing.F) {
	f.Add("a=b; member_session=tok", `member_session="x"`)
	f.Add(`__Host-member_session="a"; __Host-member_session=b`, "s=1")
	f.Add("member_session=\x7f; s", " member_session =ok;;")
	f.Fuzz(func(t *testing.T, l1, l2 string) {
		lines := []string{l1, l2}
		for _, name := range []string{DefaultCookieName, DefaultSecureCookieName, "s"} {
			want := requestCookie(lines, name)
			r := &http.Request{Header: http.Header{"Cookie": lines}}
			if got := cookieValue(r, name); got != want {
				t.Errorf("%q, %q, cookie %s: got %q, want %q as Request.Cookie", l1, l2, name, got, want)
			}
		}
	})
}

// BenchmarkCookieValue finds the session cookie among a browser's usual
// few, beside Request.Cookie.
func BenchmarkCookieValue(b *testing.B) {
	r := &http.Request{Header: http.Header{"Cookie": {"theme=dark; _ga=GA1.2.1234567890.1700000000; " +
		DefaultSecureCookieName + "=mst_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij; lang=en"}}}
	b.Run("impl=cookieValue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cookieValue(r, DefaultSecureCookieName)
		}
	})
	b.Run("impl=Request.Cookie", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = r.Cookie(DefaultSecureCookieName)
		}
	})
}

// TestTooManyCookies checks the short cut of tooManyCookies (lines too
// short to hold more than maxCookies cookies) against counting them.
func TestTooManyCookies(t *testing.T) {
	count := func(lines []string) bool {
		n := 0
		for _, l := range lines {
			n += strings.Count(l, ";") + 1
		}
		return n > maxCookies
	}
	many := func(n int, line string) []string {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = line
		}
		return lines
	}
	for _, lines := range [][]string{
		nil,
		{strings.Repeat(";", maxCookies-1)},
		{strings.Repeat(";", maxCookies)},
		{strings.Repeat(";", maxCookies-2), ""},
		{strings.Repeat(";", maxCookies-1), ""},
		many(maxCookies, ""),
		many(maxCookies+1, ""),
		many(maxCookies/2, ";"),
		many(maxCookies/2+1, ";"),
		{strings.Repeat("a=b", maxCookies)},
	} {
		if got, want := tooManyCookies(lines), count(lines); got != want {
			t.Errorf("%d lines of %d bytes: tooManyCookies = %v, counting says %v", len(lines), len(strings.Join(lines, "")), got, want)
		}
	}
}
