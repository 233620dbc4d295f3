// Command portal is a demo customer portal on member sessions.
//
//	go run ./cmd/portal [-addr 127.0.0.1:8080] [-store badger|memory]
//	                    [-data ./portal-data] [-base-url URL] [-admin-key KEY]
//	                    [-one-time-links]
//
// It keeps a few demo customers and members of its own, creates a portal
// link for each member at start (replacing the links of the last start)
// and prints them, and serves:
//
//	POST /v1/member-sessions/         create a session (admin key as bearer)
//	GET  /v1/customer-portal/customer-session/introspect
//	                                  the session's expiry and return URL (its token as bearer)
//	GET  /v1/customer-portal/customer-session/user
//	                                  the session's member (its token as bearer)
//	GET  /portal                      the signed-in member's account
//	GET  /portal/team                 the team's sessions (owners of teams)
//	POST /portal/team/revoke          revoke one of them (owners)
//	POST /portal/logout               sign out this browser
//	POST /portal/logout-everywhere    sign out on every device
//	GET  /metrics                     the store's metrics, Prometheus text format
//
// The audit log (sessions created, revoked and evicted, sign-ins and
// sign-outs, a summary of refused tokens each minute) goes to stderr with
// the access log. /metrics shows counts by outcome only, no IDs; put it
// behind your network's access rules in production.
//
// Each browser that opens a link gets a session of its own; with
// -one-time-links a link works only once.
//
// With -store badger (the default) sessions are kept in -data and survive a
// restart, with each browser's device label; beside them in -data are the
// HMAC key of the stored token hashes (secret) and the admin key
// (admin-key), both mode 0600. The admin key comes from
// -admin-key, else from the PORTAL_ADMIN_KEY environment variable, else from
// -data/admin-key (created on first start); with -store memory it is then
// generated for the run. It must be at least 16 characters.
//
// Exit status: 0 after a clean shutdown (or -h), 2 for bad flags, 1 for
// other failures.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/badger"
	"github.com/memberkit/sessionstore/memory"
)

// minAdminKey is the shortest admin key accepted.
const minAdminKey = 16

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a bad command line: exit status 2. printed is true when the
// flag package has already printed it, with the usage.
type usageError struct {
	msg     string
	printed bool
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode prints err once to stderr and returns the exit status for it.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		if !ue.printed {
			fmt.Fprintln(stderr, "portal:", ue.msg)
			fmt.Fprintln(stderr, "Run portal -h for the flags.")
		}
		return 2
	default:
		fmt.Fprintln(stderr, "portal:", err)
		return 1
	}
}

// run parses args, opens the store, prints the demo links to stdout and
// serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("portal", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:8080", "listen address")
	kind := fl.String("store", "badger", "session store: badger or memory")
	data := fl.String("data", "portal-data", "directory of the badger store, its secrets and the device labels")
	baseURL := fl.String("base-url", "", "public origin of the portal, used in portal links, such as https://portal.example.com (default http://<addr>)")
	adminKey := fl.String("admin-key", "", "bearer key of the create endpoint, at least 16 characters (default $PORTAL_ADMIN_KEY, else kept in -data/admin-key)")
	oneTime := fl.Bool("one-time-links", false, "a portal link signs in one browser only")
	idle := fl.Duration("idle-timeout", 30*time.Minute, "sign a browser out after this long without use (0: never)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &usageError{msg: err.Error(), printed: true}
	}
	if fl.NArg() > 0 {
		return usagef("unexpected arguments: %q", fl.Args())
	}
	if *kind != "badger" && *kind != "memory" {
		return usagef("-store must be badger or memory, not %q", *kind)
	}
	base, err := checkBaseURL(*baseURL)
	if err != nil {
		return err
	}
	key, keySource := *adminKey, "-admin-key"
	if key == "" {
		key, keySource = os.Getenv("PORTAL_ADMIN_KEY"), "PORTAL_ADMIN_KEY"
	}
	if key != "" && len(key) < minAdminKey {
		return usagef("%s must be at least %d characters", keySource, minAdminKey)
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	// Listen first: the port is known (for -addr :0) and taken before any
	// link is printed.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	local := "http://" + displayAddr(ln.Addr())
	if base == "" {
		base = local
	}

	keyFile := ""
	if key == "" {
		keySource = "generated for this run"
		if *kind == "badger" {
			if err := os.MkdirAll(*data, 0o700); err != nil {
				return err
			}
			keyFile = filepath.Join(*data, "admin-key")
			b, err := loadOrCreateSecret(keyFile, 24)
			if err != nil {
				return err
			}
			key = string(b)
		} else {
			key = randomHex(24)
		}
	}

	var mem *memory.Store // counts its sessions for the gauge; Badger cannot cheaply
	var stored func(context.Context) (int64, error)
	if *kind == "memory" {
		stored = func(ctx context.Context) (int64, error) { return mem.Stored(ctx) }
	}
	tel, err := newTelemetry(logger, time.Now, stored)
	if err != nil {
		return err
	}
	defer tel.Close(context.Background())
	opts := sessionstore.Options{PortalURL: base + "/portal", Now: time.Now, IdleTimeout: *idle, Observer: tel.Observer}
	store, where, err := openStore(*kind, *data, opts, stderr)
	if err != nil {
		return err
	}
	defer store.Close()
	mem, _ = store.(*memory.Store)

	srv, err := newServer(config{Store: store, BaseURL: base, AdminKey: key, Now: opts.Now, Logger: logger,
		OneTimeLinks: *oneTime, Observer: tel.Observer, Metrics: tel.Handler})
	if err != nil {
		return err
	}
	links, err := srv.createDemoSessions(ctx)
	if err != nil {
		return err
	}
	printBanner(stdout, banner{base: base, local: local, where: where, key: key, keySource: keySource,
		keyFile: keyFile, oneTime: *oneTime, links: links})

	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return store.Close()
}

// checkBaseURL checks -base-url: "" or an origin, http or https, without
// a path, query or fragment. It returns it without a trailing slash.
func checkBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", usagef("-base-url %q must be an absolute http or https URL such as https://portal.example.com", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", usagef("-base-url %q must be an origin, without a path, query or fragment: the portal serves /portal itself", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// displayAddr turns a listen address into one a browser can open: an
// unspecified host (":8080", "0.0.0.0:8080") becomes 127.0.0.1.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// openStore opens the session store and says where it keeps sessions, and
// where the device labels go ("" for in memory).
func openStore(kind, dir string, opts sessionstore.Options, stderr io.Writer) (sessionstore.Store, string, error) {
	if kind == "memory" {
		opts.Secret = []byte(randomHex(32))
		st, err := memory.New(&opts)
		return st, "memory (sessions end with the process)", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	secret, err := loadOrCreateSecret(filepath.Join(dir, "secret"), 32)
	if err != nil {
		return nil, "", err
	}
	opts.Secret = secret
	st, err := badger.Open(filepath.Join(dir, "badger"), &badger.Options{
		Options: opts,
		Logger:  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	return st, "badger in " + dir, err
}

// loadOrCreateSecret returns the key in path, creating it (mode 0600, n
// random bytes in hex) on first use. The HMAC key must outlive restarts
// (the stored token hashes are made with it), and the admin key should.
func loadOrCreateSecret(path string, n int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := randomHex(n)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(f, key+"\n"); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		return []byte(key), nil
	}
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(string(b))
	if len(key) < 2*n {
		return nil, fmt.Errorf("%s: key too short, want %d characters (delete the file for a new one)", path, 2*n)
	}
	return []byte(key), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// banner is what printBanner prints.
type banner struct {
	base, local, where string
	key, keySource     string
	keyFile            string // the key's file, when it is kept in one
	oneTime            bool
	links              []demoLink
}

// printBanner prints the portal's address, where the admin key is, a portal
// link per demo member and a curl command that creates a session, which
// works as pasted. The links carry tokens: they go to the terminal, never
// to the log.
func printBanner(w io.Writer, b banner) {
	fmt.Fprintf(w, "Customer portal on %s (store: %s)\n\n", b.base, b.where)
	header := shellQuote("Authorization: Bearer " + b.key)
	switch {
	case b.keyFile != "":
		abs, err := filepath.Abs(b.keyFile)
		if err != nil {
			abs = b.keyFile
		}
		fmt.Fprintf(w, "Admin API key: in %s (mode 0600; pass -admin-key to choose one)\n\n", abs)
		header = `"Authorization: Bearer $(cat ` + shellQuote(abs) + `)"`
	case b.keySource == "generated for this run":
		fmt.Fprintf(w, "Admin API key (generated for this run; pass -admin-key to choose one): %s\n\n", b.key)
	default:
		fmt.Fprintf(w, "Admin API key: from %s\n\n", b.keySource)
	}
	use := "several browsers, each signed in on its own"
	if b.oneTime {
		use = "one browser only"
	}
	fmt.Fprintf(w, "Portal links (each valid for one hour, for %s; a restart replaces them):\n", use)
	for _, l := range b.links {
		name := l.Member.Email
		if l.Member.Name != nil {
			name = *l.Member.Name
		}
		cust := l.Customer.Email
		if l.Customer.Name != nil {
			cust = *l.Customer.Name
		}
		fmt.Fprintf(w, "\n  %s <%s>, %s of %s\n  member_id %s\n  %s\n",
			name, l.Member.Email, roleLabels[l.Member.Role], cust, l.Member.ID, l.URL)
	}
	if len(b.links) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCreate another session:\n  curl -sS -X POST %s/v1/member-sessions/ -H %s \\\n"+
		"    -H 'Content-Type: application/json' -d '{\"member_id\": \"%s\", \"return_url\": \"https://example.com/account\"}'\n\n",
		b.local, header, b.links[0].Member.ID)
}

// shellQuote quotes s as one single-quoted word of a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
