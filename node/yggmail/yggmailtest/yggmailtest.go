// Package yggmailtest makes Yggmail databases for tests: a copy of the
// real one in node/yggmail/testdata (written by Yggmail itself), and new
// ones with the same schema, read from that file, filled with generated
// mail. Only tests import it.
package yggmailtest

import (
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Facts about the fixture, from node/yggmail/testdata/README.md.
const (
	FixtureAddress  = "f8cdbf8a6371a811b4ed5a5084da41ece4b8f9d94e841952c929615bcaf9a097@yggmail"
	FixturePassword = "correct-horse"
	FixtureDate     = 1796178850 // every row's datetime
	// FixtureUnreachable is the recipient of the fixture's queued message.
	FixtureUnreachable = "0000000000000000000000000000000000000000000000000000000000000001@yggmail"
)

// Fixture is the path of the fixture database. Tests must not change it:
// use CopyFixture for that.
func Fixture(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("yggmailtest: cannot locate the fixture")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", "yggmail.db")
}

// CopyFixture copies the fixture to a new temporary directory and returns
// the copy's path.
func CopyFixture(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "yggmail.db")
	src, err := os.Open(Fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out, err := os.Create(dst)
	if err == nil {
		_, err = io.Copy(out, src)
	}
	if err == nil {
		err = out.Close()
	}
	if err != nil {
		t.Fatalf("copy fixture: %v", err)
	}
	return dst
}

// DB is a Yggmail database being written by a test.
type DB struct {
	*sql.DB
	Path string
	t    testing.TB
}

// New creates a Yggmail database at path with the fixture's schema, key
// as its private_key and hash as its password ("" for no password row),
// and an INBOX.
func New(t testing.TB, path string, key ed25519.PrivateKey, hash string) *DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := &DB{DB: db, Path: path, t: t}
	for _, stmt := range schema(t) {
		d.Exec(stmt)
	}
	d.Exec("INSERT INTO config (key, value) VALUES ('private_key', ?)", hex.EncodeToString(key))
	if hash != "" {
		d.Exec("INSERT INTO config (key, value) VALUES ('password', ?)", hash)
	}
	d.AddMailbox("INBOX", true)
	return d
}

// schema reads the statements that create the fixture's tables and views.
func schema(t testing.TB) []string {
	db, err := sql.Open("sqlite", "file:"+Fixture(t)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND type IN ('table', 'view') ORDER BY rowid")
	if err != nil {
		t.Fatalf("read fixture schema: %v", err)
	}
	defer rows.Close()
	var stmts []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, s)
	}
	return stmts
}

// Exec runs a statement and fails the test on error.
func (d *DB) Exec(query string, args ...any) {
	d.t.Helper()
	if _, err := d.DB.Exec(query, args...); err != nil {
		d.t.Fatalf("%s: %v", strings.Fields(query)[0], err)
	}
}

// AddMailbox adds a mailbox row.
func (d *DB) AddMailbox(name string, subscribed bool) {
	d.t.Helper()
	d.Exec("INSERT INTO mailboxes (mailbox, subscribed) VALUES (?, ?)", name, subscribed)
}

// AddMessages adds n messages of about size bytes each to mailbox, with
// ids following the highest there, in one transaction, dated date plus
// one second per message; every third is \Seen. The message with id id
// is Body(mailbox, id, size).
func (d *DB) AddMessages(mailbox string, n, size int, date time.Time) {
	d.t.Helper()
	tx, err := d.Begin()
	if err != nil {
		d.t.Fatal(err)
	}
	var first int64
	if err := tx.QueryRow("SELECT IFNULL(MAX(id), 0) + 1 FROM mails WHERE mailbox = ?", mailbox).Scan(&first); err != nil {
		d.t.Fatal(err)
	}
	stmt, err := tx.Prepare("INSERT INTO mails (mailbox, id, mail, datetime, seen) VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		d.t.Fatal(err)
	}
	for i := range int64(n) {
		id := first + i
		if _, err := stmt.Exec(mailbox, id, Body(mailbox, id, size), date.Unix()+i, id%3 == 0); err != nil {
			d.t.Fatalf("insert message %d: %v", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		d.t.Fatal(err)
	}
}

// Body is the generated message id of mailbox: a header naming both, and
// lines of text that bring it to size bytes (or the header's size).
func Body(mailbox string, id int64, size int) []byte {
	head := fmt.Sprintf("From: <a@yggmail>\r\nSubject: %s %d\r\nMessage-ID: <%s.%d@generated>\r\n\r\n", mailbox, id, strings.ReplaceAll(mailbox, " ", "_"), id)
	body := []byte(head)
	line := []byte(strings.Repeat(fmt.Sprintf("%07d ", id), 9) + "\r\n") // 73 bytes
	for len(body) < size {
		body = append(body, line[:min(len(line), size-len(body))]...)
	}
	return body
}
