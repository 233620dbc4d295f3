// Package polar holds the compatibility test of sessionstore's JSON against
// Polar's own TypeScript SDK (@polar-sh/sdk, pinned in package.json). It has
// no API: compat_test.go writes member sessions as the library encodes them
// (each with its credentials, as a create response, and without, as a
// MemberSession writes itself), runs check.mjs, which parses them with the
// SDK's inbound schemas and writes sessions serialised with its outbound
// schemas, and decodes, re-encodes with credentials and compares those.
//
// Run it after installing the pinned SDK:
//
//	(cd compat/polar && npm ci) && go test ./compat/polar
//
// Without Node or the installed SDK the test skips with the reason, except
// when the environment variable CI is set, where it fails.
package polar
