package backup

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// write makes a backup file of the given sections.
func write(t testing.TB, sections map[string][]byte, order []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, name := range order {
		s, err := w.Section(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(sections[name]); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every section of a backup file; err is what Next said
// last, nil when the file was intact.
func readAll(data []byte) (map[string][]byte, error) {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	got := map[string][]byte{}
	for {
		name, body, err := r.Next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return got, err
		}
		got[name] = b
	}
}

func TestRoundTrip(t *testing.T) {
	big := make([]byte, 3*MaxChunk+17)
	for i := range big {
		big[i] = byte(rand.IntN(256))
	}
	sections := map[string][]byte{"mailbox": big, "relay": []byte("r"), "empty": nil}
	got, err := readAll(write(t, sections, []string{"mailbox", "empty", "relay"}))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range sections {
		if !bytes.Equal(got[name], want) {
			t.Errorf("section %q: %d bytes back, wrote %d", name, len(got[name]), len(want))
		}
	}
}

// A backup cut anywhere, or with any byte changed, is never read as
// complete.
func TestCutOrChangedIsRefused(t *testing.T) {
	data := write(t, map[string][]byte{"mailbox": bytes.Repeat([]byte("mail"), 100), "relay": []byte("held")}, []string{"mailbox", "relay"})
	for n := 0; n < len(data); n++ {
		if _, err := readAll(data[:n]); err == nil {
			t.Fatalf("a backup cut at %d of %d bytes read as complete", n, len(data))
		}
	}
	for i := range data {
		changed := bytes.Clone(data)
		changed[i] ^= 0x20
		if _, err := readAll(changed); err == nil {
			t.Fatalf("a backup with byte %d changed read as complete", i)
		}
	}
	if _, err := readAll(append(bytes.Clone(data), 'x')); !errors.Is(err, ErrDamaged) {
		t.Errorf("bytes after the trailer: %v, want ErrDamaged", err)
	}
	if _, err := readAll([]byte("PK\x03\x04 not a backup")); !errors.Is(err, ErrNotBackup) {
		t.Errorf("another file: %v, want ErrNotBackup", err)
	}
	if _, err := readAll(data[:len(data)-10]); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut in the trailer: %v, want ErrTruncated", err)
	}
}

func TestSectionNames(t *testing.T) {
	w := NewWriter(io.Discard)
	for _, name := range []string{"", string(make([]byte, MaxName+1))} {
		if _, err := w.Section(name); err == nil {
			t.Errorf("section name of %d bytes accepted", len(name))
		}
	}
	s, _ := w.Section("a")
	if _, err := w.Section("b"); err == nil {
		t.Error("a second section opened while the first was open")
	}
	if err := w.Close(); err == nil {
		t.Error("Close with a section open succeeded")
	}
	s.Close()
}

// FuzzReader: no input makes the reader panic, hold more than a chunk, or
// call a file complete unless its checksum matches (which random input
// cannot forge).
func FuzzReader(f *testing.F) {
	f.Add(write(f, map[string][]byte{"mailbox": []byte("m"), "relay": nil}, []string{"mailbox", "relay"}))
	f.Add([]byte(Magic + "S\x07mailbox\x03abc\x00E"))
	f.Add([]byte(Magic + "S\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := readAll(data); err == nil && !bytes.HasPrefix(data, []byte(Magic)) {
			t.Fatalf("%q read as a complete backup", data)
		}
	})
}
