package imapd

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// imapserver decodes some arguments with errors of its own kind, which it
// answers with NO [SERVERBUG] as if the server had failed: a sequence set
// or UID set it cannot parse (0, say, or a word: SEARCH takes a search key
// it does not know for a sequence set), a SEARCH date (SINCE, BEFORE, ON,
// SENTSINCE, SENTBEFORE, SENTON) and APPEND's date-time. extConn checks
// these arguments first and refuses a command with a BAD that says what
// is wrong. It accepts what imapserver accepts: the same layouts for
// dates, the same characters in sets and search keys; what it cannot
// follow it passes on for imapserver to answer.

// Layouts of date (RFC 3501 9) and date-time, as imapserver parses them.
const (
	dateLayout     = "2-Jan-2006"
	dateTimeLayout = "_2-Jan-2006 15:04:05 -0700"
)

// screenNumSetArg checks the sequence set or UID set that opens the
// arguments of FETCH, STORE, COPY and MOVE, and of their UID forms and UID
// EXPUNGE, on the first line of a command. It returns the reply refusing
// the command, or nil.
func screenNumSetArg(line []byte) []byte {
	sc := &argScanner{line: line}
	tag, cmd, ok := sc.command()
	if !ok {
		return nil
	}
	switch cmd {
	case "FETCH", "STORE", "COPY", "MOVE", "UID FETCH", "UID STORE", "UID COPY", "UID MOVE", "UID EXPUNGE":
	default:
		return nil
	}
	if sc.peek() == '$' { // the saved search result (RFC 5182)
		return nil
	}
	if reason := numSetProblem(sc.run(isNumSetChar), strings.HasPrefix(cmd, "UID ")); reason != "" {
		return argsRefusal(tag, cmd, reason)
	}
	return nil
}

// screenHeldArgs checks the arguments of a command held whole (its lines
// and literals in order, segs): the search keys of SEARCH and UID SEARCH,
// and APPEND's date-time (segs then end with the announcement of the
// message literal). It returns the reply refusing the command, or nil.
func screenHeldArgs(segs [][]byte) []byte {
	sc := &argScanner{line: segs[0]}
	tag, cmd, ok := sc.command()
	if !ok {
		return nil
	}
	var reason string
	sc.line = bytes.Join(segs, nil)
	switch cmd {
	case "APPEND":
		reason = sc.appendDateTime()
	case "SEARCH", "UID SEARCH":
		reason = sc.searchArgs()
	case "SORT", "UID SORT", "THREAD", "UID THREAD":
		reason = sc.sortArgs(strings.HasSuffix(cmd, "THREAD"))
	default:
		return nil
	}
	if reason != "" {
		return argsRefusal(tag, cmd, reason)
	}
	return nil
}

func argsRefusal(tag, cmd, reason string) []byte {
	return fmt.Appendf(nil, "%s BAD [CLIENTBUG] %s: %s\r\n", tag, cmd, reason)
}

// numSetProblem says what is wrong with a sequence set, or with a UID set
// if uid is set, as imapserver reads it (RFC 9051 9: seq-number is
// nz-number or "*"); "" if nothing is. An empty set is imapserver's to
// refuse.
func numSetProblem(set string, uid bool) string {
	if set == "" {
		return ""
	}
	noun, setName := "sequence number", "sequence set"
	if uid {
		noun, setName = "UID", "UID set"
	}
	for _, r := range strings.Split(set, ",") {
		lo, hi, isRange := strings.Cut(r, ":")
		nums := []string{lo}
		if isRange {
			nums = append(nums, hi)
		}
		for _, n := range nums {
			switch {
			case n == "*":
			case !isDigits(n):
				return fmt.Sprintf("%s is not a %s", textQuote(set), setName)
			default:
				if reason := seqNumberProblem(n, noun); reason != "" {
					return reason
				}
			}
		}
	}
	return ""
}

// seqNumberProblem says what is wrong with n, a string of digits, as a
// seq-number (nz-number: no leading zeros, at most 4294967295), or "".
func seqNumberProblem(n, noun string) string {
	v, err := strconv.ParseUint(n, 10, 32)
	switch {
	case err != nil:
		return fmt.Sprintf("%s %s is too large (at most 4294967295)", noun, textQuote(n))
	case v == 0:
		return fmt.Sprintf("%s 0 is not valid (%ss start at 1)", noun, noun)
	case n[0] == '0':
		return fmt.Sprintf("%s %s is not valid (no leading zeros)", noun, textQuote(n))
	}
	return ""
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isNumSetChar holds for the characters imapserver reads as a sequence set
// or search key: ATOM-CHAR and "*".
func isNumSetChar(c byte) bool { return c == '*' || isAtomChar(c) }

// searchArgKind is what follows a search key.
type searchArgKind int

const (
	searchNone searchArgKind = iota
	searchAString
	searchTwoAStrings
	searchDate
	searchNumber
	searchFlag
	searchUIDSet
	searchOneKey  // NOT
	searchTwoKeys // OR
	searchModSeq  // [entry-name SP entry-type-req SP] mod-sequence-valzer (RFC 7162 3.1.5)
)

// searchKeys are the search keys imapserver knows (RFC 3501 6.4.4), by
// what follows them; any other key must be a sequence set.
var searchKeys = map[string]searchArgKind{
	"ALL": searchNone, "ANSWERED": searchNone, "DELETED": searchNone, "DRAFT": searchNone,
	"FLAGGED": searchNone, "RECENT": searchNone, "SEEN": searchNone, "NEW": searchNone, "OLD": searchNone,
	"UNANSWERED": searchNone, "UNDELETED": searchNone, "UNDRAFT": searchNone, "UNFLAGGED": searchNone,
	"UNSEEN": searchNone, "$": searchNone,
	"BCC": searchAString, "CC": searchAString, "FROM": searchAString, "SUBJECT": searchAString,
	"TO": searchAString, "BODY": searchAString, "TEXT": searchAString,
	"HEADER": searchTwoAStrings,
	"SINCE":  searchDate, "BEFORE": searchDate, "ON": searchDate,
	"SENTSINCE": searchDate, "SENTBEFORE": searchDate, "SENTON": searchDate,
	"LARGER": searchNumber, "SMALLER": searchNumber,
	"KEYWORD": searchFlag, "UNKEYWORD": searchFlag,
	"UID": searchUIDSet,
	"NOT": searchOneKey,
	"OR":  searchTwoKeys,

	"MODSEQ": searchModSeq,
}

// errStop ends a scan where the scanner cannot follow the command: the
// rest is imapserver's to judge.
const errStop = "\x00"

// searchArgs reads SEARCH's arguments: [RETURN (options)] [CHARSET
// astring] and the search keys. It returns what is wrong, or "".
func (sc *argScanner) searchArgs() string {
	first := sc.pos
	if strings.EqualFold(sc.run(isNumSetChar), "RETURN") {
		if !sc.space() || sc.peek() != '(' {
			return ""
		}
		end := bytes.IndexByte(sc.line[sc.pos:], ')')
		if end < 0 {
			return ""
		}
		sc.pos += end + 1
		if !sc.space() {
			return ""
		}
		first = sc.pos
	}
	sc.pos = first
	if strings.EqualFold(sc.run(isNumSetChar), "CHARSET") {
		if !sc.space() {
			return ""
		}
		if _, ok := sc.astringArg(); !ok || !sc.space() {
			return ""
		}
		first = sc.pos
	}
	sc.pos = first
	return sc.searchKeys()
}

// sortArgs reads the arguments of SORT (sort criteria, charset, search
// keys) or THREAD (algorithm, charset, search keys) (RFC 5256 5). It
// returns what is wrong with the search keys, or "".
func (sc *argScanner) sortArgs(thread bool) string {
	if thread {
		if sc.run(isAtomChar) == "" {
			return ""
		}
	} else {
		end := bytes.IndexByte(sc.line[sc.pos:], ')')
		if sc.peek() != '(' || end < 0 {
			return ""
		}
		sc.pos += end + 1
	}
	if !sc.space() {
		return ""
	}
	if _, ok := sc.astringArg(); !ok || !sc.space() {
		return ""
	}
	return sc.searchKeys()
}

// searchKeys reads search keys separated by spaces to the end of the
// command. It returns what is wrong, or "".
func (sc *argScanner) searchKeys() string {
	for {
		if reason := sc.searchKey(); reason != "" {
			return strings.TrimPrefix(reason, errStop)
		}
		if !sc.space() {
			return ""
		}
	}
}

// searchKey reads one search key with its arguments, or a parenthesized
// list of keys. NOT and OR are followed by a space and the keys they
// take, read in turn; OR's second key follows its first after a space. It
// returns what is wrong, errStop if it cannot follow, or "".
func (sc *argScanner) searchKey() string {
	for need := 1; need > 0; {
		operator := false
		if sc.peek() == '(' {
			if reason := sc.searchList(); reason != "" {
				return reason
			}
		} else {
			start := sc.pos
			key := sc.run(isNumSetChar)
			if key == "" {
				return errStop
			}
			kind, known := searchKeys[strings.ToUpper(key)]
			if !known {
				if reason := numSetProblem(key, false); reason != "" {
					if isSeqSetText(key) {
						return reason
					}
					return fmt.Sprintf("unknown search key %s", textQuote(string(sc.line[start:sc.pos])))
				}
			} else {
				if kind != searchNone && !sc.space() {
					return errStop
				}
				if reason := sc.searchKeyArgs(strings.ToUpper(key), kind); reason != "" {
					return reason
				}
				switch kind {
				case searchOneKey:
					need, operator = need+1, true
				case searchTwoKeys:
					need, operator = need+2, true
				}
			}
		}
		need--
		if !operator && need > 0 && !sc.space() {
			return errStop
		}
	}
	return ""
}

// searchList reads a parenthesized list of search keys.
func (sc *argScanner) searchList() string {
	sc.pos++
	if sc.peek() == ')' {
		sc.pos++
		return ""
	}
	for {
		if reason := sc.searchKey(); reason != "" {
			return reason
		}
		if sc.peek() == ')' {
			sc.pos++
			return ""
		}
		if !sc.space() {
			return errStop
		}
	}
}

// searchKeyArgs reads the arguments of key, of kind, after their space.
func (sc *argScanner) searchKeyArgs(key string, kind searchArgKind) string {
	switch kind {
	case searchAString:
		if _, ok := sc.astringArg(); !ok {
			return errStop
		}
	case searchTwoAStrings:
		if _, ok := sc.astringArg(); !ok || !sc.space() {
			return errStop
		}
		if _, ok := sc.astringArg(); !ok {
			return errStop
		}
	case searchDate:
		date, ok := sc.astringArg()
		if !ok {
			return errStop
		}
		if _, err := time.Parse(dateLayout, date); err != nil {
			return fmt.Sprintf("%s %s is not a date (RFC 3501 9: d-Mon-yyyy, as in 2-Jan-2006)", key, textQuote(date))
		}
	case searchNumber:
		if !isDigits(sc.run(func(c byte) bool { return c >= '0' && c <= '9' })) {
			return errStop
		}
	case searchModSeq:
		if sc.peek() == '"' {
			return errStop // an entry name: imapserver reads the rest
		}
		if n := sc.run(isAtomChar); !isDigits(n) {
			return fmt.Sprintf("MODSEQ %s is not a mod-sequence", textQuote(n))
		} else if _, err := strconv.ParseUint(n, 10, 64); err != nil {
			return fmt.Sprintf("MODSEQ %s is out of range", n)
		}
	case searchFlag:
		if sc.peek() == '\\' {
			sc.pos++
		}
		if sc.peek() == '*' {
			sc.pos++
		} else if sc.run(isAtomChar) == "" {
			return errStop
		}
	case searchUIDSet:
		if sc.peek() == '$' {
			sc.pos++
			return ""
		}
		set := sc.run(isNumSetChar)
		if set == "" {
			return errStop
		}
		return numSetProblem(set, true)
	}
	return ""
}

// isSeqSetText holds for a string of the characters of sequence sets
// without "$": a set, if a malformed one, rather than a word.
func isSeqSetText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '$' || !isSeqSetChar(c) {
			return false
		}
	}
	return true
}

// appendDateTime reads APPEND's arguments up to its date-time: mailbox
// SP [flag-list SP] [date-time SP]. It returns what is wrong with the
// date-time, or "".
func (sc *argScanner) appendDateTime() string {
	if _, ok := sc.astringArg(); !ok || !sc.space() {
		return ""
	}
	if sc.peek() == '(' {
		end := bytes.IndexByte(sc.line[sc.pos:], ')')
		if end < 0 {
			return ""
		}
		sc.pos += end + 1
		if !sc.space() {
			return ""
		}
	}
	if sc.peek() != '"' {
		return ""
	}
	s, ok := sc.quoted()
	if !ok {
		return ""
	}
	if _, err := time.Parse(dateTimeLayout, s); err != nil {
		return fmt.Sprintf("%s is not a date-time (RFC 3501 9: dd-Mon-yyyy hh:mm:ss +zzzz, as in 02-Jan-2006 15:04:05 -0700)", textQuote(s))
	}
	return ""
}

// astringArg reads an astring: a quoted string, a literal whose data is
// held in the line, or an atom.
func (sc *argScanner) astringArg() (string, bool) {
	if sc.peek() == '{' {
		return sc.literal()
	}
	a, read, _ := sc.astring(false, true)
	if !read || a.unended {
		return "", false
	}
	return a.value, true
}

// literal reads a literal, "{n}" or "{n+}", its line end and its n bytes,
// if the line holds them.
func (sc *argScanner) literal() (string, bool) {
	rest := sc.line[sc.pos:]
	end := bytes.IndexByte(rest, '\n')
	if end < 0 {
		return "", false
	}
	n, _, ok := literalAtEnd(rest[:end+1])
	if !ok || bytes.LastIndexByte(rest[:end], '{') != 0 {
		return "", false
	}
	start := sc.pos + end + 1
	if n > int64(len(sc.line)-start) {
		return "", false
	}
	sc.pos = start + int(n)
	return string(sc.line[start:sc.pos]), true
}
