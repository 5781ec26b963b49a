package mailheader

import (
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	_ "github.com/emersion/go-message/charset" // the charsets a running node decodes
)

func mb(name, local, domain string) Entry {
	return Entry{Mailbox: Mailbox{Name: name, Local: local, Domain: domain}}
}

func TestAddressList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Entry
	}{
		{"", nil},
		{" a@b.c ", []Entry{mb("", "a", "b.c")}},
		{"undisclosed-recipients:;", []Entry{{IsGroup: true, Group: "undisclosed-recipients"}}},
		{`Friends: a@b.c, "B" <d@e.f>;`, []Entry{{IsGroup: true, Group: "Friends", Members: []Mailbox{{Local: "a", Domain: "b.c"}, {Name: "B", Local: "d", Domain: "e.f"}}}}},
		{`x@y, "The Group" (c) : z@w ; , v@u`, []Entry{mb("", "x", "y"), {IsGroup: true, Group: "The Group", Members: []Mailbox{{Local: "z", Domain: "w"}}}, mb("", "v", "u")}},
		{`Open: a@b`, []Entry{{IsGroup: true, Group: "Open", Members: []Mailbox{{Local: "a", Domain: "b"}}}}},
		{`<user (c)@ (c) domain.org>`, []Entry{mb("", "user", "domain.org")}},
		{`user (c)@ (c) domain.org (Name)`, []Entry{mb("Name", "user", "domain.org")}},
		{`Pete(A nice \) chap) <pete(his account)@silly.test(his host)>`, []Entry{mb("Pete", "pete", "silly.test")}},
		{`john@x (John  Doe)`, []Entry{mb("John Doe", "john", "x")}},
		{`"john doe"@x.org`, []Entry{mb("", "john doe", "x.org")}},
		{`"a@b"@c`, []Entry{mb("", "a@b", "c")}},
		{`"Doe, John" <jd@x>, other@y`, []Entry{mb("Doe, John", "jd", "x"), mb("", "other", "y")}},
		{`John Q. Public <jq@x>`, []Entry{mb("John Q. Public", "jq", "x")}},
		{`=?utf-8?q?J=C3=B6rg?= <j@x>`, []Entry{mb("Jörg", "j", "x")}},
		{`=?iso-8859-1?q?J=F6rg?= =?utf-8?q?_M?= <j@x>`, []Entry{mb("Jörg M", "j", "x")}},
		{`=?koi8-r?b?8MXU0g==?= <p@x>`, []Entry{mb("Петр", "p", "x")}},
		{`=?x-unknown?q?abc?= <p@x>`, []Entry{mb("=?x-unknown?q?abc?=", "p", "x")}},
		{`"=?utf-8?q?x?=" <p@x>`, []Entry{mb("=?utf-8?q?x?=", "p", "x")}},
		{`<@route,@r2:a@b>`, []Entry{mb("", "a", "b")}},
		{`John Doe <jd@x.org`, []Entry{mb("John Doe", "jd", "x.org")}},
		{`foo`, []Entry{mb("", "foo", "")}},
		{`John Doe`, []Entry{mb("", "John Doe", "")}},
		{`<foo>`, []Entry{mb("", "foo", "")}},
		{`<>`, []Entry{mb("", "", "")}},
		{`a@[1.2.3.4]`, []Entry{mb("", "a", "[1.2.3.4]")}},
		{`a@b,,c@d, (nobody),`, []Entry{mb("", "a", "b"), mb("", "c", "d")}},
		{"A\r\n B <a@b>", []Entry{mb("A B", "a", "b")}},
		{`"unterminated <a@b>`, []Entry{mb("", "unterminated <a@b>", "")}},
	} {
		got := AddressList(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AddressList(%q)\n got  %+v\n want %+v", tc.in, got, tc.want)
		}
	}
}

func TestDecodeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                             "plain",
		"=?utf-8?q?Gr=C3=BC=C3=9Fe?= all":   "Grüße all",
		"=?x-unknown?q?abc?=":               "=?x-unknown?q?abc?=",
		"=?utf-8?q?a?= =?utf-8?q?b?=":       "ab",
		"=?windows-1252?q?=80?= and = sign": "€ and = sign",
	} {
		if got := DecodeText(in); got != want {
			t.Errorf("DecodeText(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzAddressList: AddressList never panics, and where net/mail reads an
// address list, AddressList reads the same addresses.
func FuzzAddressList(f *testing.F) {
	for _, s := range []string{
		`a@b.c`, `"B" <d@e.f>, g@h`, `Friends: a@b.c, "B" <d@e.f>;`, `undisclosed-recipients:;`,
		`<user (c)@ (c) domain.org>`, `john@x (John Doe)`, `"john doe"@x.org`, `=?utf-8?q?J=C3=B6rg?= <j@x>`,
		`<@route:a@b>`, `a@[1.2.3.4]`, `"a\"b" <c@d>`, `A.B <a.b@c.d>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		entries := AddressList(in)
		list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(in)
		if err != nil {
			return
		}
		got := Mailboxes(entries)
		if len(got) != len(list) {
			t.Fatalf("%q: %d mailboxes, net/mail %d: %+v", in, len(got), len(list), got)
		}
		for i, a := range list {
			if addr := got[i].Local + "@" + got[i].Domain; addr != a.Address {
				t.Errorf("%q: address %d is %q, net/mail %q", in, i, addr, a.Address)
			}
			if utf8.ValidString(a.Name) && norm(got[i].Name) != norm(a.Name) {
				t.Errorf("%q: name %d is %q, net/mail %q", in, i, got[i].Name, a.Name)
			}
		}
	})
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }
