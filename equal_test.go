package sessionstore_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/memberkit/sessionstore"
	"github.com/memberkit/sessionstore/storetest"
)

// mutate changes v, a settable field, to another value of its type.
func mutate(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
			return
		}
		v.Set(reflect.Zero(v.Type()))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(k, v.MapIndex(k))
		}
		m.SetMapIndex(reflect.ValueOf("added"), reflect.ValueOf(sessionstore.BoolValue(true)))
		v.Set(m)
	case reflect.Struct:
		if tm, ok := v.Interface().(time.Time); ok {
			v.Set(reflect.ValueOf(tm.Add(time.Microsecond)))
			return
		}
		t.Fatalf("no mutation for struct %s", v.Type())
	default:
		t.Fatalf("no mutation for kind %s", v.Kind())
	}
}

// Equal must notice a change in any field: the memory backend shares a
// snapshot between sessions only when Equal says they are the same.
func TestEqualSeesEveryField(t *testing.T) {
	c := storetest.NewCustomer(1)
	m := storetest.NewMember(c.ID, 1)
	if !m.Equal(m) || !c.Equal(c) {
		t.Fatal("a value is not Equal to itself")
	}
	for i := range reflect.TypeFor[sessionstore.Member]().NumField() {
		m2 := m
		mutate(t, reflect.ValueOf(&m2).Elem().Field(i))
		if m.Equal(m2) || m2.Equal(m) {
			t.Errorf("Member.Equal misses field %s", reflect.TypeFor[sessionstore.Member]().Field(i).Name)
		}
	}
	for i := range reflect.TypeFor[sessionstore.Customer]().NumField() {
		c2 := c
		mutate(t, reflect.ValueOf(&c2).Elem().Field(i))
		if c.Equal(c2) || c2.Equal(c) {
			t.Errorf("Customer.Equal misses field %s", reflect.TypeFor[sessionstore.Customer]().Field(i).Name)
		}
	}
	a := *c.BillingAddress
	for i := range reflect.TypeFor[sessionstore.Address]().NumField() {
		a2 := a
		mutate(t, reflect.ValueOf(&a2).Elem().Field(i))
		c2 := c
		c2.BillingAddress = &a2
		if c.Equal(c2) {
			t.Errorf("Customer.Equal misses address field %s", reflect.TypeFor[sessionstore.Address]().Field(i).Name)
		}
	}
}
