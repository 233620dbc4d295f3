package sessionstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// JSON of the model types is Polar's wire format, as of Polar API version
// 2026-04 (the version the pinned Polar SDK in compat/polar targets):
//
//   - snake_case keys in Polar's order, every key always written, nullable
//     fields as explicit null (the customer's email, avatar URL and tax ID
//     elements when they are "", and its type as "individual" when nil);
//   - timestamps as in jsontime.go;
//   - TaxID as a two-element array, metadata values keeping their kind;
//   - a MemberSession's token and member_portal_url as "", unless the
//     session is wrapped by WithCredentials (see Credentials).
//
// The MarshalJSON methods write no HTML escapes: "&" in a URL stays "&", as
// Polar writes it. json.Marshal escapes <, > and & in the result again (it
// does so for the output of every Marshaler); the bytes are then not the same
// but the JSON means the same. For Polar's exact bytes call MarshalJSON, or
// use a json.Encoder with SetEscapeHTML(false).
//
// Decoding matches keys exactly (encoding/json alone would also accept
// "Created_At"), ignores unknown keys, leaves the zero value for a missing
// key, and replaces the whole value: nothing from the receiver's previous
// contents survives. JSON null for a whole object leaves the receiver
// unchanged, as encoding/json does. Documents in the older shape, without
// billing_name and default_payment_method_id and with a null or missing
// type, decode too: the missing fields stay nil.

// memberSessionWire is MemberSession on the wire. Field order is key order.
type memberSessionWire struct {
	CreatedAt       jsonTime  `json:"created_at"`
	ModifiedAt      *jsonTime `json:"modified_at"`
	ID              string    `json:"id"`
	Token           string    `json:"token"`
	ExpiresAt       jsonTime  `json:"expires_at"`
	ReturnURL       *string   `json:"return_url"`
	MemberPortalURL string    `json:"member_portal_url"`
	MemberID        string    `json:"member_id"`
	Member          Member    `json:"member"`
	CustomerID      string    `json:"customer_id"`
	Customer        Customer  `json:"customer"`
}

// memberWire is Member on the wire.
type memberWire struct {
	ID         string     `json:"id"`
	CreatedAt  jsonTime   `json:"created_at"`
	ModifiedAt *jsonTime  `json:"modified_at"`
	CustomerID string     `json:"customer_id"`
	Email      string     `json:"email"`
	Name       *string    `json:"name"`
	ExternalID *string    `json:"external_id"`
	Role       MemberRole `json:"role"`
}

// customerWire is Customer on the wire.
type customerWire struct {
	ID                     string        `json:"id"`
	CreatedAt              jsonTime      `json:"created_at"`
	ModifiedAt             *jsonTime     `json:"modified_at"`
	Metadata               Metadata      `json:"metadata"`
	ExternalID             *string       `json:"external_id"`
	Email                  *string       `json:"email"`
	EmailVerified          bool          `json:"email_verified"`
	Type                   *CustomerType `json:"type"`
	Name                   *string       `json:"name"`
	BillingName            *string       `json:"billing_name"`
	BillingAddress         *Address      `json:"billing_address"`
	TaxID                  *TaxID        `json:"tax_id"`
	Locale                 *string       `json:"locale"`
	OrganizationID         string        `json:"organization_id"`
	DefaultPaymentMethodID *string       `json:"default_payment_method_id"`
	DeletedAt              *jsonTime     `json:"deleted_at"`
	AvatarURL              *string       `json:"avatar_url"`
}

// addressWire is Address on the wire, in the order of Polar's example.
type addressWire struct {
	Line1      *string `json:"line1"`
	Line2      *string `json:"line2"`
	PostalCode *string `json:"postal_code"`
	City       *string `json:"city"`
	State      *string `json:"state"`
	Country    string  `json:"country"`
}

// MarshalJSON writes the session in Polar's wire format without its
// credentials: token and member_portal_url are written as "", whatever s
// holds, as for a session that Get returns. So a session that reaches any
// JSON encoder (a log handler, an API response, a cache) on its own or
// inside another value never writes its token. The one document that must
// carry them, the response to whoever created the session, is the JSON of
// WithCredentials(s).
//
// Both keys stay present as strings, so the result is still a document
// Polar's schema accepts.
func (s MemberSession) MarshalJSON() ([]byte, error) {
	return s.marshal(false)
}

// marshal writes s in Polar's wire format, with its token and portal
// URL when withCredentials is set and as "" otherwise.
func (s *MemberSession) marshal(withCredentials bool) ([]byte, error) {
	w := memberSessionWire{
		CreatedAt:  jsonTime(s.CreatedAt),
		ModifiedAt: toJSONTime(s.ModifiedAt),
		ID:         s.ID,
		ExpiresAt:  jsonTime(s.ExpiresAt),
		ReturnURL:  s.ReturnURL,
		MemberID:   s.MemberID,
		Member:     s.Member,
		CustomerID: s.CustomerID,
		Customer:   s.Customer,
	}
	if withCredentials {
		w.Token, w.MemberPortalURL = s.Token, s.MemberPortalURL
	}
	return marshalWire(w)
}

// UnmarshalJSON reads a session in Polar's wire format, token and
// member_portal_url included, so that a create response decodes whole
// (MarshalJSON does not write them back; WithCredentials does). Timestamps
// may have any offset and fraction; they are stored in UTC, truncated to
// the microsecond.
func (s *MemberSession) UnmarshalJSON(data []byte) error {
	if isJSONNull(data) {
		return nil
	}
	var v MemberSession
	if err := decodeJSON(data, func(d *decoder) error { return d.session(&v) }); err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalJSON writes the member in Polar's wire format.
func (m Member) MarshalJSON() ([]byte, error) {
	return marshalWire(memberWire{
		ID:         m.ID,
		CreatedAt:  jsonTime(m.CreatedAt),
		ModifiedAt: toJSONTime(m.ModifiedAt),
		CustomerID: m.CustomerID,
		Email:      m.Email,
		Name:       m.Name,
		ExternalID: m.ExternalID,
		Role:       m.Role,
	})
}

// UnmarshalJSON reads a member in Polar's wire format.
func (m *Member) UnmarshalJSON(data []byte) error {
	if isJSONNull(data) {
		return nil
	}
	var v Member
	if err := decodeJSON(data, func(d *decoder) error { return d.member(&v) }); err != nil {
		return err
	}
	*m = v
	return nil
}

// MarshalJSON writes the customer in Polar's wire format. A nil Type is
// written as "individual"; a nil Locale, BillingName or
// DefaultPaymentMethodID, and an empty Email or AvatarURL, as null; a nil
// Metadata as {}.
func (c Customer) MarshalJSON() ([]byte, error) {
	typ := c.Type
	if typ == nil {
		individual := CustomerIndividual
		typ = &individual
	}
	return marshalWire(customerWire{
		ID:                     c.ID,
		CreatedAt:              jsonTime(c.CreatedAt),
		ModifiedAt:             toJSONTime(c.ModifiedAt),
		Metadata:               c.Metadata,
		ExternalID:             c.ExternalID,
		Email:                  nullIfEmpty(c.Email),
		EmailVerified:          c.EmailVerified,
		Type:                   typ,
		Name:                   c.Name,
		BillingName:            c.BillingName,
		BillingAddress:         c.BillingAddress,
		TaxID:                  c.TaxID,
		Locale:                 c.Locale,
		OrganizationID:         c.OrganizationID,
		DefaultPaymentMethodID: c.DefaultPaymentMethodID,
		DeletedAt:              toJSONTime(c.DeletedAt),
		AvatarURL:              nullIfEmpty(c.AvatarURL),
	})
}

// UnmarshalJSON reads a customer in Polar's wire format, today's or the
// older one. A missing or null type, locale, billing name or default
// payment method leaves the field nil; a null email or avatar URL leaves
// it "".
func (c *Customer) UnmarshalJSON(data []byte) error {
	if isJSONNull(data) {
		return nil
	}
	var v Customer
	if err := decodeJSON(data, func(d *decoder) error { return d.customer(&v) }); err != nil {
		return err
	}
	*c = v
	return nil
}

// nullIfEmpty returns nil for "", for a string written as null when empty.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MarshalJSON writes the address in Polar's wire format, every key present.
func (a Address) MarshalJSON() ([]byte, error) {
	return marshalWire(addressWire(a))
}

// UnmarshalJSON reads an address in Polar's wire format.
func (a *Address) UnmarshalJSON(data []byte) error {
	if isJSONNull(data) {
		return nil
	}
	var v Address
	if err := decodeJSON(data, func(d *decoder) error { return d.address(&v) }); err != nil {
		return err
	}
	*a = v
	return nil
}

// MarshalJSON writes the tax ID as the two-element array [value, format],
// an empty element as null.
func (t TaxID) MarshalJSON() ([]byte, error) {
	return marshalWire([2]*string{nullIfEmpty(t.Value), nullIfEmpty(t.Format)})
}

// UnmarshalJSON reads the two-element array [value, format], each element a
// string or null (read as ""); anything else is an error.
func (t *TaxID) UnmarshalJSON(data []byte) error {
	if isJSONNull(data) {
		return nil
	}
	var v TaxID
	if err := decodeJSON(data, func(d *decoder) error { return d.taxID(&v) }); err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSON writes the metadata as a JSON object with its keys sorted, as
// encoding/json does for maps. A nil Metadata is written as {}, because
// Polar's metadata is never null. A value of kind MetadataNone, or a NaN or
// infinite float, is an error.
func (m Metadata) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		kb, err := marshalWire(k)
		if err != nil {
			return nil, err
		}
		b = append(b, kb...)
		b = append(b, ':')
		vb, err := m[k].MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("sessionstore: metadata %s: %w", kb, err)
		}
		b = append(b, vb...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads a JSON object of metadata values into a new map that
// replaces m. JSON null leaves m unchanged. Each value must be a string, a
// number or a boolean; see MetadataValue.UnmarshalJSON.
func (m *Metadata) UnmarshalJSON(data []byte) error {
	if isJSONNull(data) {
		return nil
	}
	return decodeJSON(data, func(d *decoder) error { return d.metadata(m) })
}

// MarshalJSON writes the value keeping its kind: a string, an integer (1), a
// float that always has a decimal point or exponent (1.0, 1.5, 1e+21), or a
// boolean. Floats are written as encoding/json writes a float64, with ".0"
// added when that text has neither '.' nor an exponent. The zero value and
// NaN or infinite floats are errors.
func (v MetadataValue) MarshalJSON() ([]byte, error) {
	switch v.kind {
	case MetadataString:
		return marshalWire(v.str)
	case MetadataInt:
		return strconv.AppendInt(nil, v.Int(), 10), nil
	case MetadataFloat:
		return appendMetadataFloat(nil, v.Float())
	case MetadataBool:
		return strconv.AppendBool(nil, v.Bool()), nil
	}
	return nil, errors.New("sessionstore: metadata value has no kind")
}

// UnmarshalJSON reads a metadata value keeping its kind: a JSON string is a
// string value; a number without '.', 'e' or 'E' is an integer (an error
// beyond int64); any other number is a float (1.0, 1e3; an error beyond
// float64); true and false are booleans. null, arrays and objects are errors.
func (v *MetadataValue) UnmarshalJSON(data []byte) error {
	return decodeJSON(data, func(d *decoder) error {
		mv, err := d.metadataValue()
		if err == nil {
			*v = mv
		}
		return err
	})
}

// appendMetadataFloat appends f as encoding/json writes a float64, plus ".0"
// when that has no '.' or exponent, so that it reads back as a float.
func appendMetadataFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("sessionstore: metadata float %v has no JSON form", f)
	}
	start := len(b)
	// The same choice of format as encoding/json's float64 encoder (ES6).
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		n := len(b)
		if n-start >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	if !bytes.ContainsAny(b[start:], ".eE") {
		b = append(b, '.', '0')
	}
	return b, nil
}

// marshalWire encodes v like json.Marshal but without HTML escapes, so that
// "&" in a URL stays "&" as in Polar's JSON.
func marshalWire(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// decodeError is a JSON decoding error at a path of keys, such as
// customer.tax_id.
type decodeError struct {
	path string
	err  error
}

// Error returns "sessionstore: decode JSON <path>: <reason>".
func (e *decodeError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), "sessionstore: ")
	if e.path == "" {
		return "sessionstore: decode JSON: " + msg
	}
	return "sessionstore: decode JSON " + e.path + ": " + msg
}

// Unwrap returns the underlying error.
func (e *decodeError) Unwrap() error { return e.err }

// wrapField puts the key name in front of the path of err.
func wrapField(name string, err error) error {
	if de, ok := err.(*decodeError); ok {
		path := name
		if de.path != "" {
			path += "." + de.path
		}
		return &decodeError{path: path, err: de.err}
	}
	return &decodeError{path: name, err: err}
}

// isJSONNull reports whether data is the JSON literal null.
func isJSONNull(data []byte) bool {
	return string(bytes.TrimSpace(data)) == "null"
}
