package backend

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/memberkit/sessionstore"
)

// The checksum of the record encoding. It is a layer over the field layout
// rather than part of it, so that every layout version gets it the same
// way: a record whose version byte has sealedFlag set is that version's
// layout (with the flag cleared, version 1 is the layout described in
// codec.go) followed by a 4-byte little-endian CRC-32C (Castagnoli) of
// every byte before it, the version byte included. MarshalBinary always
// seals; UnmarshalBinary verifies the checksum of a sealed record before it
// reads a field, and still accepts the unsealed records of version 1 that
// stores written before the checksum hold.
//
// CRC-32C catches every burst of up to 32 flipped bits and all but one in
// 2^32 of other damage; it runs in hardware on amd64 and arm64.

// sealedFlag marks a version byte whose record ends in a checksum.
const sealedFlag = 0x80

// checksumLen is the length of the trailing checksum.
const checksumLen = 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// seal marks the record encoded in b[start:] as sealed and appends its
// checksum.
func seal(b []byte, start int) []byte {
	b[start] |= sealedFlag
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// unseal returns the layout version of the record in data and its bytes
// without the checksum. A sealed record whose checksum does not match is
// an error wrapping ErrCorrupt.
func unseal(data []byte) (version byte, payload []byte, err error) {
	if len(data) == 0 {
		return 0, nil, fmt.Errorf("%w: empty record", sessionstore.ErrCorrupt)
	}
	if data[0]&sealedFlag == 0 {
		return data[0], data, nil
	}
	n := len(data) - checksumLen
	if n < 1 {
		return 0, nil, fmt.Errorf("%w: record shorter than its checksum", sessionstore.ErrCorrupt)
	}
	if binary.LittleEndian.Uint32(data[n:]) != crc32.Checksum(data[:n], castagnoli) {
		return 0, nil, fmt.Errorf("%w: record checksum mismatch", sessionstore.ErrCorrupt)
	}
	return data[0] &^ sealedFlag, data[:n], nil
}
