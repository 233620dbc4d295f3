package sessionstore

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Timestamps on the wire are RFC 3339 in UTC with a "Z" suffix. The
// fractional second is written as exactly six digits (microseconds, the
// precision Postgres keeps) or left out when it is zero:
//
//	2026-01-20T10:00:00.123456Z
//	2026-01-20T10:00:00.120000Z
//	2026-01-20T10:00:00Z
//
// time.RFC3339Nano is not the same text: it trims trailing zeros (".12Z").

// errTimeRange reports a time whose UTC year is outside 0000-9999, which RFC
// 3339 cannot write.
var errTimeRange = errors.New("sessionstore: time outside years 0000-9999 in UTC")

// timeInRange reports whether appendTime writes t as valid RFC 3339, that is
// whether its UTC year is within 0000-9999.
func timeInRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// appendTime appends t in the wire form to dst, without quotes: converted to
// UTC, truncated (not rounded) to the microsecond, with six fractional digits
// or none when the microseconds are zero. The caller checks timeInRange
// first; a year outside 0000-9999 is written with more or fewer digits and
// does not parse back.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	dst = t.AppendFormat(dst, "2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		dst = append(dst, '.')
		// Six digits, zero-padded on the left.
		for d := 100000; d > 0; d /= 10 {
			dst = append(dst, byte('0'+us/d%10))
		}
	}
	return append(dst, 'Z')
}

// FormatTime returns t as the JSON of the model types writes a timestamp,
// without quotes: RFC 3339 in UTC with a "Z" suffix, truncated to the
// microsecond, with six fractional digits or none when they are zero
// ("2026-01-20T10:00:00.123456Z", "2026-01-20T10:00:00Z"). It is for
// other documents that must agree with Polar's wire format, such as
// sessionhttp's. A time whose UTC year is outside 0000-9999 is written in a
// form that does not parse back; the model types refuse to encode one.
func FormatTime(t time.Time) string {
	return string(appendTime(make([]byte, 0, len("2006-01-02T15:04:05.000000Z")), t))
}

// parseTime parses an RFC 3339 timestamp: date, "T" (or "t"), time, an
// optional fraction of any length and an offset ("Z", "z" or ±hh:mm). It
// returns the time in UTC truncated to the microsecond. It refuses leap
// seconds (":60", which time.Time cannot hold) and times whose UTC year falls
// outside 0000-9999 after applying the offset, so that whatever it returns
// appendTime writes back as valid RFC 3339.
//
// The parsing is time.Parse's. The hand-written parser this replaced was no
// faster: BenchmarkParseTime, -count 6 on the shared 2-core machine, gave
// 88-114 ns (median 103 ns) for it and 83-105 ns (median 90 ns) for
// time.Parse, neither allocating, so it went. time.Parse alone is more lenient than RFC
// 3339 when its fast path fails (one-digit hours, a comma before the
// fraction, offsets up to 24:60), so isRFC3339Shape checks the layout
// first; time.Parse checks the ranges of month, day, hour, minute and
// second.
func parseTime(b []byte) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		quoted := string(b)
		if len(quoted) > 64 {
			quoted = quoted[:64] + "..."
		}
		return time.Time{}, errors.New("sessionstore: bad RFC 3339 timestamp " + strconv.Quote(quoted) + ": " + why)
	}
	if !isRFC3339Shape(b) {
		return bad("not of the form 2006-01-02T15:04:05.999999Z or with an offset ±07:00")
	}
	if b[10] == 't' || b[len(b)-1] == 'z' {
		// time.Parse wants "T" and "Z" in upper case; RFC 3339 allows both.
		var buf [64]byte
		u := append(buf[:0], b...)
		u[10] = 'T'
		if u[len(u)-1] == 'z' {
			u[len(u)-1] = 'Z'
		}
		b = u
	}
	t, err := time.Parse(time.RFC3339, string(b))
	if err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) && pe.Message != "" {
			return bad(strings.TrimPrefix(pe.Message, ": "))
		}
		return bad("out of range")
	}
	t = t.UTC().Truncate(time.Microsecond)
	if !timeInRange(t) {
		return bad("year outside 0000-9999 in UTC")
	}
	return t, nil
}

// isRFC3339Shape reports whether b has the layout of an RFC 3339
// timestamp: digits and separators in place, a fraction of at least one
// digit if any, and an offset of Z or ±hh:mm with hh at most 23 and mm at
// most 59.
func isRFC3339Shape(b []byte) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(b) < len(layout)+1 {
		return false
	}
	for i := 0; i < len(layout); i++ {
		switch c := b[i]; layout[i] {
		case 'd':
			if c < '0' || c > '9' {
				return false
			}
		case 'T':
			if c != 'T' && c != 't' {
				return false
			}
		default:
			if c != layout[i] {
				return false
			}
		}
	}
	rest := b[len(layout):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case len(rest) == 1:
		return rest[0] == 'Z' || rest[0] == 'z'
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		for _, i := range []int{1, 2, 4, 5} {
			if rest[i] < '0' || rest[i] > '9' {
				return false
			}
		}
		hourOK := rest[1] < '2' || rest[1] == '2' && rest[2] <= '3'
		return hourOK && rest[4] <= '5'
	}
	return false
}

// jsonTime is a time.Time in the wire form, for the unexported wire structs.
type jsonTime time.Time

// MarshalJSON writes the time as a quoted wire timestamp.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if !timeInRange(tt) {
		return nil, errTimeRange
	}
	b := make([]byte, 0, len(`"2006-01-02T15:04:05.000000Z"`))
	b = append(b, '"')
	b = appendTime(b, tt)
	return append(b, '"'), nil
}

// toJSONTime converts a nullable time for a wire struct.
func toJSONTime(t *time.Time) *jsonTime {
	if t == nil {
		return nil
	}
	jt := jsonTime(*t)
	return &jt
}
