package mailbox

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// The decoders of on-disk values must never panic, and whatever they accept
// must survive a round trip.

func FuzzDecodeMailbox(f *testing.F) {
	r := mailboxRec{Name: "INBOX/x", SpecialUse: `\Sent`, Subscribed: true, UIDValidity: 7, UIDNext: 9, ModSeq: 12, Messages: 3, Unseen: 1, Size: 99}
	f.Add(r.encode())
	f.Add([]byte{recordVersion})
	f.Add([]byte{recordVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeMailbox(b)
		if err != nil {
			return
		}
		again, err := decodeMailbox(rec.encode())
		if err != nil || !reflect.DeepEqual(rec, again) {
			t.Fatalf("round trip: %+v -> %+v, %v", rec, again, err)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	r := messageRec{Flags: []string{`\Seen`, "$Label"}, Size: 1 << 20, Date: time.Unix(1700000000, 5).UTC(), ModSeq: 4, Blob: blobID{1, 2}}
	f.Add(r.encode())
	zoned := r
	zoned.Date = inZone(time.Unix(1700000000, 0).In(time.FixedZone("", -(9*3600 + 30*60))))
	f.Add(zoned.encode())
	f.Add([]byte{recordVersion, 200})
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeMessage(b)
		if err != nil {
			return
		}
		again, err := decodeMessage(rec.encode())
		if err != nil || !reflect.DeepEqual(rec, again) {
			t.Fatalf("round trip: %+v -> %+v, %v", rec, again, err)
		}
	})
}

func FuzzDecodeOutbound(f *testing.F) {
	r := outboundRec{Recipient: [32]byte{9}, Size: 5, Created: time.Unix(1, 0).UTC(), Attempts: 2, LastError: "timeout", Blob: blobID{3}}
	f.Add(r.encode())
	f.Add(bytes.Repeat([]byte{recordVersion}, 60))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeOutbound(b)
		if err != nil {
			return
		}
		again, err := decodeOutbound(rec.encode())
		if err != nil || !reflect.DeepEqual(rec, again) {
			t.Fatalf("round trip: %+v -> %+v, %v", rec, again, err)
		}
	})
}

func FuzzCanonName(f *testing.F) {
	for _, s := range []string{"INBOX", "inbox/Sub", "a/b/c", "", "/", "a//b", "Ünïcode", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := canonName(name)
		if err != nil {
			return
		}
		if again, err := canonName(c); err != nil || again != c {
			t.Fatalf("canonName not idempotent: %q -> %q -> %q, %v", name, c, again, err)
		}
		for _, p := range parents(c) {
			if _, err := canonName(p); err != nil {
				t.Fatalf("parent %q of valid %q is invalid: %v", p, c, err)
			}
		}
	})
}

func FuzzCanonFlags(f *testing.F) {
	f.Add(`\seen`, "$Label", `\Recent`)
	f.Add(`\Bogus`, "a b", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		flags, err := canonFlags([]string{a, b, c})
		if err != nil {
			return
		}
		again, err := canonFlags(flags)
		if err != nil || !reflect.DeepEqual(again, flags) {
			t.Fatalf("canonFlags not idempotent: %q -> %q, %v", flags, again, err)
		}
		rec := messageRec{Flags: flags}
		if _, err := decodeMessage(rec.encode()); err != nil {
			t.Fatalf("valid flags %q do not round-trip: %v", flags, err)
		}
	})
}
