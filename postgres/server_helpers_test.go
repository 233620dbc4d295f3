package postgres

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgServer is a PostgreSQL cluster of one test's own, which the test may
// stop and start: initdb'd in a temporary directory, listening on
// 127.0.0.1 on a free port, its socket in that directory. Under root it
// runs as the unprivileged user postgres, as PostgreSQL requires.
type pgServer struct {
	t    *testing.T
	bin  string
	dir  string // the temporary directory: data/ and the socket
	port int
	cred *syscall.Credential // nil when not root
	cmd  *exec.Cmd
	out  bytes.Buffer
	url  string
	args []string // server settings after the defaults, as -c name=value
}

// postgresBin returns the directory of initdb and postgres, skipping t
// when there is none (failing it under CI).
func postgresBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no initdb: CI must install PostgreSQL with: bash .ci/postgres.sh start")
	}
	t.Skip("no initdb on PATH or in /usr/lib/postgresql/*/bin; bash .ci/postgres.sh start installs it")
	return ""
}

// startOwnServer initdbs and starts a cluster for t, stopped when t ends.
// Each of settings (name=value) overrides a default setting of the server,
// such as fsync=off.
func startOwnServer(t *testing.T, settings ...string) *pgServer {
	t.Helper()
	requireServer(t) // the own server is only made where the shared one runs
	s := &pgServer{t: t, bin: postgresBin(t)}
	for _, set := range settings {
		s.args = append(s.args, "-c", set)
	}
	dir, err := os.MkdirTemp("", "sessionstore-postgres-test-")
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, and no user postgres to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := s.command("initdb", "-D", s.data(), "-U", "sessionstore", "-A", "trust", "-E", "UTF8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.port = freePort(t)
	s.url = fmt.Sprintf("postgres://sessionstore@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", s.port)
	s.start()
	t.Cleanup(func() { s.stop(syscall.SIGINT) })
	return s
}

func (s *pgServer) data() string { return filepath.Join(s.dir, "data") }

// command returns the PostgreSQL program name with args, run as the
// cluster's owner.
func (s *pgServer) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true}
	cmd.Dir = s.dir
	return cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs the server and waits, at most 30 seconds, until it accepts a
// connection.
func (s *pgServer) start() {
	s.t.Helper()
	s.out.Reset()
	args := append([]string{"-D", s.data(), "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=40"}, s.args...)
	s.cmd = s.command("postgres", args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start postgres: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, s.url)
		if err == nil {
			_ = c.Close(ctx)
			cancel()
			return
		}
		cancel()
		if time.Now().After(deadline) {
			s.stop(syscall.SIGQUIT)
			s.t.Fatalf("postgres on port %d did not accept connections: %v\n%s", s.port, err, s.out.String())
		}
	}
}

// stop ends the server with sig (SIGINT: fast shutdown; SIGQUIT:
// immediate, as after a crash, what pg_ctl stop -m immediate sends) and
// waits for it.
func (s *pgServer) stop(sig syscall.Signal) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	s.cmd = nil
}
