package sessionstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/memory"
)

func TestNewRefusesBadOptions(t *testing.T) {
	tests := []struct {
		name  string
		opts  sessionstore.Options
		field string
	}{
		{"prefix with capitals", sessionstore.Options{TokenPrefix: "Mst_"}, "options.token_prefix"},
		{"prefix too long", sessionstore.Options{TokenPrefix: "abcdefghijklmnopq"}, "options.token_prefix"},
		{"negative TTL", sessionstore.Options{TTL: -time.Second}, "options.ttl"},
		{"TTL above MaxTTL", sessionstore.Options{TTL: 2 * time.Hour, MaxTTL: time.Hour}, "options.ttl"},
		{"negative MaxTTL", sessionstore.Options{MaxTTL: -1}, "options.max_ttl"},
		{"portal URL without host", sessionstore.Options{PortalURL: "/portal"}, "options.portal_url"},
		{"portal URL not http", sessionstore.Options{PortalURL: "ftp://example.com/portal"}, "options.portal_url"},
		{"portal URL without scheme", sessionstore.Options{PortalURL: "example.com/portal"}, "options.portal_url"},
		{"portal URL with a fragment", sessionstore.Options{PortalURL: "https://example.com/portal#login"}, "options.portal_url"},
		{"TTL of 3600 nanoseconds", sessionstore.Options{TTL: 3600}, "options.ttl"},
		{"TTL under a second", sessionstore.Options{TTL: time.Second - time.Nanosecond}, "options.ttl"},
		{"idle timeout under a second", sessionstore.Options{IdleTimeout: 500 * time.Millisecond}, "options.idle_timeout"},
		{"negative idle timeout", sessionstore.Options{IdleTimeout: -time.Minute}, "options.idle_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := memory.New(&tt.opts)
			var ve *sessionstore.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || !errors.Is(err, sessionstore.ErrInvalid) {
				t.Fatalf("memory.New: %v, want a ValidationError for %s", err, tt.field)
			}
			if s != nil {
				t.Fatalf("memory.New returned a store with an error")
			}
		})
	}
}

func TestWithDefaults(t *testing.T) {
	secret := []byte("secret")
	o, err := (&sessionstore.Options{Secret: secret}).WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.TokenPrefix != "mst_" || o.TTL != time.Hour || o.MaxTTL != 30*24*time.Hour ||
		o.SweepInterval != time.Minute || o.Now == nil || o.IdleTimeout != 0 ||
		o.ExpiredRetention != 24*time.Hour || o.MaxSessionsPerMember != 50 {
		t.Fatalf("defaults: %+v", o)
	}
	prev := []byte("previous")
	o2, err := (&sessionstore.Options{PreviousSecrets: [][]byte{prev, nil}}).WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	prev[0] = 'X'
	if len(o2.PreviousSecrets) != 2 || string(o2.PreviousSecrets[0]) != "previous" || o2.PreviousSecrets[1] != nil {
		t.Fatalf("WithDefaults did not copy PreviousSecrets: %q", o2.PreviousSecrets)
	}
	secret[0] = 'X'
	if string(o.Secret) != "secret" {
		t.Fatalf("WithDefaults kept the caller's Secret slice")
	}
	var nilOpts *sessionstore.Options
	if _, err := nilOpts.WithDefaults(); err != nil {
		t.Fatalf("nil Options: %v", err)
	}
}
