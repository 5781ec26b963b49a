package mobile

import (
	"crypto/rand"
	"fmt"

	"github.com/yggpost/yggpost/node"
)

// withStore runs fn on the node's database: the running node's, or, while
// stopped, the database opened for the call and closed after it.
func (m *Node) withStore(fn func(*node.Node) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.run != nil {
		return fn(m.run.n)
	}
	n, err := node.Open(node.Config{Database: m.dir})
	if err != nil {
		return err
	}
	if err := fn(n); err != nil {
		n.Close()
		return err
	}
	return n.Close()
}

// Address returns the user's mail address, <64 hex digits>@yggmail, which
// is also the IMAP and SMTP user name. The first call creates the key.
func (m *Node) Address() (string, error) {
	var addr string
	err := m.withStore(func(n *node.Node) error {
		addr = n.Address().String()
		return nil
	})
	return addr, err
}

// SetPassword sets the IMAP and SMTP password.
func (m *Node) SetPassword(password string) error {
	return m.withStore(func(n *node.Node) error { return n.SetPassword(password) })
}

// CreatePassword makes a new random password, sets it, and returns it for
// the app to hand to its mail client (the node keeps only its hash).
func (m *Node) CreatePassword() (string, error) {
	password := rand.Text() // 26 characters, 130 bits
	if err := m.SetPassword(password); err != nil {
		return "", fmt.Errorf("create password: %w", err)
	}
	return password, nil
}
