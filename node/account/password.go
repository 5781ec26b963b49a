package account

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// passwordBytes is the randomness in a password from NewPassword: 160
// bits, well beyond what guessing could reach even without the node's
// bcrypt and its slowed logins.
const passwordBytes = 20

// NewPassword returns a fresh random password for an app that sets up the
// account itself and hands it to the mail client: 160 bits from
// crypto/rand, written as 32 lower-case letters and digits 2 to 7 in
// groups of four joined by "-" (39 characters), easy to read aloud and
// needing no escaping in a link. The node stores its hash with
// node.SetPassword.
func NewPassword() string {
	raw := make([]byte, passwordBytes)
	rand.Read(raw) // never fails: crypto/rand crashes the program instead
	text := strings.ToLower(base32.StdEncoding.EncodeToString(raw))
	groups := make([]string, 0, len(text)/4)
	for len(text) > 0 {
		groups = append(groups, text[:4])
		text = text[4:]
	}
	return strings.Join(groups, "-")
}
