package imapd

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestListPatternMatch(t *testing.T) {
	for _, c := range []struct {
		ref, pattern, name string
		want               bool
	}{
		{"", "*", "a/b/c", true},
		{"", "%", "a", true},
		{"", "%", "a/b", false},
		{"", "a/%", "a/b", true},
		{"", "a/%", "a/b/c", false},
		{"", "a/%/%", "a/b/c", true},
		{"", "a/*test4", "a/test3/test4", true},
		{"", "a/*test4", "a/test3/test4/test5", false},
		{"", "a/*test*", "a/test3/test4/test5", true},
		{"", "a/%3/%", "a/test3/test4", true},
		{"", "a/%t*4", "a/test3/test4", true},
		{"", "%%%*%", "a/b", true},
		{"", "%%", "a/b", false},
		{"", "", "", true},
		{"", "", "a", false},
		{"a/", "%", "a/b", true},
		{"a", "/%", "a/b", true},
		{"a", "b", "ab", true},
		{"a", "%", "a", true},
		{"", "inbox", "INBOX", true},
		{"InBox", "/%", "INBOX/x", true},
		{"", "inbox/X", "INBOX/x", false},
		{"", "inboxes", "INBOX", false},
		{"", "inbox*", "INBOX", false},
		{"", "!#$&'+,-.:;<=>?@^_`|[}%*", "!#$&'+,-.:;<=>?@^_`|[}/z", true},
		{"", "!#$&'+,-.:;<=>?@^_`|[}%", "!#$&'+,-.:;<=>?@^_`|[}/z", false},
		{"", "a.b", "aXb", false},
		{"", "(a|b)", "a", false},
		{"", "Caf%", "Café", true},
		{"", "Caf%é", "Café", true},
		{"", "Ü*", "Ünïcode/日本", true},
		{"", "*本", "Ünïcode/日本", true},
		{"", "%本", "Ünïcode/日本", false},
	} {
		if got := newListPattern(c.ref, c.pattern).match(c.name); got != c.want {
			t.Errorf("reference %q pattern %q name %q: got %v, want %v", c.ref, c.pattern, c.name, got, c.want)
		}
	}
}

// A pattern of many wildcards against a long name costs at most the name's
// length times the pattern's, not an exponent of them.
func TestListPatternNoBlowUp(t *testing.T) {
	name := strings.Repeat("a", 511) + "/"
	start := time.Now()
	for _, p := range []string{strings.Repeat("*a", 250) + "b", strings.Repeat("%a", 250) + "%b", strings.Repeat("*a", 20000)} {
		if newListPattern("", p).match(name) {
			t.Errorf("pattern %.20q... matched", p)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("three matches took %v", d)
	}
}

// FuzzListPattern compares the matcher with a regular expression built
// from the same pattern, every character but the wildcards quoted.
func FuzzListPattern(f *testing.F) {
	for _, seed := range [][3]string{
		{"", "!#$&'+,-.0123456789:;<=>?@^_`|[}%*", "!#$&'+,-.0123456789:;<=>?@^_`|[}"},
		{"a/", "%/*b", "a/x/y/b"}, {"", "inbox/%", "INBOX/x"}, {"", "*%*", "a/b"}, {"x", "(.)[a]\\", "x(.)[a]\\"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, ref, pattern, name string) {
		if !utf8.ValidString(ref + pattern + name) {
			t.Skip("imapserver hands over UTF-8 only")
		}
		lp := newListPattern(ref, pattern)
		got := lp.match(name)
		want := patternRegexp(joinListPattern(ref, pattern)).MatchString(name)
		if got != want {
			t.Fatalf("reference %q pattern %q name %q: matcher %v, regexp %v", ref, pattern, name, got, want)
		}
	})
}

func patternRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '%':
			b.WriteString(`[^/]*`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}
