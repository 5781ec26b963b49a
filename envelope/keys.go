package envelope

import (
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"

	"filippo.io/edwards25519"
	"golang.org/x/crypto/chacha20poly1305"
)

// Domain-separation strings. The key derivation is the same in versions 1
// and 2 (the header, version byte included, is its salt); the signature
// prefix names the version.
const (
	kdfInfo     = "yggpost envelope v1 payload key"
	sigPrefixV1 = "yggpost envelope v1 signature\x00"
	sigPrefixV2 = "yggpost envelope v2 signature\x00"
)

// recipientX25519 converts the recipient's ed25519 public key to its X25519
// public key (the Montgomery u-coordinate of the same point, RFC 7748 §4.1).
func recipientX25519(a Address) (*ecdh.PublicKey, error) {
	p, err := new(edwards25519.Point).SetBytes(a[:])
	if err != nil {
		return nil, fmt.Errorf("recipient key is not a curve point: %w", err)
	}
	pub, err := ecdh.X25519().NewPublicKey(p.BytesMontgomery())
	if err != nil {
		return nil, fmt.Errorf("recipient x25519 key: %w", err)
	}
	return pub, nil
}

// privateX25519 derives the X25519 private key that matches an ed25519
// private key: the clamped first half of SHA-512(seed), the same scalar
// ed25519 signs with (RFC 8032 §5.1.5).
func privateX25519(k ed25519.PrivateKey) (*ecdh.PrivateKey, error) {
	h := sha512.Sum512(k.Seed())
	s := h[:32]
	s[0] &= 248
	s[31] &= 127
	s[31] |= 64
	priv, err := ecdh.X25519().NewPrivateKey(s)
	if err != nil {
		return nil, fmt.Errorf("x25519 key from ed25519 seed: %w", err)
	}
	return priv, nil
}

// payloadAEAD derives the chunk cipher from the X25519 shared secret and the
// wire bytes of the outer header: HKDF-SHA256(secret, salt=header, info).
func payloadAEAD(priv *ecdh.PrivateKey, pub *ecdh.PublicKey, header []byte) (cipher.AEAD, error) {
	shared, err := priv.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("x25519 key agreement: %w", err)
	}
	key, err := hkdf.Key(sha256.New, shared, header, kdfInfo, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive payload key: %w", err)
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, fmt.Errorf("payload cipher: %w", err)
	}
	return aead, nil
}

// signedMessage is what the sender's ed25519 key signs: the version's
// prefix and SHA-512 over outer header, inner header, (in version 2) the
// length-prefixed sender record, and message bytes.
func signedMessage(version uint8, digest []byte) []byte {
	prefix := sigPrefixV1
	if version == Version2 {
		prefix = sigPrefixV2
	}
	m := make([]byte, 0, len(prefix)+len(digest))
	return append(append(m, prefix...), digest...)
}

// recordLength is the 4-byte big-endian length that precedes the sender
// record in the version 2 signature hash.
func recordLength(n int) []byte {
	return binary.BigEndian.AppendUint32(nil, uint32(n))
}
