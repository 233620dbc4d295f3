package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/storetest"
)

const testAdminKey = "test-admin-key-0123456789"

// start is the fake clock's starting instant.
var start = time.Date(2026, time.January, 20, 10, 0, 0, 0, time.UTC)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testPortal is the portal handler on an httptest server at
// http://127.0.0.1:<port>, with a memory store on a fake clock.
type testPortal struct {
	t     *testing.T
	clock *storetest.Clock
	store sessionstore.Store
	srv   *server
	ts    *httptest.Server
	logs  *syncBuffer

	mu     sync.Mutex
	tokens []string // every token handed out; none may leak
}

// newTestPortal starts a portal. wrap, when not nil, wraps the store the
// server uses (to inject failures); the unwrapped store is p.store.
func newTestPortal(t *testing.T, wrap func(sessionstore.Store) sessionstore.Store) *testPortal {
	t.Helper()
	return startTestPortal(t, wrap, config{})
}

// newTestPortalWith starts a portal with cfg's options (Store, BaseURL,
// AdminKey, Now and Logger are the test's own).
func newTestPortalWith(t *testing.T, cfg config) *testPortal {
	t.Helper()
	return startTestPortal(t, nil, cfg)
}

func startTestPortal(t *testing.T, wrap func(sessionstore.Store) sessionstore.Store, cfg config) *testPortal {
	t.Helper()
	return startTestPortalOpts(t, wrap, cfg, nil)
}

// startTestPortalOpts is startTestPortal with the store's options changed
// by configure, when it is not nil.
func startTestPortalOpts(t *testing.T, wrap func(sessionstore.Store) sessionstore.Store, cfg config, configure func(*sessionstore.Options)) *testPortal {
	t.Helper()
	p := &testPortal{t: t, clock: storetest.NewClock(start), logs: &syncBuffer{}}
	p.ts = httptest.NewUnstartedServer(nil)
	base := "http://" + p.ts.Listener.Addr().String()
	opts := &sessionstore.Options{
		PortalURL:     base + "/portal",
		Now:           p.clock.Now,
		SweepInterval: -1,
		Secret:        []byte("test secret"),
	}
	if configure != nil {
		configure(opts)
	}
	st, err := memory.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	p.store = st
	var used sessionstore.Store = st
	if wrap != nil {
		used = wrap(st)
	}
	cfg.Store = used
	cfg.BaseURL = base
	cfg.AdminKey = testAdminKey
	cfg.Now = p.clock.Now
	cfg.Logger = slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p.srv, err = newServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.ts.Config.Handler = p.srv
	p.ts.Start()
	t.Cleanup(func() {
		p.ts.Close()
		_ = st.Close()
		p.noLeak("the log", p.logs.String())
	})
	return p
}

func (p *testPortal) remember(tok string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokens = append(p.tokens, tok)
}

// noLeak fails the test if s contains any token handed out so far.
func (p *testPortal) noLeak(what, s string) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tok := range p.tokens {
		if strings.Contains(s, tok) {
			p.t.Errorf("a token leaked into %s", what)
		}
	}
}

// leakCheck is a RoundTripper that checks every response for tokens. Only
// the create response (201 from the API) may carry one, and the Set-Cookie
// header of a portal-link exchange (303), which is how the browser gets it.
type leakCheck struct{ p *testPortal }

func (l leakCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if req.Method == http.MethodPost && resp.StatusCode == http.StatusCreated && strings.HasPrefix(req.URL.Path, "/v1/member-sessions") {
		return resp, nil
	}
	what := req.Method + " " + req.URL.Path
	l.p.noLeak("the body of "+what, string(body))
	for k, vs := range resp.Header {
		if k == "Set-Cookie" && resp.StatusCode == http.StatusSeeOther {
			continue
		}
		l.p.noLeak("header "+k+" of "+what, strings.Join(vs, "\n"))
	}
	return resp, nil
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects by itself, so tests can look at each one.
type browser struct {
	p  *testPortal
	c  *http.Client
	ua string // the User-Agent header, if set
}

func (p *testPortal) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{p: p, c: &http.Client{
		Jar:           jar,
		Transport:     leakCheck{p},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// reply is a read response.
type reply struct {
	*http.Response
	body string
}

// do sends a request from the browser as a browser would: Accept prefers
// HTML, and form posts are same-origin.
func (b *browser) do(method, target string, form url.Values, hdr map[string]string) *reply {
	b.p.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = b.p.ts.URL + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.p.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		req.Header.Set("Origin", b.p.ts.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if b.ua != "" {
		req.Header.Set("User-Agent", b.ua)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.p.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.p.t.Fatal(err)
	}
	return &reply{Response: resp, body: string(raw)}
}

func (b *browser) get(target string) *reply { return b.do(http.MethodGet, target, nil, nil) }

func (b *browser) post(target string, form url.Values) *reply {
	return b.do(http.MethodPost, target, form, nil)
}

// follow GETs target and then follows up to five redirects.
func (b *browser) follow(target string) *reply {
	b.p.t.Helper()
	pg := b.get(target)
	for i := 0; i < 5 && pg.StatusCode >= 300 && pg.StatusCode < 400; i++ {
		pg = b.get(pg.Header.Get("Location"))
	}
	return pg
}

// signIn opens a portal link and follows the exchange redirect, with the
// given User-Agent if any.
func (b *browser) signIn(link string, userAgent ...string) *reply {
	b.p.t.Helper()
	b.ua = strings.Join(userAgent, "")
	pg := b.follow(link)
	if pg.StatusCode != http.StatusOK {
		b.p.t.Fatalf("signing in: status %d\n%s", pg.StatusCode, pg.body)
	}
	return pg
}

// api calls the create endpoint.
func (p *testPortal) api(key, body string) (*http.Response, []byte) {
	p.t.Helper()
	return p.apiCall(http.MethodPost, key, body)
}

// apiMethod calls the create endpoint's URL with another method.
func (p *testPortal) apiMethod(method string) (*http.Response, []byte) {
	p.t.Helper()
	return p.apiCall(method, testAdminKey, "")
}

func (p *testPortal) apiCall(method, key, body string) (*http.Response, []byte) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.ts.URL+"/v1/member-sessions/", strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: leakCheck{p}}).Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp, b
}

// create makes a session through the API and returns it, with its token
// remembered for the leak checks.
func (p *testPortal) create(memberID, returnURL string) *sessionstore.MemberSession {
	p.t.Helper()
	body, _ := json.Marshal(map[string]string{"member_id": memberID, "return_url": returnURL})
	if returnURL == "" {
		body, _ = json.Marshal(map[string]string{"member_id": memberID})
	}
	resp, raw := p.api(testAdminKey, string(body))
	if resp.StatusCode != http.StatusCreated {
		p.t.Fatalf("create: status %d: %s", resp.StatusCode, raw)
	}
	var s sessionstore.MemberSession
	if err := json.Unmarshal(raw, &s); err != nil {
		p.t.Fatalf("create: %v in %s", err, raw)
	}
	p.remember(s.Token)
	return &s
}

// browserSession returns the ID of the member's one live session that is
// not one of the links: the session a browser got.
func (p *testPortal) browserSession(memberID string, links ...string) string {
	p.t.Helper()
	list, err := p.store.ListByMember(context.Background(), memberID)
	if err != nil {
		p.t.Fatal(err)
	}
	var ids []string
	for _, s := range list {
		if !slices.Contains(links, s.ID) {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) != 1 {
		p.t.Fatalf("%d browser sessions of %s, want 1", len(ids), memberID)
	}
	return ids[0]
}

// lookup reports the store's verdict on a token.
func (p *testPortal) lookup(tok string) error {
	_, err := p.store.Lookup(context.Background(), tok)
	return err
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not contain %q", what, w)
		}
	}
}
