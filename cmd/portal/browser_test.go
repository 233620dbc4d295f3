package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
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

// TestBrowser drives a real headless Chromium through the portal: one
// portal link signs in two separate browser contexts (two devices), "Sign
// out" in one leaves the other signed in, "Sign out everywhere" ends both
// and the link, an expired link shows the expired page, and a portal link
// followed from another site never switches a signed-in browser to another
// member without its confirmation.
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
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()

	// Start the browser. The first Do binds the browser's life to its
	// context, so it must get the context itself, not a child with a
	// deadline; a watchdog bounds it instead.
	watchdog := time.AfterFunc(45*time.Second, cancelBrowser)
	err := chromedp.Do(browserCtx)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	// Two devices: separate browser contexts, which share no cookies.
	phone, cancelPhone := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancelPhone()
	laptop, cancelLaptop := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancelLaptop()
	// As with the browser, the first Do creates each tab for the life of
	// its context.
	for _, ctx := range []context.Context{phone, laptop} {
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("opening a browser context: %v", err)
		}
	}

	// step runs actions in a device's context with their own deadline.
	step := func(ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
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
	read := func(ctx context.Context, name string, a chromedp.Action[string]) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, a)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	signedIn := func(ctx context.Context, name string) {
		t.Helper()
		step(ctx, name,
			chromedp.Navigate(p.ts.URL+"/portal"),
			chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Hello, Lee Chen")]`)),
		)
	}
	signedOut := func(ctx context.Context, name string) {
		t.Helper()
		step(ctx, name,
			chromedp.Navigate(p.ts.URL+"/portal"),
			chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "signed out") or contains(., "not signed in")]`)),
		)
	}

	// 1. Both devices open the same portal link: each gets the member's
	// page, without the token in the address bar.
	for _, dev := range []struct {
		name string
		ctx  context.Context
	}{{"phone", phone}, {"laptop", laptop}} {
		step(dev.ctx, dev.name+": open the portal link",
			chromedp.Navigate(lee.MemberPortalURL),
			chromedp.WaitVisible(chromedp.CSS("h1")),
		)
		if h1 := read(dev.ctx, "heading", chromedp.Text(chromedp.CSS("h1"))); h1 != "Hello, Lee Chen" {
			t.Fatalf("%s: heading %q, want the member's name", dev.name, h1)
		}
		if loc := read(dev.ctx, "location", chromedp.Location()); loc != p.ts.URL+"/portal" {
			t.Errorf("%s: address bar %q, want %s/portal", dev.name, loc, p.ts.URL)
		}
	}
	if back := read(laptop, "back button", chromedp.Text(chromedp.CSS("a.back"))); !strings.Contains(back, "Back") {
		t.Errorf("back button %q", back)
	}
	// The laptop's page lists both devices and the link.
	sessions := read(laptop, "sessions", chromedp.Text(chromedp.CSS("ul.sessions")))
	if strings.Count(sessions, "Chrome on Linux") != 2 || !strings.Contains(sessions, "Sign-in link") {
		t.Errorf("sessions list:\n%s", sessions)
	}

	// 2. "Sign out" on the phone: the signed-out page; the laptop and the
	// link stay signed in.
	step(phone, "phone: sign out",
		chromedp.Click(chromedp.CSS(`form[action="/portal/logout"] button`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "You have signed out")]`)),
	)
	if loc := read(phone, "location", chromedp.Location()); loc != p.ts.URL+"/portal/signed-out" {
		t.Errorf("after sign out at %q", loc)
	}
	signedOut(phone, "phone after sign out")
	signedIn(laptop, "laptop after the phone signed out")
	if err := p.lookup(lee.Token); err != nil {
		t.Errorf("the link after the phone signed out: %v", err)
	}

	// 3. The phone signs in again from the link; "Sign out everywhere" on
	// the laptop ends both devices and the link.
	step(phone, "phone: sign in again",
		chromedp.Navigate(lee.MemberPortalURL),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Hello, Lee Chen")]`)),
	)
	// "Sign out other devices" on the laptop: the phone is signed out,
	// the laptop stays.
	step(laptop, "laptop: sign out other devices",
		chromedp.Navigate(p.ts.URL+"/portal"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/portal/sessions/end"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/portal/sessions/others"] button`)),
		// Back on the account page, no other session is left to sign out.
		chromedp.WaitNotPresent(chromedp.CSS(`form[action="/portal/sessions/end"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Hello, Lee Chen")]`)),
	)
	signedOut(phone, "phone after the laptop signed out the others")
	signedIn(laptop, "laptop after signing out the others")
	step(phone, "phone: sign in once more",
		chromedp.Navigate(p.create(leeMemberID, "").MemberPortalURL),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Hello, Lee Chen")]`)),
	)
	step(laptop, "laptop: sign out everywhere",
		chromedp.Click(chromedp.CSS(`form[action="/portal/logout-everywhere"] button`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "on every device")]`)),
	)
	signedOut(laptop, "laptop after sign out everywhere")
	signedOut(phone, "phone after sign out everywhere")
	if err := p.lookup(lee.Token); !errors.Is(err, sessionstore.ErrNotFound) {
		t.Errorf("the link after sign out everywhere: %v", err)
	}

	// 4. An expired link: the expired page.
	p.clock.Advance(2 * time.Hour)
	step(phone, "open an expired link",
		chromedp.Navigate(later.MemberPortalURL),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "This link has expired")]`)),
	)

	// 5. Login CSRF: signed in as Lee, the phone follows a link to another
	// member's portal link from a page on another site. Lee stays signed
	// in until the phone confirms the switch on the portal's own page.
	fresh := p.create(leeMemberID, "")
	step(phone, "phone: sign in as Lee",
		chromedp.Navigate(fresh.MemberPortalURL),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Hello, Lee Chen")]`)),
	)
	bait := p.create(mariaMemberID, "")
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><a id="bait" href="%s">a prize</a>`, html.EscapeString(bait.MemberPortalURL))
	}))
	defer attacker.Close()
	// localhost is another site than the portal's 127.0.0.1.
	attackerURL := strings.Replace(attacker.URL, "127.0.0.1", "localhost", 1)
	step(phone, "phone: follow the other site's link",
		chromedp.Navigate(attackerURL),
		chromedp.Click(chromedp.CSS("#bait")),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Continue as")]`)),
	)
	signedIn(phone, "phone after the other site's link")
	step(phone, "phone: follow it again and confirm",
		chromedp.Navigate(attackerURL),
		chromedp.Click(chromedp.CSS("#bait")),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Continue as")]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "Continue as")]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Hello, Maria Garcia")]`)),
	)
}
