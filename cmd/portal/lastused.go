package main

import (
	"time"

	"github.com/memberkit/sessionstore"
)

// lastActivity says when a session was last seen, for the sessions pages:
// a caption and a time, or ok false when there is nothing to show. The
// store records uses (LastUsedAt) when it has an idle timeout; otherwise the
// session's last change (ModifiedAt: an Extend, or a new member or customer
// snapshot) is the best it knows.
func lastActivity(s *sessionstore.MemberSession) (caption string, at time.Time, ok bool) {
	if s.LastUsedAt != nil {
		return "Last used", *s.LastUsedAt, true
	}
	if s.ModifiedAt != nil && s.ModifiedAt.After(s.CreatedAt) {
		return "Updated", *s.ModifiedAt, true
	}
	return "", time.Time{}, false
}
