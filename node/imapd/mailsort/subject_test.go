package mailsort

import (
	"testing"
	"unicode/utf8"
)

func TestBaseSubject(t *testing.T) {
	tests := []struct {
		in, want string
		reply    bool
	}{
		{"", "", false},
		{"hello", "HELLO", false},
		{"Hello World", "HELLO WORLD", false},
		// (1) white space: tabs, line breaks and runs become one space.
		{"a\tb  c\r\n d", "A B C D", false},
		{"   padded   ", "PADDED", false},
		// (2) trailers.
		{"hello (fwd)", "HELLO", true},
		{"hello (FWD)(fwd)  (fwd) ", "HELLO", true},
		{"hello(fwd)", "HELLO", true},
		{"(fwd)", "", true},
		{"hello (fw)", "HELLO (FW)", false},
		// (3) leaders.
		{"Re: hello", "HELLO", true},
		{"RE:hello", "HELLO", true},
		{"re : hello", "HELLO", true},
		{"Fw: hello", "HELLO", true},
		{"FWD: hello", "HELLO", true},
		{"Re: Re: Fwd: Re: hello", "HELLO", true},
		{"Re[2]: hello", "HELLO", true},
		{"Re [2] : hello", "HELLO", true},
		{"Re(2): hello", "RE(2): HELLO", false},
		{"Re:", "", true},
		{"Re: ", "", true},
		{"Re", "RE", false},
		{"Reply: hello", "REPLY: HELLO", false},
		{"Fwdx: hello", "FWDX: HELLO", false},
		{"[list] Re: hello", "HELLO", true},
		{"[a][b] Re: hello", "HELLO", true},
		{"Re: [list] Fwd: hello (fwd)", "HELLO", true},
		// (4) blobs go when something is left after them.
		{"[list] hello", "HELLO", false},
		{"[a] [b] hello", "HELLO", false},
		{"[list]", "[LIST]", false},
		{"[a] [b]", "[B]", false},
		{"Re: [list]", "[LIST]", true},
		{"[list] (fwd)", "[LIST]", true},
		{"[unclosed hello", "[UNCLOSED HELLO", false},
		{"[a[b] hello", "[A[B] HELLO", false},
		{"[] hello", "HELLO", false},
		// (6) the forward wrapper, and back to (2).
		{"[fwd: hello]", "HELLO", true},
		{"[Fwd: Re: x]", "X", true},
		{"[fwd: Re: x]", "X", true},
		{"[fwd: [fwd: x (fwd)] ]", "X", true},
		{"[list] [fwd: hello]", "HELLO", true},
		{"Re: [fwd: hello] (fwd)", "HELLO", true},
		{"[fwd:]", "", true},
		{"[fwd: hello", "[FWD: HELLO", false},
		// Nested combinations.
		{"Re: [list] [fwd: Fw: [other] Re[3]: hello world (fwd)]", "HELLO WORLD", true},
		{"  Re:   Re:\t[x]  [y]   fwd:   hi  there  (fwd) ", "HI THERE", true},
		// Case mapping beyond ASCII.
		{"Re: Grüße", "GRÜßE", true},
		{"ǆ", "ǅ", false},
		{"\xff hello", "\xff HELLO", false},
	}
	for _, tt := range tests {
		got, reply := extractBase(tt.in)
		if casemap(got) != tt.want || reply != tt.reply {
			t.Errorf("extractBase(%q) = %q, %v (mapped %q); want %q, %v", tt.in, got, reply, casemap(got), tt.want, tt.reply)
		}
		if got := BaseSubject(tt.in); got != tt.want {
			t.Errorf("BaseSubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBaseSubjectCaseInsensitive(t *testing.T) {
	pairs := [][2]string{
		{"Hello", "hELLO"},
		{"Re: ÉTÉ", "été"},
		{"[LIST] Straße", "[list] STRAßE"},
	}
	for _, p := range pairs {
		if BaseSubject(p[0]) != BaseSubject(p[1]) {
			t.Errorf("BaseSubject(%q) = %q != BaseSubject(%q) = %q", p[0], BaseSubject(p[0]), p[1], BaseSubject(p[1]))
		}
	}
}

func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{
		"", "Re: [list] Fwd: hello (fwd)", "[fwd: Re: x]", "Re:", "[list]",
		"[a] [b]", "re [x] : [y] fw: [fwd: [z]] (fwd) (fwd)", "\t\r\n", "ſ ı ǆ",
		"[fwd:]", "[fwd: ]", "\x00[\x00] x", "[fwd: x] tail",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		base := BaseSubject(s)
		if again := BaseSubject(base); again != base {
			t.Fatalf("BaseSubject(%q) = %q, but BaseSubject(%q) = %q", s, base, base, again)
		}
		if utf8.ValidString(s) && !utf8.ValidString(base) {
			t.Fatalf("BaseSubject(%q) = %q is not UTF-8", s, base)
		}
		if got := BaseSubject(casemap(s)); got != base {
			t.Fatalf("case changes the base subject: %q -> %q, %q -> %q", s, base, casemap(s), got)
		}
	})
}
