package peer

import (
	"fmt"
	"strconv"
)

// handler serves one command; arg is everything after the verb and one
// space. A returned error ends the session.
type handler func(s *session, arg string) error

// commands maps upper-case verbs to handlers. A later legacy DATA path is
// added here, next to BDAT.
var commands map[string]handler

func init() {
	commands = map[string]handler{
		"EHLO": cmdEHLO,
		"HELO": cmdHELO,
		"MAIL": cmdMAIL,
		"RCPT": cmdRCPT,
		"BDAT": cmdBDAT,
		"DATA": cmdDATA,
		"RSET": cmdRSET,
		"NOOP": cmdNOOP,
		"QUIT": cmdQUIT,

		"REGISTER": cmdREGISTER,
		"RECORD":   cmdRECORD,
		"DROP":     cmdDROP,
		"RELAYS":   cmdRELAYS,
		"ATRN":     cmdATRN,
	}
}

// dispatch runs the handler for one command line.
func (s *session) dispatch(line string) error {
	verb, arg := splitCommand(line)
	h, ok := commands[verb]
	if !ok {
		return s.replyErr(errUnknown)
	}
	return h(s, arg)
}

// cmdEHLO answers EHLO with the extensions (RFC 5321 section 4.1.1.1);
// YGGPOST lists the protocol versions this server speaks.
func cmdEHLO(s *session, arg string) error {
	if arg == "" {
		return s.replyErr(&Error{501, "5.5.4", "EHLO needs a domain"})
	}
	s.hello, s.ehlo, s.tx = arg, true, nil
	lines := []string{
		s.srv.Local.String() + " greets " + s.peer.String(),
		"ENHANCEDSTATUSCODES",
		"SIZE " + strconv.FormatInt(s.maxSize, 10),
		"CHUNKING",
		"PIPELINING",
	}
	if _, ok := s.srv.Receiver.(MessageReceiver); ok {
		lines = append(lines, "8BITMIME")
	}
	lines = append(lines, "YGGPOST 1")
	if s.srv.Relay != nil {
		lines = append(lines, relayKeyword+" 1")
	}
	return s.reply(250, "", lines...)
}

// cmdHELO answers HELO: plain SMTP without extensions, so no BDAT.
func cmdHELO(s *session, arg string) error {
	if arg == "" {
		return s.replyErr(&Error{501, "5.5.4", "HELO needs a domain"})
	}
	s.hello, s.ehlo, s.tx = arg, false, nil
	return s.reply(250, "", s.srv.Local.String())
}

// cmdRSET aborts the transaction (RFC 5321 section 4.1.1.5).
func cmdRSET(s *session, _ string) error {
	s.tx = nil
	return s.reply(250, "2.0.0", "reset")
}

// cmdNOOP does nothing (RFC 5321 section 4.1.1.9).
func cmdNOOP(s *session, _ string) error {
	return s.reply(250, "2.0.0", "ok")
}

// cmdQUIT says goodbye and ends the session (RFC 5321 section 4.1.1.10).
func cmdQUIT(s *session, _ string) error {
	if err := s.reply(221, "2.0.0", "bye"); err != nil {
		return err
	}
	return errQuit
}

// requireHello refuses transaction commands before EHLO/HELO.
func (s *session) requireHello() *Error {
	if s.hello == "" {
		return errNotHelloed
	}
	return nil
}

// fmtSize is for messages.
func fmtSize(n int64) string { return fmt.Sprintf("%d octets", n) }
