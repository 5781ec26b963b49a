package relay

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/yggpost/yggpost/envelope"
)

func TestRoundTrip(t *testing.T) {
	r, c, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	for _, n := range []int{0, 100, chunkSize, 3*chunkSize + 17, 20 << 20} {
		env, id := seal(t, aliceKey, bobAddr, randomBody(n, uint64(n)))
		rc := deposit(t, r, env)
		if err := rc.Verify(); err != nil {
			t.Fatal(err)
		}
		if rc.Relay != r.Address() || rc.Recipient != bobAddr || rc.ID != id || rc.Size != int64(len(env)) || rc.Duplicate {
			t.Fatalf("receipt %+v", rc)
		}
		if !rc.Received.Equal(c.Now()) || !rc.Expires.Equal(c.Now().Add(DefaultRetention)) {
			t.Fatalf("receipt times %v %v", rc.Received, rc.Expires)
		}
		p, err := r.Pending(bobAddr)
		if err != nil || len(p) != 1 || p[0].ID != id || p[0].Size != int64(len(env)) {
			t.Fatalf("Pending = %+v, %v", p, err)
		}
		if got := fetch(t, r, bobAddr, id); !bytes.Equal(got, env) {
			t.Fatalf("%d-byte body: handed over bytes differ", n)
		}
		if err := r.Ack(bobAddr, id); err != nil {
			t.Fatal(err)
		}
		if p, _ := r.Pending(bobAddr); len(p) != 0 {
			t.Fatalf("after Ack: %d pending", len(p))
		}
		if err := r.Ack(bobAddr, id); !errors.Is(err, ErrNotHeld) {
			t.Fatalf("second Ack: %v", err)
		}
		c.Add(time.Second)
	}
	s := r.Status()
	if s.Members != 1 || s.Envelopes != 0 || s.Bytes != 0 || s.Deposits != 5 || s.HandOvers != 5 {
		t.Fatalf("Status = %+v", s)
	}
	if keys, _ := r.keysWithPrefix([]byte{tagChunk}); len(keys) != 0 {
		t.Fatalf("%d chunks left after every ack", len(keys))
	}
}

func TestPendingOrderAndRestart(t *testing.T) {
	r, c, dir := testRelay(t, nil)
	register(t, r, bobKey, "")
	var envs [][]byte
	var ids []envelope.ID
	for i := range 5 {
		env, id := seal(t, aliceKey, bobAddr, randomBody(1000*i+chunkSize*(i%2)*2, uint64(i)))
		deposit(t, r, env)
		envs, ids = append(envs, env), append(ids, id)
		c.Add(time.Millisecond)
	}
	opts := r.opts
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r = reopen(t, dir, opts)
	p, err := r.Pending(bobAddr)
	if err != nil || len(p) != 5 {
		t.Fatalf("Pending after restart = %d, %v", len(p), err)
	}
	var total int64
	for i, h := range p {
		if h.ID != ids[i] {
			t.Fatalf("pending[%d] = %s, want %s (oldest first)", i, h.ID, ids[i])
		}
		if !bytes.Equal(fetch(t, r, bobAddr, h.ID), envs[i]) {
			t.Fatalf("envelope %d differs after restart", i)
		}
		total += h.Size
	}
	if s := r.Status(); s.Envelopes != 5 || s.Bytes != total || s.Members != 1 {
		t.Fatalf("Status after restart = %+v, want 5 envelopes, %d bytes", s, total)
	}
}

func TestDuplicateDeposit(t *testing.T) {
	r, c, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	env, id := seal(t, aliceKey, bobAddr, []byte("Subject: x\r\n\r\nonce\r\n"))
	first := deposit(t, r, env)
	c.Add(time.Minute)
	second := deposit(t, r, env)
	if !second.Duplicate || second.Received != first.Received || second.Signature != first.Signature {
		t.Fatalf("duplicate receipt %+v, first %+v", second, first)
	}
	// The same id sealed again (a retry with a new ephemeral key) is the
	// same envelope for the relay.
	var buf bytes.Buffer
	if _, err := envelope.Seal(&buf, aliceKey, bobAddr, id, time.Now(), bytes.NewReader([]byte("other"))); err != nil {
		t.Fatal(err)
	}
	if rc := deposit(t, r, buf.Bytes()); !rc.Duplicate {
		t.Fatal("re-sealed envelope with the same id not seen as duplicate")
	}
	if got := fetch(t, r, bobAddr, id); !bytes.Equal(got, env) {
		t.Fatal("the first copy was replaced")
	}
	if s := r.Status(); s.Envelopes != 1 || s.Deposits != 1 || s.Duplicates != 2 {
		t.Fatalf("Status = %+v", s)
	}
}

func TestDrop(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	e1, id1 := seal(t, aliceKey, bobAddr, []byte("one"))
	e2, id2 := seal(t, aliceKey, bobAddr, []byte("two"))
	deposit(t, r, e1)
	deposit(t, r, e2)
	if err := r.Drop(bobAddr, id1, envelope.NewID()); err != nil {
		t.Fatal(err)
	}
	p, _ := r.Pending(bobAddr)
	if len(p) != 1 || p[0].ID != id2 {
		t.Fatalf("after Drop: %+v", p)
	}
	if _, _, err := r.Open(bobAddr, id1); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Open dropped: %v", err)
	}
	if s := r.Status(); s.Dropped != 1 || s.Envelopes != 1 {
		t.Fatalf("Status = %+v", s)
	}
}

func TestReaderSurvivesAck(t *testing.T) {
	r, _, _ := testRelay(t, nil)
	register(t, r, bobKey, "")
	env, id := seal(t, aliceKey, bobAddr, randomBody(5*chunkSize, 7))
	deposit(t, r, env)
	rc, _, err := r.Open(bobAddr, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	head := make([]byte, 10)
	if _, err := rc.Read(head); err != nil {
		t.Fatal(err)
	}
	if err := r.Ack(bobAddr, id); err != nil {
		t.Fatal(err)
	}
	var rest bytes.Buffer
	if _, err := rest.ReadFrom(rc); err != nil {
		t.Fatalf("read after Ack: %v", err)
	}
	if !bytes.Equal(append(head, rest.Bytes()...), env) {
		t.Fatal("snapshot read differs")
	}
}
