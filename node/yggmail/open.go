package yggmail

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors Open returns, wrapped with the file's name and the details.
var (
	ErrNotSQLite  = errors.New("not an SQLite database")
	ErrNotYggmail = errors.New("not a Yggmail database")
	ErrDamaged    = errors.New("the database is damaged")
	ErrInUse      = errors.New("the database is in use")
)

// sqliteMagic starts every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// schema lists the tables and columns a Yggmail database has, in a fixed
// order so that a foreign file always gets the same answer.
var schema = []struct {
	table string
	cols  []string
}{
	{"config", []string{"key", "value"}},
	{"mailboxes", []string{"mailbox", "subscribed"}},
	{"mails", []string{"mailbox", "id", "mail", "datetime", "seen", "answered", "flagged", "deleted"}},
	{"queue", []string{"destination", "mailbox", "id", "mail", "rcpt"}},
}

// DB is an open Yggmail database. Its methods must not be called
// concurrently: they share one connection and its read transaction.
type DB struct {
	path string
	db   *sql.DB
	conn *sql.Conn
}

// Open opens the Yggmail database at path read-only and checks that it is
// one, intact and not in use (see the package comment).
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open Yggmail database %s: %w", path, err)
	}
	if err := checkHeader(abs); err != nil {
		return nil, fmt.Errorf("open Yggmail database %s: %w", path, err)
	}
	if err := checkNotInUse(abs); err != nil {
		return nil, fmt.Errorf("open Yggmail database %s: %w", path, err)
	}
	d, err := connect(ctx, abs)
	if err != nil {
		return nil, fmt.Errorf("open Yggmail database %s: %w", path, err)
	}
	if err := d.check(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open Yggmail database %s: %w", path, err)
	}
	return d, nil
}

// checkHeader refuses a file that does not start as SQLite files do, so a
// wrong path gets a plain answer rather than an SQLite error code.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteMagic) {
		return fmt.Errorf("%w: the file does not start with the SQLite header", ErrNotSQLite)
	}
	return nil
}

// connect opens one read-only connection and starts the read transaction
// that every later query runs in.
func connect(ctx context.Context, path string) (*DB, error) {
	// An SQLite URI: the path is escaped so that '?', '#' and '%' in it
	// are not read as URI syntax.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "BEGIN")
	}
	if err != nil {
		db.Close()
		return nil, classify(err)
	}
	return &DB{path: path, db: db, conn: conn}, nil
}

// check verifies the schema, then the integrity of every page.
func (d *DB) check(ctx context.Context) error {
	for _, t := range schema {
		if err := d.checkTable(ctx, t.table, t.cols); err != nil {
			return err
		}
	}
	return d.quickCheck(ctx)
}

// checkTable reports a missing table or column.
func (d *DB) checkTable(ctx context.Context, table string, want []string) error {
	rows, err := d.conn.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", table)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return classify(err)
		}
		have[name] = true
	}
	if err := rows.Err(); err != nil {
		return classify(err)
	}
	if len(have) == 0 {
		return fmt.Errorf("%w: it has no table %q", ErrNotYggmail, table)
	}
	for _, col := range want {
		if !have[col] {
			return fmt.Errorf("%w: table %q has no column %q", ErrNotYggmail, table, col)
		}
	}
	return nil
}

// quickCheck runs SQLite's PRAGMA quick_check, which reads every page: a
// damaged file is found now, before an import has written anything, rather
// than part-way through.
func (d *DB) quickCheck(ctx context.Context) error {
	var result string
	if err := d.conn.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&result); err != nil {
		return classify(err)
	}
	if result != "ok" {
		return fmt.Errorf("%w: SQLite's integrity check says %q", ErrDamaged, result)
	}
	return nil
}

// classify turns the SQLite result codes a user can act on into this
// package's errors.
func classify(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: SQLite reports it locked by another program (is Yggmail running?): %v", ErrInUse, err)
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%w: %v", ErrNotSQLite, err)
	case sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return err
}

// Close ends the read transaction and closes the file.
func (d *DB) Close() error {
	_, rollbackErr := d.conn.ExecContext(context.Background(), "ROLLBACK")
	return errors.Join(rollbackErr, d.conn.Close(), d.db.Close())
}
