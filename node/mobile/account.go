package mobile

import (
	"fmt"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/account"
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
	password := account.NewPassword()
	if err := m.SetPassword(password); err != nil {
		return "", fmt.Errorf("create password: %w", err)
	}
	return password, nil
}

// DeltaChatLink returns the dclogin: link that sets up Delta Chat for this
// node in one tap or scan: the address, password (which must be the one
// set) and the loopback IMAP and SMTP ports of cfg, without TLS.
func (m *Node) DeltaChatLink(password string, cfg *Config) (string, error) {
	if cfg == nil {
		cfg = NewConfig()
	}
	var addr envelope.Address
	err := m.withStore(func(n *node.Node) error {
		addr = n.Address()
		return n.CheckPassword(password)
	})
	if err != nil {
		return "", err
	}
	settings := account.Settings{
		Address:  addr,
		Password: password,
		IMAP:     account.Server{Host: "127.0.0.1", Port: uint16(portOr(cfg.IMAPPort, 1143)), Security: account.Plain},
		SMTP:     account.Server{Host: "127.0.0.1", Port: uint16(portOr(cfg.SMTPPort, 1025)), Security: account.Plain},
	}
	return settings.DCLogin()
}
