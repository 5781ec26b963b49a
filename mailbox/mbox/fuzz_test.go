package mbox

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzReader reads any input without failing other than with ErrNotMbox,
// and every message's extent reads back the same (readAll checks).
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"From a\nx\n\nFrom b\ny\n", "From a\n>From b\n\n\n", "From \r\n\r\n", "From a", "From a\n\n",
		"From a Sat Jan  3 01:05:34 1996\nStatus: RO\n\nb\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		_, msgs, err := readAll(t, input)
		if err != nil && err != ErrNotMbox {
			t.Fatalf("%q: %v", input, err)
		}
		total := 0
		for _, m := range msgs {
			total += len(m)
		}
		if total > len(input) {
			t.Fatalf("%q: messages longer than the input", input)
		}
	})
}

// FuzzRoundTrip writes messages as an mboxrd writer does (escape, From_
// line, a separating empty line) and reads them back unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("Subject: a\n\nFrom x\n>From y\n", "b\n\n\n")
	f.Add("\n", "\r\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		msgs := []string{a, b}
		var in bytes.Buffer
		for i, m := range msgs {
			if !strings.HasSuffix(m, "\n") {
				m += "\n"
				msgs[i] = m
			}
			in.WriteString("From sender Thu Jan  1 00:00:00 1970\n")
			for _, line := range strings.SplitAfter(m, "\n") {
				if escapedFrom([]byte(line)) || strings.HasPrefix(line, "From ") {
					in.WriteString(">")
				}
				in.WriteString(line)
			}
			in.WriteString("\n")
		}
		_, got, err := readAll(t, in.String())
		if err != nil || !slices.Equal(got, msgs) {
			t.Fatalf("%q: read %q, %v; want %q", in.String(), got, err, msgs)
		}
	})
}

// FuzzFromLine parses any From_ line.
func FuzzFromLine(f *testing.F) {
	f.Add("From a Sat Jan  3 01:05:34 1996\n")
	f.Add("From  Mon Feb 29 10:00:00 +0100 2016\r\n")
	f.Fuzz(func(t *testing.T, line string) {
		fl := ParseFromLine([]byte(line))
		if !fl.Date.IsZero() && (fl.Date.Year() < 1900 || fl.Date.Year() > 2200) {
			t.Fatalf("%q: date %v", line, fl.Date)
		}
	})
}
