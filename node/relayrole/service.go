package relayrole

import (
	"context"
	"errors"
	"io"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node/peer"
	"github.com/yggpost/yggpost/relay"
)

// The Role is the relay behind the node's peer server (peer.RelayService):
// deposits, registration, records, DROP and the hand-over of a turned
// session.
var _ peer.RelayService = (*Role)(nil)

// Admit takes deposits for members from anyone, and with forwarding on
// also members' deposits for anyone.
func (ro *Role) Admit(from, rcpt envelope.Address) error {
	member, err := ro.r.IsMember(rcpt)
	if err != nil {
		return &peer.Error{Code: 451, Enhanced: "4.3.0", Message: "relay store unavailable, try again later"}
	}
	if member {
		return nil
	}
	if ro.opts.Store.Forward {
		if ok, err := ro.r.IsMember(from); err == nil && ok {
			return nil
		}
	}
	return &peer.Error{Code: 550, Enhanced: "5.1.1", Message: "recipient is not a member of this relay"}
}

// Deposit stores a sealed envelope and returns its signed custody receipt.
func (ro *Role) Deposit(ctx context.Context, from, rcpt envelope.Address, size int64, body io.Reader) ([]byte, error) {
	receipt, err := ro.r.Deposit(from, size, body)
	if err != nil {
		return nil, relayRefusal(err)
	}
	ro.log.Info("deposit taken into custody", "to", rcpt.String(), "id", receipt.ID.String(), "size", size)
	return receipt.MarshalBinary()
}

// Register makes the connecting node a member, if its signed registration
// is its own and the relay's policy admits it.
func (ro *Role) Register(ctx context.Context, from envelope.Address, wire []byte) error {
	var g relay.Registration
	if err := g.UnmarshalBinary(wire); err != nil {
		return &peer.Error{Code: 501, Enhanced: "5.5.4", Message: err.Error()}
	}
	if g.Member != from {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: "the registration is not signed by the connecting node's key"}
	}
	if err := ro.r.Register(g); err != nil {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: err.Error()}
	}
	return nil
}

// Publish keeps the connecting node's signed relay record, answered for
// in RELAYS.
func (ro *Role) Publish(ctx context.Context, from envelope.Address, wire []byte) error {
	var rec relay.Record
	if err := rec.UnmarshalBinary(wire); err != nil {
		return &peer.Error{Code: 501, Enhanced: "5.5.4", Message: err.Error()}
	}
	if rec.Member != from {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: "the relay record is not the connecting node's"}
	}
	if err := ro.r.Publish(rec); err != nil {
		return &peer.Error{Code: 550, Enhanced: "5.7.1", Message: err.Error()}
	}
	return nil
}

// Drop deletes the envelopes held for the connecting node with these ids.
func (ro *Role) Drop(ctx context.Context, from envelope.Address, ids []envelope.ID) error {
	if err := ro.r.Drop(from, ids...); err != nil {
		return &peer.Error{Code: 451, Enhanced: "4.3.0", Message: err.Error()}
	}
	return nil
}

// relayRefusal turns a relay store error into the reply a depositor gets.
func relayRefusal(err error) error {
	switch {
	case errors.Is(err, relay.ErrNotMember):
		return &peer.Error{Code: 550, Enhanced: "5.1.1", Message: err.Error()}
	case errors.Is(err, relay.ErrQuotaBytes), errors.Is(err, relay.ErrQuotaCount):
		return &peer.Error{Code: 452, Enhanced: "4.2.2", Message: "the recipient's storage at this relay is full: " + err.Error()}
	case errors.Is(err, relay.ErrForwardBytes), errors.Is(err, relay.ErrForwardCount):
		return &peer.Error{Code: 452, Enhanced: "4.3.1", Message: "this relay holds as much for forwarding as it may: " + err.Error()}
	case errors.Is(err, relay.ErrTooLarge):
		return &peer.Error{Code: 552, Enhanced: "5.3.4", Message: err.Error()}
	case errors.Is(err, relay.ErrRateLimited):
		return &peer.Error{Code: 450, Enhanced: "4.7.1", Message: err.Error()}
	case errors.Is(err, relay.ErrBusy):
		return &peer.Error{Code: 451, Enhanced: "4.3.2", Message: err.Error()}
	case errors.Is(err, relay.ErrMalformed):
		return &peer.Error{Code: 554, Enhanced: "5.6.0", Message: err.Error()}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return err // the stream broke; nothing is acknowledged
	}
	return &peer.Error{Code: 451, Enhanced: "4.3.0", Message: "relay store error, try again later"}
}
