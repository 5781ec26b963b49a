package mailheader

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fuzzBlocks seeds the ordinary fuzz targets.
func fuzzBlocks(f *testing.F) {
	for _, s := range differentialSeeds() {
		f.Add([]byte(s))
	}
}

// FuzzRead: block and rest are the whole input, the block ends at its
// first empty line or the input's end, and it is never over the bound.
func FuzzRead(f *testing.F) {
	fuzzBlocks(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		block, tail, err := readAll(t, msg, 200)
		if errors.Is(err, ErrTooLarge) {
			if len(block) != 200 || End(msg) < 200-2 {
				t.Fatalf("cut at %d with the block ending at %d", len(block), End(msg))
			}
			return
		}
		if end := End(block); len(tail) > 0 && !isEmptyLine(block[end:]) {
			t.Fatalf("block %q ends before the empty line at %d, rest %q", block, end, tail)
		}
	})
}

// FuzzValues: a value never holds a line break of a continuation, and
// every value is in the block.
func FuzzValues(f *testing.F) {
	fuzzBlocks(f)
	f.Fuzz(func(t *testing.T, block []byte) {
		for _, v := range Values(block, "Message-ID") {
			if strings.Contains(v, "\n") {
				t.Fatalf("value %q holds a line break", v)
			}
			if !isSubsequence([]byte(v), block) {
				t.Fatalf("value %q is not in the block", v)
			}
		}
	})
}

// FuzzMessageID: the id is trimmed, and found again after the block is
// rewritten the way submission rewrites it.
func FuzzMessageID(f *testing.F) {
	fuzzBlocks(f)
	f.Fuzz(func(t *testing.T, block []byte) {
		id := MessageID(block)
		if id != strings.TrimSpace(id) || strings.Contains(id, "\n") {
			t.Fatalf("MessageID = %q", id)
		}
		if again := MessageID(RemoveFields(block, "Bcc")); again != id {
			t.Fatalf("MessageID %q became %q without Bcc", id, again)
		}
		if id == "" {
			return
		}
		if again := MessageID(AddField(block, "Message-ID: <new@yggmail>")); again != id {
			t.Fatalf("MessageID %q became %q by adding a later one", id, again)
		}
	})
}

// FuzzFrom: From either fails with one of its errors or names an address
// that is in the block.
func FuzzFrom(f *testing.F) {
	fuzzBlocks(f)
	f.Fuzz(func(t *testing.T, block []byte) {
		from, err := From(block)
		switch {
		case err == nil:
			if !bytes.Contains(bytes.ToLower(block), []byte(from.Hex())) {
				t.Fatalf("From = %s, not in %q", from, block)
			}
		case !errors.Is(err, ErrNoFrom) && !errors.Is(err, ErrBadHeader):
			t.Fatalf("From: %v is none of the package's errors", err)
		}
	})
}

// FuzzAddresses: Addresses never panics, and without an error every
// address has its @ (net/mail's addr-spec).
func FuzzAddresses(f *testing.F) {
	fuzzBlocks(f)
	f.Fuzz(func(t *testing.T, block []byte) {
		addrs, err := Addresses(block, "To", "Cc", "Bcc", "From")
		if err != nil {
			return
		}
		for _, a := range addrs {
			if !strings.Contains(a, "@") {
				t.Fatalf("address %q", a)
			}
		}
	})
}

// FuzzRemoveFields: removing a field removes all of it and nothing else,
// and adding one back reads back.
func FuzzRemoveFields(f *testing.F) {
	fuzzBlocks(f)
	f.Fuzz(func(t *testing.T, block []byte) {
		out := RemoveFields(block, "Bcc")
		if v := Values(out, "Bcc"); len(v) != 0 {
			t.Fatalf("Bcc left after removal: %q", v)
		}
		for _, name := range []string{"From", "Subject", "Message-ID"} {
			if a, b := Values(block, name), Values(out, name); strings.Join(a, "\x00") != strings.Join(b, "\x00") {
				t.Fatalf("%s changed by removing Bcc: %q -> %q", name, a, b)
			}
		}
		if !isSubsequence(out, block) {
			t.Fatalf("removal added or reordered bytes: %q -> %q", block, out)
		}
		if again := RemoveFields(out, "Bcc"); !bytes.Equal(again, out) {
			t.Fatalf("removal not idempotent: %q -> %q", out, again)
		}
		if v := Values(AddField(out, "Bcc: <z@yggmail>"), "Bcc"); len(v) != 1 || v[0] != " <z@yggmail>" {
			t.Fatalf("added Bcc field reads back as %q", v)
		}
	})
}

// isSubsequence reports whether a's bytes appear in b in order.
func isSubsequence(a, b []byte) bool {
	for _, c := range a {
		i := bytes.IndexByte(b, c)
		if i < 0 {
			return false
		}
		b = b[i+1:]
	}
	return true
}
