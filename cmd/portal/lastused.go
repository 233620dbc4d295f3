package main

import (
	"time"

	"github.com/memberkit/sessionstore"
)

// lastActivity says when a session was last seen, for the sessions pages:
// a caption and a time, or ok false when there is nothing to show.
//
// The store does not record use yet. Until MemberSession.LastUsedAt exists,
// this shows the session's last change (ModifiedAt: an Extend, or a new
// member or customer snapshot). When it lands, return
// ("Last used", *s.LastUsedAt, true) here when it is set; the pages need no
// other change.
func lastActivity(s *sessionstore.MemberSession) (caption string, at time.Time, ok bool) {
	if s.ModifiedAt != nil && s.ModifiedAt.After(s.CreatedAt) {
		return "Updated", *s.ModifiedAt, true
	}
	return "", time.Time{}, false
}
