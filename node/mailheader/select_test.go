package mailheader

import "testing"

func TestKeepFields(t *testing.T) {
	for _, tc := range []struct {
		block string
		names []string
		want  string
	}{
		{"From: a\r\nTo: b\r\n c\r\nSubject: s\r\n\r\n", []string{"to", "SUBJECT"}, "To: b\r\n c\r\nSubject: s\r\n\r\n"},
		{"From: a\r\nbad line\r\n more\r\nTo: b\r\n\r\n", []string{"From", "To"}, "From: a\r\nTo: b\r\n\r\n"},
		{"From: a\nTo: b", []string{"to"}, "To: b\r\n\r\n"},
		{"From: a\r\n", []string{"x"}, "\r\n"},
		{"", nil, "\r\n"},
	} {
		if got := string(KeepFields([]byte(tc.block), tc.names...)); got != tc.want {
			t.Errorf("KeepFields(%q, %q) = %q, want %q", tc.block, tc.names, got, tc.want)
		}
	}
}
