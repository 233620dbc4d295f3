package sessionstore

import (
	"time"

	"github.com/memberkit/sessionstore/token"
)

// WithDefaults returns a copy of o with every zero field set to its default,
// or a *ValidationError (ErrInvalid) naming the first bad field. A nil o
// gives all defaults. The returned Secret is a private copy.
func (o *Options) WithDefaults() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.TokenPrefix == "" {
		r.TokenPrefix = DefaultTokenPrefix
	}
	if !token.ValidPrefix(r.TokenPrefix) {
		return Options{}, invalid("options.token_prefix", "must be 1-16 characters of [a-z0-9_]")
	}
	if r.Secret != nil {
		r.Secret = append([]byte(nil), r.Secret...)
	}
	if r.MaxTTL == 0 {
		r.MaxTTL = DefaultMaxTTL
	}
	if r.MaxTTL < 0 {
		return Options{}, invalid("options.max_ttl", "must not be negative")
	}
	if r.TTL == 0 {
		r.TTL = DefaultTTL
	}
	if r.TTL < 0 || r.TTL > r.MaxTTL {
		return Options{}, invalid("options.ttl", "must be positive and at most MaxTTL")
	}
	if r.PortalURL != "" {
		if err := checkHTTPURL("options.portal_url", r.PortalURL); err != nil {
			return Options{}, err
		}
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.SweepInterval == 0 {
		r.SweepInterval = DefaultSweepInterval
	}
	return r, nil
}
