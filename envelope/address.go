package envelope

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"filippo.io/edwards25519"
)

// Domain is the domain part of every Yggpost address.
const Domain = "yggmail"

// ErrBadAddress is wrapped by every error ParseAddress and AddressFromKey return.
var ErrBadAddress = errors.New("bad address")

// Address is a user's ed25519 public key; its text form is
// "<64 lower-case hex digits>@yggmail".
type Address [ed25519.PublicKeySize]byte

// ParseAddress parses "<64 hex digits>@yggmail". Hex digits and domain are
// case-insensitive; surrounding white space and one pair of angle brackets
// are tolerated. Anything else is an error wrapping ErrBadAddress.
func ParseAddress(s string) (Address, error) {
	var a Address
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "<") || strings.HasSuffix(t, ">") {
		if len(t) < 2 || !strings.HasPrefix(t, "<") || !strings.HasSuffix(t, ">") {
			return a, fmt.Errorf("parse address %q: unbalanced angle brackets: %w", s, ErrBadAddress)
		}
		t = strings.TrimSpace(t[1 : len(t)-1])
	}
	if strings.ContainsAny(t, "<>") {
		return a, fmt.Errorf("parse address %q: stray angle bracket: %w", s, ErrBadAddress)
	}
	if t == "" {
		return a, fmt.Errorf("parse address %q: empty: %w", s, ErrBadAddress)
	}
	local, domain, ok := strings.Cut(t, "@")
	if !ok {
		return a, fmt.Errorf("parse address %q: missing @: %w", s, ErrBadAddress)
	}
	if !strings.EqualFold(domain, Domain) {
		return a, fmt.Errorf("parse address %q: domain must be %q: %w", s, Domain, ErrBadAddress)
	}
	if local == "" {
		return a, fmt.Errorf("parse address %q: missing key before @: %w", s, ErrBadAddress)
	}
	if err := decodeHexKey(a[:], local); err != nil {
		return a, fmt.Errorf("parse address %q: %w: %w", s, err, ErrBadAddress)
	}
	return a, nil
}

// decodeHexKey decodes exactly len(dst) bytes of hex from s.
func decodeHexKey(dst []byte, s string) error {
	if s == "" {
		return errors.New("no hex digits")
	}
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return fmt.Errorf("non-hex character %q in key at offset %d", s[i], i)
		}
	}
	if len(s) != 2*len(dst) {
		return fmt.Errorf("key has %d hex digits, want %d", len(s), 2*len(dst))
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// AddressFromKey returns the address of an ed25519 public key. The key must
// be exactly 32 bytes.
func AddressFromKey(k ed25519.PublicKey) (Address, error) {
	var a Address
	if len(k) != len(a) {
		return a, fmt.Errorf("address from key: key is %d bytes, want %d: %w", len(k), len(a), ErrBadAddress)
	}
	copy(a[:], k)
	return a, nil
}

// String returns the canonical form: lower-case hex, "@", Domain.
func (a Address) String() string { return a.Hex() + "@" + Domain }

// Hex returns the key as 64 lower-case hex digits.
func (a Address) Hex() string { return hex.EncodeToString(a[:]) }

// Key returns the ed25519 public key as a fresh slice.
func (a Address) Key() ed25519.PublicKey {
	k := make(ed25519.PublicKey, len(a))
	copy(k, a[:])
	return k
}

// CheckKey reports whether a can receive envelopes: its key must decode as
// an Edwards25519 point that is not of small order. ParseAddress checks only
// the syntax; call CheckKey where a bad recipient should be refused early
// (an SMTP RCPT, say) rather than when Seal fails.
func (a Address) CheckKey() error {
	p, err := new(edwards25519.Point).SetBytes(a[:])
	if err != nil {
		return fmt.Errorf("address %s: key is not a curve point: %w", a, ErrBadAddress)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return fmt.Errorf("address %s: key is a small-order point: %w", a, ErrBadAddress)
	}
	return nil
}

// IsZero reports whether a is the all-zero address (never a real key).
func (a Address) IsZero() bool { return a == Address{} }

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler via ParseAddress.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// ID identifies one envelope. It is random, chosen by the sender, and stays
// the same across retries so receivers and relays can de-duplicate.
type ID [16]byte

// NewID returns a random ID from crypto/rand.
func NewID() ID {
	var id ID
	_, _ = rand.Read(id[:]) // crypto/rand.Read never returns an error (Go ≥ 1.24)
	return id
}

// String returns the ID as 32 lower-case hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID parses 32 hex digits (either case, surrounding space tolerated).
func ParseID(s string) (ID, error) {
	var id ID
	if err := decodeHexKey(id[:], strings.TrimSpace(s)); err != nil {
		return id, fmt.Errorf("parse envelope id %q: %w", s, err)
	}
	return id, nil
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler via ParseID.
func (id *ID) UnmarshalText(b []byte) error {
	p, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}
