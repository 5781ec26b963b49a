package peer

import (
	"errors"
	"strconv"
	"strings"

	"github.com/yggpost/yggpost/envelope"
)

// cmdMAIL starts a transaction (RFC 5321 section 4.1.1.2). The sender's key
// must be the key the transport authenticated; SIZE (RFC 1870) is checked
// against MaxSize before any data is sent.
func cmdMAIL(s *session, arg string) error {
	if e := s.requireHello(); e != nil {
		return s.replyErr(e)
	}
	if s.tx != nil {
		return s.replyErr(&Error{503, "5.5.1", "nested MAIL command"})
	}
	path, params, ok := splitPath(arg, "FROM:")
	if !ok {
		return s.replyErr(&Error{501, "5.5.4", "syntax: MAIL FROM:<address> [SIZE=n]"})
	}
	from, err := envelope.ParseAddress(path)
	if err != nil {
		return s.replyErr(&Error{501, "5.1.7", "bad sender address syntax"})
	}
	if from != s.peer {
		return s.replyErr(&Error{550, "5.7.1", "sender key does not match the key of the connecting node"})
	}
	size, e := s.mailParams(params)
	if e != nil {
		return s.replyErr(e)
	}
	s.tx = &transaction{from: from, size: size}
	return s.reply(250, "2.1.0", "sender ok")
}

// mailParams checks MAIL parameters: SIZE=n (RFC 1870) and, for classic
// peers, BODY=7BIT or BODY=8BITMIME (RFC 6152), each at most once.
func (s *session) mailParams(params []string) (int64, *Error) {
	size, body := int64(-1), false
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(k, "BODY") && !body && (strings.EqualFold(v, "7BIT") || strings.EqualFold(v, "8BITMIME")) {
			body = true
			continue
		}
		if !strings.EqualFold(k, "SIZE") || size >= 0 {
			return 0, errParams
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || !isDigits(v) {
			return 0, &Error{501, "5.5.4", "SIZE must be a decimal number"}
		}
		if n > s.maxSize {
			return 0, &Error{552, "5.3.4", "message size exceeds the limit of " + fmtSize(s.maxSize)}
		}
		size = n
	}
	return size, nil
}

// cmdRCPT names the recipient (RFC 5321 section 4.1.1.3): exactly one per
// transaction, and it must be this node's address.
func cmdRCPT(s *session, arg string) error {
	if s.tx == nil {
		return s.replyErr(&Error{503, "5.5.1", "need MAIL before RCPT"})
	}
	path, params, ok := splitPath(arg, "TO:")
	if !ok {
		return s.replyErr(&Error{501, "5.5.4", "syntax: RCPT TO:<address>"})
	}
	if len(params) > 0 {
		return s.replyErr(errParams)
	}
	rcpt, err := envelope.ParseAddress(path)
	if err != nil {
		return s.replyErr(&Error{501, "5.1.3", "bad recipient address syntax"})
	}
	deposit := false
	if rcpt != s.srv.Local {
		if e := s.admitDeposit(rcpt); e != nil {
			return s.replyErr(e)
		}
		deposit = true
	}
	if s.tx.hasRcpt {
		return s.replyErr(&Error{452, "4.5.3", "only one recipient per transaction"})
	}
	s.tx.rcpt, s.tx.hasRcpt, s.tx.deposit = rcpt, true, deposit
	if deposit {
		return s.reply(250, "2.1.5", "recipient ok, deposit for a member")
	}
	return s.reply(250, "2.1.5", "recipient ok")
}

// admitDeposit decides a RCPT for an address other than this node's: a
// relay may take it as a deposit; anything else is 550 5.1.1.
func (s *session) admitDeposit(rcpt envelope.Address) *Error {
	notHere := &Error{550, "5.1.1", "recipient is not this node's address"}
	if s.srv.Relay == nil {
		return notHere
	}
	if s.tx.hasRcpt {
		return &Error{452, "4.5.3", "only one recipient per transaction"}
	}
	err := s.srv.Relay.Admit(s.peer, rcpt)
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*Error](err); ok && e.Code >= 400 && e.Code < 600 {
		return e
	}
	s.log.Debug("deposit not admitted", "rcpt", rcpt.String(), "err", err)
	return &Error{550, "5.1.1", "recipient is neither this node nor a member of this relay"}
}

// splitPath parses `KEYWORD:<path> params...` with the keyword matched
// case-insensitively and optional spaces after the colon. It returns the
// path including its angle brackets.
func splitPath(arg, keyword string) (path string, params []string, ok bool) {
	if len(arg) < len(keyword) || !strings.EqualFold(arg[:len(keyword)], keyword) {
		return "", nil, false
	}
	rest := strings.TrimLeft(arg[len(keyword):], " ")
	if !strings.HasPrefix(rest, "<") {
		return "", nil, false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", nil, false
	}
	path, rest = rest[:end+1], rest[end+1:]
	if rest != "" && rest[0] != ' ' {
		return "", nil, false
	}
	return path, strings.Fields(rest), true
}
