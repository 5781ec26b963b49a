package mailsort

import (
	"reflect"
	"strconv"
	"testing"
	"time"
)

// fuzzSubjects are the subjects fuzzed mailboxes draw from: a few base
// subjects, bare and as replies and forwards, and empty ones.
var fuzzSubjects = []string{
	"", "x", "Re: x", "[fwd: x]", "x (fwd)", "y", "Fwd: y", "[l] Re: y", "Re:", "X",
}

// fuzzMailbox makes a mailbox of up to 64 messages from data, four bytes a
// message: its Message-ID (one of eight, or none), its references (up to
// three of the eight, in References or In-Reply-To), its subject and its
// date (the last two sharing a byte).
func fuzzMailbox(data []byte) []Message {
	var msgs []Message
	for i := 0; i+4 <= len(data) && len(msgs) < 64; i += 4 {
		id, refs, subj, date := data[i], data[i+1], data[i+2], data[i+3]
		m := Message{Num: uint32(len(msgs) + 1), Arrival: day(int(date % 16))}
		if id%9 != 0 {
			m.MessageID = "<m" + strconv.Itoa(int(id%9)) + ">"
		}
		var field string
		for k := 0; k < int(refs>>6); k++ {
			field += " <m" + strconv.Itoa(int(refs>>(k*2)&7)+1) + ">"
		}
		if subj&0x80 != 0 {
			m.InReplyTo = "junk" + field
		} else {
			m.References = field
		}
		m.Subject = fuzzSubjects[int(subj&0x7f)%len(fuzzSubjects)]
		if date&0x80 != 0 {
			m.Date = day(int(date >> 4 & 7)).Add(time.Hour)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func FuzzReferences(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 1, 0, 2, 0x41, 2, 1, 3, 0x41, 3, 2})
	f.Add([]byte{1, 0x42, 0, 0, 2, 0x40, 0, 0}) // a loop
	f.Add([]byte{1, 0, 1, 0, 1, 0, 2, 0, 2, 0x40, 0, 0x85})
	f.Add([]byte{0, 0x47, 2, 0, 0, 0x47, 2, 1, 0, 0x46, 1, 2, 5, 0xC0, 7, 0x90})
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs := fuzzMailbox(data)
		threads := References(msgs)
		checkAllOnce(t, threads, len(msgs))
		back, err := parseThreads(Format(threads))
		if err != nil || len(threads) > 0 && !reflect.DeepEqual(back, threads) {
			t.Fatalf("%q reads back as %+v, %v", Format(threads), back, err)
		}
		ordered := OrderedSubject(msgs)
		checkAllOnce(t, ordered, len(msgs))
		if again := Format(References(msgs)); again != Format(threads) {
			t.Fatalf("REFERENCES gave %q, then %q", Format(threads), again)
		}
	})
}
