package sessionstore

import (
	"math"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the validated fields, as Polar sets them.
const (
	maxIDBytes          = 128
	maxEmailBytes       = 320
	maxNameChars        = 256
	maxLabelChars       = 128  // a device label, such as "Chrome on Android"
	maxTextBytes        = 2048 // free-text fields without a limit of their own
	maxMetadataKeys     = 50
	maxMetadataKeyChars = 40
	maxMetadataStrChars = 500
	maxURLChars         = 2083
)

// Validate reports whether m may be stored in a session: a non-empty ID and
// CustomerID of at most 128 bytes of printable UTF-8, an email address (see
// the rules of checkEmail: one @ between a local part and a domain),
// a name and external ID within Polar's limits, and one of the three roles.
// A bad field is a *ValidationError whose Field starts with "member.".
// Store.Create and Store.UpdateMember call it; an application may call it
// first to check input at its own edge.
func (m Member) Validate() error {
	const path = "member"
	if err := ValidateID(path+".id", m.ID); err != nil {
		return err
	}
	if err := ValidateID(path+".customer_id", m.CustomerID); err != nil {
		return err
	}
	if err := checkEmail(path+".email", m.Email); err != nil {
		return err
	}
	if m.Name != nil && *m.Name != "" {
		if err := checkText(path+".name", *m.Name, maxNameChars); err != nil {
			return err
		}
	}
	if m.ExternalID != nil {
		if err := checkText(path+".external_id", *m.ExternalID, maxIDBytes); err != nil {
			return err
		}
	}
	if !m.Role.Valid() {
		return invalid(path+".role", "must be owner, billing_manager or member")
	}
	return nil
}

// Validate reports whether c may be stored in a session, by Polar's rules
// for its type: an individual customer (Type nil or individual) needs an
// email; a team customer may have none (Email ""). It checks Polar's limits
// on the ID, metadata, email, type, name, billing name, billing address, tax
// ID, locale, organization ID, default payment method ID and avatar URL. A
// bad field is a *ValidationError whose Field starts with "customer.". A
// deleted customer is valid here; Create refuses it separately.
func (c Customer) Validate() error {
	const path = "customer"
	if err := ValidateID(path+".id", c.ID); err != nil {
		return err
	}
	if c.Type != nil && *c.Type != CustomerIndividual && *c.Type != CustomerTeam {
		return invalid(path+".type", "must be individual or team")
	}
	if err := checkMetadata(path+".metadata", c.Metadata); err != nil {
		return err
	}
	if c.ExternalID != nil {
		if err := checkText(path+".external_id", *c.ExternalID, maxIDBytes); err != nil {
			return err
		}
	}
	switch {
	case c.Email != "":
		if err := checkEmail(path+".email", c.Email); err != nil {
			return err
		}
	case c.Type == nil || *c.Type == CustomerIndividual:
		return invalid(path+".email", "must be set for an individual customer")
	}
	if c.Name != nil {
		if err := checkText(path+".name", *c.Name, maxNameChars); err != nil {
			return err
		}
	}
	if c.BillingName != nil {
		if err := checkText(path+".billing_name", *c.BillingName, maxNameChars); err != nil {
			return err
		}
	}
	if c.BillingAddress != nil {
		if err := checkAddress(c.BillingAddress); err != nil {
			return err
		}
	}
	if c.TaxID != nil {
		// Polar allows either element to be null (""); the limit is on
		// both together.
		if err := checkText(path+".tax_id", c.TaxID.Value, maxTextBytes-utf8.RuneCountInString(c.TaxID.Format)); err != nil {
			return err
		}
		if err := checkText(path+".tax_id", c.TaxID.Format, maxTextBytes); err != nil {
			return err
		}
	}
	if c.Locale != nil {
		if err := checkText(path+".locale", *c.Locale, maxIDBytes); err != nil {
			return err
		}
	}
	if c.OrganizationID != "" {
		if err := ValidateID(path+".organization_id", c.OrganizationID); err != nil {
			return err
		}
	}
	if c.DefaultPaymentMethodID != nil {
		if err := ValidateID(path+".default_payment_method_id", *c.DefaultPaymentMethodID); err != nil {
			return err
		}
	}
	return checkText(path+".avatar_url", c.AvatarURL, maxURLChars)
}

// Validate reports whether p may create a session: a valid member and
// customer, the customer not deleted, the member belonging to it, and a
// ReturnURL that is empty or an absolute http(s) URL. TTL is checked by
// Store.Create against the store's Options. A bad field is a
// *ValidationError naming it by its JSON path.
func (p CreateParams) Validate() error {
	if err := p.Member.Validate(); err != nil {
		return err
	}
	if err := p.Customer.Validate(); err != nil {
		return err
	}
	if p.Customer.DeletedAt != nil {
		return invalid("customer.deleted_at", "a deleted customer cannot sign in")
	}
	if p.Member.CustomerID != p.Customer.ID {
		return invalid("member.customer_id", "must equal customer.id")
	}
	switch p.Kind {
	case "", KindLink, KindSignIn:
	case KindDevice:
		return invalid("kind", "device sessions are made by Exchange from a link")
	default:
		return invalid("kind", "must be link or sign_in")
	}
	if err := checkText("device_label", p.DeviceLabel, maxLabelChars); err != nil {
		return err
	}
	if p.ReturnURL != "" {
		return checkHTTPURL("return_url", p.ReturnURL)
	}
	return nil
}

// Validate reports whether p is acceptable to Store.Exchange: a TTL that
// is not negative and a DeviceLabel of printable text. A bad field is a
// *ValidationError naming it.
func (p ExchangeParams) Validate() error {
	if p.TTL < 0 {
		return invalid("ttl", "must not be negative")
	}
	return checkText("device_label", p.DeviceLabel, maxLabelChars)
}

// ValidateID reports whether id is a valid member, customer or
// organization ID: 1-128 bytes of printable UTF-8. A bad one is a
// *ValidationError naming field.
func ValidateID(field, id string) error {
	if id == "" {
		return invalid(field, "must not be empty")
	}
	if len(id) > maxIDBytes {
		return invalid(field, "must be at most 128 bytes")
	}
	if printableASCII(id) {
		return nil
	}
	for _, r := range id {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return invalid(field, "must be printable UTF-8")
		}
	}
	return nil
}

// checkText accepts valid UTF-8 without control characters, of at most
// maxChars characters.
func checkText(field, s string, maxChars int) error {
	if printableASCII(s) {
		if len(s) > maxChars {
			return invalid(field, "is too long")
		}
		return nil
	}
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

// printableASCII reports whether s has only the bytes 0x20-0x7e: then it
// is valid UTF-8 of len(s) characters, none of them a control character,
// and every one printable. It lets the common case skip decoding runes.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func checkAddress(a *Address) error {
	const path = "customer.billing_address"
	if len(a.Country) != 2 || !isUpperASCII(a.Country[0]) || !isUpperASCII(a.Country[1]) {
		return invalid(path+".country", "must be an ISO 3166-1 alpha-2 code")
	}
	parts := [...]struct {
		field string
		v     *string
	}{{path + ".line1", a.Line1}, {path + ".line2", a.Line2}, {path + ".postal_code", a.PostalCode}, {path + ".city", a.City}, {path + ".state", a.State}}
	for _, p := range parts {
		if p.v != nil {
			if err := checkText(p.field, *p.v, maxNameChars); err != nil {
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
