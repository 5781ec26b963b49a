package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/textproto"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/mailheader"
	"github.com/yggpost/yggpost/node/nodetest"
)

// stored is one message of a mailbox as a client sees it.
type stored struct {
	body  []byte
	flags []imap.Flag
}

// header parses the header block of a stored message.
func (s stored) header(t testing.TB) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(s.body))
	if err != nil {
		t.Fatalf("parse stored message: %v\n%s", err, s.body)
	}
	return m.Header
}

// mailboxMessages returns every message of a mailbox with its flags,
// through IMAP, in UID order.
func mailboxMessages(tn *nodetest.Node, c *imapclient.Client, name string) []stored {
	tn.T.Helper()
	if _, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		tn.T.Fatalf("SELECT %s on %s: %v", name, tn.Name, err)
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		tn.T.Fatalf("FETCH %s on %s: %v", name, tn.Name, err)
	}
	var out []stored
	for _, m := range msgs {
		out = append(out, stored{body: m.FindBodySection(section), flags: m.Flags})
	}
	return out
}

// waitMailbox waits until a mailbox holds want messages, then returns
// them; more than want, or fewer at the deadline, fail the test.
func waitMailbox(tn *nodetest.Node, name string, want int, within time.Duration) []stored {
	tn.T.Helper()
	c := tn.IMAP()
	testkit.Poll(within, func() bool {
		st, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			tn.T.Fatalf("STATUS %s on %s: %v", name, tn.Name, err)
		}
		return int(*st.NumMessages) >= want
	})
	got := mailboxMessages(tn, c, name)
	if len(got) != want {
		tn.T.Fatalf("%s %s has %d messages, want %d (waited %s)", tn.Name, name, len(got), want, within)
	}
	return got
}

// fakeAddr is a well-formed address nobody holds.
func fakeAddr(label string) envelope.Address {
	seed := sha256.Sum256([]byte(label))
	a, err := envelope.AddressFromKey(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
	if err != nil {
		panic(fmt.Sprintf("test address %q: %v", label, err))
	}
	return a
}

// TestSeveralRecipientsAndBcc: Alice sends one message to Bob (To), to
// herself (Cc) and to Carol (Bcc). Each INBOX gets it exactly once, none
// of those copies names Carol, and Alice's Sent copy keeps the Bcc field.
func TestSeveralRecipientsAndBcc(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{Listen: true})
	bob := nodetest.Start(t, "bob", nodetest.Options{Peers: []string{alice.MeshURL()}})
	carol := nodetest.Start(t, "carol", nodetest.Options{Peers: []string{alice.MeshURL()}})
	msg := fmt.Sprintf("From: Alice <%s>\r\nTo: <%s>\r\nCc: <%s>\r\nBcc: Carol\r\n <%s>\r\n"+
		"Subject: one message, three inboxes\r\nMessage-ID: <multi@test>\r\n\r\nhello all\r\n",
		alice.Addr, bob.Addr, alice.Addr, carol.Addr)
	to := []envelope.Address{bob.Addr, carol.Addr, alice.Addr}
	if err := alice.Send(to, []byte(msg)); err != nil {
		t.Fatalf("alice sends: %v", err)
	}
	alice.WaitOutboxEmpty(60 * time.Second)
	for _, tn := range []*nodetest.Node{alice, bob, carol} {
		got := waitMailbox(tn, "INBOX", 1, 10*time.Second)[0]
		h := got.header(t)
		if h.Get("Message-ID") != "<multi@test>" || !bytes.HasSuffix(got.body, []byte("\r\n\r\nhello all\r\n")) {
			t.Errorf("%s got %q", tn.Name, got.body)
		}
		if len(h["Bcc"]) != 0 || bytes.Contains(got.body, []byte(carol.Addr.Hex())) {
			t.Errorf("%s's copy reveals the Bcc recipient:\n%s", tn.Name, got.body)
		}
	}
	sent := waitMailbox(alice, "Sent", 1, 0)[0]
	if string(sent.body) != msg {
		t.Errorf("Sent copy differs from what was submitted:\n%q\nwant\n%q", sent.body, msg)
	}
	if !slices.Contains(sent.flags, imap.FlagSeen) {
		t.Errorf("Sent copy has flags %v, want \\Seen", sent.flags)
	}
	for _, tn := range []*nodetest.Node{bob, carol} {
		waitMailbox(tn, "Sent", 0, 0)
	}
	// The client submits the same message again (as after a lost reply):
	// the recipients' nodes de-duplicate it, nobody gets a second copy.
	if err := alice.Send(to, []byte(msg)); err != nil {
		t.Fatalf("alice sends again: %v", err)
	}
	alice.WaitOutboxEmpty(60 * time.Second)
	for _, tn := range []*nodetest.Node{alice, bob, carol} {
		waitMailbox(tn, "INBOX", 1, 0)
	}
	waitMailbox(alice, "Sent", 1, 0)
}

// TestSentCopy: a message without a Message-ID gets one, the same in every
// copy; submitting it again, or a client APPENDing its own copy to Sent,
// leaves one copy in Sent (and in INBOX).
func TestSentCopy(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{})
	msg := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: note to self\r\n\r\nremember\r\n", alice.Addr, alice.Addr)
	if err := alice.Send([]envelope.Address{alice.Addr}, []byte(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
	inbox := waitMailbox(alice, "INBOX", 1, 0)[0]
	sent := waitMailbox(alice, "Sent", 1, 0)[0]
	id := inbox.header(t).Get("Message-ID")
	if !strings.HasSuffix(id, "@yggmail>") || sent.header(t).Get("Message-ID") != id {
		t.Fatalf("Message-ID in INBOX %q, in Sent %q; want the same added id", id, sent.header(t).Get("Message-ID"))
	}
	if !bytes.Equal(inbox.body, sent.body) {
		t.Errorf("INBOX and Sent copies differ:\n%q\n%q", inbox.body, sent.body)
	}
	// A client that submits the same message again (with the id the node
	// gave it) stores nothing twice; the same id on other content is a new
	// message in INBOX, but still one Sent copy.
	for _, again := range [][]byte{sent.body, append(bytes.Clone(sent.body), "P.S.\r\n"...)} {
		if err := alice.Send([]envelope.Address{alice.Addr}, again); err != nil {
			t.Fatalf("send again: %v", err)
		}
	}
	waitMailbox(alice, "INBOX", 2, 5*time.Second)
	waitMailbox(alice, "Sent", 1, 0)
	// A client that APPENDs its copy after sending (Thunderbird).
	c := alice.IMAP()
	appendSeen(t, c, "Sent", sent.body)
	waitMailbox(alice, "Sent", 1, 0)
	// A header that the submission and the APPEND once read differently:
	// an empty Message-ID field before a folded real one, and bare LF line
	// ends in the client's own copy. Both read one Message-ID now, so Sent
	// holds the message once, under the client's id.
	tricky := fmt.Sprintf("Message-ID:\nFrom: <%s>\nTo: <%s>\nMessage-ID:\n <tricky.1@client>\nSubject: tricky\n\nbody\n", alice.Addr, alice.Addr)
	if err := alice.Send([]envelope.Address{alice.Addr}, []byte(tricky)); err != nil {
		t.Fatalf("send: %v", err)
	}
	waitMailbox(alice, "Sent", 2, 0)
	appendSeen(t, c, "Sent", []byte(tricky))
	for _, m := range waitMailbox(alice, "Sent", 2, 0) {
		if id := mailheader.MessageID(m.body); id != "<tricky.1@client>" && id != sent.header(t).Get("Message-ID") {
			t.Errorf("a Sent copy has the Message-ID %q", id)
		}
	}
}

// appendSeen APPENDs msg to a mailbox, flagged \Seen, as a client keeping
// its own copy does.
func appendSeen(t *testing.T, c *imapclient.Client, mailbox string, msg []byte) {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(msg)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := cmd.Write(msg); err != nil {
		t.Fatalf("APPEND write: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("APPEND close: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("APPEND to %s: %v", mailbox, err)
	}
}

// TestChatClientNoSentCopy: a Delta Chat-style message (Chat-Version) sent
// to oneself (bcc_self) lands in INBOX once and leaves Sent empty.
func TestChatClientNoSentCopy(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{})
	msg := fmt.Sprintf("Chat-Version: 1.0\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: [...]\r\n"+
		"Message-ID: <Mr.chat@localhost>\r\n\r\nchat\r\n", alice.Addr, fakeAddr("friend"))
	if err := alice.Send([]envelope.Address{fakeAddr("friend"), alice.Addr}, []byte(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := waitMailbox(alice, "INBOX", 1, 0)[0]
	if string(got.body) != msg {
		t.Errorf("INBOX copy %q, want %q", got.body, msg)
	}
	waitMailbox(alice, "Sent", 0, 0)
}

// swaksNode runs swaks against a node's SMTP server and returns its transcript and whether it succeeded.
func swaksNode(t *testing.T, tn *nodetest.Node, args ...string) (string, bool) {
	t.Helper()
	path, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks is not installed (apt-get install swaks; .ci/run installs it); skipping the SMTP client test")
	}
	host, port, err := net.SplitHostPort(tn.SMTPAddr)
	if err != nil {
		t.Fatalf("SMTP address %q: %v", tn.SMTPAddr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := []string{"--server", host, "--port", port, "--helo", "swaks.test"}
	out, err := exec.CommandContext(ctx, path, append(base, args...)...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("swaks timed out:\n%s", out)
	}
	return string(out), err == nil
}

// TestSwaksAgainstNode drives a real node with swaks: both AUTH mechanisms,
// pipelining and an 8-bit body are accepted, and each submission error
// gets its code.
func TestSwaksAgainstNode(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	alice := nodetest.Start(t, "alice", nodetest.Options{Limit: limit})
	me := alice.Addr.String()
	for i, mech := range []string{"PLAIN", "LOGIN"} {
		out, ok := swaksNode(t, alice, "--auth", mech, "--auth-user", me, "--auth-password", nodetest.Password, "--pipeline", "--from", me, "--to", me,
			"--h-From", "<"+me+">", "--header", "Subject: swaks "+mech, "--body", "Grüße, swaks")
		if !ok {
			t.Fatalf("swaks AUTH %s failed:\n%s", mech, out)
		}
		got := waitMailbox(alice, "INBOX", i+1, 5*time.Second)[i]
		if !bytes.Contains(got.body, []byte("Subject: swaks "+mech)) || !bytes.Contains(got.body, []byte("Grüße, swaks")) {
			t.Errorf("INBOX copy of the AUTH %s message:\n%s", mech, got.body)
		}
	}
	waitMailbox(alice, "Sent", 2, 0)

	many := make([]string, 101)
	for i := range many {
		many[i] = fakeAddr(fmt.Sprint(i)).String()
	}
	over := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\n\r\n%s\r\n", me, me, strings.Repeat(strings.Repeat("x", 78)+"\r\n", limit/80+1))
	for _, tc := range []struct {
		name, reply string
		args        []string
	}{
		{"another sender", "550 5.7.1", []string{"--from", fakeAddr("mallory").String(), "--to", me}},
		{"another From: header", "550 5.7.1", []string{"--from", me, "--to", me, "--h-From", "<" + fakeAddr("mallory").String() + ">"}},
		{"no auth", "530 5.7.0", []string{"--from", me, "--to", me}},
		{"bad password", "535 5.7.8", []string{"--auth", "PLAIN", "--auth-user", me, "--auth-password", "wrong", "--from", me, "--to", me}},
		{"non-yggmail recipient", "550 5.1.1", []string{"--from", me, "--to", "friend@example.org"}},
		{"too many recipients", "452 4.5.3", []string{"--from", me, "--to", strings.Join(many, ",")}},
		{"too large", "552 5.3.4", []string{"--from", me, "--to", me, "--data", over}},
	} {
		args := tc.args
		if tc.name != "no auth" && !slices.Contains(args, "--auth") {
			args = append([]string{"--auth", "PLAIN", "--auth-user", me, "--auth-password", nodetest.Password}, args...)
		}
		out, ok := swaksNode(t, alice, args...)
		replied := strings.Contains(out, "<~* "+tc.reply) || strings.Contains(out, "<** "+tc.reply)
		// swaks counts a transaction with some recipients refused as a success.
		if !replied || ok && tc.name != "too many recipients" {
			t.Errorf("%s: swaks did not fail with %s:\n%s", tc.name, tc.reply, out[max(0, len(out)-2000):])
		}
	}
	// RFC 5321 §4.5.3.1.10: after 452 for the 101st recipient the client
	// sends to the 100 accepted ones (and the rest later).
	if rows, err := alice.Node.Store().Outbox(); err != nil || len(rows) != 100 {
		t.Errorf("outbox holds %d envelopes (%v), want 100", len(rows), err)
	}
	waitMailbox(alice, "INBOX", 2, 0)
	waitMailbox(alice, "Sent", 3, 0)
}

// TestMessageNearSizeLimit: a message just under the advertised SIZE is
// queued for another node, although its sealed envelope is a little
// larger than the message.
func TestMessageNearSizeLimit(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	alice := nodetest.Start(t, "alice", nodetest.Options{Limit: limit})
	head := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nMessage-ID: <limit@test>\r\n\r\n", alice.Addr, fakeAddr("bob"))
	// go-smtp refuses a DATA transfer of exactly SIZE bytes (its reader
	// runs out of allowance before it sees the end marker); one less is the
	// largest that gets through.
	body := bytes.Repeat([]byte("y"), limit-1-len(head))
	for i := 78; i < len(body); i += 80 {
		copy(body[i:], "\r\n")
	}
	copy(body[len(body)-2:], "\r\n")
	msg := append([]byte(head), body...)
	if err := alice.Send([]envelope.Address{fakeAddr("bob")}, msg); err != nil {
		t.Fatalf("a message of %d bytes (SIZE %d) was refused: %v", len(msg), limit, err)
	}
	if rows, err := alice.Node.Store().Outbox(); err != nil || len(rows) != 1 {
		t.Fatalf("outbox holds %d envelopes (%v), want 1", len(rows), err)
	}
	if sent := waitMailbox(alice, "Sent", 1, 0)[0]; !bytes.Equal(sent.body, msg) {
		t.Errorf("Sent copy of %d bytes differs from the %d sent", len(sent.body), len(msg))
	}
	over := append(bytes.Clone(msg[:len(msg)-2]), "yy\r\n"...)
	var se *smtp.SMTPError
	if err := alice.Send([]envelope.Address{fakeAddr("bob")}, over); !errors.As(err, &se) || se.Code != 552 {
		t.Fatalf("a message of %d bytes (SIZE %d): %v, want 552", len(over), limit, err)
	}
}

// TestRawSessionLikeDeltaChat drives a node's SMTP server over a raw
// socket the way Delta Chat does (AUTH PLAIN, MAIL FROM with BODY=8BITMIME
// SMTPUTF8, one reused connection), pipelining a whole transaction in one
// write, then sends a second message with BDAT (CHUNKING).
func TestRawSessionLikeDeltaChat(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{})
	c, err := net.Dial("tcp", alice.SMTPAddr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatalf("deadline: %v", err)
	}
	tp := textproto.NewConn(c)
	expect := func(code int) string {
		t.Helper()
		_, msg, err := tp.ReadResponse(code)
		if err != nil {
			t.Fatalf("want %d: %v", code, err)
		}
		return msg
	}
	write := func(s string) {
		t.Helper()
		if _, err := io.WriteString(c, s); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	me := alice.Addr.String()
	expect(220)
	write("EHLO deltachat\r\n")
	caps := expect(250)
	for _, ext := range []string{"PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "ENHANCEDSTATUSCODES", "AUTH PLAIN LOGIN", "SIZE 67108864"} {
		if !strings.Contains(caps, "\n"+ext) {
			t.Errorf("EHLO does not advertise %s:\n%s", ext, caps)
		}
	}
	write("AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00"+me+"\x00"+nodetest.Password)) + "\r\n")
	expect(235)
	first := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nSubject: Grüße 🌍\r\nChat-Version: 1.0\r\n\r\n..äöü\r\n", me, me)
	write("MAIL FROM:<" + me + "> BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<" + me + ">\r\nDATA\r\n" + first + ".\r\n")
	expect(250)
	expect(250)
	expect(354)
	expect(250)
	second := fmt.Sprintf("From: <%s>\r\nTo: <%s>\r\nMessage-ID: <bdat@test>\r\n\r\nin two chunks\r\n", me, me)
	write("MAIL FROM:<" + me + "> BODY=BINARYMIME\r\nRCPT TO:<" + me + ">\r\n")
	expect(250)
	expect(250)
	write(fmt.Sprintf("BDAT %d\r\n%s", 20, second[:20]))
	expect(250)
	write(fmt.Sprintf("BDAT %d LAST\r\n%s", len(second)-20, second[20:]))
	expect(250)
	write("QUIT\r\n")
	expect(221)

	inbox := waitMailbox(alice, "INBOX", 2, 5*time.Second)
	if h := inbox[0].header(t); h.Get("Subject") != "Grüße 🌍" || !strings.HasSuffix(h.Get("Message-ID"), "@yggmail>") ||
		!bytes.HasSuffix(inbox[0].body, []byte("\r\n\r\n.äöü\r\n")) {
		t.Errorf("first message, 8-bit, dot-stuffed, no Message-ID given:\n%q", inbox[0].body)
	}
	if string(inbox[1].body) != second {
		t.Errorf("BDAT message %q, want %q", inbox[1].body, second)
	}
	// The chat message has no Sent copy; the other one has.
	if sent := waitMailbox(alice, "Sent", 1, 0); string(sent[0].body) != second {
		t.Errorf("Sent holds %q, want the BDAT message", sent[0].body)
	}
}

// TestSentCopyNamesHiddenRecipients: a client that strips Bcc before
// submitting (Thunderbird, mutt) still finds the Bcc recipients in the
// node's Sent copy; the copy for the user's own INBOX does not show them.
func TestSentCopyNamesHiddenRecipients(t *testing.T) {
	t.Parallel()
	alice := nodetest.Start(t, "alice", nodetest.Options{})
	bob, carol, dave := fakeAddr("bob"), fakeAddr("carol"), fakeAddr("dave")
	msg := fmt.Sprintf("From: <%s>\r\nTo: Bob <%s>\r\nSubject: secret list\r\nMessage-ID: <hidden@test>\r\n\r\nhi\r\n", alice.Addr, bob)
	if err := alice.Send([]envelope.Address{bob, carol, alice.Addr, dave}, []byte(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
	sent := waitMailbox(alice, "Sent", 1, 0)[0]
	want := strings.Replace(msg, "\r\n\r\n", fmt.Sprintf("\r\nBcc: <%s>,\r\n <%s>,\r\n <%s>\r\n\r\n", carol, alice.Addr, dave), 1)
	if string(sent.body) != want {
		t.Errorf("Sent copy\n%q\nwant\n%q", sent.body, want)
	}
	if list, err := sent.header(t).AddressList("Bcc"); err != nil || len(list) != 3 {
		t.Errorf("Bcc of the Sent copy parses as %v, %v", list, err)
	}
	if inbox := waitMailbox(alice, "INBOX", 1, 0)[0]; string(inbox.body) != msg {
		t.Errorf("INBOX copy %q, want the message as sent, %q", inbox.body, msg)
	}
}
