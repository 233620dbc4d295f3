// Package polar holds the compatibility tests of sessionstore's JSON and of
// sessionhttp's customer-session endpoints against Polar's own TypeScript
// SDK (@polar-sh/sdk, pinned in package.json). It has no API:
// compat_test.go writes member sessions as the library encodes them
// (each with its credentials, as a create response, and without, as a
// MemberSession writes itself), runs check.mjs, which parses them with the
// SDK's inbound schemas and writes sessions serialised with its outbound
// schemas, and decodes, re-encodes with credentials and compares those.
//
// endpoints_test.go serves sessionhttp's Introspect and PortalUser at
// Polar's customer-session paths on a test server and runs endpoints.mjs,
// which calls them with the SDK's own client (new Polar({ serverURL }),
// then customerPortal.customerSession.introspect and getAuthenticatedUser
// with { memberSession: token }). The SDK must parse the answers into the
// sessions' values (a return URL and name set, and null), and an expired,
// revoked, unknown or missing token must be a 401 whose body parses as the
// SDK's Unauthorized error.
//
// Run it after installing the pinned SDK:
//
//	(cd compat/polar && npm ci) && go test ./compat/polar
//
// Without Node or the installed SDK the test skips with the reason, except
// when the environment variable CI is set, where it fails.
package polar
