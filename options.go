package sessionstore

import (
	"log/slog"
	"strings"
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
	if r.PreviousSecrets != nil {
		prev := make([][]byte, len(r.PreviousSecrets))
		for i, p := range r.PreviousSecrets {
			if p != nil {
				prev[i] = append([]byte(nil), p...)
			}
		}
		r.PreviousSecrets = prev
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
	if r.TTL < time.Second || r.TTL > r.MaxTTL {
		return Options{}, invalid("options.ttl", "must be at least one second and at most MaxTTL")
	}
	if r.IdleTimeout < 0 || (r.IdleTimeout > 0 && r.IdleTimeout < time.Second) {
		return Options{}, invalid("options.idle_timeout", "must be zero or at least one second")
	}
	if r.LastUseInterval == 0 {
		r.LastUseInterval = DefaultLastUseInterval
	}
	if r.LastUseInterval < 0 {
		r.LastUseInterval = -1
	}
	if r.ExpiredRetention == 0 {
		r.ExpiredRetention = DefaultExpiredRetention
	}
	if r.ExpiredRetention < 0 {
		r.ExpiredRetention = -1
	}
	if r.MaxSessionsPerMember == 0 {
		r.MaxSessionsPerMember = DefaultMaxSessionsPerMember
	}
	if r.MaxSessionsPerMember < 0 {
		r.MaxSessionsPerMember = -1
	}
	if r.MaxDevicesPerLink == 0 {
		r.MaxDevicesPerLink = DefaultMaxDevicesPerLink
	}
	if r.MaxDevicesPerLink < 0 {
		r.MaxDevicesPerLink = -1
	}
	if r.CapPolicy != CapEvictOldest && r.CapPolicy != CapRefuse {
		return Options{}, invalid("options.cap_policy", "must be CapEvictOldest or CapRefuse")
	}
	if r.PortalURL != "" {
		if err := checkHTTPURL("options.portal_url", r.PortalURL); err != nil {
			return Options{}, err
		}
		if strings.Contains(r.PortalURL, "#") {
			return Options{}, invalid("options.portal_url", "must not have a fragment: the token would go into it")
		}
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	if r.SweepInterval == 0 {
		r.SweepInterval = DefaultSweepInterval
	}
	return r, nil
}
