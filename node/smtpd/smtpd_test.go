package smtpd

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	netsmtp "net/smtp"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/mailbox"
)

func TestAuthPlainAndSend(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dialAuthed(t, address)
	msg := message("Me <"+local.String()+">", "hi", "hello\r\n")
	if err := send(c, local.String(), []string{alice.String()}, msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	s := waitSubmissions(t, sub, 1)[0]
	if s.from != local || len(s.to) != 1 || s.to[0] != alice {
		t.Fatalf("submitted from %v to %v", s.from, s.to)
	}
	if got := s.body(t); !bytes.Equal(got, msg) {
		t.Fatalf("submitted %q, want %q", got, msg)
	}
}

func TestAuthLogin(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dial(t, address)
	if ok, _ := c.Extension("AUTH"); !ok || !c.SupportsAuth("LOGIN") || !c.SupportsAuth("PLAIN") {
		t.Fatalf("AUTH PLAIN LOGIN not advertised")
	}
	if err := c.Auth(sasl.NewLoginClient(strings.ToUpper(local.Hex())+"@YGGMAIL", testPassword)); err != nil {
		t.Fatalf("auth login: %v", err)
	}
	if err := send(c, local.String(), []string{bob.String()}, message("<"+local.String()+">", "s", "b\r\n")); err != nil {
		t.Fatalf("send after LOGIN: %v", err)
	}
	waitSubmissions(t, sub, 1)
}

func TestAuthLoginRaw(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), nil)
	r := dialRaw(t, address)
	r.cmd("EHLO client.test", 250, "")
	if msg := r.cmd("AUTH LOGIN", 334, ""); msg != base64Std([]byte("Username:")) {
		t.Fatalf("first LOGIN challenge %q", msg)
	}
	r.cmd(base64Std([]byte(local.String())), 334, base64Std([]byte("Password:")))
	r.cmd(base64Std([]byte("wrong")), 535, "5.7.8")
	r.cmd("AUTH LOGIN "+base64Std([]byte(local.String())), 334, base64Std([]byte("Password:")))
	r.cmd(base64Std([]byte(testPassword)), 235, "")
}

func TestBadPassword(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), nil)
	c := dial(t, address)
	err := c.Auth(sasl.NewPlainClient("", local.String(), "wrong"))
	wantCode(t, err, 535, smtp.EnhancedCode{5, 7, 8})
	err = c.Mail(local.String(), nil)
	wantCode(t, err, 530, smtp.EnhancedCode{5, 7, 0})
}

func TestNoAuth(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dial(t, address)
	err := send(c, local.String(), []string{alice.String()}, message(local.String(), "s", "b\r\n"))
	wantCode(t, err, 530, smtp.EnhancedCode{5, 7, 0})
	if n := len(sub.all()); n != 0 {
		t.Fatalf("%d messages submitted without AUTH", n)
	}
}

func TestWrongMailFrom(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), nil)
	c := dialAuthed(t, address)
	for _, from := range []string{alice.String(), "someone@example.org", local.Hex() + "@example.org"} {
		se := wantCode(t, c.Mail(from, nil), 550, smtp.EnhancedCode{5, 7, 1})
		if !strings.Contains(se.Message, local.String()) {
			t.Errorf("reply %q does not say which address may send", se.Message)
		}
	}
	wantCode(t, c.Mail("", nil), 550, smtp.EnhancedCode{5, 7, 1})
	// The own address in upper case is the same address.
	if err := c.Mail(strings.ToUpper(local.String()), nil); err != nil {
		t.Fatalf("MAIL FROM own address in upper case: %v", err)
	}
}

func TestFromHeaderChecked(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dialAuthed(t, address)
	noFrom := []byte("To: <" + alice.String() + ">\r\nSubject: x\r\n\r\nbody\r\n")
	cases := []struct {
		name string
		msg  []byte
		code int
		enh  smtp.EnhancedCode
	}{
		{"forged", message("<"+alice.String()+">", "s", "b\r\n"), 550, smtp.EnhancedCode{5, 7, 1}},
		{"foreign", message("boss@example.com", "s", "b\r\n"), 550, smtp.EnhancedCode{5, 7, 1}},
		{"two mailboxes", message(local.String()+", "+alice.String(), "s", "b\r\n"), 550, smtp.EnhancedCode{5, 7, 1}},
		{"missing", noFrom, 550, smtp.EnhancedCode{5, 6, 0}},
		{"garbage", message("<<<", "s", "b\r\n"), 550, smtp.EnhancedCode{5, 6, 0}},
	}
	for _, tc := range cases {
		err := send(c, local.String(), []string{alice.String()}, tc.msg)
		if err == nil {
			t.Fatalf("%s: message accepted", tc.name)
		}
		wantCode(t, err, tc.code, tc.enh)
	}
	if n := len(sub.all()); n != 0 {
		t.Fatalf("%d refused messages were submitted", n)
	}
	// The connection is still usable after refusals.
	if err := send(c, local.String(), []string{alice.String()}, message(local.String(), "ok", "b\r\n")); err != nil {
		t.Fatalf("send after refusals: %v", err)
	}
}

func TestNonYggmailRecipient(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), nil)
	c := dialAuthed(t, address)
	if err := c.Mail(local.String(), nil); err != nil {
		t.Fatalf("mail: %v", err)
	}
	var notAKey envelope.Address
	for notAKey[0] = 1; notAKey.CheckKey() == nil; notAKey[0]++ {
	}
	for _, to := range []string{"friend@example.org", "abcd@yggmail", alice.Hex() + "@yggmail.example", notAKey.String()} {
		se := wantCode(t, c.Rcpt(to, nil), 550, smtp.EnhancedCode{5, 1, 1})
		if !strings.Contains(se.Message, to) || !strings.Contains(se.Message, "@yggmail") {
			t.Errorf("reply %q does not say which address and why", se.Message)
		}
	}
}

func TestSeveralRecipientsOneSubmit(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dialAuthed(t, address)
	to := []string{alice.String(), bob.String(), strings.ToUpper(alice.String()), local.String()}
	if err := send(c, local.String(), to, message(local.String(), "s", "b\r\n")); err != nil {
		t.Fatalf("send: %v", err)
	}
	subs := waitSubmissions(t, sub, 1)
	if len(subs) != 1 {
		t.Fatalf("%d Submit calls, want 1", len(subs))
	}
	want := []envelope.Address{alice, bob, local}
	if fmt.Sprint(subs[0].to) != fmt.Sprint(want) {
		t.Fatalf("recipients %v, want %v (deduplicated, in order)", subs[0].to, want)
	}
}

func TestTooManyRecipients(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), func(o *Options) { o.MaxRecipients = 3 })
	c := dialAuthed(t, address)
	if err := c.Mail(local.String(), nil); err != nil {
		t.Fatalf("mail: %v", err)
	}
	for i := range 3 {
		if err := c.Rcpt(addr(fmt.Sprint(i)).String(), nil); err != nil {
			t.Fatalf("rcpt %d: %v", i, err)
		}
	}
	wantCode(t, c.Rcpt(addr("one more").String(), nil), 452, smtp.EnhancedCode{4, 5, 3})
}

func TestOversizeAnnounced(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), func(o *Options) { o.MaxMessageSize = 1000 })
	c := dialAuthed(t, address)
	if size, ok := c.MaxMessageSize(); !ok || size != 1000 {
		t.Fatalf("SIZE advertised %d %v, want 1000", size, ok)
	}
	err := c.Mail(local.String(), &smtp.MailOptions{Size: 1001})
	wantCode(t, err, 552, smtp.EnhancedCode{5, 3, 4})
}

func TestDefaultSizeAdvertised(t *testing.T) {
	_, address := startServer(t, newFileSubmitter(t), nil)
	c := dial(t, address)
	if size, ok := c.MaxMessageSize(); !ok || size < 64<<20 {
		t.Fatalf("SIZE advertised %d %v, want at least 64 MiB", size, ok)
	}
	for _, ext := range []string{"8BITMIME", "SMTPUTF8", "PIPELINING", "CHUNKING", "ENHANCEDSTATUSCODES"} {
		if ok, _ := c.Extension(ext); !ok {
			t.Errorf("%s not advertised", ext)
		}
	}
}

func TestOversizeBody(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, func(o *Options) { o.MaxMessageSize = 4096 })
	c := dialAuthed(t, address)
	big := message(local.String(), "big", strings.Repeat("0123456789abcdef\r\n", 1000))
	wantCode(t, send(c, local.String(), []string{alice.String()}, big), 552, smtp.EnhancedCode{5, 3, 4})
	// A header block alone larger than the limit is refused too.
	huge := []byte("From: <" + local.String() + ">\r\nX-Pad: " + strings.Repeat("x", 8000) + "\r\n\r\nb\r\n")
	wantCode(t, send(c, local.String(), []string{alice.String()}, huge), 552, smtp.EnhancedCode{5, 3, 4})
	if n := len(sub.all()); n != 0 {
		t.Fatalf("%d oversize messages submitted", n)
	}
	if err := send(c, local.String(), []string{alice.String()}, message(local.String(), "s", "b\r\n")); err != nil {
		t.Fatalf("send after oversize: %v", err)
	}
}

func TestSubmitterErrors(t *testing.T) {
	cases := []struct {
		fail error
		code int
		enh  smtp.EnhancedCode
		text string
	}{
		{errors.New("disk full"), 451, smtp.EnhancedCode{4, 3, 0}, "disk full"},
		{fmt.Errorf("queue message for bob: %w: 3 envelopes queued", mailbox.ErrOutboxFull),
			452, smtp.EnhancedCode{4, 3, 1}, "outbox full"},
		{fmt.Errorf("spool message: %w: the limit is 100 bytes", mailbox.ErrTooLarge),
			552, smtp.EnhancedCode{5, 3, 4}, "the limit is 100 bytes"},
		{&smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "cannot seal"},
			451, smtp.EnhancedCode{4, 3, 0}, "cannot seal"},
	}
	for _, tc := range cases {
		sub := newFileSubmitter(t)
		sub.fail = tc.fail
		_, address := startServer(t, sub, nil)
		c := dialAuthed(t, address)
		se := wantCode(t, send(c, local.String(), []string{alice.String()}, message(local.String(), "s", "b\r\n")), tc.code, tc.enh)
		if !strings.Contains(se.Message, tc.text) {
			t.Errorf("reply %q does not carry %q", se.Message, tc.text)
		}
	}
}

func TestReusedConnection(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dialAuthed(t, address)
	m1 := message(local.String(), "one", "first\r\n")
	m2 := message(local.String(), "two", "second\r\n")
	if err := send(c, local.String(), []string{alice.String()}, m1); err != nil {
		t.Fatalf("first: %v", err)
	}
	if err := send(c, local.String(), []string{bob.String()}, m2); err != nil {
		t.Fatalf("second: %v", err)
	}
	subs := waitSubmissions(t, sub, 2)
	if !bytes.Equal(subs[0].body(t), m1) || !bytes.Equal(subs[1].body(t), m2) {
		t.Fatalf("messages mixed up")
	}
	if subs[1].to[0] != bob || len(subs[1].to) != 1 {
		t.Fatalf("second message recipients %v: the first transaction leaked", subs[1].to)
	}
}

func TestEightBitAndUTF8Params(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	r := dialRaw(t, address)
	r.login()
	// What Delta Chat sends.
	r.cmd("MAIL FROM:<"+local.String()+"> BODY=8BITMIME SMTPUTF8", 250, "")
	r.cmd("RCPT TO:<"+alice.String()+">", 250, "")
	r.cmd("DATA", 354, "")
	msg := "From: Jürgen Größe <" + local.String() + ">\r\nSubject: Grüße 🌍\r\nMessage-ID: <ü@yggmail>\r\n\r\n..dot-stuffed line\r\n8-bit body: äöü\r\nbare\nLF\r\n"
	if _, err := r.c.Write([]byte(msg + ".\r\n")); err != nil {
		t.Fatalf("write data: %v", err)
	}
	r.expect(250, "")
	got := waitSubmissions(t, sub, 1)[0].body(t)
	want := strings.Replace(msg, "\r\n..dot", "\r\n.dot", 1)
	if string(got) != want {
		t.Fatalf("submitted %q, want %q", got, want)
	}
}

func TestBDATChunking(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	r := dialRaw(t, address)
	r.login()
	r.cmd("MAIL FROM:<"+local.String()+"> BODY=BINARYMIME", 250, "")
	r.cmd("RCPT TO:<"+alice.String()+">", 250, "")
	msg := message(local.String(), "chunks", "binary\x00body\r\n.\r\nnot the end\r\n")
	chunks := [][]byte{msg[:10], msg[10:40], msg[40:]}
	for i, ch := range chunks {
		last := ""
		if i == len(chunks)-1 {
			last = " LAST"
		}
		if _, err := fmt.Fprintf(r.c, "BDAT %d%s\r\n%s", len(ch), last, ch); err != nil {
			t.Fatalf("write chunk: %v", err)
		}
		r.expect(250, "")
	}
	if got := waitSubmissions(t, sub, 1)[0].body(t); !bytes.Equal(got, msg) {
		t.Fatalf("submitted %q, want %q", got, msg)
	}
	// A forged From: in a BDAT message is refused as well.
	r.cmd("MAIL FROM:<"+local.String()+">", 250, "")
	r.cmd("RCPT TO:<"+alice.String()+">", 250, "")
	forged := message(alice.String(), "x", "y\r\n")
	fmt.Fprintf(r.c, "BDAT %d LAST\r\n%s", len(forged), forged)
	r.expect(550, "5.7.1")
	r.cmd("NOOP", 250, "")
}

func TestBDATOversize(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, func(o *Options) { o.MaxMessageSize = 100 })
	r := dialRaw(t, address)
	r.login()
	r.cmd("MAIL FROM:<"+local.String()+">", 250, "")
	r.cmd("RCPT TO:<"+alice.String()+">", 250, "")
	fmt.Fprintf(r.c, "BDAT 101 LAST\r\n%s", bytes.Repeat([]byte("x"), 101))
	r.expect(552, "5.3.4")
	r.cmd("NOOP", 250, "")
	if n := len(sub.all()); n != 0 {
		t.Fatalf("%d oversize messages submitted", n)
	}
}

func TestLargeMessageByteIdentical(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	c := dialAuthed(t, address)
	var body bytes.Buffer
	for i := 0; body.Len() < 10<<20; i++ {
		// Lines starting with dots and 8-bit bytes survive. (Bare LF is
		// tested in TestEightBitAndUTF8Params: this client rewrites it.)
		fmt.Fprintf(&body, ".line %d \xc3\xa4 %s\r\n", i, strings.Repeat("z", i%70))
		if i%1000 == 0 {
			body.WriteString(".\r\n..\r\n")
		}
	}
	msg := append(message(local.String(), "big", ""), body.Bytes()...)
	if err := send(c, local.String(), []string{alice.String()}, msg); err != nil {
		t.Fatalf("send 10 MB: %v", err)
	}
	if got := waitSubmissions(t, sub, 1)[0].body(t); !bytes.Equal(got, msg) {
		t.Fatalf("submitted %d bytes differ from the %d sent", len(got), len(msg))
	}
}

func TestNetSMTPClient(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	host, _, _ := net.SplitHostPort(address)
	auth := netsmtp.PlainAuth("", local.String(), testPassword, host)
	msg := message(local.String(), "net/smtp", "from the standard library\r\n")
	if err := netsmtp.SendMail(address, auth, local.String(), []string{alice.String(), bob.String()}, msg); err != nil {
		t.Fatalf("net/smtp SendMail: %v", err)
	}
	s := waitSubmissions(t, sub, 1)[0]
	if !bytes.Equal(s.body(t), msg) || len(s.to) != 2 {
		t.Fatalf("submitted %q to %v", s.body(t), s.to)
	}
	bad := netsmtp.PlainAuth("", local.String(), "nope", host)
	err := netsmtp.SendMail(address, bad, local.String(), []string{alice.String()}, msg)
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("bad password with net/smtp: %v", err)
	}
}

func TestPipelining(t *testing.T) {
	sub := newFileSubmitter(t)
	_, address := startServer(t, sub, nil)
	r := dialRaw(t, address)
	r.login()
	msg := message(local.String(), "pipelined", "b\r\n")
	// RFC 2920: the whole transaction in one write, replies read after.
	batch := "MAIL FROM:<" + local.String() + ">\r\nRCPT TO:<friend@example.org>\r\nRCPT TO:<" + bob.String() +
		">\r\nDATA\r\n" + string(msg) + ".\r\nNOOP\r\n"
	if _, err := r.c.Write([]byte(batch)); err != nil {
		t.Fatalf("write batch: %v", err)
	}
	r.expect(250, "")
	r.expect(550, "5.1.1")
	r.expect(250, "")
	r.expect(354, "")
	r.expect(250, "")
	r.expect(250, "")
	s := waitSubmissions(t, sub, 1)[0]
	if len(s.to) != 1 || s.to[0] != bob || !bytes.Equal(s.body(t), msg) {
		t.Fatalf("pipelined message to %v: %q", s.to, s.body(t))
	}
}
