package sessionstore

import "math"

// Metadata is a customer's key-value metadata: at most 50 keys of 1-40
// characters, each value a string (1-500 characters), an integer, a float or
// a boolean. Values keep their kind through JSON: 1 stays 1, 1.0 stays 1.0.
type Metadata map[string]MetadataValue

// MetadataKind is the kind of a MetadataValue.
type MetadataKind uint8

// The kinds of metadata value. The zero MetadataValue has kind MetadataNone
// and is refused by validation.
const (
	MetadataNone MetadataKind = iota
	MetadataString
	MetadataInt
	MetadataFloat
	MetadataBool
)

// MetadataValue is one metadata value. The zero value is invalid; build one
// with StringValue, IntValue, FloatValue or BoolValue. It is a small
// immutable value and safe to copy.
type MetadataValue struct {
	kind MetadataKind
	str  string
	bits uint64
}

// StringValue returns a string metadata value.
func StringValue(s string) MetadataValue { return MetadataValue{kind: MetadataString, str: s} }

// IntValue returns an integer metadata value.
func IntValue(n int64) MetadataValue { return MetadataValue{kind: MetadataInt, bits: uint64(n)} }

// FloatValue returns a float metadata value. It stays a float in JSON even
// when it has no fractional part.
func FloatValue(f float64) MetadataValue {
	return MetadataValue{kind: MetadataFloat, bits: math.Float64bits(f)}
}

// BoolValue returns a boolean metadata value.
func BoolValue(b bool) MetadataValue {
	v := MetadataValue{kind: MetadataBool}
	if b {
		v.bits = 1
	}
	return v
}

// Kind returns the kind of v.
func (v MetadataValue) Kind() MetadataKind { return v.kind }

// Str returns the string held by v, or "" when v is not a string.
func (v MetadataValue) Str() string { return v.str }

// Int returns the integer held by v, or 0 when v is not an integer.
func (v MetadataValue) Int() int64 {
	if v.kind != MetadataInt {
		return 0
	}
	return int64(v.bits)
}

// Float returns the float held by v, or 0 when v is not a float.
func (v MetadataValue) Float() float64 {
	if v.kind != MetadataFloat {
		return 0
	}
	return math.Float64frombits(v.bits)
}

// Bool returns the boolean held by v, or false when v is not a boolean.
func (v MetadataValue) Bool() bool { return v.kind == MetadataBool && v.bits == 1 }

// Any returns v as a string, int64, float64 or bool, or nil for the zero value.
func (v MetadataValue) Any() any {
	switch v.kind {
	case MetadataString:
		return v.str
	case MetadataInt:
		return v.Int()
	case MetadataFloat:
		return v.Float()
	case MetadataBool:
		return v.Bool()
	}
	return nil
}

// Clone returns a copy of m that shares no memory with it; nil stays nil.
func (m Metadata) Clone() Metadata {
	if m == nil {
		return nil
	}
	c := make(Metadata, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
