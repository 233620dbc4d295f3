package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// devices remembers which browser each session belongs to: a short label
// (sessionhttp.DeviceLabel, never the raw User-Agent) per session ID, for
// the sessions pages. A session without a label is a portal link that no
// browser has exchanged for a session of its own.
//
// The store keeps no such field, so the portal keeps the labels itself:
// with a path, in a JSON file beside the Badger store (rewritten whole and
// renamed into place on each sign-in, mode 0600), so that labels survive
// a restart as the sessions do; without one (the memory store), in memory.
// Entries whose session has expired are dropped at each write.
type devices struct {
	mu     sync.Mutex
	path   string
	labels map[string]device
}

type device struct {
	Label     string    `json:"label"`
	ExpiresAt time.Time `json:"expires_at"`
}

// openDevices loads the labels kept at path ("" keeps them in memory).
func openDevices(path string) (*devices, error) {
	d := &devices{path: path, labels: make(map[string]device)}
	if path == "" {
		return d, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &d.labels); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// add records the label of a new browser session and drops expired
// entries.
func (d *devices) add(id, label string, expires, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.labels[id] = device{Label: label, ExpiresAt: expires}
	for k, v := range d.labels {
		if !v.ExpiresAt.After(now) {
			delete(d.labels, k)
		}
	}
	return d.save()
}

// label returns the session's device label, if it is a browser session.
func (d *devices) label(id string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.labels[id]
	return v.Label, ok
}

// save writes the labels to a temporary file and renames it into place.
func (d *devices) save() error {
	if d.path == "" {
		return nil
	}
	b, err := json.Marshal(d.labels)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(d.path), ".devices-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, a no-op
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), d.path)
}
