package relay

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// registrationDomain opens the message a member signs to register
// (docs/relay.md, "Registration").
const registrationDomain = "yggpost relay registration v1"

// registrationVersion is the first byte of a registration's wire form.
const registrationVersion = 1

// MaxTokenLen bounds an invite token in a registration.
const MaxTokenLen = 255

// Registration is a member's signed request to be held mail for by Relay.
// Time is in whole seconds; Nonce makes every request unique.
type Registration struct {
	Member    envelope.Address
	Relay     envelope.Address
	Time      time.Time
	Nonce     [16]byte
	Token     string // invite token; empty unless the relay asks for one
	Signature [ed25519.SignatureSize]byte
}

// NewRegistration builds and signs a registration of member's key with
// relay at time now, with an optional invite token.
func NewRegistration(member ed25519.PrivateKey, relay envelope.Address, now time.Time, token string) (Registration, error) {
	var g Registration
	if len(member) != ed25519.PrivateKeySize {
		return g, fmt.Errorf("sign registration: member key is %d bytes: %w", len(member), ErrBadRegistration)
	}
	if err := checkToken(token); err != nil {
		return g, fmt.Errorf("sign registration: %w", err)
	}
	copy(g.Member[:], member.Public().(ed25519.PublicKey))
	g.Relay, g.Time, g.Token = relay, time.Unix(now.Unix(), 0), token
	_, _ = rand.Read(g.Nonce[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	copy(g.Signature[:], ed25519.Sign(member, g.signedBytes()))
	return g, nil
}

// checkToken allows up to MaxTokenLen printable ASCII characters.
func checkToken(t string) error {
	if len(t) > MaxTokenLen {
		return fmt.Errorf("invite token of %d bytes, at most %d: %w", len(t), MaxTokenLen, ErrBadRegistration)
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x21 || t[i] > 0x7e {
			return fmt.Errorf("invite token has byte %#x at %d: %w", t[i], i, ErrBadRegistration)
		}
	}
	return nil
}

func (g *Registration) signedBytes() []byte {
	b := make([]byte, 0, len(registrationDomain)+1+32+32+8+16+1+len(g.Token))
	b = append(b, registrationDomain...)
	b = append(b, 0)
	b = append(b, g.Relay[:]...)
	b = append(b, g.Member[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(g.Time.Unix()))
	b = append(b, g.Nonce[:]...)
	b = append(b, byte(len(g.Token)))
	return append(b, g.Token...)
}

// Verify checks the token syntax and the member's signature. Whether the
// relay accepts the registration is Register's decision.
func (g *Registration) Verify() error {
	if err := checkToken(g.Token); err != nil {
		return fmt.Errorf("verify registration of %s: %w", g.Member, err)
	}
	if !ed25519.Verify(g.Member[:], g.signedBytes(), g.Signature[:]) {
		return fmt.Errorf("verify registration of %s: %w", g.Member, ErrBadSignature)
	}
	return nil
}

// MarshalBinary returns the wire form: version, member, relay, time,
// nonce, token length, token, signature.
func (g *Registration) MarshalBinary() ([]byte, error) {
	if err := checkToken(g.Token); err != nil {
		return nil, fmt.Errorf("encode registration: %w", err)
	}
	b := make([]byte, 1, registrationFixed+len(g.Token))
	b[0] = registrationVersion
	b = append(b, g.Member[:]...)
	b = append(b, g.Relay[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(g.Time.Unix()))
	b = append(b, g.Nonce[:]...)
	b = append(b, byte(len(g.Token)))
	b = append(b, g.Token...)
	return append(b, g.Signature[:]...), nil
}

// registrationFixed is the wire size of a registration without its token.
const registrationFixed = 1 + 32 + 32 + 8 + 16 + 1 + ed25519.SignatureSize

// UnmarshalBinary decodes the wire form. It does not verify the signature.
func (g *Registration) UnmarshalBinary(b []byte) error {
	if len(b) < registrationFixed {
		return fmt.Errorf("decode registration: %d bytes, at least %d: %w", len(b), registrationFixed, ErrBadRegistration)
	}
	if b[0] != registrationVersion {
		return fmt.Errorf("decode registration: version %d: %w", b[0], ErrBadRegistration)
	}
	var d Registration
	p := b[1:]
	p = p[copy(d.Member[:], p):]
	p = p[copy(d.Relay[:], p):]
	d.Time = time.Unix(int64(binary.BigEndian.Uint64(p)), 0)
	p = p[8+copy(d.Nonce[:], p[8:]):]
	n := int(p[0])
	if len(b) != registrationFixed+n {
		return fmt.Errorf("decode registration: %d bytes for a token of %d: %w", len(b), n, ErrBadRegistration)
	}
	d.Token = string(p[1 : 1+n])
	copy(d.Signature[:], p[1+n:])
	if err := checkToken(d.Token); err != nil {
		return fmt.Errorf("decode registration: %w", err)
	}
	*g = d
	return nil
}
