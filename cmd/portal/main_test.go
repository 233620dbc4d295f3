package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// running is one run of the command.
type running struct {
	base   string
	key    string   // the generated admin key, if printed
	links  []string // the printed portal links
	banner string
	stderr *syncBuffer
	stop   func() error
}

// startRun runs the command with args until the test stops it, and waits
// for its banner (which is printed once the port is bound and the demo
// sessions exist).
func startRun(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &running{stderr: &syncBuffer{}}
	errc := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, r.stderr)
		pw.CloseWithError(io.EOF)
		errc <- err
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var banner strings.Builder
	timeout := time.After(30 * time.Second)
read:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				cancel()
				t.Fatalf("run ended before its banner: %v\nstdout:\n%s\nstderr:\n%s", <-errc, banner.String(), r.stderr)
			}
			banner.WriteString(line + "\n")
			trimmed := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "Customer portal on "):
				r.base = strings.Fields(line)[3]
			case strings.HasPrefix(line, "Admin API key"):
				f := strings.Fields(line)
				r.key = f[len(f)-1]
			case strings.HasPrefix(trimmed, "http") && strings.Contains(trimmed, "member_session_token="):
				r.links = append(r.links, trimmed)
			case strings.HasPrefix(line, "Create another session"):
				break read
			}
		case <-timeout:
			cancel()
			t.Fatalf("no banner after 30s; stderr:\n%s", r.stderr)
		}
	}
	go func() {
		for range lines { // drain
		}
	}()
	r.banner = banner.String()
	stopped := false
	r.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("run did not return 30s after cancel")
			return nil
		}
	}
	t.Cleanup(func() { _ = r.stop() })
	return r
}

// signInAt opens the path and query of link on base with a fresh cookie
// jar, following redirects, and returns the final page.
func signInAt(t *testing.T, base, link string) (int, string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar, Timeout: 10 * time.Second}).Get(base + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.Request.URL.Query().Has("member_session_token") {
		t.Errorf("the final URL still carries the token")
	}
	return resp.StatusCode, string(b)
}

func tokensOf(links []string) []string {
	var toks []string
	for _, l := range links {
		if u, err := url.Parse(l); err == nil {
			toks = append(toks, u.Query().Get("member_session_token"))
		}
	}
	return toks
}

func TestRunMemory(t *testing.T) {
	t.Setenv("PORTAL_ADMIN_KEY", "")
	r := startRun(t, "-store", "memory", "-addr", "127.0.0.1:0")
	if !strings.HasPrefix(r.base, "http://127.0.0.1:") || len(r.links) != 4 || r.key == "" {
		t.Fatalf("banner:\n%s", r.banner)
	}
	for _, link := range r.links {
		if !strings.HasPrefix(link, r.base+"/portal?") {
			t.Errorf("link %q not under %s/portal", link, r.base)
		}
	}
	status, body := signInAt(t, r.base, r.links[1])
	if status != http.StatusOK || !strings.Contains(body, "Hello, Maria Garcia") {
		t.Errorf("Maria's link: %d\n%s", status, body)
	}

	req, _ := http.NewRequest(http.MethodPost, r.base+"/v1/member-sessions/", strings.NewReader(`{"member_id":"`+leeMemberID+`"}`))
	req.Header.Set("Authorization", "Bearer "+r.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("create with the printed key: %d", resp.StatusCode)
	}

	if err := r.stop(); err != nil {
		t.Errorf("run: %v", err)
	}
	logs := r.stderr.String()
	if !strings.Contains(logs, "shutting down") || !strings.Contains(logs, "path=/portal") {
		t.Errorf("log:\n%s", logs)
	}
	for _, tok := range tokensOf(r.links) {
		if strings.Contains(logs, tok) {
			t.Error("a token in the log")
		}
	}
}

func TestRunAdminKeyFromFlagOrEnv(t *testing.T) {
	t.Setenv("PORTAL_ADMIN_KEY", "from-env")
	r := startRun(t, "-store", "memory", "-addr", "127.0.0.1:0")
	if r.key != "" || strings.Contains(r.banner, "from-env") {
		t.Errorf("a key that was given is printed:\n%s", r.banner)
	}
	for key, want := range map[string]int{"from-env": http.StatusUnprocessableEntity, "other": http.StatusUnauthorized} {
		req, _ := http.NewRequest(http.MethodPost, r.base+"/v1/member-sessions/", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("key %q: %d, want %d", key, resp.StatusCode, want)
		}
	}
}

// Sessions kept by the Badger store work after a restart: same data
// directory, same HMAC secret, a new process (and here a new port).
func TestRunBadgerSurvivesRestart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "portal-data")
	first := startRun(t, "-data", data, "-addr", "127.0.0.1:0", "-admin-key", "k")
	if !strings.Contains(first.banner, "badger in "+data) {
		t.Errorf("banner:\n%s", first.banner)
	}
	if err := first.stop(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	fi, err := os.Stat(filepath.Join(data, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret mode %v, want 0600", fi.Mode().Perm())
	}

	second := startRun(t, "-data", data, "-addr", "127.0.0.1:0", "-admin-key", "k")
	status, body := signInAt(t, second.base, first.links[1])
	if status != http.StatusOK || !strings.Contains(body, "Hello, Maria Garcia") {
		t.Fatalf("first run's link on the second run: %d\n%s", status, body)
	}
	// Both runs' sessions of Maria are listed.
	if n := strings.Count(body, "Signed in "); n != 2 {
		t.Errorf("%d sessions listed, want 2", n)
	}
	if err := second.stop(); err != nil {
		t.Errorf("second run: %v", err)
	}
}

func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-store", "postgres", "-addr", "127.0.0.1:0"},
		{"-addr", "127.0.0.1:0", "extra"},
		{"-nope"},
		{"-store", "memory", "-addr", "127.0.0.1:0", "-base-url", "not a url"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) accepted", args)
		}
	}
	if err := run(context.Background(), []string{"-h"}, io.Discard, io.Discard); err != nil {
		t.Errorf("-h: %v", err)
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	a, err := loadOrCreateSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadOrCreateSecret(path)
	if err != nil || string(a) != string(b) || len(a) != 64 {
		t.Errorf("second load: %q %v", b, err)
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSecret(path); err == nil {
		t.Error("a short secret accepted")
	}
}
