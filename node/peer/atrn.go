package peer

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
)

// errTurned ends the server's side of a session whose roles were turned
// and whose hand-over ended without error.
var errTurned = errors.New("session turned around and ended")

// cmdATRN turns the session around for a member that proves its key
// (docs/protocol.md section 10.4; the idea of RFC 2645): the relay sends a
// random challenge, the member signs HandOverMessage with its key, and on
// success the relay becomes the client on the same stream.
func cmdATRN(s *session, arg string) error {
	if e := s.relayCommand(); e != nil {
		return s.replyErr(e)
	}
	if arg != "" {
		return s.replyErr(errParams)
	}
	challenge := make([]byte, ChallengeSize)
	_, _ = rand.Read(challenge) // crypto/rand.Read never fails (Go ≥ 1.24)
	if err := s.reply(334, "", base64.StdEncoding.EncodeToString(challenge)); err != nil {
		return err
	}
	if err := s.out.flush(); err != nil { // the member answers the challenge only once it has it
		return err
	}
	line, ok, err := s.readCommand()
	if err != nil || !ok {
		return err // an unreadable line was already answered
	}
	if e := s.checkSignature(line, challenge); e != nil {
		return s.replyErr(e)
	}
	if err := s.reply(250, "2.0.0", "turning the session around"); err != nil {
		return err
	}
	if err := s.out.flush(); err != nil { // written before the stream changes hands
		return err
	}
	return s.handOver()
}

// checkSignature verifies the member's answer to the challenge.
func (s *session) checkSignature(line string, challenge []byte) *Error {
	line = strings.TrimSpace(line)
	if line == "*" {
		return &Error{501, "5.7.0", "hand-over cancelled"}
	}
	sig, err := base64.StdEncoding.DecodeString(line)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return &Error{535, "5.7.8", "answer must be a base64 ed25519 signature"}
	}
	msg := HandOverMessage(s.srv.Local, s.peer, challenge)
	if !ed25519.Verify(s.peer.Key(), msg, sig) {
		s.log.Info("hand-over signature refused")
		return &Error{535, "5.7.8", "signature does not verify with the peer's key"}
	}
	return nil
}

// handOver gives the stream to the RelayService, now acting as client, and
// ends the session when it returns.
func (s *session) handOver() error {
	if err := s.dl.clear(); err != nil {
		return err
	}
	s.log.Debug("session turned around for hand-over")
	err := s.srv.Relay.HandOver(s.ctx, s.peer, &turnedConn{Conn: s.conn, br: s.br})
	if err != nil {
		return fmt.Errorf("hand-over: %w", err)
	}
	return errTurned
}

// turnedConn is a stream whose roles were turned: reads first drain what
// the previous role's bufio.Reader already buffered.
type turnedConn struct {
	net.Conn
	br *bufio.Reader
}

func (c *turnedConn) Read(p []byte) (int, error) { return c.br.Read(p) }
