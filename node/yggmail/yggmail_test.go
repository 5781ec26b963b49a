package yggmail_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/yggpost/yggpost/internal/testkit"
	"github.com/yggpost/yggpost/node/yggmail"
	"github.com/yggpost/yggpost/node/yggmail/yggmailtest"
)

func open(t *testing.T, path string) *yggmail.DB {
	t.Helper()
	db, err := yggmail.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestFixture reads the database Yggmail wrote and finds what its README
// says is in it.
func TestFixture(t *testing.T) {
	ctx := context.Background()
	db := open(t, yggmailtest.Fixture(t))
	id, err := db.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub := hex.EncodeToString(id.Key.Public().(ed25519.PublicKey))
	if pub+"@yggmail" != yggmailtest.FixtureAddress {
		t.Errorf("address %s@yggmail, want %s", pub, yggmailtest.FixtureAddress)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(id.PasswordHash), []byte(yggmailtest.FixturePassword)); err != nil {
		t.Errorf("password hash does not match %q: %v", yggmailtest.FixturePassword, err)
	}
	boxes, err := db.Mailboxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
		if !b.Subscribed {
			t.Errorf("%s not subscribed", b.Name)
		}
	}
	if want := []string{"INBOX", "Drafts", "Outbox", "Projects"}; !slices.Equal(names, want) {
		t.Errorf("mailboxes %v, want %v", names, want)
	}
	checkFixtureInbox(t, db)
	queue, err := db.Queue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []yggmail.Queued{{Mailbox: "Outbox", ID: 2, From: yggmailtest.FixtureAddress, Recipients: []string{yggmailtest.FixtureUnreachable}}}
	if len(queue) != 1 || queue[0].Mailbox != want[0].Mailbox || queue[0].ID != 2 || queue[0].From != want[0].From || !slices.Equal(queue[0].Recipients, want[0].Recipients) {
		t.Errorf("queue %+v, want %+v", queue, want)
	}
}

func checkFixtureInbox(t *testing.T, db *yggmail.DB) {
	t.Helper()
	wantFlags := [][]string{{`\Seen`, `\Answered`, `\Flagged`}, {`\Seen`}, {`\Deleted`}}
	var ids []int64
	err := db.Messages(context.Background(), "INBOX", 0, func(m yggmail.Message) error {
		ids = append(ids, m.ID)
		if i := len(ids) - 1; i < len(wantFlags) && !slices.Equal(m.Flags(), wantFlags[i]) {
			t.Errorf("INBOX %d flags %v, want %v", m.ID, m.Flags(), wantFlags[i])
		}
		if m.Date.Unix() != yggmailtest.FixtureDate {
			t.Errorf("INBOX %d date %v, want Unix %d", m.ID, m.Date, yggmailtest.FixtureDate)
		}
		return nil
	})
	if err != nil || !slices.Equal(ids, []int64{1, 2, 3}) {
		t.Errorf("INBOX ids %v, err %v; want 1 2 3", ids, err)
	}
}

// TestRefused: files that are not an intact Yggmail database are refused
// with an error that names the problem.
func TestRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fixture, err := os.ReadFile(yggmailtest.Fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       error
		words      string
	}{
		{"text file", write("notes.txt", []byte("these are not the droids\n")), yggmail.ErrNotSQLite, "SQLite header"},
		{"empty file", write("empty.db", nil), yggmail.ErrNotSQLite, "SQLite header"},
		{"missing file", filepath.Join(dir, "nope.db"), os.ErrNotExist, "no such file"},
		{"garbage in the middle", write("corrupt.db", corrupt(fixture)), yggmail.ErrDamaged, "damaged"},
		{"foreign SQLite", foreign(t, dir), yggmail.ErrNotYggmail, `no table "config"`},
		{"column missing", withoutColumn(t, dir), yggmail.ErrNotYggmail, `table "mails" has no column "flagged"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := yggmail.Open(context.Background(), tc.path)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("error %q, want %v saying %q", err, tc.want, tc.words)
			}
			t.Log(err)
		})
	}
}

// corrupt overwrites the middle pages of a database with garbage.
func corrupt(db []byte) []byte {
	out := slices.Clone(db)
	for i := len(out) / 3; i < 2*len(out)/3; i++ {
		out[i] = byte(i*7 + 3)
	}
	return out
}

func foreign(t *testing.T, dir string) string {
	p := filepath.Join(dir, "foreign.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE recipes (name TEXT, steps TEXT); INSERT INTO recipes VALUES ('bread', 'knead')"); err != nil {
		t.Fatal(err)
	}
	return p
}

func withoutColumn(t *testing.T, dir string) string {
	p := filepath.Join(dir, "old.db")
	db := yggmailtest.New(t, p, newKey(t), "")
	db.Exec("ALTER TABLE mails DROP COLUMN flagged")
	db.Close()
	return p
}

func newKey(t testing.TB) ed25519.PrivateKey {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestEmpty: a database with the schema and a key but no mail opens and
// yields an INBOX without messages, no password and an empty queue.
func TestEmpty(t *testing.T) {
	ctx := context.Background()
	key := newKey(t)
	p := filepath.Join(t.TempDir(), "yggmail.db")
	yggmailtest.New(t, p, key, "").Close()
	db := open(t, p)
	id, err := db.Identity(ctx)
	if err != nil || !id.Key.Equal(key) || id.PasswordHash != "" {
		t.Fatalf("identity %v, %q, err %v", id.Key.Equal(key), id.PasswordHash, err)
	}
	boxes, err := db.Mailboxes(ctx)
	if err != nil || len(boxes) != 1 || boxes[0].Messages != 0 {
		t.Fatalf("mailboxes %+v, err %v", boxes, err)
	}
	if q, err := db.Queue(ctx); err != nil || len(q) != 0 {
		t.Fatalf("queue %+v, err %v", q, err)
	}
}

// TestBadKey: a key whose public half is not its seed's is refused, as
// are a short key and a password that is not a bcrypt hash.
func TestBadKey(t *testing.T) {
	ctx := context.Background()
	key := newKey(t)
	other := newKey(t)
	mixed := append(slices.Clone(key.Seed()), other.Public().(ed25519.PublicKey)...)
	for name, tc := range map[string]struct {
		key  ed25519.PrivateKey
		hash string
		want string
	}{
		"halves disagree": {mixed, "", "public half"},
		"short":           {key[:40], "", "want 128 hex digits"},
		"bad hash":        {key, "plaintext-password", "not a bcrypt hash"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "yggmail.db")
			yggmailtest.New(t, p, tc.key, tc.hash).Close()
			_, err := open(t, p).Identity(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestInUse: a database Yggmail is writing to, or that another process
// has open, is refused.
func TestInUse(t *testing.T) {
	t.Run("write transaction", func(t *testing.T) {
		p := yggmailtest.CopyFixture(t)
		w := writer(t, p)
		if _, err := w.ExecContext(context.Background(), "INSERT INTO mailboxes (mailbox) VALUES ('Half written')"); err != nil {
			t.Fatal(err)
		}
		refusedInUse(t, p, "journal")
	})
	t.Run("exclusive lock", func(t *testing.T) {
		p := yggmailtest.CopyFixture(t)
		writer(t, p) // holds the lock without writing: no journal yet
		refusedInUse(t, p, "locked")
	})
	t.Run("open in another process", func(t *testing.T) {
		p := yggmailtest.CopyFixture(t)
		holdOpen(t, p)
		refusedInUse(t, p, "has it open")
	})
}

// writer begins an exclusive write transaction on p, held until the test
// ends, on a connection of its own.
func writer(t *testing.T, p string) *sql.Conn {
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.ExecContext(context.Background(), "ROLLBACK"); conn.Close(); db.Close() })
	return conn
}

// holdOpen starts a process that keeps p open until the test ends, and
// waits until it has.
func holdOpen(t *testing.T, p string) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc: this system does not tell who has a file open")
	}
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command("sh", "-c", `exec 3<"$1"; : >"$2"; exec sleep 60`, "sh", p, ready)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	started := testkit.Poll(10*time.Second, func() bool {
		_, err := os.Stat(ready)
		return err == nil
	})
	if !started {
		t.Fatal("the holding process did not start")
	}
}

func refusedInUse(t *testing.T, p, words string) {
	t.Helper()
	db, err := yggmail.Open(context.Background(), p)
	if err == nil {
		db.Close()
		t.Fatal("opened a database in use")
	}
	if !errors.Is(err, yggmail.ErrInUse) || !strings.Contains(err.Error(), words) {
		t.Fatalf("error %q, want ErrInUse saying %q", err, words)
	}
	t.Log(err)
}

// TestStreamLarge: 2,000 messages come back one at a time in id order,
// each the bytes written, and a walk can start after a given id.
func TestStreamLarge(t *testing.T) {
	const n = 2000
	p := filepath.Join(t.TempDir(), "yggmail.db")
	w := yggmailtest.New(t, p, newKey(t), "")
	w.AddMessages("INBOX", n, 1500, time.Unix(1_700_000_000, 0))
	w.Close()
	db := open(t, p)
	var next int64 = 1001
	err := db.Messages(context.Background(), "INBOX", 1000, func(m yggmail.Message) error {
		if m.ID != next || string(m.Body) != string(yggmailtest.Body("INBOX", m.ID, 1500)) {
			t.Fatalf("message %d (want %d) differs from what was written", m.ID, next)
		}
		if m.Seen != (m.ID%3 == 0) || m.Date.Unix() != 1_700_000_000+m.ID-1 {
			t.Fatalf("message %d: seen %v, date %v", m.ID, m.Seen, m.Date)
		}
		next++
		return nil
	})
	if err != nil || next != n+1 {
		t.Fatalf("walked up to %d, err %v", next-1, err)
	}
}
