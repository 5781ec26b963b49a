package node_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/envelope"
	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/mailbox"
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/nodetest"
	"github.com/yggpost/yggpost/node/yggmail"
	"github.com/yggpost/yggpost/node/yggmail/yggmailtest"
)

// importConfig is the configuration of a node database in a new
// temporary directory.
func importConfig(t *testing.T) node.Config {
	return node.Config{Database: filepath.Join(t.TempDir(), "yggpost"), SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0",
		Logger: testkit.Logger(t, "import")}
}

func mustImport(t *testing.T, cfg node.Config, src string) node.ImportSummary {
	t.Helper()
	sum, err := node.ImportYggmail(context.Background(), cfg, src, nil)
	if err != nil {
		t.Fatalf("import %s: %v", src, err)
	}
	t.Logf("import: %+v", sum)
	return sum
}

// TestImportYggmailFixture: the database Yggmail wrote becomes a node
// with the same address and password, every mailbox and subscription,
// every message byte for byte with its flags, date and order, Outbox as
// Sent, and the message Yggmail still had to send in the outbox.
func TestImportYggmailFixture(t *testing.T) {
	cfg := importConfig(t)
	sum := mustImport(t, cfg, yggmailtest.Fixture(t))
	if sum.Address.String() != yggmailtest.FixtureAddress || sum.Messages != 6 || sum.Skipped != 0 || sum.Queued != 1 || sum.Password != "imported" {
		t.Fatalf("summary %+v", sum)
	}
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if n.Address().String() != yggmailtest.FixtureAddress {
		t.Errorf("address %s, want %s", n.Address(), yggmailtest.FixtureAddress)
	}
	if err := n.CheckPassword(yggmailtest.FixturePassword); err != nil {
		t.Errorf("password %q: %v", yggmailtest.FixturePassword, err)
	}
	checkSubscribed(t, n.Store(), "INBOX", "Drafts", "Sent", "Projects")
	for box, target := range map[string]string{"INBOX": "INBOX", "Outbox": "Sent", "Projects": "Projects", "Drafts": "Drafts"} {
		checkSameMessages(t, yggmailtest.Fixture(t), box, n.Store(), target)
	}
	checkQueued(t, n.Store(), yggmailtest.FixtureUnreachable)
}

func checkSubscribed(t *testing.T, store *mailbox.Store, names ...string) {
	t.Helper()
	subs, err := store.Subscriptions()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if !slices.Contains(subs, name) {
			t.Errorf("%s is not subscribed (subscriptions %v)", name, subs)
		}
	}
}

// checkSameMessages compares mailbox box of the Yggmail database src with
// mailbox target of store: the same bodies, flags and dates, in order.
func checkSameMessages(t *testing.T, src, box string, store *mailbox.Store, target string) {
	t.Helper()
	db, err := yggmail.Open(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	have, err := store.Messages(target)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	err = db.Messages(context.Background(), box, 0, func(want yggmail.Message) error {
		if i >= len(have) {
			t.Fatalf("%s has %d messages, %s has more", target, len(have), box)
		}
		got := have[i]
		i++
		if body := storedBody(t, store, target, got.UID); !bytes.Equal(body, want.Body) {
			t.Errorf("%s/%d differs from %s UID %d", box, want.ID, target, got.UID)
		}
		if !slices.Equal(got.Flags, sortedFlags(want.Flags())) || !got.InternalDate.Equal(want.Date) {
			t.Errorf("%s/%d: flags %v date %v, want %v %v", box, want.ID, got.Flags, got.InternalDate, want.Flags(), want.Date)
		}
		return nil
	})
	if err != nil || i != len(have) {
		t.Fatalf("%s: compared %d of %d messages, err %v", target, i, len(have), err)
	}
}

func sortedFlags(f []string) []string {
	f = slices.Clone(f)
	slices.Sort(f)
	return f
}

func storedBody(t *testing.T, store *mailbox.Store, box string, uid uint32) []byte {
	t.Helper()
	rc, err := store.OpenMessage(box, uid)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// checkQueued: the outbox holds exactly one row for each of rcpts.
func checkQueued(t *testing.T, store *mailbox.Store, rcpts ...string) {
	t.Helper()
	rows, err := store.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Recipient.String())
	}
	slices.Sort(got)
	slices.Sort(rcpts)
	if !slices.Equal(got, rcpts) {
		t.Fatalf("outbox for %v, want %v", got, rcpts)
	}
}

// TestImportYggmailServedOverIMAP: a mail client logging in with the
// Yggmail password sees the imported flags and dates.
func TestImportYggmailServedOverIMAP(t *testing.T) {
	cfg := importConfig(t)
	mustImport(t, cfg, yggmailtest.Fixture(t))
	n := runNode(t, cfg)
	c := dialIMAP(t, n.IMAPAddr(), yggmailtest.FixtureAddress, yggmailtest.FixturePassword)
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, InternalDate: true, RFC822Size: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]imap.Flag{{imap.FlagAnswered, imap.FlagFlagged, imap.FlagSeen}, {imap.FlagSeen}, {imap.FlagDeleted}}
	if len(msgs) != len(want) {
		t.Fatalf("INBOX has %d messages over IMAP, want %d", len(msgs), len(want))
	}
	for i, m := range msgs {
		flags := slices.DeleteFunc(slices.Clone(m.Flags), func(f imap.Flag) bool { return f == `\Recent` })
		slices.Sort(flags)
		if !slices.Equal(flags, want[i]) || m.InternalDate.Unix() != yggmailtest.FixtureDate {
			t.Errorf("message %d: flags %v INTERNALDATE %v; want %v and Unix %d", i+1, flags, m.InternalDate, want[i], yggmailtest.FixtureDate)
		}
	}
}

// TestImportYggmailTwice: a second import stores nothing and queues
// nothing again, also after the first start sent the queued message.
func TestImportYggmailTwice(t *testing.T) {
	cfg := importConfig(t)
	mustImport(t, cfg, yggmailtest.Fixture(t))
	before := countAll(t, cfg)
	sum := mustImport(t, cfg, yggmailtest.Fixture(t))
	if sum.Messages != 0 || sum.Skipped != 6 || sum.Queued != 0 || sum.Password != "kept" {
		t.Fatalf("second run: %+v", sum)
	}
	emptyOutbox(t, cfg) // as after the first start delivered it
	sum = mustImport(t, cfg, yggmailtest.Fixture(t))
	if sum.Messages != 0 || sum.Queued != 0 {
		t.Fatalf("third run: %+v", sum)
	}
	after := countAll(t, cfg)
	delete(before, "outbox")
	delete(after, "outbox")
	if !maps(before, after) {
		t.Fatalf("messages before the second run %v, after the third %v", before, after)
	}
}

// countAll counts the messages of every mailbox and the outbox rows.
func countAll(t *testing.T, cfg node.Config) map[string]int {
	t.Helper()
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	boxes, err := n.Store().Mailboxes()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, b := range boxes {
		msgs, err := n.Store().Messages(b.Name)
		if err != nil {
			t.Fatal(err)
		}
		counts[b.Name] = len(msgs)
	}
	rows, err := n.Store().Outbox()
	if err != nil {
		t.Fatal(err)
	}
	counts["outbox"] = len(rows)
	return counts
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func emptyOutbox(t *testing.T, cfg node.Config) {
	t.Helper()
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	rows, err := n.Store().Outbox()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := n.Store().DeleteOutbound(r.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestImportYggmailOtherAddress: a database that belongs to another
// address is refused and left as it was.
func TestImportYggmailOtherAddress(t *testing.T) {
	cfg := importConfig(t)
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	theirs := n.Address()
	n.Close()
	before := countAll(t, cfg)
	_, err = node.ImportYggmail(context.Background(), cfg, yggmailtest.Fixture(t), nil)
	if !errors.Is(err, node.ErrOtherAddress) {
		t.Fatalf("import into another address's database: %v, want ErrOtherAddress", err)
	}
	t.Log(err)
	n, err = node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	still := n.Address()
	n.Close()
	if still != theirs || !maps(before, countAll(t, cfg)) {
		t.Fatalf("the refused import changed the database (address %s, was %s)", still, theirs)
	}
}

// TestImportYggmailRefusedSource: a source that is not a Yggmail
// database, or is in use, is refused before the target is created.
func TestImportYggmailRefusedSource(t *testing.T) {
	cfg := importConfig(t)
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := node.ImportYggmail(context.Background(), cfg, text, nil); !errors.Is(err, yggmail.ErrNotSQLite) {
		t.Fatalf("import of a text file: %v, want ErrNotSQLite", err)
	}
	src := yggmailtest.CopyFixture(t)
	holdWrite(t, src)
	_, err := node.ImportYggmail(context.Background(), cfg, src, nil)
	if !errors.Is(err, yggmail.ErrInUse) {
		t.Fatalf("import of a database in use: %v, want ErrInUse", err)
	}
	t.Log(err)
	if _, err := os.Stat(cfg.Database); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused import created the target: %v", err)
	}
}

// holdWrite begins a write transaction on the Yggmail database at p, as
// Yggmail does while it stores a message, until the test ends.
func holdWrite(t *testing.T, p string) {
	t.Helper()
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.Exec("UPDATE mails SET seen = 1 WHERE mailbox = 'INBOX'"); err != nil {
		t.Fatal(err)
	}
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// runNode runs the node of cfg until the test ends, with no mesh links.
func runNode(t *testing.T, cfg node.Config) *node.Node {
	t.Helper()
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		n.Close()
	})
	select {
	case <-n.Ready():
	case err := <-done:
		done <- err
		t.Fatalf("node stopped before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("node not ready after 30s")
	}
	return n
}

func dialIMAP(t *testing.T, addr, user, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("IMAP login as %s: %v", user, err)
	}
	return c
}

// TestImportYggmailInterrupted: 2,000 messages in two mailboxes, an
// import cancelled part-way, then run again: every message once, in
// order; an empty Yggmail database imports as an empty node.
func TestImportYggmailInterrupted(t *testing.T) {
	src := filepath.Join(t.TempDir(), "yggmail.db")
	w := yggmailtest.New(t, src, newKey(t), "")
	w.AddMailbox("Archive/2024", false)
	w.AddMessages("INBOX", 1200, 2000, time.Unix(1_600_000_000, 0))
	w.AddMessages("Archive/2024", 800, 3000, time.Unix(1_500_000_000, 0))
	w.Close()
	cfg := importConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := node.ImportYggmail(ctx, cfg, src, func(p node.ImportProgress) {
		if p.Messages == 1500 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v", err)
	}
	sum := mustImport(t, cfg, src)
	if sum.Messages+sum.Skipped != 2000 || sum.Messages < 450 || sum.Password != "none" {
		t.Fatalf("second run: %+v", sum)
	}
	counts := countAll(t, cfg)
	if counts["INBOX"] != 1200 || counts["Archive/2024"] != 800 {
		t.Fatalf("after the second run: %v", counts)
	}
	n, err := node.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	checkSameMessages(t, src, "Archive/2024", n.Store(), "Archive/2024")
}

// TestImportedQueueIsSentOnFirstStart: a message Yggmail still had queued
// reaches its recipient, byte for byte, once the imported node starts.
func TestImportedQueueIsSentOnFirstStart(t *testing.T) {
	bob := nodetest.Start(t, "bob", nodetest.Options{Listen: true})
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	from, err := envelope.AddressFromKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "yggmail.db")
	ygg := yggmailtest.New(t, src, key, "")
	ygg.AddMailbox("Outbox", true)
	msg := nodetest.Message(from, bob.Addr, "queued in yggmail", "still to send\r\n")
	ygg.Exec("INSERT INTO mails (mailbox, id, mail, datetime) VALUES ('Outbox', 1, ?, ?)", msg, time.Now().Unix())
	ygg.Exec("INSERT INTO queue (destination, mailbox, id, mail, rcpt) VALUES (?, 'Outbox', 1, ?, ?)",
		hex.EncodeToString(bob.Addr[:]), from.String(), bob.Addr.String())
	ygg.DB.Close()

	cfg := importConfig(t)
	if sum := mustImport(t, cfg, src); sum.Queued != 1 {
		t.Fatalf("import queued %d messages, want 1", sum.Queued)
	}
	migrated := nodetest.Start(t, "migrated", nodetest.Options{DB: cfg.Database, Peers: []string{bob.MeshURL()}})
	if migrated.Addr != from {
		t.Fatalf("imported node has address %s, want %s", migrated.Addr, from)
	}
	nodetest.AssertExactlyOnce(t, bob.WaitInbox(1, 60*time.Second), [][]byte{msg})
}
