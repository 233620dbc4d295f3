package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/memberkit/sessionstore"
)

// createRequest is the body of POST /v1/member-sessions/, as Polar's API
// takes it.
type createRequest struct {
	MemberID  string  `json:"member_id"`
	ReturnURL *string `json:"return_url"`
}

// apiError writes {"error": msg} and, when field is set, "field". Messages
// are fixed texts or validation reasons, never client input.
func apiError(w http.ResponseWriter, status int, msg, field string) {
	body := map[string]string{"error": msg}
	if field != "" {
		body["field"] = field
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// adminAuthorized compares the bearer key in constant time (over hashes,
// so the key's length does not leak either).
func (s *server) adminAuthorized(r *http.Request) bool {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return subtle.ConstantTimeCompare(got[:], s.adminKey[:]) == 1
}

// createSession is POST /v1/member-sessions/: it creates a session for a
// member of the directory and answers 201 with it in Polar's JSON shape.
// This is the only response that carries a token. The body is read as JSON
// whatever its Content-Type (the endpoint needs the admin key, which no
// browser sends by itself, so a form post cannot reach it).
func (s *server) createSession(w http.ResponseWriter, r *http.Request) {
	if !s.adminAuthorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="admin"`)
		apiError(w, http.StatusUnauthorized, "unauthorized", "")
		return
	}
	var req createRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiError(w, http.StatusRequestEntityTooLarge, "the body is too large", "")
			return
		}
		apiError(w, http.StatusBadRequest, "the body is not a valid JSON object with member_id and return_url", "")
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		apiError(w, http.StatusBadRequest, "the body has data after the JSON object", "")
		return
	}
	if req.MemberID == "" {
		apiError(w, http.StatusUnprocessableEntity, "member_id is required", "member_id")
		return
	}
	m, c, ok := s.dir.member(req.MemberID)
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, "no member with this id", "member_id")
		return
	}
	p := sessionstore.CreateParams{Member: m, Customer: c}
	if req.ReturnURL != nil {
		p.ReturnURL = *req.ReturnURL
	}
	sess, err := s.store.Create(r.Context(), p)
	if err != nil {
		var ve *sessionstore.ValidationError
		if errors.As(err, &ve) {
			apiError(w, http.StatusUnprocessableEntity, ve.Reason, ve.Field)
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "create session failed", slog.String("error", err.Error()))
		apiError(w, http.StatusServiceUnavailable, "unavailable", "")
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "session created",
		slog.String("session_id", sess.ID), slog.String("member_id", sess.MemberID))
	// Polar's exact bytes, with the token: no HTML escaping of "&" in
	// member_portal_url.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sessionstore.WithCredentials(sess)); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "encode session failed", slog.String("error", err.Error()))
		apiError(w, http.StatusInternalServerError, "internal error", "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(b.Bytes())
}

// ---- pages ----
