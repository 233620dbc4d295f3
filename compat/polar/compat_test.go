package polar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/storetest"
)

func ptr[T any](v T) *T { return &v }

// requireSDK returns the node binary, or skips (fails under CI) when Node or
// the pinned SDK is not installed.
func requireSDK(t *testing.T) string {
	t.Helper()
	unavailable := func(why string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("Polar SDK check cannot run under CI: %s", why)
		}
		t.Skipf("skipping the Polar SDK check: %s (install with: cd compat/polar && npm ci)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "@polar-sh", "sdk", "package.json")); err != nil {
		unavailable("the pinned @polar-sh/sdk is not installed in compat/polar/node_modules")
	}
	return node
}

// goDocuments returns the sessions the library writes for the SDK to parse,
// by name: individual and team customers, every nullable field set and
// unset, metadata of each kind, the older shape, and sessions a store made.
func goDocuments(t *testing.T) map[string]sessionstore.MemberSession {
	t.Helper()
	docs := map[string]sessionstore.MemberSession{}

	// Sessions as a store creates them (what cmd/portal answers).
	clock := storetest.NewClock(storetest.StartTime())
	store, err := memory.New(&sessionstore.Options{PortalURL: "https://example.com/acme/portal", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	create := func(name string, c sessionstore.Customer, returnURL string) {
		s, err := store.Create(context.Background(), sessionstore.CreateParams{
			Member: storetest.NewMember(c.ID, 0), Customer: c, ReturnURL: returnURL,
		})
		if err != nil {
			t.Fatalf("Create %s: %v", name, err)
		}
		docs[name] = *s
	}
	team := storetest.NewCustomer(1)
	create("store-team-full", team, "https://example.com/back?a=1&b=2")
	noEmail := storetest.NewCustomer(2)
	noEmail.Email, noEmail.EmailVerified, noEmail.AvatarURL = "", false, ""
	create("store-team-without-email", noEmail, "")
	bare := sessionstore.Customer{ID: storetest.CustomerID(3), Email: "solo@example.com"}
	create("store-individual-bare", bare, "")

	// Hand-built: every field set, and every nullable field null.
	base := docs["store-team-full"]
	full := base.Clone()
	full.ModifiedAt = ptr(clock.Now())
	full.Customer.Type = ptr(sessionstore.CustomerIndividual)
	full.Customer.DeletedAt = ptr(clock.Now())
	full.Customer.Metadata = sessionstore.Metadata{
		"s": sessionstore.StringValue("text"), "i": sessionstore.IntValue(-42),
		"f": sessionstore.FloatValue(1.0), "g": sessionstore.FloatValue(2.5e-7),
		"t": sessionstore.BoolValue(true), "u": sessionstore.BoolValue(false),
	}
	docs["individual-every-field"] = full
	for name, typ := range map[string]*sessionstore.CustomerType{
		"individual-every-null": ptr(sessionstore.CustomerIndividual),
		"team-every-null":       ptr(sessionstore.CustomerTeam),
		"untyped-every-null":    nil, // the older shape's null type
	} {
		s := base.Clone()
		s.ModifiedAt, s.ReturnURL = nil, nil
		s.Member.ModifiedAt, s.Member.Name, s.Member.ExternalID = nil, nil, nil
		c := &s.Customer
		*c = sessionstore.Customer{ID: c.ID, CreatedAt: c.CreatedAt, OrganizationID: c.OrganizationID, Type: typ}
		if typ == nil || *typ == sessionstore.CustomerIndividual {
			c.Email = "solo@example.com"
		}
		docs[name] = s
	}
	s := base.Clone()
	s.Customer.TaxID = &sessionstore.TaxID{Format: "eu_vat"}
	s.Customer.BillingAddress = &sessionstore.Address{Country: "FR"}
	docs["team-tax-id-null-value"] = s
	s = base.Clone()
	s.Customer.TaxID = &sessionstore.TaxID{}
	docs["team-tax-id-null-elements"] = s

	// The examples in testdata, today's shape and the older one.
	for _, file := range []string{"member-session-2026-04.json", "member-session.json"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		var s sessionstore.MemberSession
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		docs["testdata-"+strings.TrimSuffix(file, ".json")] = s
	}
	return docs
}

// TestPolarSDK runs both directions of the check: the SDK parses what the
// library writes, and the library reads, re-encodes and keeps what the SDK
// writes.
func TestPolarSDK(t *testing.T) {
	node := requireSDK(t)
	in, out := t.TempDir(), t.TempDir()
	for name, s := range goDocuments(t) {
		// Each session twice: as the create response writes it, and as a
		// MemberSession writes itself, with token and portal URL "".
		withCredentials, err := sessionstore.WithCredentials(&s).MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		without, err := s.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.Token == "" || bytes.Contains(without, []byte(s.Token)) {
			t.Fatalf("%s: no token to send, or one where none belongs: %s", name, without)
		}
		for file, b := range map[string][]byte{name: withCredentials, name + "-without-credentials": without} {
			if err := os.WriteFile(filepath.Join(in, file+".json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command(node, "check.mjs", in, out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("check.mjs: %v\n%s", err, stderr.Bytes())
	}
	t.Logf("%s", bytes.TrimSpace(stdout))

	files, err := filepath.Glob(filepath.Join(out, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("check.mjs wrote no documents: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			checkSDKDocument(t, file)
		})
	}
}

// checkSDKDocument decodes a session the SDK wrote, checks that its member
// and customer are valid, and that re-encoding it with its credentials gives
// the same JSON up to the form of timestamps and keys the SDK leaves out for
// null.
func checkSDKDocument(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var s sessionstore.MemberSession
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := s.Member.Validate(); err != nil {
		t.Errorf("member: %v", err)
	}
	if err := s.Customer.Validate(); err != nil {
		t.Errorf("customer: %v", err)
	}
	again, err := sessionstore.WithCredentials(&s).MarshalJSON()
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	var want, got any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	compareJSON(t, "", want, got)
}

// compareJSON reports where got differs from want. A key missing from want
// (an optional key the SDK leaves out) must be null in got; timestamps
// (keys ending in _at) are compared as instants.
func compareJSON(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %v, want an object", path, got)
			return
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok && gv != nil {
				t.Errorf("%s.%s: got %v, not in the SDK's document", path, k, gv)
			}
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s: lost on re-encoding (was %v)", path, k, wv)
				continue
			}
			if ws, ok := wv.(string); ok && strings.HasSuffix(k, "_at") {
				gs, _ := gv.(string)
				wt, err1 := time.Parse(time.RFC3339Nano, ws)
				gt, err2 := time.Parse(time.RFC3339Nano, gs)
				if err1 != nil || err2 != nil || !wt.Equal(gt) {
					t.Errorf("%s.%s: got %v, want %v", path, k, gv, wv)
				}
				continue
			}
			compareJSON(t, path+"."+k, wv, gv)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: got %#v, want %#v", path, got, want)
		}
	}
}
