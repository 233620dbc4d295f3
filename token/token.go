// Package token is placeholder; replaced by the token package.
package token

// Hash is the stored form of a token.
type Hash [32]byte
