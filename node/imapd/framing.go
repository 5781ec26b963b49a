package imapd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

// Bounds on a command, checked by extConn before imapserver sees it.
// imapserver has bounds of its own but reports crossing them badly: a
// command of more than 50 KiB outside literals, or lists nested 1,000
// deep, get NO [SERVERBUG] (and the rest of an overlong line is then read
// as commands); a synchronizing literal above 4096 bytes outside APPEND
// gets no answer at all, as imapserver drops its own refusal and waits for
// the data. extConn refuses such commands first, with a tagged BAD.
//
// Literals (RFC 7888): before login the capability list offers LITERAL-,
// so a non-synchronizing literal above maxLiteral is a client error. After
// login it offers LITERAL+, for APPEND's message, which passes through as
// it comes, of any size up to APPENDLIMIT; every other literal is held in
// memory by imapserver, so one above maxLiteral is refused. A refused
// synchronizing literal is answered at once and never sent; a refused
// non-synchronizing one is answered at once too, and its bytes, which the
// client sends anyway, are read and discarded (RFC 7888 4: read and
// discard, or close), bounded in time by imapserver's read deadline. ID
// after login is the one exception: it ignores what it does not keep of
// a non-synchronizing literal of any size (RFC 2971 3.3).
const (
	// maxCommandText bounds a command's bytes outside its literals
	// (imapserver's bound is 50 KiB).
	maxCommandText = 48 << 10
	// maxCommandSize bounds what extConn holds of a command, literals
	// included.
	maxCommandSize = 64 << 10
	// maxLiteral bounds a literal other than APPEND's message, and before
	// login APPEND's message too (imapserver's bound, and LITERAL-'s).
	maxLiteral = 4096
	// maxListNesting bounds how deep parenthesized lists nest.
	maxListNesting = 100
	// maxContinuationLine bounds a line that answers a continuation
	// request (IDLE's DONE, an AUTHENTICATE response): imapserver reads it
	// whole into a buffer of 4096 bytes.
	maxContinuationLine = 4000
	// maxTrailer bounds what is passed on of the line that ends APPEND
	// after its message (a valid one has at most 4 bytes).
	maxTrailer = 256
	// commandReadTimeout bounds the time a client takes to send a
	// command once it has begun, as imapserver bounds it.
	commandReadTimeout = 30 * time.Second
)

// fill reads the next part of the client's stream: the rest of the
// current command, or a new one.
func (c *extConn) fill() error {
	if c.waitCont { // imapserver has decided on APPEND's message literal
		c.waitCont = false
		if !c.takeCont() {
			c.literal, c.trailer = 0, false // refused: the client sends nothing more
		}
		return nil
	}
	if (c.literal > 0 || c.trailer) && c.isAnswered() {
		return c.skipMessage()
	}
	if c.owed != "" {
		if err := c.payOwed(); err != nil {
			return err
		}
	}
	if c.trailer {
		return c.readTrailer()
	}
	if c.takeCont() {
		return c.readContinuationLine()
	}
	start, err := c.peekStart()
	if err != nil {
		return err
	}
	// imapserver waits for a command under a long deadline after login
	// and gives the command 30 s once it has begun; extConn reads the
	// command whole before imapserver sees its first byte.
	if err := c.Conn.SetReadDeadline(time.Now().Add(commandReadTimeout)); err != nil {
		return err
	}
	if isIDCommand(start) {
		return c.answerID()
	}
	return c.readCommand()
}

// readCommand reads a command other than ID. It holds the command whole,
// answering the "+" of a synchronizing literal itself and passing the
// literal on as non-synchronizing, and queues it for imapserver only if it
// keeps within the bounds and its arguments pass the screening
// (screenNumSetArg, screenMailboxArgs, screenHeldMailboxArgs,
// screenHeldArgs); otherwise it refuses it. APPEND is queued once its
// message literal is announced, and the message passes through as it
// comes.
func (c *extConn) readCommand() error {
	line, complete, err := c.readLine(maxCommandText)
	if err != nil {
		return err
	}
	cmd, resp := startCommand(line)
	if resp != "" {
		return c.refuse(cmd.tag, resp, line, complete)
	}
	if complete && c.sec.tls != nil && isStartTLSCommand(line) {
		return c.startTLS(line)
	}
	if complete {
		if reply := screenNumSetArg(line); reply != nil {
			return c.refuseWith(reply, line, complete)
		}
		pass, reply := screenMailboxArgs(line)
		if reply != nil {
			return c.refuseWith(reply, line, complete)
		}
		line = withOfferedEnable(pass)
	}
	var segs [][]byte
	for {
		if resp := cmd.check(line, complete); resp != "" {
			return c.refuse(cmd.tag, resp, line, complete)
		}
		n, sync, ok := literalAtEnd(line)
		if !ok || cmd.isMessage() {
			held, reply := screenHeldMailboxArgs(append(segs, line))
			if reply == nil {
				reply = screenHeldArgs(held)
			}
			if reply != nil {
				return c.refuseWith(reply, line, complete)
			}
			if !ok {
				c.queue(cmd.tag, held)
				return nil
			}
			return c.streamMessage(cmd, held, n, sync)
		}
		if resp := cmd.addLiteral(n, c.authed.Load()); resp != "" {
			return c.refuse(cmd.tag, resp, line, complete)
		}
		lit, err := c.readHeldLiteral(n, sync)
		if err != nil {
			return err
		}
		segs = append(segs, nonSync(line, sync), lit)
		if line, complete, err = c.readLine(maxCommandText - cmd.text); err != nil {
			return err
		}
	}
}

// readHeldLiteral reads a literal of n bytes that extConn holds, first
// asking for it if it is synchronizing.
func (c *extConn) readHeldLiteral(n int64, sync bool) ([]byte, error) {
	if sync {
		if err := c.writeResponse([]byte("+ Ready for literal data\r\n")); err != nil {
			return nil, err
		}
	}
	lit := make([]byte, n)
	if _, err := io.ReadFull(c.src, lit); err != nil {
		return nil, fmt.Errorf("read literal: %w", err)
	}
	return lit, nil
}

// nonSync turns the synchronizing literal announced at the end of line
// into a non-synchronizing one: extConn has already asked for its data.
func nonSync(line []byte, sync bool) []byte {
	if !sync {
		return line
	}
	i := bytes.LastIndexByte(line, '}')
	return append(append(line[:i:i], '+'), line[i:]...)
}

// queue hands a command to imapserver.
func (c *extConn) queue(tag string, segs [][]byte) {
	c.wmu.Lock()
	c.answered, c.contSent = false, false
	c.wmu.Unlock()
	c.segs, c.tag = segs, tag
}

// streamMessage queues an APPEND up to its message literal of n bytes,
// which then passes through as the client sends it: imapserver checks it
// against APPENDLIMIT and, if synchronizing, asks for it itself. Before
// login it must not exceed maxLiteral (APPEND is refused there anyway).
func (c *extConn) streamMessage(cmd *command, segs [][]byte, n int64, sync bool) error {
	line := segs[len(segs)-1]
	if !c.authed.Load() && n > maxLiteral {
		return c.refuse(cmd.tag, literalTooBig(n, false), line, true)
	}
	c.queue(cmd.tag, segs)
	c.literal, c.waitCont, c.trailer = n, sync, true
	return nil
}

// skipMessage discards what is left of an APPEND that imapserver answered
// before its message passed (NO [TOOBIG], a syntax error): the message,
// if it is sent, and the rest of the command.
func (c *extConn) skipMessage() error {
	if _, err := io.CopyN(io.Discard, c.src, c.literal); err != nil {
		return fmt.Errorf("skip refused message: %w", err)
	}
	c.literal, c.trailer = 0, false
	return c.skipCommand(nil, false)
}

// readTrailer reads the line that ends APPEND after its message. If
// anything but an optional ")" and the line end follows the message (a
// second message, say: MULTIAPPEND is not offered), imapserver ends the
// command without a response, so extConn owes one; the rest of the
// client's command is skipped.
func (c *extConn) readTrailer() error {
	c.trailer = false
	line, complete, err := c.readLine(maxTrailer)
	if err != nil {
		return err
	}
	c.owed = "BAD [CLIENTBUG] Syntax error after the APPEND message data"
	if !complete || len(line) > maxTrailer {
		if err := c.skipCommand(line, complete); err != nil {
			return err
		}
		line = append(line[:maxTrailer:maxTrailer], "\r\n"...)
	} else if _, _, ok := literalAtEnd(line); ok {
		if err := c.skipCommand(line, complete); err != nil {
			return err
		}
	}
	c.segs = [][]byte{line}
	return nil
}

// payOwed gives the response extConn owes if imapserver ended the command
// without one.
func (c *extConn) payOwed() error {
	resp := c.owed
	c.owed = ""
	if c.isAnswered() {
		return nil
	}
	c.log.Info("imap command ended without a response", "tag", c.tag, "response", resp)
	return c.writeResponse(fmt.Appendf(nil, "%s %s\r\n", c.tag, resp))
}

// readContinuationLine reads a line that answers imapserver's continuation
// request. One longer than imapserver can read becomes "*", which cancels
// AUTHENTICATE and ends IDLE, both with a BAD.
func (c *extConn) readContinuationLine() error {
	line, complete, err := c.readLine(maxContinuationLine)
	if err != nil {
		return err
	}
	if !complete || len(line) > maxContinuationLine {
		if err := c.skipLine(complete); err != nil {
			return err
		}
		line = []byte("*\r\n")
	}
	c.segs = [][]byte{line}
	return nil
}

// refuse answers the current command with resp instead of imapserver and
// skips what the client still sends of it; line is what was read of its
// current line, complete if that has ended.
func (c *extConn) refuse(tag, resp string, line []byte, complete bool) error {
	return c.refuseWith(fmt.Appendf(nil, "%s %s\r\n", tag, resp), line, complete)
}

// refuseWith is refuse with the whole response line.
func (c *extConn) refuseWith(reply, line []byte, complete bool) error {
	c.log.Info("imap command refused", "response", string(bytes.TrimSuffix(reply, []byte("\r\n"))))
	if err := c.writeResponse(reply); err != nil {
		return err
	}
	return c.skipCommand(line, complete)
}

// skipCommand reads and discards the rest of a refused command as the
// client sends it: the rest of the current line (line holds its end so
// far, complete if it has ended), and for every non-synchronizing literal a
// line announces, the literal and the line after it. A synchronizing
// literal ends it: the client waits for a "+" that never comes.
func (c *extConn) skipCommand(line []byte, complete bool) error {
	tail := append([]byte(nil), lastBytes(line, 32)...)
	for {
		for !complete {
			piece, err := c.src.ReadSlice('\n')
			tail = lastBytes(append(tail, piece...), 32)
			if err == nil {
				complete = true
			} else if err != bufio.ErrBufferFull {
				return err
			}
		}
		n, sync, ok := literalAtEnd(tail)
		if !ok || sync {
			return nil
		}
		if _, err := io.CopyN(io.Discard, c.src, n); err != nil {
			return fmt.Errorf("skip literal: %w", err)
		}
		tail, complete = nil, false
	}
}

// skipLine discards the rest of the current line unless it has ended.
func (c *extConn) skipLine(complete bool) error {
	for !complete {
		_, err := c.src.ReadSlice('\n')
		if err == nil {
			return nil
		} else if err != bufio.ErrBufferFull {
			return err
		}
	}
	return nil
}

// readLine reads the next line, or a first part of at least max bytes of
// a longer one (complete is then false).
func (c *extConn) readLine(max int) (line []byte, complete bool, err error) {
	for {
		piece, err := c.src.ReadSlice('\n')
		line = append(line, piece...)
		switch {
		case err == nil:
			return line, true, nil
		case err != bufio.ErrBufferFull:
			return nil, false, err
		case len(line) >= max:
			return line, false, nil
		}
	}
}

// peekStart returns the next bytes of the client's stream without
// consuming them: up to the second space (after the tag and the command
// name) or the end of the line, whichever comes first, or as much as the
// buffer holds.
func (c *extConn) peekStart() ([]byte, error) {
	spaces := 0
	for n := 1; ; n++ {
		b, err := c.src.Peek(n)
		if err != nil {
			if len(b) == 0 {
				return nil, err
			}
			return b, nil // the line is read, and its error reported, later
		}
		switch b[n-1] {
		case '\n':
			return b, nil
		case ' ':
			if spaces++; spaces == 2 {
				return b, nil
			}
		}
	}
}

// command is what extConn follows of the command it reads.
type command struct {
	tag      string
	append   bool // APPEND: its message passes through as it comes
	mailbox  bool // APPEND whose first line ends with the mailbox name as a literal
	literals int  // literals held so far
	text     int  // bytes outside literals so far
	size     int  // bytes so far, literals included
	depth    int  // parentheses open
}

// startCommand reads the tag and command name at the start of line. A
// response is returned for a line imapserver would end the connection on
// without a word: one without a valid tag (answered untagged) or without
// a command name.
func startCommand(line []byte) (*command, string) {
	end := bytes.IndexAny(line, " \r\n")
	if end <= 0 || !validTag(line[:end]) {
		return &command{tag: "*"}, "BAD [CLIENTBUG] Missing or invalid command tag"
	}
	cmd := &command{tag: string(line[:end])}
	rest := line[end:]
	name := atomAfterSpace(rest)
	if strings.EqualFold(string(name), "UID") {
		if atomAfterSpace(rest[1+len(name):]) == nil {
			return cmd, "BAD [CLIENTBUG] Missing command name"
		}
		return cmd, ""
	}
	if name == nil {
		return cmd, "BAD [CLIENTBUG] Missing command name"
	}
	if strings.EqualFold(string(name), "APPEND") {
		cmd.append = true
		after := rest[1+len(name):]
		cmd.mailbox = len(after) > 1 && after[0] == ' ' && after[1] == '{' && bytes.LastIndexByte(after, '{') == 1
	}
	return cmd, ""
}

// atomAfterSpace returns the atom after a space at the start of b, or nil.
func atomAfterSpace(b []byte) []byte {
	if len(b) == 0 || b[0] != ' ' {
		return nil
	}
	n := 1
	for n < len(b) && isAtomChar(b[n]) {
		n++
	}
	if n == 1 {
		return nil
	}
	return b[1:n]
}

// isMessage reports whether a literal announced now is APPEND's message.
func (cmd *command) isMessage() bool {
	return cmd.append && !(cmd.mailbox && cmd.literals == 0)
}

// check adds the line (complete if it has ended) to the command and
// returns the response refusing the command if it exceeds a bound: its
// length outside literals, how deep its lists nest; or if a quoted string
// runs to the end of the line, where imapserver would read on into the
// next.
func (cmd *command) check(line []byte, complete bool) string {
	cmd.text += len(line) + 1 // "+" if a synchronizing literal becomes non-synchronizing
	cmd.size += len(line) + 1
	if !complete || cmd.text > maxCommandText {
		return fmt.Sprintf("BAD [TOOBIG] Command too long (more than %d bytes outside literals)", maxCommandText)
	}
	quoted := false
	for i := 0; i < len(line); i++ {
		switch b := line[i]; {
		case quoted && b == '\\':
			i++
		case quoted && (b == '\r' || b == '\n'):
			return "BAD [CLIENTBUG] Quoted string not terminated"
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '(':
			if cmd.depth++; cmd.depth > maxListNesting {
				return fmt.Sprintf("BAD [CLIENTBUG] Lists nested too deep (more than %d levels)", maxListNesting)
			}
		case b == ')' && cmd.depth > 0:
			cmd.depth--
		}
	}
	return ""
}

// addLiteral adds a literal of n bytes other than APPEND's message to the
// command, or returns the response refusing the command.
func (cmd *command) addLiteral(n int64, authed bool) string {
	if n > maxLiteral {
		return literalTooBig(n, authed)
	}
	if cmd.size += int(n); cmd.size > maxCommandSize {
		return fmt.Sprintf("BAD [TOOBIG] Command too long (more than %d bytes with its literals)", maxCommandSize)
	}
	cmd.literals++
	return ""
}

// literalTooBig is the response refusing a literal of n bytes.
func literalTooBig(n int64, authed bool) string {
	if !authed {
		return fmt.Sprintf("BAD [TOOBIG] Literal of %d bytes is too big before login (at most %d)", n, maxLiteral)
	}
	return fmt.Sprintf("BAD [TOOBIG] Literal of %d bytes is too big for this command (at most %d)", n, maxLiteral)
}
