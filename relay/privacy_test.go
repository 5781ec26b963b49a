package relay

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/yggpost/yggpost/envelope"
)

// TestStoreHoldsNoPlaintextNorSender deposits messages with known text from
// a known sender and searches every key and value of the relay's database,
// and every byte of its files, for the text and the sender's address. The
// recipient's key must be found (it is the index), which shows the search
// works.
//
// Forwarding is on, and a member, dave, also deposits mail of his own for
// carol, who is not a member. Dave's key is necessarily in the member
// table; it must be nowhere else: not with the envelopes he deposited.
func TestStoreHoldsNoPlaintextNorSender(t *testing.T) {
	r, _, dir := testRelay(t, func(o *Options) { o.Forward = true })
	register(t, r, bobKey, "")
	daveKey := testKey(0x04)
	dave := addrOf(daveKey)
	register(t, r, daveKey, "")
	secret := "The eagle lands at midnight behind the old mill"
	bodies := [][]byte{
		[]byte("From: " + aliceAddr.String() + "\r\nSubject: " + secret + "\r\n\r\n" + secret + "\r\n"),
		[]byte(strings.Repeat(secret+"\r\n", 3*chunkSize/len(secret))), // several chunks
	}
	for _, b := range bodies {
		env, _ := seal(t, aliceKey, bobAddr, b)
		deposit(t, r, env) // deposited by the sender itself
	}
	forwarded := "The heron leaves at dawn from the east pier"
	for _, b := range [][]byte{
		[]byte("From: " + dave.String() + "\r\nSubject: " + forwarded + "\r\n\r\n" + forwarded + "\r\n"),
		[]byte(strings.Repeat(forwarded+"\r\n", 2*chunkSize/len(forwarded))),
	} {
		env, _ := seal(t, daveKey, carolAddr, b)
		if _, err := r.Deposit(dave, int64(len(env)), bytes.NewReader(env)); err != nil {
			t.Fatalf("forwarding deposit: %v", err)
		}
	}
	if s := r.Status(); s.Forwarding != 2 || s.Envelopes != 4 {
		t.Fatalf("Status = %+v", s)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	needles := map[string][]byte{
		"text":              []byte(secret),
		"forwarded text":    []byte(forwarded),
		"sender hex":        []byte(aliceAddr.Hex()),
		"sender hex upper":  []byte(strings.ToUpper(aliceAddr.Hex())),
		"sender key binary": aliceAddr[:],
	}
	keys, values := dumpBadger(t, dir)
	for what, n := range needles {
		for i := range keys {
			if bytes.Contains(keys[i], n) || bytes.Contains(values[i], n) {
				t.Errorf("%s found in record %x", what, keys[i])
			}
		}
	}
	files := rawFiles(t, dir)
	for what, n := range needles {
		for name, b := range files {
			if bytes.Contains(b, n) {
				t.Errorf("%s found in file %s", what, name)
			}
		}
	}
	checkDepositorOnlyInMemberTable(t, keys, values, dave)
	// Controls: the recipients' keys are in the index and in the files.
	if !anyContains(keys, bobAddr[:]) || !anyContains(keys, carolAddr[:]) {
		t.Fatal("recipient key not found among the keys: the scan is broken")
	}
	found := false
	for _, b := range files {
		found = found || bytes.Contains(b, bobAddr[:])
	}
	if !found {
		t.Fatal("recipient key not found in the raw files: the scan is broken")
	}
}

// checkDepositorOnlyInMemberTable fails if the member's key, in binary or
// hex, appears in any record other than its member and registration-stamp
// records (whose values are times).
func checkDepositorOnlyInMemberTable(t *testing.T, keys, values [][]byte, member envelope.Address) {
	t.Helper()
	allowed := map[string]bool{string(memberKey(member)): true, string(stampKey(member)): true}
	seen := 0
	for i := range keys {
		for _, n := range [][]byte{member[:], []byte(member.Hex())} {
			if bytes.Contains(values[i], n) {
				t.Errorf("depositor's key found in the value of %x", keys[i])
			}
			if bytes.Contains(keys[i], n) && !allowed[string(keys[i])] {
				t.Errorf("depositor's key found in key %x", keys[i])
			}
		}
		if allowed[string(keys[i])] {
			seen++
		}
	}
	if seen == 0 {
		t.Fatal("the depositor's member record was not found: the scan is broken")
	}
}

// dumpBadger returns every key and value, all versions, of the database.
func dumpBadger(t *testing.T, dir string) (keys, values [][]byte) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.AllVersions = true
		it := txn.NewIterator(o)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("value of %x: %w", it.Item().Key(), err)
			}
			keys = append(keys, it.Item().KeyCopy(nil))
			values = append(values, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 3 {
		t.Fatalf("only %d records in the store", len(keys))
	}
	return keys, values
}

func rawFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[filepath.Base(p)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func anyContains(list [][]byte, n []byte) bool {
	for _, b := range list {
		if bytes.Contains(b, n) {
			return true
		}
	}
	return false
}
