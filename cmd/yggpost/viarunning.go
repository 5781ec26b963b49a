package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/control"
	"github.com/yggpost/yggpost/node/mailfile"
)

// onRunningNode carries out an action that works on the database through
// the control socket of the node running on it (Badger lets only that
// process open the database); ran is false when no node runs there, and
// the caller opens the database itself.
func onRunningNode(o options, stdin io.Reader, stdout, stderr io.Writer) (code int, ran bool) {
	db := o.cfg.Database
	switch {
	case o.tls.fingerprint:
		return callText(db, control.Request{Command: "fingerprint"}, "-tls-fingerprint", stdout, stderr)
	case o.passwordHash != "":
		return callPasswordHash(db, o.passwordHash, "-passwordhash", stderr)
	case o.setPassword:
		if !nodeRuns(db) {
			return 0, false
		}
		pw, err := readNewPassword(stdin, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "yggpost: -password: %v\n", err)
			return exitUsage, true
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			return report(stderr, "-password", err), true
		}
		return callPasswordHash(db, string(hash), "-password", stderr)
	case o.relay.invite > 0:
		return callInvites(db, o.relay.invite, stdout, stderr)
	case o.mailfile.requested():
		return callMailFile(db, o.mailfile, stdout, stderr)
	case o.dclogin || o.setup.host != "":
		a, ran, err := newRunningAccount(db)
		if !ran {
			return 0, false
		}
		if err != nil {
			return report(stderr, "-dclogin", err), true
		}
		if o.dclogin {
			return printDCLogin(a, o.cfg, stdin, stdout, stderr), true
		}
		if err := certificateNames(a.TLSCertificatePEM(), o.setup.host); err != nil {
			return usageError(stderr, "-setup", err), true
		}
		return runSetup(a, o.cfg, o.setup, stdin, stdout, stderr), true
	}
	return 0, false
}

// nodeRuns reports whether a node answers on the database's socket.
func nodeRuns(database string) bool {
	out, err := control.Call(database, control.Request{Command: "address"})
	if err != nil {
		return false
	}
	out.Close()
	return true
}

// call runs req on the running node and returns its whole answer; ran is
// false when no node runs.
func call(database string, req control.Request) (answer []byte, ran bool, err error) {
	out, err := control.Call(database, req)
	if errors.Is(err, control.ErrNotRunning) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	defer out.Close()
	answer, err = io.ReadAll(out)
	return answer, true, err
}

func callText(database string, req control.Request, flag string, stdout, stderr io.Writer) (int, bool) {
	answer, ran, err := call(database, req)
	if !ran || err != nil {
		return report(stderr, flag, err), ran
	}
	stdout.Write(answer)
	return exitOK, true
}

func callPasswordHash(database, hash, flag string, stderr io.Writer) (int, bool) {
	_, ran, err := call(database, control.Request{Command: "password-hash", Args: map[string]string{"hash": hash}})
	if ran && err == nil {
		fmt.Fprintln(stderr, "password set on the running node")
	}
	return report(stderr, flag, err), ran
}

func callInvites(database string, count int, stdout, stderr io.Writer) (int, bool) {
	answer, ran, err := call(database, control.Request{Command: "relay-invites", Args: map[string]string{"count": strconv.Itoa(count)}})
	if !ran || err != nil {
		return report(stderr, "-relay-invite", err), ran
	}
	var tokens []string
	if err := json.Unmarshal(answer, &tokens); err != nil {
		return report(stderr, "-relay-invite", fmt.Errorf("unreadable answer from the node: %w", err)), true
	}
	for _, t := range tokens {
		fmt.Fprintln(stdout, t)
	}
	fmt.Fprintf(stderr, "%d invite tokens created on the running relay, each for one new member\n", len(tokens))
	return exitOK, true
}

// callMailFile has the running node export or import mail files; paths go
// absolute, as the node resolves them in its own working directory.
func callMailFile(database string, m mailFileFlags, stdout, stderr io.Writer) (int, bool) {
	if err := m.check(); err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		return exitUsage, true
	}
	op, path, verb := "export", m.export, "exported"
	switch {
	case m.maildir != "":
		op, path, verb = "import-maildir", m.maildir, "imported"
	case m.mbox != "":
		op, path, verb = "import-mbox", m.mbox, "imported"
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return report(stderr, "-"+op, err), true
	}
	answer, ran, err := call(database, control.Request{Command: "mailfile", Args: map[string]string{"op": op, "path": abs, "into": m.into}})
	if !ran || err != nil {
		return report(stderr, "-"+op, err), ran
	}
	var a struct {
		Report mailfile.Report `json:"report"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(answer, &a); err != nil {
		return report(stderr, "-"+op, fmt.Errorf("unreadable answer from the node: %w", err)), true
	}
	var runErr error
	if a.Error != "" {
		runErr = errors.New(a.Error)
	}
	return reportMailFile(verb, a.Report, runErr, stdout, stderr), true
}

// accountSource is what -dclogin and -setup read of a node: an opened
// database (*node.Node) or the running node (runningAccount).
type accountSource interface {
	Address() envelope.Address
	CheckPassword(password string) error
	TLSCertificatePEM() []byte
}

// runningAccount asks the node running on database. The password to check
// goes over the control socket, which only the node's user can open.
type runningAccount struct {
	database string
	addr     envelope.Address
}

// newRunningAccount asks the node running on database for its address;
// ran is false when no node runs there.
func newRunningAccount(database string) (a *runningAccount, ran bool, err error) {
	answer, ran, err := call(database, control.Request{Command: "address"})
	if !ran || err != nil {
		return nil, ran, err
	}
	addr, err := envelope.ParseAddress(strings.TrimSpace(string(answer)))
	if err != nil {
		return nil, true, fmt.Errorf("the node answered no address: %w", err)
	}
	return &runningAccount{database: database, addr: addr}, true, nil
}

func (a *runningAccount) Address() envelope.Address { return a.addr }

func (a *runningAccount) CheckPassword(password string) error {
	answer, _, err := call(a.database, control.Request{Command: "check-password", Args: map[string]string{"password": password}})
	if err != nil {
		return err
	}
	var c node.PasswordCheck
	if err := json.Unmarshal(answer, &c); err != nil {
		return fmt.Errorf("unreadable answer from the node: %w", err)
	}
	switch c.Result {
	case "ok":
		return nil
	case "none":
		return node.ErrNoPassword
	}
	return node.ErrBadLogin
}

func (a *runningAccount) TLSCertificatePEM() []byte {
	answer, _, err := call(a.database, control.Request{Command: "certificate"})
	if err != nil {
		return nil
	}
	var c struct{ PEM string }
	if json.Unmarshal(answer, &c) != nil {
		return nil
	}
	return []byte(c.PEM)
}

// certificateNames checks that the running node's certificate names host,
// which devices will check; a node started without it must learn the host
// first (a stopped node's -setup adds it to its self-signed certificate).
func certificateNames(certPEM []byte, host string) error {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return errors.New("the running node sent no certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("the running node's certificate: %w", err)
	}
	h, err := setupHost(host)
	if err != nil {
		return err
	}
	if err := cert.VerifyHostname(h); err != nil {
		return fmt.Errorf("the running node's certificate does not name %s: add it to TLSHosts (or -tls-host) and restart the node, or run -setup with the node stopped", h)
	}
	return nil
}
