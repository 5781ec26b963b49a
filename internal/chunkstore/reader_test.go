package chunkstore

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

func TestReaderSurvivesDelete(t *testing.T) {
	b := openBlobs(t)
	want := randomBytes(5*ChunkSize+7, 5)
	p, err := b.Take(bytes.NewReader(want), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	r := b.NewReader(b.DB.NewTransaction(false), p.ID, p.Size)
	defer r.Close()
	head := make([]byte, ChunkSize+3)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(p.ID); err != nil {
		t.Fatal(err)
	}
	if keys, _ := KeysWithPrefix(b.DB, b.Prefix(p.ID)); len(keys) != 0 {
		t.Fatalf("%d chunks visible after Delete", len(keys))
	}
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(append(head, rest...), want) {
		t.Fatalf("read after a concurrent delete: %d bytes, %v", len(head)+len(rest), err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := r.Read(head); err == nil {
		t.Errorf("Read after Close succeeded")
	}
}

func TestReaderCorrupt(t *testing.T) {
	b := openBlobs(t)
	own := errors.New("our own corrupt")
	b.Corrupt = own
	p, err := b.Take(bytes.NewReader(randomBytes(3*ChunkSize, 6)), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, b, p.ID, p.Size-1); !errors.Is(err, own) {
		t.Errorf("record shorter than the chunks: %v", err)
	}
	if err := b.DB.Update(func(txn *badger.Txn) error { return txn.Delete(b.ChunkKey(p.ID, 1)) }); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, b, p.ID, p.Size); !errors.Is(err, own) {
		t.Errorf("missing chunk: %v", err)
	}
	b.Corrupt = nil
	if _, err := readAll(t, b, p.ID, p.Size); !errors.Is(err, ErrCorrupt) {
		t.Errorf("missing chunk, default error: %v", err)
	}
}

func TestReaderAfterShut(t *testing.T) {
	b := openBlobs(t)
	p, err := b.Take(bytes.NewReader(randomBytes(2*ChunkSize, 7)), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	r := b.NewReader(b.DB.NewTransaction(false), p.ID, p.Size)
	if !b.Gate.Shut() {
		t.Fatal("Shut of an open gate reported false")
	}
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Shut: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close after Shut: %v", err)
	}
}

func TestGateWaitsForOperations(t *testing.T) {
	var g Gate
	if !g.Enter() {
		t.Fatal("Enter on an open gate refused")
	}
	shut := make(chan bool, 1)
	go func() { shut <- g.Shut() }()
	deadline := time.Now().Add(5 * time.Second)
	for !g.IsShut() {
		if time.Now().After(deadline) {
			t.Fatal("Shut did not start within 5s")
		}
		time.Sleep(time.Millisecond)
	}
	if g.Enter() {
		t.Fatal("Enter while shutting admitted")
	}
	select {
	case <-shut:
		t.Fatal("Shut returned while an operation ran")
	default:
	}
	g.Leave()
	select {
	case ok := <-shut:
		if !ok {
			t.Error("first Shut reported false")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shut did not return after Leave")
	}
	if g.Shut() {
		t.Error("second Shut reported true")
	}
}
