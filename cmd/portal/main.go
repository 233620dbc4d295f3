// Command portal is a demo customer portal on member sessions.
//
//	go run ./cmd/portal [-addr 127.0.0.1:8080] [-store badger|memory]
//	                    [-data ./portal-data] [-base-url URL] [-admin-key KEY]
//
// It keeps a few demo customers and members of its own, creates a session
// for each member at start and prints their portal links, and serves:
//
//	POST /v1/member-sessions/         create a session (admin key as bearer)
//	GET  /portal                      the signed-in member's account
//	GET  /portal/team                 the team's sessions (owners)
//	POST /portal/team/revoke          revoke one of them (owners)
//	POST /portal/logout               sign out
//	POST /portal/logout-everywhere    sign out on every device
//
// With -store badger (the default) sessions are kept in -data and survive a
// restart; the HMAC key for the stored token hashes is kept beside them in
// -data/secret. The admin key comes from -admin-key, else from the
// PORTAL_ADMIN_KEY environment variable, else it is generated and printed.
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}

// run parses args, opens the store, prints the demo links to stdout and
// serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("portal", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:8080", "listen address")
	kind := fl.String("store", "badger", "session store: badger or memory")
	data := fl.String("data", "portal-data", "directory of the badger store")
	baseURL := fl.String("base-url", "", "public origin of the portal, used in portal links (default http://<addr>)")
	adminKey := fl.String("admin-key", "", "bearer key of the create endpoint (default $PORTAL_ADMIN_KEY, else random)")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fl.Args())
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	key, generated := *adminKey, false
	if key == "" {
		key = os.Getenv("PORTAL_ADMIN_KEY")
	}
	if key == "" {
		key, generated = randomHex(24), true
	}

	// Listen first: the port is known (for -addr :0) and taken before any
	// link is printed.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := strings.TrimRight(*baseURL, "/")
	if base == "" {
		base = "http://" + displayAddr(ln.Addr())
	}

	opts := sessionstore.Options{PortalURL: base + "/portal", Now: time.Now}
	store, where, err := openStore(*kind, *data, opts, stderr)
	if err != nil {
		return err
	}
	defer store.Close()

	srv, err := newServer(config{Store: store, BaseURL: base, AdminKey: key, Now: opts.Now, Logger: logger})
	if err != nil {
		return err
	}
	links, err := srv.createDemoSessions(ctx)
	if err != nil {
		return err
	}
	printBanner(stdout, base, where, key, generated, links)

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

// openStore opens the session store and says where it keeps sessions.
func openStore(kind, dir string, opts sessionstore.Options, stderr io.Writer) (sessionstore.Store, string, error) {
	switch kind {
	case "memory":
		opts.Secret = []byte(randomHex(32))
		st, err := memory.New(&opts)
		return st, "memory (sessions end with the process)", err
	case "badger":
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", err
		}
		secret, err := loadOrCreateSecret(filepath.Join(dir, "secret"))
		if err != nil {
			return nil, "", err
		}
		opts.Secret = secret
		st, err := badger.Open(filepath.Join(dir, "badger"), &badger.Options{
			Options: opts,
			Logger:  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		})
		return st, "badger in " + dir, err
	default:
		return nil, "", fmt.Errorf("-store must be badger or memory, not %q", kind)
	}
}

// loadOrCreateSecret returns the HMAC key in path, creating it (mode 0600)
// on first use. The key must outlive restarts: the stored token hashes are
// made with it.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := randomHex(32)
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
	if len(key) < 32 {
		return nil, fmt.Errorf("%s: secret too short", path)
	}
	return []byte(key), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// printBanner prints the portal's address, the admin key when it was
// generated, and a portal link per demo member. The links carry tokens:
// they go to the terminal, never to the log.
func printBanner(w io.Writer, base, where, key string, generated bool, links []demoLink) {
	fmt.Fprintf(w, "Customer portal on %s (store: %s)\n\n", base, where)
	if generated {
		fmt.Fprintf(w, "Admin API key (generated; pass -admin-key to choose one): %s\n\n", key)
	}
	fmt.Fprintln(w, "Portal links (each valid for one hour):")
	for _, l := range links {
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
	if len(links) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCreate another session:\n  curl -s -X POST %s/v1/member-sessions/ -H 'Authorization: Bearer <admin key>' \\\n"+
		"    -H 'Content-Type: application/json' -d '{\"member_id\": \"%s\", \"return_url\": \"https://example.com/account\"}'\n\n",
		base, links[0].Member.ID)
}
