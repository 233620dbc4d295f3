package backend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/memberkit/sessionstore"
)

// The binary record encoding shared by the persistent backends (Badger,
// Redis). It is hand-written: no reflection, no encoding/json, no gob.
//
// Every record is sealed with a checksum (see checksum.go): its version
// byte carries sealedFlag and a CRC-32C follows the layout below. Records
// of versions 1 and 2 written before the checksum still decode.
//
// Layout of version 4 (every "str" is a uvarint length followed by that many
// bytes; every "time" is a zigzag varint of Unix microseconds, decoded as
// UTC; "?" marks a field present only when its flag bit is set):
//
//	version      byte = 4
//	flags        uvarint, the presence bits below
//	ID           str
//	TokenHash    len(token.Hash) raw bytes
//	CreatedAt    time
//	ModifiedAt   time?   (flagRecModified; absent means the zero time)
//	ExpiresAt    time
//	LastUsedAt   time?   (flagRecLastUsed; absent means never recorded)
//	ReturnURL    str
//	Kind         byte: 1 link, 2 device, 3 sign-in
//	AuthenticatedAt time? (flagRecAuth; absent means CreatedAt)
//	LinkID       str?    (flagRecLink)
//	DeviceLabel  str?    (flagRecLabel)
//	member:
//	  ID str, CreatedAt time, ModifiedAt time?, CustomerID str, Email str,
//	  Name str?, ExternalID str?, Role role
//	customer:
//	  ID str, CreatedAt time, ModifiedAt time?, ExternalID str?, Email str,
//	  (EmailVerified is a flag bit), Type ctype?, Name str?, BillingName str?,
//	  BillingAddress? (Line1 str?, Line2 str?, PostalCode str?, City str?,
//	  State str?, Country str), TaxID? (Value str, Format str), Locale str?,
//	  OrganizationID str, DefaultPaymentMethodID str?, DeletedAt time?,
//	  AvatarURL str,
//	  Metadata? (uvarint count, then count entries in key order:
//	  key str, kind byte, payload: string str | int zigzag varint |
//	  float 8 bytes little-endian IEEE 754 bits | bool byte 0 or 1)
//
// role and ctype are one byte: a known constant's code, or 0 followed by a
// str holding any other value.
//
// Earlier versions still decode. Each is the next one without some
// optional fields, whose flag bits it did not have, so its records decode
// with those fields empty: version 3 lacks Kind, AuthenticatedAt, LinkID
// and DeviceLabel (its records decode as links authenticated at their
// creation, the only kind the store made then), version 2 also
// BillingName and DefaultPaymentMethodID, version 1 also LastUsedAt.
// Encoding always writes the latest version.
//
// Decoding accepts exactly what encoding produces: any other input (short,
// long, unknown version or flag bits, out-of-range enums, lengths past the
// end, metadata keys repeated or out of order, a checksum that does not
// match) is an error wrapping ErrCorrupt.

// recordVersion is the first byte of every record MarshalBinary encodes.
const recordVersion = 4

// knownFlags holds, by version, the flag bits a record of that version may
// set.
var knownFlags = [...]uint64{
	1: flagCusDeletedAt<<1 - 1,
	2: flagRecLastUsed<<1 - 1,
	3: flagCusDefaultPM<<1 - 1,
	4: flagsKnown,
}

// Presence bits of the flags field.
const (
	flagRecModified = 1 << iota
	flagMemModified
	flagMemName
	flagMemExternalID
	flagCusModified
	flagCusMetadata
	flagCusExternalID
	flagCusEmailVerified
	flagCusType
	flagCusName
	flagCusAddress
	flagAddrLine1
	flagAddrLine2
	flagAddrPostalCode
	flagAddrCity
	flagAddrState
	flagCusTaxID
	flagCusLocale
	flagCusDeletedAt
	flagRecLastUsed    // from version 2
	flagCusBillingName // from version 3
	flagCusDefaultPM   // from version 3
	flagRecAuth        // from version 4
	flagRecLink        // from version 4
	flagRecLabel       // from version 4

	flagsKnown   = flagRecLabel<<1 - 1
	flagsAddress = flagAddrLine1 | flagAddrLine2 | flagAddrPostalCode | flagAddrCity | flagAddrState
)

// Codes of the enum bytes. enumOther is followed by the value as a str.
const (
	enumOther = 0

	roleOwner          = 1
	roleBillingManager = 2
	roleMember         = 3

	ctypeIndividual = 1
	ctypeTeam       = 2

	kindLink   = 1
	kindDevice = 2
	kindSignIn = 3
)

// Bounds of a time whose Unix microseconds fit in an int64, as Unix seconds
// and the microseconds within that second.
const (
	maxEncSec = math.MaxInt64 / 1_000_000
	maxEncUs  = math.MaxInt64 % 1_000_000
	minEncSec = math.MinInt64/1_000_000 - 1
	minEncUs  = math.MinInt64%1_000_000 + 1_000_000
)

// errEncode is the base of every encoding failure.
var errEncode = errors.New("sessionstore: cannot encode record")

// MarshalBinary encodes r in the versioned binary record format the
// persistent backends store. See AppendBinary.
func (r *Record) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(make([]byte, 0, r.encodedSizeHint()))
}

// AppendBinary appends the binary encoding of r, sealed with its checksum,
// to b and returns the extended buffer. Times are stored as Unix microseconds (anything finer is
// dropped; the zone is not kept, decoding gives UTC). It fails, returning b
// unchanged, when r has no Member or Customer, holds a metadata value of an
// unknown kind (such as the zero MetadataValue), or a time whose Unix
// microseconds do not fit in an int64.
func (r *Record) AppendBinary(b []byte) ([]byte, error) {
	orig, start := b, len(b)
	m, c := r.Member, r.Customer
	if m == nil || c == nil {
		return orig, fmt.Errorf("%w: nil member or customer", errEncode)
	}
	var flags uint64
	set := func(bit uint64, on bool) {
		if on {
			flags |= bit
		}
	}
	set(flagRecModified, !r.ModifiedAt.IsZero())
	set(flagRecLastUsed, !r.LastUsedAt.IsZero())
	set(flagMemModified, m.ModifiedAt != nil)
	set(flagMemName, m.Name != nil)
	set(flagMemExternalID, m.ExternalID != nil)
	set(flagCusModified, c.ModifiedAt != nil)
	set(flagCusMetadata, c.Metadata != nil)
	set(flagCusExternalID, c.ExternalID != nil)
	set(flagCusEmailVerified, c.EmailVerified)
	set(flagCusType, c.Type != nil)
	set(flagCusName, c.Name != nil)
	set(flagCusBillingName, c.BillingName != nil)
	if a := c.BillingAddress; a != nil {
		flags |= flagCusAddress
		set(flagAddrLine1, a.Line1 != nil)
		set(flagAddrLine2, a.Line2 != nil)
		set(flagAddrPostalCode, a.PostalCode != nil)
		set(flagAddrCity, a.City != nil)
		set(flagAddrState, a.State != nil)
	}
	set(flagCusTaxID, c.TaxID != nil)
	set(flagCusLocale, c.Locale != nil)
	set(flagCusDeletedAt, c.DeletedAt != nil)
	set(flagCusDefaultPM, c.DefaultPaymentMethodID != nil)
	set(flagRecAuth, !r.AuthenticatedAt.IsZero() && !r.AuthenticatedAt.Equal(r.CreatedAt))
	set(flagRecLink, r.LinkID != "")
	set(flagRecLabel, r.DeviceLabel != "")
	kind, ok := kindCode(r.Kind)
	if !ok {
		return orig, fmt.Errorf("%w: unknown session kind %q", errEncode, r.Kind)
	}

	e := encoder{b: b}
	e.b = append(e.b, recordVersion)
	e.b = binary.AppendUvarint(e.b, flags)
	e.str(r.ID)
	e.b = append(e.b, r.TokenHash[:]...)
	e.time(r.CreatedAt)
	if flags&flagRecModified != 0 {
		e.time(r.ModifiedAt)
	}
	e.time(r.ExpiresAt)
	if flags&flagRecLastUsed != 0 {
		e.time(r.LastUsedAt)
	}
	e.str(r.ReturnURL)
	e.b = append(e.b, kind)
	if flags&flagRecAuth != 0 {
		e.time(r.AuthenticatedAt)
	}
	if flags&flagRecLink != 0 {
		e.str(r.LinkID)
	}
	if flags&flagRecLabel != 0 {
		e.str(r.DeviceLabel)
	}

	e.str(m.ID)
	e.time(m.CreatedAt)
	e.optTime(m.ModifiedAt)
	e.str(m.CustomerID)
	e.str(m.Email)
	e.optStr(m.Name)
	e.optStr(m.ExternalID)
	e.role(m.Role)

	e.str(c.ID)
	e.time(c.CreatedAt)
	e.optTime(c.ModifiedAt)
	e.optStr(c.ExternalID)
	e.str(c.Email)
	if c.Type != nil {
		e.ctype(*c.Type)
	}
	e.optStr(c.Name)
	e.optStr(c.BillingName)
	if a := c.BillingAddress; a != nil {
		e.optStr(a.Line1)
		e.optStr(a.Line2)
		e.optStr(a.PostalCode)
		e.optStr(a.City)
		e.optStr(a.State)
		e.str(a.Country)
	}
	if t := c.TaxID; t != nil {
		e.str(t.Value)
		e.str(t.Format)
	}
	e.optStr(c.Locale)
	e.str(c.OrganizationID)
	e.optStr(c.DefaultPaymentMethodID)
	e.optTime(c.DeletedAt)
	e.str(c.AvatarURL)
	if c.Metadata != nil {
		e.b = binary.AppendUvarint(e.b, uint64(len(c.Metadata)))
		// Keys go in sorted order so that equal records encode equally.
		var stack [64]string
		keys := stack[:0]
		if len(c.Metadata) > len(stack) {
			keys = make([]string, 0, len(c.Metadata))
		}
		for k := range c.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := c.Metadata[k]
			e.str(k)
			e.b = append(e.b, byte(v.Kind()))
			switch v.Kind() {
			case sessionstore.MetadataString:
				e.str(v.Str())
			case sessionstore.MetadataInt:
				e.b = binary.AppendVarint(e.b, v.Int())
			case sessionstore.MetadataFloat:
				e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v.Float()))
			case sessionstore.MetadataBool:
				if v.Bool() {
					e.b = append(e.b, 1)
				} else {
					e.b = append(e.b, 0)
				}
			default:
				return orig, fmt.Errorf("%w: metadata %q has kind %d", errEncode, k, v.Kind())
			}
		}
	}
	if e.err != nil {
		return orig, e.err
	}
	return seal(e.b, start), nil
}

// encodedSizeHint returns a close upper bound of the encoded size of r, so
// that MarshalBinary allocates once.
func (r *Record) encodedSizeHint() int {
	const perField = binary.MaxVarintLen64
	n := 3 + checksumLen + perField + len(r.TokenHash) + 8*perField + len(r.ID) + len(r.ReturnURL) +
		len(r.LinkID) + len(r.DeviceLabel)
	if m := r.Member; m != nil {
		n += 8*perField + len(m.ID) + len(m.CustomerID) + len(m.Email) +
			optLen(m.Name) + optLen(m.ExternalID) + len(m.Role)
	}
	if c := r.Customer; c != nil {
		n += 22*perField + len(c.ID) + optLen(c.ExternalID) + len(c.Email) +
			optLen(c.Name) + optLen(c.BillingName) + optLen(c.Locale) + len(c.OrganizationID) +
			optLen(c.DefaultPaymentMethodID) + len(c.AvatarURL)
		if c.Type != nil {
			n += len(*c.Type)
		}
		if a := c.BillingAddress; a != nil {
			n += 6*perField + optLen(a.Line1) + optLen(a.Line2) + optLen(a.PostalCode) +
				optLen(a.City) + optLen(a.State) + len(a.Country)
		}
		if t := c.TaxID; t != nil {
			n += 2*perField + len(t.Value) + len(t.Format)
		}
		for k, v := range c.Metadata {
			n += 2*perField + 1 + len(k) + len(v.Str())
		}
	}
	return n
}

func optLen(p *string) int {
	if p == nil {
		return 0
	}
	return len(*p)
}

// encoder appends fields to b; err is the first failure.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) optStr(p *string) {
	if p != nil {
		e.str(*p)
	}
}

func (e *encoder) time(t time.Time) {
	s, us := t.Unix(), t.Nanosecond()/1000
	if s < minEncSec || s == minEncSec && us < minEncUs || s > maxEncSec || s == maxEncSec && us > maxEncUs {
		if e.err == nil {
			e.err = fmt.Errorf("%w: time %d seconds from 1970 is out of range", errEncode, s)
		}
		return
	}
	e.b = binary.AppendVarint(e.b, t.UnixMicro())
}

func (e *encoder) optTime(p *time.Time) {
	if p != nil {
		e.time(*p)
	}
}

func (e *encoder) role(r sessionstore.MemberRole) {
	switch r {
	case sessionstore.RoleOwner:
		e.b = append(e.b, roleOwner)
	case sessionstore.RoleBillingManager:
		e.b = append(e.b, roleBillingManager)
	case sessionstore.RoleMember:
		e.b = append(e.b, roleMember)
	default:
		e.b = append(e.b, enumOther)
		e.str(string(r))
	}
}

func (e *encoder) ctype(t sessionstore.CustomerType) {
	switch t {
	case sessionstore.CustomerIndividual:
		e.b = append(e.b, ctypeIndividual)
	case sessionstore.CustomerTeam:
		e.b = append(e.b, ctypeTeam)
	default:
		e.b = append(e.b, enumOther)
		e.str(string(t))
	}
}

// recordParts holds everything a decoded Record points to, so that decoding
// allocates them all at once.
type recordParts struct {
	member   sessionstore.Member
	customer sessionstore.Customer
	address  sessionstore.Address
	taxID    sessionstore.TaxID
	ctype    sessionstore.CustomerType
	times    [3]time.Time
	strs     [12]string
}

// UnmarshalBinary decodes data, as produced by MarshalBinary or
// AppendBinary of this or an earlier version (or, without a checksum, by
// the versions before it), into r, replacing all of r. It does not retain
// data. Any input that is not such an encoding gives an error wrapping
// ErrCorrupt and leaves r unchanged.
func (r *Record) UnmarshalBinary(data []byte) error {
	return decodeInto(data, r, new(recordParts))
}

// DecodeRecord returns the record data encodes, decoded as UnmarshalBinary
// does, in a single allocation with everything its pointers reach: the
// way for a backend to decode a record it hands to the engine.
func DecodeRecord(data []byte) (*Record, error) {
	b := new(struct {
		r Record
		p recordParts
	})
	if err := decodeInto(data, &b.r, &b.p); err != nil {
		return nil, err
	}
	return &b.r, nil
}

// decodeInto decodes data into r, keeping the snapshots and the values
// their pointers reach in heap, which it overwrites. On an error it changes
// neither.
func decodeInto(data []byte, r *Record, heap *recordParts) error {
	version, data, err := unseal(data)
	if err != nil {
		return err
	}
	if int(version) < 1 || int(version) >= len(knownFlags) {
		return fmt.Errorf("%w: unknown record version %d", sessionstore.ErrCorrupt, version)
	}
	d := decoder{b: data, s: string(data), i: 1}
	flags := d.uvarint()
	if d.err == nil && flags&^knownFlags[version] != 0 {
		d.fail("unknown flag bits")
	}
	if flags&flagCusAddress == 0 && flags&flagsAddress != 0 {
		d.fail("address field flags without an address")
	}

	// The parts are built on the stack and copied to heap at the end,
	// which spares a write barrier per field while the GC runs; the
	// pointers taken into them already point at heap.
	var p recordParts
	nt, ns := 0, 0
	optTime := func(bit uint64) *time.Time {
		if flags&bit == 0 {
			return nil
		}
		p.times[nt] = d.time()
		nt++
		return &heap.times[nt-1]
	}
	optStr := func(bit uint64) *string {
		if flags&bit == 0 {
			return nil
		}
		p.strs[ns] = d.str()
		ns++
		return &heap.strs[ns-1]
	}

	var rec Record
	rec.ID = d.str()
	d.bytes(rec.TokenHash[:])
	rec.CreatedAt = d.time()
	if flags&flagRecModified != 0 {
		rec.ModifiedAt = d.time()
	}
	rec.ExpiresAt = d.time()
	if flags&flagRecLastUsed != 0 {
		rec.LastUsedAt = d.time()
	}
	rec.ReturnURL = d.str()
	rec.Kind, rec.AuthenticatedAt = sessionstore.KindLink, rec.CreatedAt
	if version >= 4 {
		rec.Kind = d.kind()
		if flags&flagRecAuth != 0 {
			rec.AuthenticatedAt = d.time()
		}
		if flags&flagRecLink != 0 {
			rec.LinkID = d.str()
		}
		if flags&flagRecLabel != 0 {
			rec.DeviceLabel = d.str()
		}
	}

	m := &p.member
	m.ID = d.str()
	m.CreatedAt = d.time()
	m.ModifiedAt = optTime(flagMemModified)
	m.CustomerID = d.str()
	m.Email = d.str()
	m.Name = optStr(flagMemName)
	m.ExternalID = optStr(flagMemExternalID)
	m.Role = d.role()

	c := &p.customer
	c.ID = d.str()
	c.CreatedAt = d.time()
	c.ModifiedAt = optTime(flagCusModified)
	c.ExternalID = optStr(flagCusExternalID)
	c.Email = d.str()
	c.EmailVerified = flags&flagCusEmailVerified != 0
	if flags&flagCusType != 0 {
		p.ctype = d.ctype()
		c.Type = &heap.ctype
	}
	c.Name = optStr(flagCusName)
	c.BillingName = optStr(flagCusBillingName)
	if flags&flagCusAddress != 0 {
		a := &p.address
		a.Line1 = optStr(flagAddrLine1)
		a.Line2 = optStr(flagAddrLine2)
		a.PostalCode = optStr(flagAddrPostalCode)
		a.City = optStr(flagAddrCity)
		a.State = optStr(flagAddrState)
		a.Country = d.str()
		c.BillingAddress = &heap.address
	}
	if flags&flagCusTaxID != 0 {
		p.taxID.Value = d.str()
		p.taxID.Format = d.str()
		c.TaxID = &heap.taxID
	}
	c.Locale = optStr(flagCusLocale)
	c.OrganizationID = d.str()
	c.DefaultPaymentMethodID = optStr(flagCusDefaultPM)
	c.DeletedAt = optTime(flagCusDeletedAt)
	c.AvatarURL = d.str()
	if flags&flagCusMetadata != 0 {
		c.Metadata = d.metadata()
	}

	if d.err == nil && d.i != len(d.b) {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return d.err
	}
	*heap = p
	rec.Member = &heap.member
	rec.Customer = &heap.customer
	*r = rec
	return nil
}

// decoder reads fields from b at i. s is b converted to a string once: every
// decoded string is a substring of it. err is the first failure; reads go
// on after it, within bounds, and their results are dropped.
type decoder struct {
	b   []byte
	s   string
	i   int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", sessionstore.ErrCorrupt, what, d.i)
	}
}

// uvarint reads a uvarint. The reads do not stop after a failure: they
// only never read out of bounds, and the first failure is what counts.
func (d *decoder) uvarint() uint64 {
	if d.i < len(d.b) {
		if c := d.b[d.i]; c < 0x80 {
			d.i++
			return uint64(c)
		}
	}
	return d.uvarintSlow()
}

func (d *decoder) uvarintSlow() uint64 {
	if d.i >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	v, n := binary.Uvarint(d.b[d.i:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.i += n
	return v
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) byte() byte {
	if d.i >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	c := d.b[d.i]
	d.i++
	return c
}

func (d *decoder) bytes(dst []byte) {
	if len(d.b)-d.i < len(dst) {
		d.fail("truncated")
		return
	}
	d.i += copy(dst, d.b[d.i:])
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.i) {
		d.fail("string length past the end")
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) time() time.Time {
	return time.UnixMicro(d.varint()).UTC()
}

func (d *decoder) kind() sessionstore.SessionKind {
	switch d.byte() {
	case kindLink:
		return sessionstore.KindLink
	case kindDevice:
		return sessionstore.KindDevice
	case kindSignIn:
		return sessionstore.KindSignIn
	}
	d.fail("bad session kind")
	return ""
}

// kindCode returns the byte that encodes k; "" is a link, as records made
// before kinds were.
func kindCode(k sessionstore.SessionKind) (byte, bool) {
	switch k {
	case sessionstore.KindLink, "":
		return kindLink, true
	case sessionstore.KindDevice:
		return kindDevice, true
	case sessionstore.KindSignIn:
		return kindSignIn, true
	}
	return 0, false
}

func (d *decoder) role() sessionstore.MemberRole {
	switch d.byte() {
	case roleOwner:
		return sessionstore.RoleOwner
	case roleBillingManager:
		return sessionstore.RoleBillingManager
	case roleMember:
		return sessionstore.RoleMember
	case enumOther:
		r := sessionstore.MemberRole(d.str())
		if r.Valid() {
			d.fail("role not in its short form")
		}
		return r
	}
	d.fail("bad role")
	return ""
}

func (d *decoder) ctype() sessionstore.CustomerType {
	switch d.byte() {
	case ctypeIndividual:
		return sessionstore.CustomerIndividual
	case ctypeTeam:
		return sessionstore.CustomerTeam
	case enumOther:
		t := sessionstore.CustomerType(d.str())
		if t == sessionstore.CustomerIndividual || t == sessionstore.CustomerTeam {
			d.fail("customer type not in its short form")
		}
		return t
	}
	d.fail("bad customer type")
	return ""
}

// minMetadataEntry is the fewest bytes one metadata entry takes: an empty
// key, the kind and a one-byte payload.
const minMetadataEntry = 3

func (d *decoder) metadata() sessionstore.Metadata {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.i)/minMetadataEntry {
		d.fail("metadata count past the end")
		return nil
	}
	md := make(sessionstore.Metadata, int(n))
	var prev string
	for i := range n {
		k := d.str()
		var v sessionstore.MetadataValue
		switch sessionstore.MetadataKind(d.byte()) {
		case sessionstore.MetadataString:
			v = sessionstore.StringValue(d.str())
		case sessionstore.MetadataInt:
			v = sessionstore.IntValue(d.varint())
		case sessionstore.MetadataFloat:
			if len(d.b)-d.i < 8 {
				d.fail("truncated")
				return nil
			}
			v = sessionstore.FloatValue(math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.i:])))
			d.i += 8
		case sessionstore.MetadataBool:
			switch d.byte() {
			case 0:
				v = sessionstore.BoolValue(false)
			case 1:
				v = sessionstore.BoolValue(true)
			default:
				d.fail("bad metadata bool")
			}
		default:
			d.fail("bad metadata kind")
		}
		if d.err != nil {
			return nil
		}
		if i > 0 && k <= prev {
			d.fail("metadata keys out of order")
			return nil
		}
		prev = k
		md[k] = v
	}
	return md
}
