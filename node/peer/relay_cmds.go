package peer

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/yggpost/yggpost/envelope"
)

// Replies of the relay commands (docs/protocol.md section 10).
var (
	errNotRelay  = &Error{502, "5.5.1", "this node is not a relay"}
	errNeedEHLO  = &Error{503, "5.5.1", "send EHLO first"}
	errInTx      = &Error{503, "5.5.1", "not allowed inside a transaction"}
	errBadBase64 = &Error{501, "5.5.4", "argument must be base64 of 1 to 4096 octets"}
)

// relayCommand checks what every relay command needs: a relay, an EHLO
// session and no open transaction.
func (s *session) relayCommand() *Error {
	if s.srv.Relay == nil {
		return errNotRelay
	}
	return s.outsideTx()
}

// outsideTx refuses a command before EHLO or inside a transaction.
func (s *session) outsideTx() *Error {
	if !s.ehlo {
		return errNeedEHLO
	}
	if s.tx != nil {
		return errInTx
	}
	return nil
}

// cmdREGISTER takes a member's signed registration: REGISTER <base64>.
func cmdREGISTER(s *session, arg string) error {
	b, e := s.blobArg(arg)
	if e != nil {
		return s.replyErr(e)
	}
	err := s.srv.Relay.Register(s.ctx, s.peer, b)
	return s.answerService("registered", err)
}

// cmdRECORD takes a member's signed relay record: RECORD <base64>.
func cmdRECORD(s *session, arg string) error {
	b, e := s.blobArg(arg)
	if e != nil {
		return s.replyErr(e)
	}
	err := s.srv.Relay.Publish(s.ctx, s.peer, b)
	return s.answerService("relay record stored", err)
}

// blobArg checks the session and decodes a base64 argument of 1 to
// MaxBlob octets.
func (s *session) blobArg(arg string) ([]byte, *Error) {
	if e := s.relayCommand(); e != nil {
		return nil, e
	}
	if arg == "" || len(arg) > base64.StdEncoding.EncodedLen(MaxBlob) {
		return nil, errBadBase64
	}
	b, err := base64.StdEncoding.DecodeString(arg)
	if err != nil || len(b) == 0 || len(b) > MaxBlob {
		return nil, errBadBase64
	}
	return b, nil
}

// cmdDROP tells the relay to delete envelopes the member already holds:
// DROP <id> [<id> ...], ids as 32 hex digits.
func cmdDROP(s *session, arg string) error {
	if e := s.relayCommand(); e != nil {
		return s.replyErr(e)
	}
	ids, e := parseIDs(arg)
	if e != nil {
		return s.replyErr(e)
	}
	err := s.srv.Relay.Drop(s.ctx, s.peer, ids)
	return s.answerService("dropped", err)
}

// parseIDs parses 1 to MaxDropIDs envelope ids separated by single spaces.
func parseIDs(arg string) ([]envelope.ID, *Error) {
	f := strings.Split(arg, " ")
	if arg == "" || len(f) > MaxDropIDs {
		return nil, &Error{501, "5.5.4", "DROP takes 1 to 100 envelope ids"}
	}
	ids := make([]envelope.ID, len(f))
	for i, w := range f {
		id, err := envelope.ParseID(w)
		if err != nil || len(w) != 2*len(id) {
			return nil, &Error{501, "5.5.4", "envelope id must be 32 hex digits: " + truncate(w)}
		}
		ids[i] = id
	}
	return ids, nil
}

// cmdRELAYS answers a query for an address's signed relay record:
// RELAYS <address>. Any server with a RecordSource answers it.
func cmdRELAYS(s *session, arg string) error {
	if e := s.outsideTx(); e != nil {
		return s.replyErr(e)
	}
	addr, err := envelope.ParseAddress(arg)
	if err != nil {
		return s.replyErr(&Error{501, "5.1.3", "RELAYS needs an address"})
	}
	var rec []byte
	ok := false
	if s.srv.Records != nil {
		rec, ok = s.srv.Records.Record(addr)
	}
	if !ok || len(rec) == 0 || len(rec) > MaxBlob {
		return s.replyErr(&Error{550, "5.1.1", "no relay record for " + addr.String()})
	}
	return s.reply(250, "2.0.0", recordLines(rec)...)
}

// recordLineLen is how many base64 octets of a relay record go on one
// reply line.
const recordLineLen = 512

// recordLines is the text of a RELAYS reply: a first line, then the base64
// of the record split over lines of recordLineLen.
func recordLines(rec []byte) []string {
	b64 := base64.StdEncoding.EncodeToString(rec)
	lines := []string{"relay record follows"}
	for len(b64) > recordLineLen {
		lines = append(lines, b64[:recordLineLen])
		b64 = b64[recordLineLen:]
	}
	return append(lines, b64)
}

// answerService replies 250 after a successful relay command, or the
// service's refusal: its *Error, or 550 5.7.1 with the error's text.
func (s *session) answerService(ok string, err error) error {
	if err == nil {
		return s.reply(250, "2.0.0", ok)
	}
	if e, isErr := errors.AsType[*Error](err); isErr && e.Code >= 400 && e.Code < 600 {
		return s.replyErr(e)
	}
	s.log.Info("relay command refused", "err", err)
	return s.replyErr(&Error{550, "5.7.1", replyText(err.Error())})
}

// replyText makes arbitrary text safe for one reply line: printable ASCII
// only, at most 200 octets.
func replyText(t string) string {
	if len(t) > 200 {
		t = t[:200]
	}
	b := []byte(t)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
