package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/memberkit/sessionstore"
)

// chromiumPath finds Debian's chromium. Without it the browser test is
// skipped, unless CI is set: then it fails (install it with
// .ci/chromium.sh).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed and CI is set; run .ci/chromium.sh")
	}
	t.Skip("chromium is not installed (set CI to make this a failure)")
	return ""
}

// TestBrowser drives a real headless Chromium through the portal: a portal
// link signs in, "Sign out" ends at the signed-out page, and an expired link
// shows the expired page.
func TestBrowser(t *testing.T) {
	execPath := chromiumPath(t)
	p := newTestPortal(t, nil)
	lee := p.create(leeMemberID, "https://example.com/account")
	later := p.create(mariaMemberID, "")

	// A bound on the whole test, whatever hangs.
	overall, cancelOverall := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancelOverall()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(overall,
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844),
	)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()

	// Start the browser. The first Do binds the browser's life to its
	// context, so it must get ctx itself, not a child with a deadline; a
	// watchdog bounds it instead.
	watchdog := time.AfterFunc(45*time.Second, cancelBrowser)
	err := chromedp.Do(ctx)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}

	// step runs actions with their own deadline.
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s: timed out", name)
			}
			t.Fatalf("%s: %v", name, err)
		}
	}
	read := func(name string, a chromedp.Action[string]) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, a)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}

	// 1. Open the portal link: the member's page, without the token in
	// the address bar.
	step("open the portal link",
		chromedp.Navigate(lee.MemberPortalURL),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	if h1 := read("heading", chromedp.Text(chromedp.CSS("h1"))); h1 != "Hello, Lee Chen" {
		t.Fatalf("heading %q, want the member's name", h1)
	}
	if loc := read("location", chromedp.Location()); loc != p.ts.URL+"/portal" {
		t.Errorf("address bar %q, want %s/portal", loc, p.ts.URL)
	}
	if back := read("back button", chromedp.Text(chromedp.CSS("a.back"))); !strings.Contains(back, "Back") {
		t.Errorf("back button %q", back)
	}

	// 2. Click "Sign out": the signed-out page, and the session is gone.
	step("sign out",
		chromedp.Click(chromedp.CSS(`form[action="/portal/logout"] button`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "You have signed out")]`)),
	)
	if loc := read("location", chromedp.Location()); loc != p.ts.URL+"/portal/signed-out" {
		t.Errorf("after sign out at %q", loc)
	}
	if err := p.lookup(lee.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("session after sign out: %v", err)
	}
	// The cookie is gone too: the portal says so.
	step("portal after sign out",
		chromedp.Navigate(p.ts.URL+"/portal"),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "You are not signed in")]`)),
	)

	// 3. An expired link: the expired page.
	p.clock.Advance(2 * time.Hour)
	step("open an expired link",
		chromedp.Navigate(later.MemberPortalURL),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "This link has expired")]`)),
	)
}
