package yggmail

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ParsePrivateKey reads Yggmail's private_key value: the 64-byte ed25519
// private key as 128 hex digits, the seed and then the public key. The
// public half is the user's address, so it must be the key the seed
// derives: a key whose halves disagree would sign as someone other than
// the address it claims.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	s = strings.TrimSpace(s)
	if len(s) != 2*ed25519.PrivateKeySize {
		return nil, fmt.Errorf("private key: %d characters, want %d hex digits", len(s), 2*ed25519.PrivateKeySize)
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("private key: not hex: %w", err)
	}
	key := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
	if !bytes.Equal(key[ed25519.SeedSize:], raw[ed25519.SeedSize:]) {
		return nil, errors.New("private key: its public half is not the key its seed derives; the database is damaged")
	}
	return key, nil
}

// ParsePasswordHash checks Yggmail's password value, a bcrypt hash.
func ParsePasswordHash(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := bcrypt.Cost([]byte(s)); err != nil || len(s) != 60 {
		return "", errors.New("password: not a bcrypt hash (want 60 characters starting $2a$, $2b$ or $2y$)")
	}
	return s, nil
}

// parseBool reads one of Yggmail's BOOLEAN columns. SQLite keeps no
// boolean type: Yggmail writes 0 and 1, and a value edited by hand may be
// any integer (true unless 0, as SQLite itself reads it) or text.
func parseBool(v any) (bool, error) {
	switch v := v.(type) {
	case int64:
		return v != 0, nil
	case bool:
		return v, nil
	case float64:
		return v != 0, nil
	case []byte:
		return parseBoolText(string(v))
	case string:
		return parseBoolText(v)
	}
	return false, fmt.Errorf("boolean column holds %T", v)
}

func parseBoolText(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "t", "yes":
		return true, nil
	case "0", "false", "f", "no", "":
		return false, nil
	}
	return false, fmt.Errorf("boolean column holds %q", s)
}

// parseTime reads the datetime column, Unix seconds.
func parseTime(v any) (time.Time, error) {
	var sec int64
	switch v := v.(type) {
	case int64:
		sec = v
	case float64:
		if math.IsNaN(v) || math.Abs(v) > 1<<53 {
			return time.Time{}, fmt.Errorf("datetime %v is not a time", v)
		}
		sec = int64(v)
	case []byte, string:
		n, err := strconv.ParseInt(strings.TrimSpace(text(v)), 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("datetime %q is not Unix seconds", text(v))
		}
		sec = n
	default:
		return time.Time{}, fmt.Errorf("datetime holds %T", v)
	}
	return time.Unix(sec, 0), nil
}

// text returns v, a []byte or a string, as a string.
func text(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	s, _ := v.(string)
	return s
}
