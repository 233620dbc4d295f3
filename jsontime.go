package sessionstore

import (
	"errors"
	"strconv"
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

// formatTime returns t in the wire form, without quotes.
func formatTime(t time.Time) string {
	return string(appendTime(make([]byte, 0, len("2006-01-02T15:04:05.000000Z")), t))
}

// parseTime parses an RFC 3339 timestamp: date, "T" (or "t"), time, an
// optional fraction of any length and an offset ("Z", "z" or ±hh:mm). It
// returns the time in UTC truncated to the microsecond. It refuses leap
// seconds (":60", which time.Time cannot hold) and times whose UTC year falls
// outside 0000-9999 after applying the offset, so that whatever it returns
// appendTime writes back as valid RFC 3339.
func parseTime[T string | []byte](s T) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		quoted := string(s)
		if len(quoted) > 64 {
			quoted = quoted[:64] + "..."
		}
		return time.Time{}, errors.New("sessionstore: bad RFC 3339 timestamp " + strconv.Quote(quoted) + ": " + why)
	}
	// "2006-01-02T15:04:05" is 19 bytes; the shortest offset is "Z".
	if len(s) < 20 {
		return bad("too short")
	}
	if s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return bad("wrong layout")
	}
	year, ok1 := atoiDigits(s[0:4])
	month, ok2 := atoiDigits(s[5:7])
	day, ok3 := atoiDigits(s[8:10])
	hour, ok4 := atoiDigits(s[11:13])
	minute, ok5 := atoiDigits(s[14:16])
	sec, ok6 := atoiDigits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return bad("non-digit in date or time")
	}
	switch {
	case month < 1 || month > 12:
		return bad("month out of range")
	case day < 1 || day > daysIn(time.Month(month), year):
		return bad("day out of range")
	case hour > 23:
		return bad("hour out of range")
	case minute > 59:
		return bad("minute out of range")
	case sec > 59:
		return bad("second out of range")
	}

	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return bad("empty fraction")
		}
		// Keep the first six digits (microseconds), padding with zeros;
		// later digits are truncated.
		us := 0
		for i := 1; i <= 6; i++ {
			us *= 10
			if i < n {
				us += int(rest[i] - '0')
			}
		}
		nsec = us * 1000
		rest = rest[n:]
	}

	offset := 0
	switch {
	case string(rest) == "Z" || string(rest) == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := atoiDigits(rest[1:3])
		om, ok2 := atoiDigits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return bad("bad offset")
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return bad("bad offset")
	}

	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	t = t.Add(-time.Duration(offset) * time.Second)
	if !timeInRange(t) {
		return bad("year outside 0000-9999 in UTC")
	}
	return t, nil
}

// atoiDigits parses s, which must be all ASCII digits.
func atoiDigits[T string | []byte](s T) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the number of days in month m of year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
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
