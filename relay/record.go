package relay

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// recordDomain opens the message a member signs for its relay record
// (docs/relay.md, "Relay record").
const recordDomain = "yggpost relay record v1"

// recordWireVersion is the first byte of a relay record's wire form.
const recordWireVersion = 1

// MaxRelays bounds the relays one record may name.
const MaxRelays = 8

// Sizes of a relay record's wire form: recordFixed plus 32 bytes per relay.
const (
	recordFixed   = 1 + 32 + 8 + 8 + 1 + ed25519.SignatureSize
	MinRecordSize = recordFixed + 32
	MaxRecordSize = recordFixed + MaxRelays*32
)

// Record is a member's signed list of the relays that hold mail for it.
// Senders deposit at these relays when the member is offline. A record with
// a higher Seq replaces one with a lower; after Expires it is void. Expires
// is in whole seconds.
type Record struct {
	Member    envelope.Address
	Seq       uint64
	Expires   time.Time
	Relays    []envelope.Address // 1..MaxRelays, distinct, none equal to Member
	Signature [ed25519.SignatureSize]byte
}

// NewRecord builds and signs the record of member's key naming relays.
func NewRecord(member ed25519.PrivateKey, relays []envelope.Address, seq uint64, expires time.Time) (Record, error) {
	var rec Record
	if len(member) != ed25519.PrivateKeySize {
		return rec, fmt.Errorf("sign relay record: member key is %d bytes: %w", len(member), ErrBadRecord)
	}
	copy(rec.Member[:], member.Public().(ed25519.PublicKey))
	rec.Seq, rec.Expires = seq, time.Unix(expires.Unix(), 0)
	rec.Relays = append([]envelope.Address(nil), relays...)
	if err := rec.checkRelays(); err != nil {
		return Record{}, fmt.Errorf("sign relay record: %w", err)
	}
	copy(rec.Signature[:], ed25519.Sign(member, rec.signedBytes()))
	return rec, nil
}

// checkRelays enforces the limits on Relays.
func (r *Record) checkRelays() error {
	if n := len(r.Relays); n < 1 || n > MaxRelays {
		return fmt.Errorf("%d relays, want 1 to %d: %w", n, MaxRelays, ErrBadRecord)
	}
	for i, a := range r.Relays {
		if a == r.Member {
			return fmt.Errorf("relay %d is the member itself: %w", i, ErrBadRecord)
		}
		for _, b := range r.Relays[:i] {
			if a == b {
				return fmt.Errorf("relay %s named twice: %w", a, ErrBadRecord)
			}
		}
	}
	return nil
}

// appendFields appends member, seq, expires, relay count and relays.
func (r *Record) appendFields(b []byte) []byte {
	b = append(b, r.Member[:]...)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Expires.Unix()))
	b = append(b, byte(len(r.Relays)))
	for _, a := range r.Relays {
		b = append(b, a[:]...)
	}
	return b
}

func (r *Record) signedBytes() []byte {
	b := make([]byte, 0, len(recordDomain)+1+MaxRecordSize)
	b = append(b, recordDomain...)
	b = append(b, 0)
	return r.appendFields(b)
}

// Verify checks the limits on Relays, the member's signature, and that the
// record has not expired at now (ErrRecordExpired).
func (r *Record) Verify(now time.Time) error {
	if err := r.checkRelays(); err != nil {
		return fmt.Errorf("verify relay record of %s: %w", r.Member, err)
	}
	if !ed25519.Verify(r.Member[:], r.signedBytes(), r.Signature[:]) {
		return fmt.Errorf("verify relay record of %s: %w", r.Member, ErrBadSignature)
	}
	if !now.Before(r.Expires) {
		return fmt.Errorf("verify relay record of %s: expired %s: %w", r.Member, r.Expires.UTC().Format(time.RFC3339), ErrRecordExpired)
	}
	return nil
}

// Lists reports whether the record names relay.
func (r *Record) Lists(relay envelope.Address) bool {
	for _, a := range r.Relays {
		if a == relay {
			return true
		}
	}
	return false
}

// MarshalBinary returns the wire form: version, member, seq, expires,
// relay count, relays, signature.
func (r *Record) MarshalBinary() ([]byte, error) {
	if err := r.checkRelays(); err != nil {
		return nil, fmt.Errorf("encode relay record: %w", err)
	}
	b := make([]byte, 1, recordFixed+32*len(r.Relays))
	b[0] = recordWireVersion
	b = r.appendFields(b)
	return append(b, r.Signature[:]...), nil
}

// UnmarshalBinary decodes the wire form: exactly the length its relay
// count implies, version 1, relays within the limits. It does not verify
// the signature or the expiry; call Verify.
func (r *Record) UnmarshalBinary(b []byte) error {
	if len(b) < MinRecordSize || len(b) > MaxRecordSize {
		return fmt.Errorf("decode relay record: %d bytes, want %d to %d: %w", len(b), MinRecordSize, MaxRecordSize, ErrBadRecord)
	}
	if b[0] != recordWireVersion {
		return fmt.Errorf("decode relay record: version %d: %w", b[0], ErrBadRecord)
	}
	var d Record
	p := b[1:]
	p = p[copy(d.Member[:], p):]
	d.Seq = binary.BigEndian.Uint64(p)
	d.Expires = time.Unix(int64(binary.BigEndian.Uint64(p[8:])), 0)
	n := int(p[16])
	if n < 1 || n > MaxRelays || len(b) != recordFixed+32*n {
		return fmt.Errorf("decode relay record: %d bytes for %d relays: %w", len(b), n, ErrBadRecord)
	}
	p = p[17:]
	d.Relays = make([]envelope.Address, n)
	for i := range d.Relays {
		p = p[copy(d.Relays[i][:], p):]
	}
	copy(d.Signature[:], p)
	if err := d.checkRelays(); err != nil {
		return fmt.Errorf("decode relay record: %w", err)
	}
	*r = d
	return nil
}
