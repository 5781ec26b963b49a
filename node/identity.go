package node

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

// Setting names under which a node keeps its identity in the mailbox store.
const (
	settingKey          = "node.ed25519-seed"
	settingPasswordHash = "node.password-bcrypt"
)

// bcryptHashLen is the length of every bcrypt hash in its text form.
const bcryptHashLen = 60

// ErrNoPassword means no IMAP/SMTP password has been set yet.
var ErrNoPassword = errors.New("no password set: run yggpost -password (or -passwordhash HASH) first")

// loadOrCreateKey returns the node's ed25519 key, generating and storing one
// the first time. The key is the user's mail address, so it never changes.
func loadOrCreateKey(store *mailbox.Store) (ed25519.PrivateKey, error) {
	seed, err := store.Setting(settingKey)
	switch {
	case err == nil:
		if len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("stored node key has %d bytes, want %d: the database is damaged", len(seed), ed25519.SeedSize)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	case errors.Is(err, mailbox.ErrNotFound):
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate node key: %w", err)
		}
		if err := store.SetSetting(settingKey, priv.Seed()); err != nil {
			return nil, fmt.Errorf("store node key: %w", err)
		}
		return priv, nil
	default:
		return nil, fmt.Errorf("read node key: %w", err)
	}
}

// SetPassword stores the bcrypt hash of password as the IMAP/SMTP password.
func SetPassword(store *mailbox.Store, password string) error {
	if password == "" {
		return errors.New("the password must not be empty")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return SetPasswordHash(store, string(hash))
}

// SetPasswordHash stores an existing bcrypt hash as the IMAP/SMTP password.
func SetPasswordHash(store *mailbox.Store, hash string) error {
	hash = strings.TrimSpace(hash)
	if _, err := bcrypt.Cost([]byte(hash)); err != nil || len(hash) != bcryptHashLen {
		return fmt.Errorf("not a bcrypt hash (want 60 characters starting $2a$, $2b$ or $2y$)")
	}
	if err := store.SetSetting(settingPasswordHash, []byte(hash)); err != nil {
		return fmt.Errorf("store password hash: %w", err)
	}
	return nil
}

// ErrBadLogin is returned for a wrong user name or password; it does not say
// which, so a guesser learns nothing.
var ErrBadLogin = errors.New("invalid user name or password")

// authenticator checks mail-client logins: the user name is the node's
// address (case-insensitive, angle brackets allowed) and the password must
// match the stored bcrypt hash.
type authenticator struct {
	store *mailbox.Store
	local envelope.Address
}

func (a authenticator) check(username, password string) error {
	user, err := envelope.ParseAddress(username)
	if err != nil || user != a.local {
		return ErrBadLogin
	}
	return CheckPassword(a.store, password)
}

// CheckPassword reports whether password is the stored IMAP/SMTP password:
// nil if it is, ErrBadLogin if not, ErrNoPassword if none is set.
func CheckPassword(store *mailbox.Store, password string) error {
	hash, err := store.Setting(settingPasswordHash)
	if errors.Is(err, mailbox.ErrNotFound) {
		return ErrNoPassword
	}
	if err != nil {
		return fmt.Errorf("read password hash: %w", err)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		return ErrBadLogin
	}
	return nil
}
