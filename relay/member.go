package relay

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// Register admits the member of a signed registration, or renews its
// registration. It checks, in order: the signature, that the request names
// this relay, that its time is within RegistrationWindow of the relay's
// clock and newer than the member's last accepted request (no replay), the
// policy, and, for a new member under PolicyInvite, the invite token, which
// it consumes.
func (r *Relay) Register(g Registration) error {
	if err := r.enter(); err != nil {
		return err
	}
	defer r.leave()
	if err := r.checkRegistration(&g); err != nil {
		return fmt.Errorf("register %s: %w", g.Member, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var added bool
	err := r.db.Update(func(txn *badger.Txn) error {
		var err error
		added, err = r.admit(txn, &g)
		return err
	})
	if err != nil {
		return fmt.Errorf("register %s: %w", g.Member, err)
	}
	if added {
		r.members++
		r.setForwarding(g.Member, !r.isAllowed(g.Member))
		r.log.Info("member registered", "member", g.Member.String())
	}
	return nil
}

// checkRegistration runs the checks that need no stored state.
func (r *Relay) checkRegistration(g *Registration) error {
	if err := g.Verify(); err != nil {
		return err
	}
	if g.Relay != r.self {
		return fmt.Errorf("names relay %s, this is %s: %w", g.Relay, r.self, ErrWrongRelay)
	}
	now := r.opts.Now()
	if d := now.Sub(g.Time); d > RegistrationWindow || d < -RegistrationWindow {
		return fmt.Errorf("time %s is %s from the relay's clock: %w", g.Time.UTC().Format(time.RFC3339), d.Round(time.Second), ErrStale)
	}
	if !r.isAllowed(g.Member) {
		return fmt.Errorf("not on the allowlist: %w", ErrNotAllowed)
	}
	return nil
}

// admit checks the replay stamp and the invite inside txn and writes the
// member. It reports whether the member is new.
func (r *Relay) admit(txn *badger.Txn, g *Registration) (bool, error) {
	last, err := getTime(txn, stampKey(g.Member), "registration stamp")
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		return false, err
	}
	if err == nil && !g.Time.After(last) {
		return false, fmt.Errorf("time %d not after the last accepted %d: %w", g.Time.Unix(), last.Unix(), ErrStale)
	}
	_, err = txn.Get(memberKey(g.Member))
	isNew := errors.Is(err, badger.ErrKeyNotFound)
	if err != nil && !isNew {
		return false, err
	}
	if isNew && r.limits().policy == PolicyInvite {
		if err := r.useInvite(txn, g.Token); err != nil {
			return false, err
		}
	}
	if err := txn.Set(stampKey(g.Member), encodeTime(g.Time)); err != nil {
		return false, err
	}
	if isNew {
		return true, txn.Set(memberKey(g.Member), encodeTime(r.opts.Now()))
	}
	return false, nil
}

// useInvite deletes a valid, unexpired invite or fails with ErrBadInvite.
func (r *Relay) useInvite(txn *badger.Txn, token string) error {
	if token == "" {
		return fmt.Errorf("a new member needs an invite: %w", ErrBadInvite)
	}
	created, err := getTime(txn, inviteKey(token), "invite")
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("unknown or used invite: %w", ErrBadInvite)
	}
	if err != nil {
		return err
	}
	if !r.opts.Now().Before(created.Add(r.opts.InviteLifetime)) {
		return fmt.Errorf("invite expired: %w", ErrBadInvite)
	}
	return txn.Delete(inviteKey(token))
}

// getTime reads a time record; a missing key is badger.ErrKeyNotFound.
func getTime(txn *badger.Txn, key []byte, what string) (time.Time, error) {
	item, err := txn.Get(key)
	if err != nil {
		return time.Time{}, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return time.Time{}, err
	}
	return decodeTime(v, what)
}

// IsMember reports whether a is a member: registered and, under
// PolicyAllowlist, still on the list.
func (r *Relay) IsMember(a envelope.Address) (bool, error) {
	if err := r.enter(); err != nil {
		return false, err
	}
	defer r.leave()
	var ok bool
	err := r.db.View(func(txn *badger.Txn) error {
		var err error
		ok, err = r.isMember(txn, a)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("check member %s: %w", a, err)
	}
	return ok, nil
}

func (r *Relay) isMember(txn *badger.Txn, a envelope.Address) (bool, error) {
	if !r.isAllowed(a) {
		return false, nil
	}
	_, err := txn.Get(memberKey(a))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// isAllowed reports whether the policy lets a be a member once registered.
func (r *Relay) isAllowed(a envelope.Address) bool {
	l := r.limits()
	return l.policy != PolicyAllowlist || l.allow[a]
}

// NewInvite returns a fresh single-use invite token for PolicyInvite, valid
// for Options.InviteLifetime. Only its SHA-256 hash is stored.
func (r *Relay) NewInvite() (string, error) {
	if err := r.enter(); err != nil {
		return "", err
	}
	defer r.leave()
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	token := hex.EncodeToString(raw[:])
	r.mu.Lock()
	defer r.mu.Unlock()
	keys, err := r.keysWithPrefix([]byte{tagInvite})
	if err != nil {
		return "", fmt.Errorf("new invite: %w", err)
	}
	if len(keys) >= r.opts.MaxInvites {
		return "", fmt.Errorf("new invite: %d outstanding: %w", len(keys), ErrTooManyInvites)
	}
	err = r.db.Update(func(txn *badger.Txn) error {
		return txn.Set(inviteKey(token), encodeTime(r.opts.Now()))
	})
	if err != nil {
		return "", fmt.Errorf("new invite: %w", err)
	}
	return token, nil
}
