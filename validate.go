package sessionstore

import (
	"math"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the validated fields, as Polar sets them.
const (
	maxIDBytes          = 128
	maxEmailBytes       = 320
	maxNameChars        = 256
	maxTextBytes        = 2048 // free-text fields without a limit of their own
	maxMetadataKeys     = 50
	maxMetadataKeyChars = 40
	maxMetadataStrChars = 500
	maxURLChars         = 2083
)

// normalizeMember validates m and returns the copy the store keeps: times in
// UTC to the microsecond, an empty name as none. Field paths start with path.
func normalizeMember(path string, m Member) (Member, error) {
	if err := checkID(path+".id", m.ID); err != nil {
		return Member{}, err
	}
	if err := checkID(path+".customer_id", m.CustomerID); err != nil {
		return Member{}, err
	}
	if err := checkEmail(path+".email", m.Email); err != nil {
		return Member{}, err
	}
	if m.Name != nil && *m.Name == "" {
		m.Name = nil
	}
	if m.Name != nil {
		if err := checkText(path+".name", *m.Name, maxNameChars); err != nil {
			return Member{}, err
		}
	}
	if m.ExternalID != nil {
		if err := checkText(path+".external_id", *m.ExternalID, maxIDBytes); err != nil {
			return Member{}, err
		}
	}
	if !m.Role.Valid() {
		return Member{}, invalid(path+".role", "must be owner, billing_manager or member")
	}
	m = m.clone()
	m.CreatedAt = stamp(m.CreatedAt)
	m.ModifiedAt = stampPtr(m.ModifiedAt)
	return m, nil
}

// normalizeCustomer validates c and returns the copy the store keeps. A
// deleted customer is accepted here; Create refuses it separately.
func normalizeCustomer(path string, c Customer) (Customer, error) {
	if err := checkID(path+".id", c.ID); err != nil {
		return Customer{}, err
	}
	if err := checkMetadata(path+".metadata", c.Metadata); err != nil {
		return Customer{}, err
	}
	if c.ExternalID != nil {
		if err := checkText(path+".external_id", *c.ExternalID, maxIDBytes); err != nil {
			return Customer{}, err
		}
	}
	if err := checkEmail(path+".email", c.Email); err != nil {
		return Customer{}, err
	}
	if c.Type != nil && *c.Type != CustomerIndividual && *c.Type != CustomerTeam {
		return Customer{}, invalid(path+".type", "must be individual or team")
	}
	if c.Name != nil {
		if err := checkText(path+".name", *c.Name, maxNameChars); err != nil {
			return Customer{}, err
		}
	}
	if c.BillingAddress != nil {
		if err := checkAddress(path+".billing_address", c.BillingAddress); err != nil {
			return Customer{}, err
		}
	}
	if c.TaxID != nil {
		if c.TaxID.Value == "" || c.TaxID.Format == "" {
			return Customer{}, invalid(path+".tax_id", "needs a value and a format")
		}
		if err := checkText(path+".tax_id", c.TaxID.Value+c.TaxID.Format, maxTextBytes); err != nil {
			return Customer{}, err
		}
	}
	if c.Locale != nil {
		if err := checkText(path+".locale", *c.Locale, maxIDBytes); err != nil {
			return Customer{}, err
		}
	}
	if c.OrganizationID != "" {
		if err := checkID(path+".organization_id", c.OrganizationID); err != nil {
			return Customer{}, err
		}
	}
	if err := checkText(path+".avatar_url", c.AvatarURL, maxURLChars); err != nil {
		return Customer{}, err
	}
	c = c.clone()
	c.CreatedAt = stamp(c.CreatedAt)
	c.ModifiedAt = stampPtr(c.ModifiedAt)
	c.DeletedAt = stampPtr(c.DeletedAt)
	return c, nil
}

// checkID accepts 1-128 bytes of printable UTF-8.
func checkID(field, id string) error {
	if id == "" {
		return invalid(field, "must not be empty")
	}
	if len(id) > maxIDBytes {
		return invalid(field, "must be at most 128 bytes")
	}
	for _, r := range id {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return invalid(field, "must be printable UTF-8")
		}
	}
	return nil
}

// checkEmail accepts valid UTF-8 with an '@', at most 320 bytes.
func checkEmail(field, email string) error {
	if len(email) > maxEmailBytes {
		return invalid(field, "must be at most 320 bytes")
	}
	if !strings.Contains(email, "@") {
		return invalid(field, "must contain @")
	}
	return checkText(field, email, maxEmailBytes)
}

// checkText accepts valid UTF-8 without control characters, of at most
// maxChars characters.
func checkText(field, s string, maxChars int) error {
	if len(s) > 4*maxChars || utf8.RuneCountInString(s) > maxChars {
		return invalid(field, "is too long")
	}
	for _, r := range s {
		if r == utf8.RuneError {
			return invalid(field, "must be valid UTF-8")
		}
		if unicode.IsControl(r) {
			return invalid(field, "must not contain control characters")
		}
	}
	return nil
}

func checkAddress(path string, a *Address) error {
	if len(a.Country) != 2 || !isUpperASCII(a.Country[0]) || !isUpperASCII(a.Country[1]) {
		return invalid(path+".country", "must be an ISO 3166-1 alpha-2 code")
	}
	parts := []struct {
		name string
		v    *string
	}{{"line1", a.Line1}, {"line2", a.Line2}, {"postal_code", a.PostalCode}, {"city", a.City}, {"state", a.State}}
	for _, p := range parts {
		if p.v != nil {
			if err := checkText(path+"."+p.name, *p.v, maxNameChars); err != nil {
				return err
			}
		}
	}
	return nil
}

func isUpperASCII(b byte) bool { return b >= 'A' && b <= 'Z' }

// checkMetadata applies Polar's metadata limits.
func checkMetadata(field string, m Metadata) error {
	if len(m) > maxMetadataKeys {
		return invalid(field, "must have at most 50 keys")
	}
	for k, v := range m {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxMetadataKeyChars || !utf8.ValidString(k) {
			return invalid(field, "keys must be 1-40 characters of valid UTF-8")
		}
		switch v.Kind() {
		case MetadataString:
			s := v.Str()
			if n := utf8.RuneCountInString(s); n < 1 || n > maxMetadataStrChars || !utf8.ValidString(s) {
				return invalid(field, "string values must be 1-500 characters of valid UTF-8")
			}
		case MetadataFloat:
			if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
				return invalid(field, "float values must be finite")
			}
		case MetadataInt, MetadataBool:
		default:
			return invalid(field, "values must be a string, integer, float or boolean")
		}
	}
	return nil
}

// checkHTTPURL accepts an absolute http or https URL with a host, of at
// most 2083 characters.
func checkHTTPURL(field, s string) error {
	if len(s) > maxURLChars {
		return invalid(field, "must be at most 2083 characters")
	}
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	u, err := url.Parse(s)
	if err != nil {
		return invalid(field, "must be a valid URL")
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Host == "" || u.Opaque != "" {
		return invalid(field, "must be an absolute http or https URL with a host")
	}
	return nil
}

// checkTTL accepts 0 (the default) up to max.
func checkTTL(ttl, max time.Duration) error {
	if ttl < 0 {
		return invalid("ttl", "must not be negative")
	}
	if ttl > max {
		return invalid("ttl", "must be at most MaxTTL")
	}
	return nil
}
