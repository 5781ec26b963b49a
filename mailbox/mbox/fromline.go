package mbox

import (
	"strings"
	"time"
)

// FromLine is the From_ line that starts a message.
type FromLine struct {
	Line   string    // the line without "From " and its line break
	Sender string    // its first word: an address, MAILER-DAEMON, or ""
	Date   time.Time // zero when the line has no date in a known form
	Offset int64     // where the line starts in the input
}

// dateLayouts are the asctime forms of a From_ line's date, after
// strings.Fields has made every run of spaces one.
var dateLayouts = []string{
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon Jan 2 15:04:05 2006 -0700",
	"Mon Jan 2 15:04:05 2006 MST",
	"Mon Jan 2 15:04 2006",
}

// ParseFromLine reads a From_ line (with or without its "From " and line
// break).
func ParseFromLine(line []byte) FromLine {
	s := strings.TrimRight(strings.TrimPrefix(string(line), "From "), "\r\n")
	fl := FromLine{Line: s}
	fields := strings.Fields(s)
	if len(s) > 0 && s[0] != ' ' && len(fields) > 0 {
		fl.Sender, fields = fields[0], fields[1:]
	}
	fl.Date = parseDate(fields)
	return fl
}

// parseDate tries the first five and six fields against dateLayouts; a
// date without a zone is UTC. A zone name other than UTC or GMT has no
// known offset and is read as UTC too.
func parseDate(fields []string) time.Time {
	for _, n := range []int{6, 5} {
		if len(fields) < n {
			continue
		}
		text := strings.Join(fields[:n], " ")
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, text); err == nil && t.Year() >= 1900 && t.Year() <= 2200 {
				return t
			}
		}
	}
	return time.Time{}
}
