package mailsort

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"
)

// parseThreads reads thread lists back the way go-imap's client builds
// its ThreadData (imapclient/thread.go, readThreadList): a number goes into
// the chain until the first nested list, and every nested list is a
// subthread. Unlike that client it takes thread lists with no space between
// them, as RFC 5256 §4 writes them.
func parseThreads(s string) ([]Thread, error) {
	var threads []Thread
	for i := 0; i < len(s); {
		t, n, err := parseThread(s[i:])
		if err != nil {
			return nil, fmt.Errorf("at %d: %v", i, err)
		}
		threads = append(threads, t)
		i += n
	}
	return threads, nil
}

func parseThread(s string) (Thread, int, error) {
	var t Thread
	if s == "" || s[0] != '(' {
		return t, 0, fmt.Errorf("want (")
	}
	i := 1
	for {
		switch {
		case i >= len(s):
			return t, 0, fmt.Errorf("unclosed list")
		case s[i] == ')':
			if len(t.Chain) == 0 && len(t.SubThreads) == 0 {
				return t, 0, fmt.Errorf("empty list")
			}
			return t, i + 1, nil
		case s[i] == ' ' && len(t.Chain) > 0 && i+1 < len(s) && s[i+1] != ')' && s[i+1] != ' ':
			i++
		case s[i] == '(':
			sub, n, err := parseThread(s[i:])
			if err != nil {
				return t, 0, err
			}
			t.SubThreads = append(t.SubThreads, sub)
			i += n
		case s[i] >= '1' && s[i] <= '9' && len(t.SubThreads) == 0:
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			num, err := strconv.ParseUint(s[i:j], 10, 32)
			if err != nil {
				return t, 0, err
			}
			t.Chain = append(t.Chain, uint32(num))
			i = j
		default:
			return t, 0, fmt.Errorf("unexpected %q", s[i])
		}
	}
}

func TestFormat(t *testing.T) {
	rfc := []Thread{
		{Chain: []uint32{2}},
		{Chain: []uint32{3, 6}, SubThreads: []Thread{
			{Chain: []uint32{4, 23}},
			{Chain: []uint32{44, 7, 96}},
		}},
	}
	const want = "(2)(3 6 (4 23)(44 7 96))"
	if got := Format(rfc); got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	if got := rfc[1].String(); got != "(3 6 (4 23)(44 7 96))" {
		t.Errorf("String = %q", got)
	}
	dummy := Thread{SubThreads: []Thread{{Chain: []uint32{3}}, {Chain: []uint32{4}}}}
	if got := dummy.String(); got != "((3)(4))" {
		t.Errorf("dummy root String = %q, want ((3)(4))", got)
	}
	if got := Format(nil); got != "" {
		t.Errorf("Format(nil) = %q", got)
	}
	back, err := parseThreads(want)
	if err != nil || !reflect.DeepEqual(back, rfc) {
		t.Errorf("parseThreads(%q) = %+v, %v", want, back, err)
	}
}

func TestOrderedSubject(t *testing.T) {
	msgs := []Message{
		{Num: 1, Date: day(3), Subject: "b"},
		{Num: 2, Date: day(1), Subject: "Re: a"},
		{Num: 3, Arrival: day(2), Subject: "[list] a"}, // no Date: arrival
		{Num: 4, Date: day(4), Subject: "A (fwd)"},
		{Num: 5, Date: day(5), Subject: "B"},
		{Num: 6, Date: day(3), Subject: "c"},
		{Num: 7, Date: day(0), Subject: ""},
		{Num: 8, Date: day(9), Subject: "Re:"},
	}
	// Threads in the order of their first message's date; 1 and 6 tie
	// on day 3, and sequence order puts 1 first.
	checkThreads(t, "ORDEREDSUBJECT", OrderedSubject(msgs), "(7 8)(2 (3)(4))(1 5)(6)")
	checkThreads(t, "ORDEREDSUBJECT of nothing", OrderedSubject(nil), "")
}

// checkThreads compares threads' wire form with want, and checks that the
// wire form reads back as the same threads.
func checkThreads(t *testing.T, name string, threads []Thread, want string) {
	t.Helper()
	got := Format(threads)
	if len(threads) == 0 && got == "" && want == "" {
		return
	}
	if got != want {
		t.Errorf("%s: got %q, want %q", name, got, want)
		return
	}
	back, err := parseThreads(got)
	if err != nil || !reflect.DeepEqual(back, threads) {
		t.Errorf("%s: %q reads back as %+v, %v; built %+v", name, got, back, err, threads)
	}
}

func TestReferences(t *testing.T) {
	for _, tt := range referencesTests {
		checkThreads(t, tt.name, References(tt.msgs), tt.want)
	}
}

// msg is a message for the REFERENCES tests, dated day num unless a test
// says otherwise.
func msg(num uint32, id, refs, subject string) Message {
	return Message{Num: num, Date: day(int(num)), MessageID: id, References: refs, Subject: subject}
}

var referencesTests = []struct {
	name string
	msgs []Message
	want string
}{
	{"nothing", nil, ""},
	{"replies", []Message{
		msg(1, "<a>", "", "x"),
		msg(2, "<b>", "<a>", "Re: x"),
		msg(3, "<c>", "<a> <b>", "Re: x"),
		msg(4, "<d>", "<a>", "Re: x"),
	}, "(1 (2 3)(4))"},
	{"siblings by date, not sequence", []Message{
		msg(1, "<a>", "", "x"),
		{Num: 2, Date: day(9), MessageID: "<b>", References: "<a>"},
		{Num: 3, Date: day(5), MessageID: "<c>", References: "<a>"},
		{Num: 4, Arrival: day(7), MessageID: "<d>", References: "<a>"},
		{Num: 5, Date: day(5), MessageID: "<e>", References: "<a>"},
	}, "(1 (3)(5)(4)(2))"},
	{"In-Reply-To when no References", []Message{
		msg(1, "a@x", "", "one"),
		{Num: 2, Date: day(2), MessageID: "<b@x>", InReplyTo: `"Ann" <a@x> (her message) <b@x>`, Subject: "two"},
		{Num: 3, Date: day(3), MessageID: "<c@x>", InReplyTo: "<b@x>", References: "not an id", Subject: "three"},
	}, "(1 2 3)"},
	{"References over In-Reply-To", []Message{
		msg(1, "<a>", "", "one"),
		msg(2, "<b>", "", "two"),
		{Num: 3, Date: day(3), MessageID: "<c>", InReplyTo: "<a>", References: "<b>", Subject: "three"},
	}, "(1)(2 3)"},
	{"missing parent: dummy with one child promoted", []Message{
		msg(1, "<a>", "", "x"),
		msg(2, "<b>", "<gone>", "y"),
	}, "(1)(2)"},
	{"missing ancestors: dummy chain pruned", []Message{
		msg(1, "<a>", "<gone1> <gone2> <gone3>", "x"),
		msg(2, "<b>", "<gone1> <gone2> <gone3> <a>", "Re: x"),
	}, "(1 2)"},
	{"missing parent of two: dummy kept at the top", []Message{
		msg(3, "<c>", "<gone>", "Re: x"),
		msg(4, "<d>", "<gone>", "Re: y"),
	}, "((3)(4))"},
	{"missing parent of two below a message: children promoted", []Message{
		msg(1, "<a>", "", "x"),
		msg(2, "<b>", "<a> <gone>", "Re: x"),
		msg(3, "<c>", "<a> <gone>", "Re: x"),
		msg(4, "<d>", "<a>", "Re: x"),
	}, "(1 (2)(3)(4))"},
	{"reference loop", []Message{
		msg(1, "<a>", "<b>", "Re: x"),
		msg(2, "<b>", "<a>", "Re: x"),
	}, "(2 1)"},
	{"self reference", []Message{
		msg(1, "<a>", "<a>", "one"),
		msg(2, "<b>", "<b> <a> <b>", "two"),
	}, "(1 2)"},
	{"longer loop through references", []Message{
		msg(1, "<a>", "<c> <b>", "p"),
		msg(2, "<b>", "<a> <c>", "q"),
		msg(3, "<c>", "<b> <a>", "r"),
	}, "(3 2 1)"},
	{"duplicate Message-IDs: the first one counts", []Message{
		msg(1, "<x>", "", "one"),
		msg(2, "<x>", "", "two"),
		msg(3, "<y>", "<x>", "Re: one"),
		// 4's own ID is not x, so its reference to x is to 1.
		msg(4, "<x>", "<x>", "four"),
	}, "(1 (3)(4))(2)"},
	{"a message's own references move it", []Message{
		msg(1, "<a>", "", "one"),
		msg(2, "<x>", "<a> <b>", "two"),
		msg(3, "<b>", "<c>", "three"),
	}, "(1)(3 2)"},
	{"no references: a guessed parent is dropped", []Message{
		msg(1, "<a>", "", "one"),
		msg(2, "<x>", "<a> <b>", "two"),
		msg(3, "<b>", "", "three"),
	}, "(1)(3 2)"},
	{"Message-ID case matters", []Message{
		msg(1, "<A@X>", "", "one"),
		msg(2, "<b>", "<a@x>", "two"),
	}, "(1)(2)"},
	{"no Message-ID: unique", []Message{
		msg(1, "", "", "one"),
		msg(2, "<>", "<>", "two"),
		msg(3, "<c>", "", "three"),
	}, "(1)(2)(3)"},
	{"subject: a reply joins the thread", []Message{
		msg(1, "<a>", "", "x"),
		msg(2, "<b>", "", "Re: x"),
	}, "(1 2)"},
	{"subject: the original wins over an earlier reply", []Message{
		msg(1, "<a>", "", "Re: x"),
		msg(2, "<b>", "", "X"),
		msg(3, "<c>", "", "[fwd: x]"),
	}, "(2 (1)(3))"},
	{"subject: two originals under a new dummy", []Message{
		msg(1, "<a>", "", "x"),
		msg(2, "<b>", "<a>", "Re: x"),
		msg(3, "<c>", "", "x"),
		msg(4, "<d>", "", "Re: x"),
	}, "((1 2)(3)(4))"},
	{"subject: a dummy thread takes the messages", []Message{
		msg(1, "<a>", "", "x"),
		msg(2, "<b>", "<gone>", "Re: x"),
		msg(3, "<c>", "<gone>", "Re: x"),
	}, "((1)(2)(3))"},
	{"subject: two dummy threads become one", []Message{
		msg(1, "<a>", "<gone1>", "Re: x"),
		msg(2, "<b>", "<gone2>", "Re: x"),
		msg(3, "<c>", "<gone1>", "Re: x"),
		msg(4, "<d>", "<gone2>", "Re: x"),
	}, "((1)(2)(3)(4))"},
	{"subject: a dummy's subject is its earliest child's", []Message{
		{Num: 1, Date: day(5), MessageID: "<a>", References: "<gone>", Subject: "Re: y"},
		{Num: 2, Date: day(1), MessageID: "<b>", References: "<gone>", Subject: "Re: x"},
		{Num: 3, Date: day(3), MessageID: "<c>", Subject: "x"},
		{Num: 4, Date: day(4), MessageID: "<d>", Subject: "y"},
	}, "((2)(3)(1))(4)"},
	{"subject: only the top level is gathered", []Message{
		msg(1, "<a>", "", "x"),
		msg(2, "<b>", "<a>", "y"),
		msg(3, "<c>", "", "y"),
	}, "(1 2)(3)"},
	{"subject: empty subjects stay apart", []Message{
		msg(1, "<a>", "", ""),
		msg(2, "<b>", "", "Re: "),
		msg(3, "<c>", "", "[fwd: ]"),
	}, "(1)(2)(3)"},
}
