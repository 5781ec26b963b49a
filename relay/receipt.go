package relay

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

// receiptDomain opens the message a relay signs for a custody receipt
// (docs/relay.md, "Custody receipt").
const receiptDomain = "yggpost relay custody receipt v1"

// receiptVersion is the first byte of a receipt's wire form.
const receiptVersion = 1

// ReceiptSize is the length of a custody receipt's wire form.
const ReceiptSize = 1 + 32 + 32 + 16 + 8 + 8 + 8 + ed25519.SignatureSize

// CustodyReceipt is the relay's signed statement that it holds an envelope
// for Recipient until Expires. Times are whole seconds. A sender keeps it:
// it may stop retrying that copy, and it knows when the relay will give up.
type CustodyReceipt struct {
	Relay     envelope.Address
	Recipient envelope.Address
	ID        envelope.ID
	Size      int64
	Received  time.Time
	Expires   time.Time
	Signature [ed25519.SignatureSize]byte
	// Duplicate reports that the relay already held the envelope when this
	// deposit arrived. It is not signed and not part of the wire form.
	Duplicate bool
}

// signedBytes is the message the relay signs.
func (c *CustodyReceipt) signedBytes() []byte {
	b := make([]byte, 0, len(receiptDomain)+1+ReceiptSize)
	b = append(b, receiptDomain...)
	b = append(b, 0)
	return c.appendFields(b)
}

// appendFields appends relay, recipient, id, size, received and expires.
func (c *CustodyReceipt) appendFields(b []byte) []byte {
	b = append(b, c.Relay[:]...)
	b = append(b, c.Recipient[:]...)
	b = append(b, c.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Size))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Received.Unix()))
	return binary.BigEndian.AppendUint64(b, uint64(c.Expires.Unix()))
}

// sign fills in Relay and Signature with key.
func (c *CustodyReceipt) sign(key ed25519.PrivateKey) {
	copy(c.Relay[:], key.Public().(ed25519.PublicKey))
	copy(c.Signature[:], ed25519.Sign(key, c.signedBytes()))
}

// Verify checks the signature against the Relay key in the receipt. The
// caller checks that Relay is a relay it deposited with.
func (c *CustodyReceipt) Verify() error {
	if !ed25519.Verify(c.Relay[:], c.signedBytes(), c.Signature[:]) {
		return fmt.Errorf("verify custody receipt for %s from relay %s: %w", c.ID, c.Relay, ErrBadSignature)
	}
	return nil
}

// Check verifies the receipt as the sender of an envelope does: signed by
// relay, for that recipient, id and size.
func (c *CustodyReceipt) Check(relay, recipient envelope.Address, id envelope.ID, size int64) error {
	if c.Relay != relay || c.Recipient != recipient || c.ID != id || c.Size != size {
		return fmt.Errorf("check custody receipt for %s: it names relay %s, recipient %s, id %s, size %d: %w",
			id, c.Relay, c.Recipient, c.ID, c.Size, ErrBadReceipt)
	}
	return c.Verify()
}

// MarshalBinary returns the receipt's wire form (ReceiptSize bytes).
func (c *CustodyReceipt) MarshalBinary() ([]byte, error) {
	b := make([]byte, 1, ReceiptSize)
	b[0] = receiptVersion
	b = c.appendFields(b)
	return append(b, c.Signature[:]...), nil
}

// UnmarshalBinary decodes a receipt's wire form. It does not verify the
// signature; call Verify.
func (c *CustodyReceipt) UnmarshalBinary(b []byte) error {
	if len(b) != ReceiptSize {
		return fmt.Errorf("decode custody receipt: %d bytes, want %d: %w", len(b), ReceiptSize, ErrBadReceipt)
	}
	if b[0] != receiptVersion {
		return fmt.Errorf("decode custody receipt: version %d: %w", b[0], ErrBadReceipt)
	}
	var d CustodyReceipt
	p := b[1:]
	p = p[copy(d.Relay[:], p):]
	p = p[copy(d.Recipient[:], p):]
	p = p[copy(d.ID[:], p):]
	d.Size = int64(binary.BigEndian.Uint64(p))
	d.Received = time.Unix(int64(binary.BigEndian.Uint64(p[8:])), 0)
	d.Expires = time.Unix(int64(binary.BigEndian.Uint64(p[16:])), 0)
	copy(d.Signature[:], p[24:])
	if d.Size <= 0 {
		return fmt.Errorf("decode custody receipt: size %d: %w", d.Size, ErrBadReceipt)
	}
	*c = d
	return nil
}

// receiptFor builds and signs the receipt for a held record.
func (r *Relay) receiptFor(to envelope.Address, id envelope.ID, h heldRec, dup bool) CustodyReceipt {
	c := CustodyReceipt{
		Recipient: to,
		ID:        id,
		Size:      h.size,
		Received:  time.Unix(0, h.received).Truncate(time.Second),
		Expires:   time.Unix(0, h.expires).Truncate(time.Second),
		Duplicate: dup,
	}
	c.sign(r.opts.Key)
	return c
}

// ReadCustodyReceipt decodes the custody receipt a relay returned for a
// deposit of envelope id to rcpt and checks it as the depositor does:
// signed by relayAddr, for that recipient and id. The size is not
// compared: a relay that held the envelope already answers with the
// receipt of its copy, which may have been sealed with another record.
func ReadCustodyReceipt(wire []byte, relayAddr, rcpt envelope.Address, id envelope.ID) (CustodyReceipt, error) {
	var c CustodyReceipt
	if err := c.UnmarshalBinary(wire); err != nil {
		return c, err
	}
	return c, c.Check(relayAddr, rcpt, id, c.Size)
}
