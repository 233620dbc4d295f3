package backend

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
)

// The test in this file fills every field of Member, Customer and Address
// by reflection, so that a field added to the model and forgotten in Clone,
// the JSON wire format, the record encoding, the canonical snapshot or the
// store's copy-out fails here without anyone listing it. (Equal has its own
// reflection test, TestEqualSeesEveryField in the root package.)

// fieldFiller gives every leaf a distinct non-zero value that survives the
// wire formats: times in UTC to the microsecond, strings unique.
type fieldFiller struct{ n int }

func (f *fieldFiller) fill(v reflect.Value) {
	switch v.Interface().(type) {
	case time.Time:
		f.n++
		v.Set(reflect.ValueOf(time.Date(2026, 1, 1, 0, 0, f.n, f.n*1000, time.UTC)))
		return
	case sessionstore.Metadata:
		v.Set(reflect.ValueOf(sessionstore.Metadata{
			"s": sessionstore.StringValue("text"),
			"i": sessionstore.IntValue(-7),
			"f": sessionstore.FloatValue(2.0),
			"b": sessionstore.BoolValue(true),
		}))
		return
	}
	switch v.Kind() {
	case reflect.String:
		f.n++
		v.SetString(fmt.Sprintf("v%d@x", f.n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				panic("unexported field " + v.Type().Field(i).Name)
			}
			f.fill(v.Field(i))
		}
	default:
		panic("fieldFiller: no rule for " + v.Type().String() + "; add one, and cover the new field everywhere")
	}
}

// leaves calls fn with the path and value of every leaf below v: strings,
// booleans, times, metadata, and pointers (as a whole and, when non-nil,
// their leaves, under the path element "*").
func leaves(path string, v reflect.Value, fn func(path string, v reflect.Value)) {
	switch v.Interface().(type) {
	case time.Time, sessionstore.Metadata:
		fn(path, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		fn(path, v)
		if !v.IsNil() {
			leaves(path+".*", v.Elem(), fn)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			leaves(path+"."+v.Type().Field(i).Name, v.Field(i), fn)
		}
	default:
		fn(path, v)
	}
}

// filledSession returns a session whose member and customer have every
// field set.
func filledSession() (sessionstore.Member, sessionstore.Customer) {
	f := &fieldFiller{}
	var m sessionstore.Member
	var c sessionstore.Customer
	f.fill(reflect.ValueOf(&m).Elem())
	f.fill(reflect.ValueOf(&c).Elem())
	return m, c
}

// sameValues fails, naming the fields, where got differs from want.
func sameValues[T any](t *testing.T, what string, want, got T) {
	t.Helper()
	gv := reflect.ValueOf(&got).Elem()
	var paths []string
	leaves("", reflect.ValueOf(&want).Elem(), func(path string, wv reflect.Value) {
		if wv.Kind() == reflect.Pointer {
			return // compared by their leaves
		}
		if g := fieldAt(gv, path); !g.IsValid() || !reflect.DeepEqual(wv.Interface(), g.Interface()) {
			paths = append(paths, path)
		}
	})
	if len(paths) > 0 {
		t.Errorf("%s loses or changes %v", what, paths)
	}
}

// fieldAt returns the value at path (as leaves gives it) below v, or the
// zero Value when a nil pointer is on the way.
func fieldAt(v reflect.Value, path string) reflect.Value {
	for path != "" {
		var name string
		name, path = splitPath(path[1:])
		if name != "*" {
			v = v.FieldByName(name)
			continue
		}
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

func splitPath(p string) (string, string) {
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			return p[:i], p[i:]
		}
	}
	return p, ""
}

// noSharedPointers fails when a pointer or map in got is one in orig.
func noSharedPointers[T any](t *testing.T, what string, orig, got T) {
	t.Helper()
	gv := reflect.ValueOf(&got).Elem()
	leaves("", reflect.ValueOf(&orig).Elem(), func(path string, ov reflect.Value) {
		if (ov.Kind() != reflect.Pointer && ov.Kind() != reflect.Map) || ov.IsNil() {
			return
		}
		if g := fieldAt(gv, path); g.IsValid() && !g.IsNil() && g.UnsafePointer() == ov.UnsafePointer() {
			t.Errorf("%s shares %s with the original", what, path)
		}
	})
}

// TestEveryFieldSurvives checks each copy and encoding of a member and a
// customer with every field set.
func TestEveryFieldSurvives(t *testing.T) {
	m, c := filledSession()

	sameValues(t, "Member.Clone", m, m.Clone())
	noSharedPointers(t, "Member.Clone", m, m.Clone())
	sameValues(t, "Customer.Clone", c, c.Clone())
	noSharedPointers(t, "Customer.Clone", c, c.Clone())
	sameValues(t, "canonMember", m, canonMember(m))
	sameValues(t, "canonCustomer", c, canonCustomer(c))

	for what, v := range map[string]any{"member": &m, "customer": &c} {
		b, err := json.Marshal(reflect.ValueOf(v).Elem().Interface())
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(v).Elem())
		if err := json.Unmarshal(b, back.Interface()); err != nil {
			t.Fatal(err)
		}
		switch what {
		case "member":
			sameValues(t, "JSON of a member", m, *back.Interface().(*sessionstore.Member))
		default:
			sameValues(t, "JSON of a customer", c, *back.Interface().(*sessionstore.Customer))
		}
	}

	r := &Record{ID: "s", CreatedAt: time.Unix(1, 0).UTC(), ExpiresAt: time.Unix(2, 0).UTC(), Member: &m, Customer: &c}
	data, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var decoded Record
	if err := decoded.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	sameValues(t, "the record encoding (member)", m, *decoded.Member)
	sameValues(t, "the record encoding (customer)", c, *decoded.Customer)

	s := r.session()
	sameValues(t, "the store's copy-out (member)", m, s.Member)
	sameValues(t, "the store's copy-out (customer)", c, s.Customer)
	noSharedPointers(t, "the store's copy-out (member)", m, s.Member)
	noSharedPointers(t, "the store's copy-out (customer)", c, s.Customer)
}
