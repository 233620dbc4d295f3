package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
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
	curl   string   // the printed curl command
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
			case strings.HasPrefix(line, "Admin API key (generated"):
				f := strings.Fields(line)
				r.key = f[len(f)-1]
			case strings.HasPrefix(trimmed, "http") && strings.Contains(trimmed, "member_session_token="):
				r.links = append(r.links, trimmed)
			case strings.HasPrefix(trimmed, "curl "):
				r.curl = strings.TrimSuffix(trimmed, "\\")
			case strings.HasPrefix(trimmed, "-H 'Content-Type"):
				r.curl += " " + trimmed
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
	if resp.StatusCode == http.StatusOK && resp.Request.URL.Query().Has("member_session_token") {
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
	t.Setenv("PORTAL_ADMIN_KEY", "from-env-0123456789")
	r := startRun(t, "-store", "memory", "-addr", "127.0.0.1:0")
	if r.key != "" || !strings.Contains(r.banner, "Admin API key: from PORTAL_ADMIN_KEY") {
		t.Errorf("banner:\n%s", r.banner)
	}
	for key, want := range map[string]int{"from-env-0123456789": http.StatusUnprocessableEntity, "other-0123456789ab": http.StatusUnauthorized} {
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

// The printed curl command works as pasted, with a key from the data
// directory, from the flag (quoted for the shell), or generated.
func TestRunBannerCurlWorks(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("curl is not installed and CI is set")
		}
		t.Skip("curl is not installed")
	}
	t.Setenv("PORTAL_ADMIN_KEY", "")
	for _, args := range [][]string{
		{"-data", filepath.Join(t.TempDir(), "d")},
		{"-store", "memory", "-admin-key", `it's a "key" $HOME`},
		{"-store", "memory"},
	} {
		r := startRun(t, append(args, "-addr", "127.0.0.1:0")...)
		if strings.Contains(r.curl, "<") {
			t.Errorf("%q: curl command with a placeholder: %s", args, r.curl)
		}
		out, err := exec.Command("sh", "-c", r.curl).CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"member_portal_url"`) {
			t.Errorf("%q: the banner's curl command: %v\n%s\n%s", args, err, r.curl, out)
		}
		if err := r.stop(); err != nil {
			t.Error(err)
		}
	}
}

// Sessions kept by the Badger store work after a restart: same data
// directory, same HMAC secret, same admin key, a new process (and here a
// new port). A restart replaces the demo links instead of adding more, and
// browsers stay signed in.
func TestRunBadgerSurvivesRestart(t *testing.T) {
	t.Setenv("PORTAL_ADMIN_KEY", "")
	data := filepath.Join(t.TempDir(), "portal-data")
	first := startRun(t, "-data", data, "-addr", "127.0.0.1:0")
	if !strings.Contains(first.banner, "badger in "+data) || !strings.Contains(first.banner, filepath.Join(data, "admin-key")) {
		t.Errorf("banner:\n%s", first.banner)
	}
	// Maria signs in on the first run.
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	u, _ := url.Parse(first.links[1])
	signIn, err := http.NewRequest(http.MethodGet, first.base+u.RequestURI(), nil)
	if err != nil {
		t.Fatal(err)
	}
	signIn.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	resp, err := client.Do(signIn)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := first.stop(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	key, err := os.ReadFile(filepath.Join(data, "admin-key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"secret", "admin-key"} {
		fi, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}

	var last *running
	for range 2 {
		last = startRun(t, "-data", data, "-addr", "127.0.0.1:0")
		if err := last.stop(); err != nil {
			t.Fatal(err)
		}
	}
	if k2, _ := os.ReadFile(filepath.Join(data, "admin-key")); string(k2) != string(key) {
		t.Error("the admin key changed on restart")
	}
	second := startRun(t, "-data", data, "-addr", "127.0.0.1:0")
	// The browser is still signed in (cookies are per host, not port).
	resp, err = client.Get(second.base + "/portal")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Hello, Maria Garcia") {
		t.Fatalf("the first run's browser on the fourth run: %d\n%s", resp.StatusCode, body)
	}
	// Her sessions: this browser, the link it signed in with, and the
	// current link, not one link per start.
	if n := strings.Count(body, `class="device"`); n != 3 || !strings.Contains(body, "Sign-in link") {
		t.Errorf("%d sessions listed, want the browser, its link and the current link:\n%s", n, body)
	}
	// The browser's label is the store's, so it survives the restarts.
	if !strings.Contains(body, "Firefox on Linux") {
		t.Errorf("the browser's label is gone after the restarts:\n%s", body)
	}
	// The first run's links no browser used were replaced; the one Maria
	// signed in with stays, with the session it opened.
	if status, _ := signInAt(t, second.base, first.links[0]); status != http.StatusUnauthorized {
		t.Errorf("the first run's unused link on the fourth run: %d", status)
	}
	if status, body := signInAt(t, second.base, second.links[1]); status != http.StatusOK || !strings.Contains(body, "Hello, Maria Garcia") {
		t.Errorf("the fourth run's link: %d", status)
	}
	if err := second.stop(); err != nil {
		t.Errorf("second run: %v", err)
	}
}

// Bad flags: the message once, exit status 2; -h exits 0.
func TestRunFlags(t *testing.T) {
	t.Setenv("PORTAL_ADMIN_KEY", "")
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"-store", "postgres", "-addr", "127.0.0.1:0"}, "-store must be badger or memory", 2},
		{[]string{"-addr", "127.0.0.1:0", "extra"}, "unexpected arguments", 2},
		{[]string{"-nope"}, "flag provided but not defined: -nope", 2},
		{[]string{"-store", "memory", "-base-url", "example.com"}, `-base-url "example.com" must be an absolute http or https URL`, 2},
		{[]string{"-store", "memory", "-base-url", "https://example.com/acme"}, "must be an origin", 2},
		{[]string{"-store", "memory", "-admin-key", "a"}, "-admin-key must be at least 16 characters", 2},
		{[]string{"-store", "memory", "-addr", "256.0.0.1:http"}, "listen tcp", 1},
		{[]string{"-h"}, "Usage of portal", 0},
	} {
		var stderr strings.Builder
		code := exitCode(run(context.Background(), tc.args, io.Discard, &stderr), &stderr)
		if code != tc.code || strings.Count(stderr.String(), tc.want) != 1 {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant exit %d and %q once", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
	t.Setenv("PORTAL_ADMIN_KEY", "short")
	var stderr strings.Builder
	if code := exitCode(run(context.Background(), []string{"-store", "memory"}, io.Discard, &stderr), &stderr); code != 2 || !strings.Contains(stderr.String(), "PORTAL_ADMIN_KEY must be at least 16") {
		t.Errorf("short key from the environment: %d %s", code, stderr.String())
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	a, err := loadOrCreateSecret(path, 32)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadOrCreateSecret(path, 32)
	if err != nil || string(a) != string(b) || len(a) != 64 {
		t.Errorf("second load: %q %v", b, err)
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSecret(path, 32); err == nil {
		t.Error("a short secret accepted")
	}
}
