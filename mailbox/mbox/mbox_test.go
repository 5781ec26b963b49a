package mbox

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// readAll splits input into its From_ lines and messages, and checks that
// each message's extent read again gives the same bytes.
func readAll(t testing.TB, input string) ([]FromLine, []string, error) {
	r := NewReader(strings.NewReader(input))
	var lines []FromLine
	var msgs []string
	for {
		line, err := r.Next()
		if errors.Is(err, io.EOF) {
			return lines, msgs, nil
		}
		if err != nil {
			return lines, msgs, err
		}
		body, err := io.ReadAll(r)
		if err != nil {
			return lines, msgs, err
		}
		again := NewReader(strings.NewReader(input[line.Offset:r.End()]))
		if _, err := again.Next(); err != nil {
			t.Fatalf("extent %d-%d: %v", line.Offset, r.End(), err)
		}
		if b, _ := io.ReadAll(again); !bytes.Equal(b, body) {
			t.Fatalf("extent %d-%d reads %q, not %q", line.Offset, r.End(), b, body)
		}
		lines, msgs = append(lines, line), append(msgs, string(body))
	}
}

func TestSplit(t *testing.T) {
	input := "From alice@example.org Sat Jan  3 01:05:34 1996\n" +
		"Status: RO\nSubject: one\n\n>From the start\n>From escaped\n>>From twice\n> From not\n\n\n" +
		"From bob Mon Feb 29 10:00:00 +0100 2016\r\nSubject: two\r\n\r\nbody\r\n\r\n" +
		"From  Tue Mar  1 00:00:00 2022\nSubject: three\n\nno separator"
	lines, msgs, err := readAll(t, input)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Status: RO\nSubject: one\n\nFrom the start\nFrom escaped\n>From twice\n> From not\n\n",
		"Subject: two\r\n\r\nbody\r\n",
		"Subject: three\n\nno separator",
	}
	if !slices.Equal(msgs, want) {
		t.Fatalf("messages\n%q\nwant\n%q", msgs, want)
	}
	dates := []time.Time{
		time.Date(1996, 1, 3, 1, 5, 34, 0, time.UTC),
		time.Date(2016, 2, 29, 9, 0, 0, 0, time.UTC),
		time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC),
	}
	senders := []string{"alice@example.org", "bob", ""}
	for i, l := range lines {
		if !l.Date.Equal(dates[i]) || l.Sender != senders[i] {
			t.Errorf("From_ line %d = %+v", i, l)
		}
	}
}

func TestNotMbox(t *testing.T) {
	for _, in := range []string{"Subject: x\n\nFrom y\n", "\nFrom a b\n", "from a\n"} {
		if _, _, err := readAll(t, in); !errors.Is(err, ErrNotMbox) {
			t.Errorf("%q: err %v, want ErrNotMbox", in, err)
		}
	}
	if lines, _, err := readAll(t, ""); err != nil || len(lines) != 0 {
		t.Errorf("empty input: %v %v", lines, err)
	}
}

func TestCutShort(t *testing.T) {
	r := NewReader(strings.NewReader("From a\nSubject: x\n\ncut in the mid"))
	r.Next()
	b, _ := io.ReadAll(r)
	if string(b) != "Subject: x\n\ncut in the mid" || !r.CutShort() {
		t.Fatalf("read %q, CutShort %v", b, r.CutShort())
	}
}

func TestLongLines(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	input := "From " + long + "\n>From " + long + "\n\nFrom b\n" + long + "\n"
	lines, msgs, err := readAll(t, input)
	if err != nil || len(msgs) != 2 || msgs[0] != "From "+long+"\n" || msgs[1] != long+"\n" || len(lines[0].Line) > maxFromLine {
		t.Fatalf("long lines: %d messages, %v", len(msgs), err)
	}
}

func TestStatusFlags(t *testing.T) {
	got := StatusFlags("RO", "AFDTx")
	want := []string{`\Answered`, `\Deleted`, `\Draft`, `\Flagged`, `\Seen`}
	if !slices.Equal(got, want) {
		t.Fatalf("StatusFlags = %v", got)
	}
	if f := StatusFlags("O"); f != nil {
		t.Errorf("O gave %v", f)
	}
}
