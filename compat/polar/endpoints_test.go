package polar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
	"github.com/memberkit/sessionstore/sessionhttp"
	"github.com/memberkit/sessionstore/storetest"
	"github.com/memberkit/sessionstore/token"
)

// sdkResult is what endpoints.mjs reports of one SDK call.
type sdkResult struct {
	OK    bool           `json:"ok"`
	Value map[string]any `json:"value"`
	// On failure: what the SDK threw.
	Name         string `json:"name"`
	Message      string `json:"message"`
	PolarError   bool   `json:"polarError"`
	StatusCode   int    `json:"statusCode"`
	Body         string `json:"body"`
	Unauthorized bool   `json:"unauthorized"`
}

// TestPolarSDKEndpoints has Polar's SDK call sessionhttp's customer-session
// endpoints (Introspect, PortalUser, at Polar's paths) on a test server:
// it must parse their answers into the session's values, and get a 401
// whose body is Polar's Unauthorized error for a token that does not
// authenticate.
func TestPolarSDKEndpoints(t *testing.T) {
	node := requireSDK(t)
	clock := storetest.NewClock(storetest.StartTime())
	store, err := memory.New(&sessionstore.Options{
		PortalURL: "https://example.com/acme/portal", Now: clock.Now, SweepInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// SignInURL is set to show that it does not turn the API's 401s into
	// redirects.
	auth, err := sessionhttp.New(store, &sessionhttp.Options{Now: clock.Now, SignInURL: "/sign-in"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(sessionhttp.IntrospectPath, auth.Introspect())
	mux.Handle(sessionhttp.PortalUserPath, auth.PortalUser())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	customer := storetest.NewCustomer(1)
	create := func(n int, returnURL string) *sessionstore.MemberSession {
		m := storetest.NewMember(customer.ID, n)
		if n == 1 {
			m.Name = nil
		}
		s, err := store.Create(context.Background(), sessionstore.CreateParams{Member: m, Customer: customer, ReturnURL: returnURL})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	expired := create(2, "")
	clock.Advance(time.Hour)
	full := create(0, "https://example.com/account?tab=billing&from=portal")
	bare := create(1, "")
	revoked := create(2, "")
	if err := store.Revoke(context.Background(), revoked.ID); err != nil {
		t.Fatal(err)
	}
	unknown, err := token.New(sessionstore.DefaultTokenPrefix)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"full": full.Token, "bare": bare.Token,
		"expired": expired.Token, "revoked": revoked.Token, "unknown": unknown, "missing": "",
	}

	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "endpoints.mjs", srv.URL)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("endpoints.mjs: %v\n%s", err, stderr.Bytes())
	}
	for _, tok := range cases {
		if tok != "" && bytes.Contains(out, []byte(tok)) {
			t.Fatalf("a token in what the SDK got back")
		}
	}
	var results map[string]struct{ Introspect, User sdkResult }
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("endpoints.mjs wrote %s: %v", out, err)
	}

	for name, s := range map[string]*sessionstore.MemberSession{"full": full, "bare": bare} {
		r := results[name]
		var returnURL any
		if s.ReturnURL != nil {
			returnURL = *s.ReturnURL
		}
		// The SDK's Date keeps milliseconds.
		wantIntrospect := map[string]any{
			"expiresAt": s.ExpiresAt.Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z"),
			"returnUrl": returnURL,
		}
		checkSDKValue(t, name+" introspect", r.Introspect, wantIntrospect)
		var memberName any
		if s.Member.Name != nil {
			memberName = *s.Member.Name
		}
		checkSDKValue(t, name+" getAuthenticatedUser", r.User, map[string]any{
			"type": "member", "name": memberName, "email": s.Member.Email,
			"customerId": s.CustomerID, "memberId": s.MemberID, "role": string(s.Member.Role),
		})
	}

	for name, code := range map[string]string{
		"expired": sessionhttp.CodeExpired, "revoked": sessionhttp.CodeInvalidToken,
		"unknown": sessionhttp.CodeInvalidToken, "missing": sessionhttp.CodeMissingToken,
	} {
		for call, r := range map[string]sdkResult{"introspect": results[name].Introspect, "getAuthenticatedUser": results[name].User} {
			// SDK 0.49.0 maps no error type to these calls' 401s: it
			// throws its SDKError, whose body its Unauthorized must parse.
			if r.OK || !r.PolarError || (r.Name != "SDKError" && r.Name != "Unauthorized") ||
				r.StatusCode != http.StatusUnauthorized || !r.Unauthorized {
				t.Errorf("%s %s: the SDK got %+v, want a 401 SDKError with Polar's Unauthorized body", name, call, r)
				continue
			}
			if !strings.Contains(r.Body, `"code":"`+code+`"`) {
				t.Errorf("%s %s: body %s, want code %s", name, call, r.Body, code)
			}
		}
	}
}

// checkSDKValue checks that the SDK parsed an answer into exactly want.
func checkSDKValue(t *testing.T, what string, r sdkResult, want map[string]any) {
	t.Helper()
	if !r.OK {
		t.Errorf("%s: the SDK threw %s: %s", what, r.Name, r.Message)
		return
	}
	if len(r.Value) != len(want) {
		t.Errorf("%s: the SDK made %v, want %v", what, r.Value, want)
	}
	for k, w := range want {
		if g, ok := r.Value[k]; !ok || g != w {
			t.Errorf("%s: %s = %#v, want %#v", what, k, g, w)
		}
	}
}
