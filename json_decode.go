package sessionstore

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decoder reads the JSON of the model types in a single pass: no
// reflection, no intermediate maps or raw messages, and no allocation but
// the decoded values themselves. Keys match exactly; unknown keys are
// skipped (and checked to be valid JSON); a duplicate key counts with its
// last value; null leaves a field zero (nil for a pointer). Strings decode
// as encoding/json decodes them: invalid UTF-8 and unpaired surrogates
// become U+FFFD.
//
// Called by json.Unmarshal, the input has been checked already; called
// directly, UnmarshalJSON gets whatever bytes it is given, so the decoder
// checks the syntax too and never reads out of bounds.
type decoder struct {
	data  []byte
	i     int
	depth int
	buf   []byte // a string value with escapes, unescaped
	key   []byte // a key with escapes, unescaped
}

// maxDepth bounds the nesting of arrays and objects, as encoding/json does.
const maxDepth = 10000

// decodeJSON decodes data, one JSON value and nothing else but space, with
// value. Errors are *decodeError.
func decodeJSON(data []byte, value func(d *decoder) error) error {
	d := decoder{data: data}
	err := value(&d)
	if err == nil {
		if d.ws(); d.i != len(d.data) {
			err = d.syntax("data after the value")
		}
	}
	if err == nil {
		return nil
	}
	if de, ok := err.(*decodeError); ok {
		return de
	}
	return &decodeError{err: err}
}

// ws skips white space.
func (d *decoder) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.data) {
		return d.data[d.i]
	}
	return 0
}

func (d *decoder) syntax(what string) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", d.i, what)
}

// typeError reports that the next value is not what the field wants.
func (d *decoder) typeError(want string) error {
	got := "invalid JSON"
	switch c := d.peek(); {
	case c == '"':
		got = "string"
	case c == '{':
		got = "object"
	case c == '[':
		got = "array"
	case c == 't' || c == 'f':
		got = "bool"
	case c == 'n':
		got = "null"
	case c == '-' || c >= '0' && c <= '9':
		got = "number"
	case d.i == len(d.data):
		got = "end of input"
	}
	return fmt.Errorf("want %s, got %s", want, got)
}

// null consumes a null literal and reports whether there was one.
func (d *decoder) null() (bool, error) {
	if d.peek() != 'n' {
		return false, nil
	}
	return true, d.literal("null")
}

func (d *decoder) literal(word string) error {
	if len(d.data)-d.i < len(word) || string(d.data[d.i:d.i+len(word)]) != word {
		return d.syntax("bad literal")
	}
	d.i += len(word)
	return nil
}

// enter consumes open ('{' or '[') and reports whether the object or array
// has an element; if not, it consumes the closing bracket too.
func (d *decoder) enter(open, close byte, want string) (bool, error) {
	if d.peek() != open {
		return false, d.typeError(want)
	}
	d.i++
	if d.depth++; d.depth > maxDepth {
		return false, d.syntax("nested too deeply")
	}
	if d.peek() == close {
		d.i++
		d.depth--
		return false, nil
	}
	return true, nil
}

// more consumes the ',' before another element and reports true, or the
// closing bracket and reports false.
func (d *decoder) more(close byte) (bool, error) {
	switch d.peek() {
	case ',':
		d.i++
		return true, nil
	case close:
		d.i++
		d.depth--
		return false, nil
	}
	return false, d.syntax("want ',' or '" + string(close) + "'")
}

// nextKey reads an object's key and its ':'. The key is valid until the
// next key is read.
func (d *decoder) nextKey() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.syntax("want a string key")
	}
	k, err := d.rawString(&d.key)
	if err != nil {
		return nil, err
	}
	if d.peek() != ':' {
		return nil, d.syntax("want ':'")
	}
	d.i++
	return k, nil
}

// object reads a JSON object, calling field for each key with the decoder
// at its value. A field's error gets the key put in front of its path.
func (d *decoder) object(want string, field func(key []byte) error) error {
	more, err := d.enter('{', '}', want)
	for more && err == nil {
		var key []byte
		if key, err = d.nextKey(); err != nil {
			break
		}
		if err = field(key); err != nil {
			return wrapField(string(key), err)
		}
		more, err = d.more('}')
	}
	return err
}

// rawString reads the JSON string at d.i (which is '"'). It returns the
// input's own bytes when the string has no escapes and is valid UTF-8, or
// else its decoded form in *buf. Either is valid until the next read.
func (d *decoder) rawString(buf *[]byte) ([]byte, error) {
	start := d.i + 1
	for i := start; i < len(d.data); {
		c := d.data[i]
		switch {
		case c == '"':
			d.i = i + 1
			return d.data[start:i], nil
		case c == '\\' || c < 0x20:
			return d.slowString(start, buf)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			if r == utf8.RuneError && size == 1 {
				return d.slowString(start, buf)
			}
			i += size
		}
	}
	d.i = len(d.data)
	return nil, d.syntax("unterminated string")
}

// slowString decodes the string starting at start (after its quote) into
// *buf: escapes resolved, invalid UTF-8 and unpaired surrogates replaced by
// U+FFFD, as encoding/json does.
func (d *decoder) slowString(start int, buf *[]byte) ([]byte, error) {
	b := (*buf)[:0]
	i := start
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.i = i + 1
			*buf = b
			return b, nil
		case c < 0x20:
			d.i = i
			return nil, d.syntax("control character in string")
		case c == '\\':
			if i+1 >= len(d.data) {
				d.i = i
				return nil, d.syntax("unterminated string")
			}
			e := d.data[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(d.data, i)
				if !ok {
					d.i = i
					return nil, d.syntax("bad \\u escape")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+6 <= len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
						r2, ok = hex4(d.data, i+2)
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				d.i = i - 1
				return nil, d.syntax("bad escape")
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			i += size
			b = utf8.AppendRune(b, r)
		}
	}
	d.i = len(d.data)
	*buf = b
	return nil, d.syntax("unterminated string")
}

// hex4 parses the four hex digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// number reads a JSON number and returns its text.
func (d *decoder) number() ([]byte, error) {
	start := d.i
	i := d.i
	digits := func() bool {
		n := i
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(d.data) && d.data[i] == '-' {
		i++
	}
	switch {
	case i < len(d.data) && d.data[i] == '0':
		i++
	case !digits():
		return nil, d.syntax("bad number")
	}
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if !digits() {
			return nil, d.syntax("bad number")
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if !digits() {
			return nil, d.syntax("bad number")
		}
	}
	d.i = i
	return d.data[start:i], nil
}

// skip reads any JSON value and drops it.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '"':
		_, err := d.rawString(&d.buf)
		return err
	case c == '{':
		return d.object("", func([]byte) error { return d.skip() })
	case c == '[':
		more, err := d.enter('[', ']', "")
		for more && err == nil {
			if err = d.skip(); err == nil {
				more, err = d.more(']')
			}
		}
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	}
	return d.syntax("want a value")
}

// str reads a string into *dst; null leaves it as it is.
func str[T ~string](d *decoder, dst *T) error {
	switch d.peek() {
	case '"':
		b, err := d.rawString(&d.buf)
		*dst = T(b)
		return err
	case 'n':
		return d.literal("null")
	}
	return d.typeError("a string")
}

// strPtr reads a string into a new *dst; null sets it to nil.
func strPtr[T ~string](d *decoder, dst **T) error {
	if null, err := d.null(); null || err != nil {
		*dst = nil
		return err
	}
	var s T
	if err := str(d, &s); err != nil {
		return err
	}
	*dst = &s
	return nil
}

// boolean reads true or false into *dst; null leaves it as it is.
func (d *decoder) boolean(dst *bool) error {
	switch d.peek() {
	case 't':
		*dst = true
		return d.literal("true")
	case 'f':
		*dst = false
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	return d.typeError("a bool")
}

// time reads a timestamp string into *dst; null leaves it as it is.
func (d *decoder) time(dst *time.Time) error {
	switch d.peek() {
	case '"':
		b, err := d.rawString(&d.buf)
		if err != nil {
			return err
		}
		t, err := parseTime(b)
		if err != nil {
			return err
		}
		*dst = t
		return nil
	case 'n':
		return d.literal("null")
	}
	return errors.New("sessionstore: timestamp is not a JSON string")
}

// timePtr reads a timestamp into a new *dst; null sets it to nil.
func (d *decoder) timePtr(dst **time.Time) error {
	if null, err := d.null(); null || err != nil {
		*dst = nil
		return err
	}
	var t time.Time
	if err := d.time(&t); err != nil {
		return err
	}
	*dst = &t
	return nil
}

func (d *decoder) session(s *MemberSession) error {
	return d.object("a JSON object", func(key []byte) error {
		switch string(key) {
		case "created_at":
			return d.time(&s.CreatedAt)
		case "modified_at":
			return d.timePtr(&s.ModifiedAt)
		case "id":
			return str(d, &s.ID)
		case "token":
			return str(d, &s.Token)
		case "expires_at":
			return d.time(&s.ExpiresAt)
		case "return_url":
			return strPtr(d, &s.ReturnURL)
		case "member_portal_url":
			return str(d, &s.MemberPortalURL)
		case "member_id":
			return str(d, &s.MemberID)
		case "member":
			// null leaves the field as it is; an object replaces it.
			if null, err := d.null(); null || err != nil {
				return err
			}
			s.Member = Member{}
			return d.member(&s.Member)
		case "customer_id":
			return str(d, &s.CustomerID)
		case "customer":
			// null leaves the field as it is; an object replaces it.
			if null, err := d.null(); null || err != nil {
				return err
			}
			s.Customer = Customer{}
			return d.customer(&s.Customer)
		}
		return d.skip()
	})
}

func (d *decoder) member(m *Member) error {
	return d.object("a JSON object", func(key []byte) error {
		switch string(key) {
		case "id":
			return str(d, &m.ID)
		case "created_at":
			return d.time(&m.CreatedAt)
		case "modified_at":
			return d.timePtr(&m.ModifiedAt)
		case "customer_id":
			return str(d, &m.CustomerID)
		case "email":
			return str(d, &m.Email)
		case "name":
			return strPtr(d, &m.Name)
		case "external_id":
			return strPtr(d, &m.ExternalID)
		case "role":
			return str(d, &m.Role)
		}
		return d.skip()
	})
}

func (d *decoder) customer(c *Customer) error {
	return d.object("a JSON object", func(key []byte) error {
		switch string(key) {
		case "id":
			return str(d, &c.ID)
		case "created_at":
			return d.time(&c.CreatedAt)
		case "modified_at":
			return d.timePtr(&c.ModifiedAt)
		case "metadata":
			// null leaves the map as it is, as Metadata.UnmarshalJSON does.
			if null, err := d.null(); null || err != nil {
				return err
			}
			return d.metadata(&c.Metadata)
		case "external_id":
			return strPtr(d, &c.ExternalID)
		case "email":
			c.Email = ""
			return str(d, &c.Email)
		case "email_verified":
			return d.boolean(&c.EmailVerified)
		case "type":
			return strPtr(d, &c.Type)
		case "name":
			return strPtr(d, &c.Name)
		case "billing_name":
			return strPtr(d, &c.BillingName)
		case "billing_address":
			c.BillingAddress = nil
			if null, err := d.null(); null || err != nil {
				return err
			}
			c.BillingAddress = new(Address)
			return d.address(c.BillingAddress)
		case "tax_id":
			c.TaxID = nil
			if null, err := d.null(); null || err != nil {
				return err
			}
			c.TaxID = new(TaxID)
			return d.taxID(c.TaxID)
		case "locale":
			return strPtr(d, &c.Locale)
		case "organization_id":
			return str(d, &c.OrganizationID)
		case "default_payment_method_id":
			return strPtr(d, &c.DefaultPaymentMethodID)
		case "deleted_at":
			return d.timePtr(&c.DeletedAt)
		case "avatar_url":
			c.AvatarURL = ""
			return str(d, &c.AvatarURL)
		}
		return d.skip()
	})
}

func (d *decoder) address(a *Address) error {
	return d.object("a JSON object", func(key []byte) error {
		switch string(key) {
		case "line1":
			return strPtr(d, &a.Line1)
		case "line2":
			return strPtr(d, &a.Line2)
		case "postal_code":
			return strPtr(d, &a.PostalCode)
		case "city":
			return strPtr(d, &a.City)
		case "state":
			return strPtr(d, &a.State)
		case "country":
			return str(d, &a.Country)
		}
		return d.skip()
	})
}

// taxID reads [value, format], each a string or null ("").
func (d *decoder) taxID(t *TaxID) error {
	*t = TaxID{}
	more, err := d.enter('[', ']', "a JSON array [value, format]")
	n := 0
	for more && err == nil {
		switch n {
		case 0:
			err = str(d, &t.Value)
		case 1:
			err = str(d, &t.Format)
		default:
			err = errors.New("sessionstore: tax ID has more than 2 elements, want 2 (value, format)")
		}
		if err != nil {
			return fmt.Errorf("sessionstore: tax ID element %d: %w", n, err)
		}
		n++
		more, err = d.more(']')
	}
	if err == nil && n != 2 {
		err = fmt.Errorf("sessionstore: tax ID has %d elements, want 2 (value, format)", n)
	}
	return err
}

// metadata reads an object of metadata values into a new map. An error
// names the key quoted: customer.metadata."seats".
func (d *decoder) metadata(dst *Metadata) error {
	md := Metadata{}
	more, err := d.enter('{', '}', "a JSON object")
	for more && err == nil {
		var key []byte
		if key, err = d.nextKey(); err != nil {
			break
		}
		var v MetadataValue
		if v, err = d.metadataValue(); err != nil {
			return &decodeError{path: strconv.Quote(string(key)), err: err}
		}
		md[string(key)] = v
		more, err = d.more('}')
	}
	if err != nil {
		return err
	}
	*dst = md
	return nil
}

// metadataValue reads a metadata value keeping its kind; see
// MetadataValue.UnmarshalJSON.
func (d *decoder) metadataValue() (MetadataValue, error) {
	switch c := d.peek(); {
	case c == '"':
		b, err := d.rawString(&d.buf)
		return StringValue(string(b)), err
	case c == 't':
		return BoolValue(true), d.literal("true")
	case c == 'f':
		return BoolValue(false), d.literal("false")
	case c == '-' || c >= '0' && c <= '9':
		text, err := d.number()
		if err != nil {
			return MetadataValue{}, err
		}
		if n, ok := parseInt64(text); ok {
			return IntValue(n), nil
		}
		if !isFloatText(text) {
			return MetadataValue{}, fmt.Errorf("sessionstore: metadata integer %.40s out of int64 range", text)
		}
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil || math.IsInf(f, 0) {
			return MetadataValue{}, fmt.Errorf("sessionstore: metadata float %.40s out of range", text)
		}
		return FloatValue(f), nil
	case c == 'n':
		return MetadataValue{}, errors.New("sessionstore: metadata value is null; want a string, number or boolean")
	case c == '[':
		return MetadataValue{}, errors.New("sessionstore: metadata value is an array; want a string, number or boolean")
	case c == '{':
		return MetadataValue{}, errors.New("sessionstore: metadata value is an object; want a string, number or boolean")
	}
	return MetadataValue{}, d.syntax("want a metadata value")
}

// isFloatText reports whether a JSON number has a fraction or exponent.
func isFloatText(b []byte) bool {
	for _, c := range b {
		if c == '.' || c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// parseInt64 parses a JSON number without fraction or exponent that fits
// in an int64.
func parseInt64(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	switch {
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	case neg && u <= 1<<63:
		return int64(-u), true
	}
	return 0, false
}
