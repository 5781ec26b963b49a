package mbox

// statusLetters maps the letters of the Status and X-Status fields (as
// mutt, Thunderbird and c-client write them) to IMAP flags. O (old: seen
// by a mail reader, not read) has none.
var statusLetters = map[rune]string{
	'R': `\Seen`,
	'A': `\Answered`,
	'F': `\Flagged`,
	'D': `\Deleted`,
	'T': `\Draft`,
}

// StatusFlags returns the flags named by the values of a message's Status
// and X-Status fields, sorted, without
// duplicates. Other letters are ignored.
func StatusFlags(values ...string) []string {
	have := map[string]bool{}
	for _, v := range values {
		for _, c := range v {
			if f, ok := statusLetters[c]; ok {
				have[f] = true
			}
		}
	}
	var flags []string
	for _, f := range []string{`\Answered`, `\Deleted`, `\Draft`, `\Flagged`, `\Seen`} {
		if have[f] {
			flags = append(flags, f)
		}
	}
	return flags
}
