// Package testkit holds the test helpers that several of this module's test
// packages share and that a backend author has no use for: inserting
// records without ceremony and naming them in failure messages.
//
// Helpers a backend author would call live in storetest instead.
package testkit
