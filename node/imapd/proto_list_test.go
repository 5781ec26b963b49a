package imapd

import (
	"fmt"
	"testing"
)

// atomSpecials is every character an atom may hold that is not a letter,
// a digit or a wildcard, in the order an IMAP compliance suite sends them.
const atomSpecials = "!#$&'+,-.0123456789:;<=>?@^_`|[}"

// A pattern made of every atom character is matched literally, "&"
// included (it is not modified UTF-7 there), and "%" stops at the
// delimiter where "*" does not (RFC 3501 6.3.8).
func TestProtoListPatternOfEveryAtomCharacter(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.expect(`a1 LIST "" `+atomSpecials+`%*`, "a1 OK LIST completed")
	r.expect(`a2 LIST "" "!#$&'+,-.:;<=>?@^_`+"`"+`|[}%*"`, "a2 OK LIST completed")

	name := `!#$&-'+,-.0123456789:;<=>?@^_` + "`" + `|[}` // "&" written "&-"
	r.expect(`b1 CREATE "`+name+`/x.y/z"`, "b1 OK CREATE completed")
	r.expect(`b2 CREATE "`+name+`/x.y!/"`, "b2 OK CREATE completed")
	r.expect(`b3 CREATE "`+name+`x"`, "b3 OK CREATE completed")
	r.expect(`b4 LIST "" `+atomSpecials+`%*`,
		`* LIST (\HasChildren) "/" "`+name+`"`,
		`* LIST (\HasChildren) "/" "`+name+`/x.y"`,
		`* LIST (\HasNoChildren) "/" "`+name+`/x.y!"`,
		`* LIST (\HasNoChildren) "/" "`+name+`/x.y/z"`,
		`* LIST (\HasNoChildren) "/" "`+name+`x"`,
		"b4 OK LIST completed")
	r.expect(`b5 LIST "" `+atomSpecials+`%`,
		`* LIST (\HasChildren) "/" "`+name+`"`, `* LIST (\HasNoChildren) "/" "`+name+`x"`, "b5 OK LIST completed")
	r.expect(`b6 LIST "" `+atomSpecials+`/%`,
		`* LIST (\HasChildren) "/" "`+name+`/x.y"`, `* LIST (\HasNoChildren) "/" "`+name+`/x.y!"`, "b6 OK LIST completed")
	r.expect(`b7 LIST "" `+atomSpecials+`/%/%`, `* LIST (\HasNoChildren) "/" "`+name+`/x.y/z"`, "b7 OK LIST completed")
	r.expect(`b8 LIST "" `+atomSpecials+`/*z`, `* LIST (\HasNoChildren) "/" "`+name+`/x.y/z"`, "b8 OK LIST completed")
	r.expect(`b9 LIST "" `+atomSpecials+`/%.y`, `* LIST (\HasChildren) "/" "`+name+`/x.y"`, "b9 OK LIST completed")
	r.expect(`c1 LIST "" "`+name+`/x%"`,
		`* LIST (\HasChildren) "/" "`+name+`/x.y"`, `* LIST (\HasNoChildren) "/" "`+name+`/x.y!"`, "c1 OK LIST completed")

	// The reference is joined to the pattern as it is (RFC 3501 6.3.8
	// leaves the joint to the server).
	r.expect(`d1 LIST "`+name+`/" %`,
		`* LIST (\HasChildren) "/" "`+name+`/x.y"`, `* LIST (\HasNoChildren) "/" "`+name+`/x.y!"`, "d1 OK LIST completed")
	r.expect(`d2 LIST "`+name+`" /x.y/*`, `* LIST (\HasNoChildren) "/" "`+name+`/x.y/z"`, "d2 OK LIST completed")
	r.expect(`d3 LIST "`+name+`" x`, `* LIST (\HasNoChildren) "/" "`+name+`x"`, "d3 OK LIST completed")
	r.expect(`d4 LIST "`+name+`/x" .y`, `* LIST (\HasChildren) "/" "`+name+`/x.y"`, "d4 OK LIST completed")
	r.expect(`d5 LIST "&" *`, "d5 OK LIST completed")
	r.expect(`d6 LIST "" ("`+atomSpecials+`/*z" nothing)`, `* LIST (\HasNoChildren) "/" "`+name+`/x.y/z"`, "d6 OK LIST completed")
}

// INBOX is found in any letter case, as the whole name and as the first
// level; other names are case-sensitive.
func TestProtoListInboxAnyCase(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.expect(`a1 CREATE inbox/Sub`, "a1 OK CREATE completed")
	r.expect(`a2 LIST "" inbox`, `* LIST (\HasChildren) "/" INBOX`, "a2 OK LIST completed")
	r.expect(`a3 LIST "" Inbox/%`, `* LIST (\HasNoChildren) "/" "INBOX/Sub"`, "a3 OK LIST completed")
	r.expect(`a4 LIST inBOX /*`, `* LIST (\HasNoChildren) "/" "INBOX/Sub"`, "a4 OK LIST completed")
	r.expect(`a5 LIST "" inbox/sub`, "a5 OK LIST completed")
	r.expect(`a6 LIST "" inboxes`, "a6 OK LIST completed")
	r.expect(`a7 LIST "" sent`, "a7 OK LIST completed")
}

// An empty pattern asks for the delimiter and the root of the reference
// (RFC 3501 6.3.8); under LIST-EXTENDED and in LSUB it is no special case.
func TestProtoListEmptyPattern(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.expect(`a1 LIST "" ""`, `* LIST (\Noselect) "/" ""`, "a1 OK LIST completed")
	r.expect(`a2 LIST "Work/2026/Q1" ""`, `* LIST (\Noselect) "/" "Work/"`, "a2 OK LIST completed")
	r.expect(`a3 LIST "#news.comp" ""`, `* LIST (\Noselect) "/" ""`, "a3 OK LIST completed")
	r.expect(`a4 LSUB "" ""`, "a4 OK LSUB completed")
	r.expect(`a5 LIST (SUBSCRIBED) "" ""`, "a5 OK LIST completed")
	r.expect(`a6 LIST "" "" RETURN (CHILDREN)`, "a6 OK LIST completed")
	r.expect(`a7 LIST (RECURSIVEMATCH) "" "%"`, `~a7 BAD .*`)
	r.expect(`a8 LIST "" ()`, `~a8 BAD .*`)
}

// A deleted mailbox whose children remain is still a level of hierarchy:
// \Noselect in LIST, \NonExistent under LIST-EXTENDED (RFC 3501 6.3.5,
// RFC 5258 3), never selectable, and no STATUS for it.
func TestProtoListDeletedParent(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.expect(`a1 CREATE Old/Kept/Deep`, "a1 OK CREATE completed")
	r.expect(`a2 DELETE Old`, "a2 OK DELETE completed")
	r.expect(`a3 DELETE Old/Kept`, "a3 OK DELETE completed")
	r.expect(`a4 LIST "" O%`, `* LIST (\Noselect \HasChildren) "/" "Old"`, "a4 OK LIST completed")
	r.expect(`a5 LIST "" Old*`,
		`* LIST (\Noselect \HasChildren) "/" "Old"`, `* LIST (\Noselect \HasChildren) "/" "Old/Kept"`,
		`* LIST (\HasNoChildren) "/" "Old/Kept/Deep"`, "a5 OK LIST completed")
	r.expect(`a6 LIST "" Old/% RETURN (CHILDREN STATUS (MESSAGES))`,
		`* LIST (\NonExistent \HasChildren) "/" "Old/Kept"`, "a6 OK LIST completed")
	r.expect(`a7 LIST "" Old/%/% RETURN (STATUS (MESSAGES))`,
		`* LIST (\HasNoChildren) "/" "Old/Kept/Deep"`, `* STATUS "Old/Kept/Deep" (MESSAGES 0)`, "a7 OK LIST completed")
	r.expect(`a8 SELECT Old`, `~a8 NO \[NONEXISTENT\] .*`)
	r.expect(`a9 STATUS Old (MESSAGES)`, `~a9 NO \[NONEXISTENT\] .*`)
	r.expect(`b1 DELETE Old`, `~b1 NO \[NONEXISTENT\] .*`)
	r.expect(`b2 CREATE Old`, "b2 OK CREATE completed")
	r.expect(`b4 RENAME Old Old`, `~b4 NO \[ALREADYEXISTS\] .*`)
	r.expect(`b3 LIST "" O%`, `* LIST (\HasChildren) "/" "Old"`, "b3 OK LIST completed")
}

// Subscriptions are names, not mailboxes (RFC 3501 6.3.6, 6.3.9): a
// subscribed name that was deleted, or never created, stays in LSUB
// (\Noselect) and in LIST (SUBSCRIBED) (\NonExistent, RFC 5258 3.1), also
// after a restart; LSUB with "%" shows the levels above subscribed names
// as \Noselect.
func TestProtoSubscriptionsOutliveMailboxes(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	for i, name := range []string{"t/", "t/test", "t/test2/", "t/test3/", "t/test2/test", "t/test3/test3"} {
		r.expect(fmt.Sprintf("c%d CREATE %s", i, name), fmt.Sprintf("c%d OK CREATE completed", i))
	}
	for i, name := range []string{"t/test", "t/test2/test", "t/test3/test3", "t/never", "t/gone"} {
		r.expect(fmt.Sprintf("s%d SUBSCRIBE %s", i, name), fmt.Sprintf("s%d OK SUBSCRIBE completed", i))
	}
	r.expect(`a1 LSUB "" t/%`,
		`* LSUB (\Noselect) "/" "t/gone"`, `* LSUB (\Noselect) "/" "t/never"`, `* LSUB (\HasNoChildren) "/" "t/test"`,
		`* LSUB (\Noselect) "/" "t/test2"`, `* LSUB (\Noselect) "/" "t/test3"`, "a1 OK LSUB completed")
	r.expect(`a2 LSUB "" *test`, `* LSUB (\HasNoChildren) "/" "t/test"`, `* LSUB (\HasNoChildren) "/" "t/test2/test"`, "a2 OK LSUB completed")
	r.expect(`a3 DELETE t/test`, "a3 OK DELETE completed")
	r.expect(`a4 UNSUBSCRIBE t/gone`, "a4 OK UNSUBSCRIBE completed")
	r.expect(`a5 UNSUBSCRIBE t/gone`, "a5 OK UNSUBSCRIBE completed")

	check := func(tag string) {
		r.expect(tag+`1 LSUB "" t/*`,
			`* LSUB (\Noselect) "/" "t/never"`, `* LSUB (\Noselect) "/" "t/test"`,
			`* LSUB (\HasNoChildren) "/" "t/test2/test"`, `* LSUB (\HasNoChildren) "/" "t/test3/test3"`, tag+"1 OK LSUB completed")
		r.expect(tag+`2 LIST (SUBSCRIBED) "" t/*`,
			`* LIST (\NonExistent \Subscribed) "/" "t/never"`, `* LIST (\NonExistent \Subscribed) "/" "t/test"`,
			`* LIST (\HasNoChildren \Subscribed) "/" "t/test2/test"`, `* LIST (\HasNoChildren \Subscribed) "/" "t/test3/test3"`,
			tag+"2 OK LIST completed")
		r.expect(tag+`3 LIST "" t/% RETURN (SUBSCRIBED)`,
			`* LIST (\HasChildren) "/" "t/test2"`, `* LIST (\HasChildren) "/" "t/test3"`, tag+"3 OK LIST completed")
	}
	check("b")
	e.stop()
	e.start()
	r = dialRaw(t, e.addr)
	r.login()
	check("d")
	r.expect(`e1 CREATE t/test`, "e1 OK CREATE completed")
	r.expect(`e2 LIST "" t/test RETURN (SUBSCRIBED)`, `* LIST (\HasNoChildren \Subscribed) "/" "t/test"`, "e2 OK LIST completed")
	r.expect(`e3 RENAME t X`, "e3 OK RENAME completed")
	r.expect(`e4 LSUB "" X*`,
		`* LSUB (\Noselect) "/" "X/never"`, `* LSUB (\HasNoChildren) "/" "X/test"`,
		`* LSUB (\HasNoChildren) "/" "X/test2/test"`, `* LSUB (\HasNoChildren) "/" "X/test3/test3"`, "e4 OK LSUB completed")
	r.expect(`e5 SUBSCRIBE "a%b"`, `~e5 NO \[CANNOT\] .*`)
}

// LIST (SUBSCRIBED RECURSIVEMATCH) returns a matching name that has a
// subscribed name below it that the patterns miss, with CHILDINFO
// (RFC 5258 3.5, 4), whether or not it is subscribed or exists itself.
func TestProtoListChildInfo(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	for i, name := range []string{"m/test1", "m/test2/", "m/test2/test1", "m/test3", "m/test4/test5", "m/test4/test52",
		"m/test6", "m/test7/test7", "m/test8/test8", "m/test8/test9"} {
		r.expect(fmt.Sprintf("c%d CREATE %s", i, name), fmt.Sprintf("c%d OK CREATE completed", i))
	}
	for i, name := range []string{"m/test1", "m/test2/test1", "m/test6", "m/test7/test7", "m/test8/test8", "m/test8/test9", "n/o/p"} {
		r.expect(fmt.Sprintf("s%d SUBSCRIBE %s", i, name), fmt.Sprintf("s%d OK SUBSCRIBE completed", i))
	}
	r.expect(`c99 DELETE m/test6`, "c99 OK DELETE completed")

	r.expect(`a1 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"`,
		`* LIST (\HasNoChildren \Archive \Subscribed) "/" "Archive"`, `* LIST (\HasNoChildren \Drafts \Subscribed) "/" "Drafts"`,
		`* LIST (\HasNoChildren \Subscribed) "/" INBOX`, `* LIST (\HasNoChildren \Junk \Subscribed) "/" "Junk"`,
		`* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`, `* LIST (\HasNoChildren \Trash \Subscribed) "/" "Trash"`,
		`* LIST (\HasChildren) "/" "m" (CHILDINFO ("SUBSCRIBED"))`, `* LIST (\NonExistent) "/" "n" (CHILDINFO ("SUBSCRIBED"))`,
		"a1 OK LIST completed")
	r.expect(`a2 LIST (SUBSCRIBED RECURSIVEMATCH) "" m/test2% RETURN (CHILDREN)`,
		`* LIST (\HasChildren) "/" "m/test2" (CHILDINFO ("SUBSCRIBED"))`, "a2 OK LIST completed")
	r.expect(`a3 LIST (SUBSCRIBED RECURSIVEMATCH) "" *test7`, `* LIST (\HasNoChildren \Subscribed) "/" "m/test7/test7"`, "a3 OK LIST completed")
	r.expect(`a4 LIST (SUBSCRIBED RECURSIVEMATCH) "" *test8`,
		`* LIST (\HasChildren) "/" "m/test8" (CHILDINFO ("SUBSCRIBED"))`, `* LIST (\HasNoChildren \Subscribed) "/" "m/test8/test8"`,
		"a4 OK LIST completed")
	r.expect(`a5 LIST (SUBSCRIBED RECURSIVEMATCH) "" (m/test2)`, `* LIST (\HasChildren) "/" "m/test2" (CHILDINFO ("SUBSCRIBED"))`, "a5 OK LIST completed")
	r.expect(`a6 LIST (SUBSCRIBED RECURSIVEMATCH) "" (m/test2 m/test2/test1)`, `* LIST (\HasNoChildren \Subscribed) "/" "m/test2/test1"`, "a6 OK LIST completed")
	r.expect(`a7 LIST (RECURSIVEMATCH SUBSCRIBED) "" n/%`, `* LIST (\NonExistent) "/" "n/o" (CHILDINFO ("SUBSCRIBED"))`, "a7 OK LIST completed")
	r.expect(`a8 LIST (SUBSCRIBED) "" m/*`,
		`* LIST (\HasNoChildren \Subscribed) "/" "m/test1"`, `* LIST (\HasNoChildren \Subscribed) "/" "m/test2/test1"`,
		`* LIST (\NonExistent \Subscribed) "/" "m/test6"`, `* LIST (\HasNoChildren \Subscribed) "/" "m/test7/test7"`,
		`* LIST (\HasNoChildren \Subscribed) "/" "m/test8/test8"`, `* LIST (\HasNoChildren \Subscribed) "/" "m/test8/test9"`,
		"a8 OK LIST completed")
	r.expect(`a9 LIST "" (m/*2 m/test3)`,
		`* LIST (\HasChildren) "/" "m/test2"`, `* LIST (\HasNoChildren) "/" "m/test3"`, `* LIST (\HasNoChildren) "/" "m/test4/test52"`,
		"a9 OK LIST completed")
	r.expect(`b1 LIST "" m/% RETURN (CHILDREN SUBSCRIBED)`,
		`* LIST (\HasNoChildren \Subscribed) "/" "m/test1"`, `* LIST (\HasChildren) "/" "m/test2"`, `* LIST (\HasNoChildren) "/" "m/test3"`,
		`* LIST (\HasChildren) "/" "m/test4"`, `* LIST (\HasChildren) "/" "m/test7"`, `* LIST (\HasChildren) "/" "m/test8"`,
		"b1 OK LIST completed")
	r.expect(`b2 LIST (SUBSCRIBED SPECIAL-USE) "" *`,
		`* LIST (\HasNoChildren \Archive \Subscribed) "/" "Archive"`, `* LIST (\HasNoChildren \Drafts \Subscribed) "/" "Drafts"`,
		`* LIST (\HasNoChildren \Junk \Subscribed) "/" "Junk"`, `* LIST (\HasNoChildren \Sent \Subscribed) "/" "Sent"`,
		`* LIST (\HasNoChildren \Trash \Subscribed) "/" "Trash"`, "b2 OK LIST completed")
}
