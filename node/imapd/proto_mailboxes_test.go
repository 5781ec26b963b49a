package imapd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/yggpost/yggpost/mailbox"
)

// Mailbox management and the LIST family over the socket.
func TestProtoMailboxManagement(t *testing.T) {
	e := newEnv(t)
	r := dialRaw(t, e.addr)
	r.login()
	r.expect(`a1 LIST "" ""`, `* LIST (\Noselect) "/" ""`, "a1 OK LIST completed")
	r.expect(`a2 NAMESPACE`, `* NAMESPACE (("" "/")) NIL NIL`, "a2 OK NAMESPACE completed")
	r.expect(`a3 LIST "" "%"`,
		`* LIST (\HasNoChildren \Archive) "/" "Archive"`, `* LIST (\HasNoChildren \Drafts) "/" "Drafts"`,
		`* LIST (\HasNoChildren) "/" INBOX`, `* LIST (\HasNoChildren \Junk) "/" "Junk"`,
		`* LIST (\HasNoChildren \Sent) "/" "Sent"`, `* LIST (\HasNoChildren \Trash) "/" "Trash"`, "a3 OK LIST completed")
	r.expect(`a4 CREATE Work/2026/`, "a4 OK CREATE completed")
	r.expect(`a5 CREATE Work`, "~a5 NO \\[ALREADYEXISTS\\] .*")
	r.expect(`a6 CREATE "Sent Old" (USE (\Sent))`, "a6 OK CREATE completed")
	r.expect(`a7 CREATE Both (USE (\Sent \Junk))`, "~a7 NO \\[USEATTR\\] .*")
	r.expect(`a8 CREATE Flagged (USE (\Flagged))`, "~a8 NO \\[USEATTR\\] .*")
	r.expect(`a9 LIST "" "Work*"`, `* LIST (\HasChildren) "/" "Work"`, `* LIST (\HasNoChildren) "/" "Work/2026"`, "a9 OK LIST completed")
	r.expect(`a10 LIST "Work/" "%"`, `* LIST (\HasNoChildren) "/" "Work/2026"`, "a10 OK LIST completed")
	r.expect(`a11 LIST (SPECIAL-USE) "" "Sent*"`, `* LIST (\HasNoChildren \Sent) "/" "Sent"`, `* LIST (\HasNoChildren \Sent) "/" "Sent Old"`, "a11 OK LIST completed")
	r.expect(`a12 RENAME Work Job`, "a12 OK RENAME completed")
	r.expect(`a13 LIST "" "Job*" RETURN (CHILDREN STATUS (MESSAGES UIDNEXT))`,
		`* LIST (\HasChildren) "/" "Job"`, `* STATUS "Job" (MESSAGES 0 UIDNEXT 1)`,
		`* LIST (\HasNoChildren) "/" "Job/2026"`, `* STATUS "Job/2026" (MESSAGES 0 UIDNEXT 1)`, "a13 OK LIST completed")
	r.expect(`a14 SUBSCRIBE Job/2026`, "a14 OK SUBSCRIBE completed")
	r.expect(`a15 UNSUBSCRIBE Junk`, "a15 OK UNSUBSCRIBE completed")
	r.expect(`a16 LSUB "" "J*"`, `* LSUB (\HasNoChildren) "/" "Job/2026"`, "a16 OK LSUB completed")
	r.expect(`a17 LIST (SUBSCRIBED) "" "J*"`, `* LIST (\HasNoChildren \Subscribed) "/" "Job/2026"`, "a17 OK LIST completed")
	r.expect(`a18 LIST "" "J*" RETURN (SUBSCRIBED)`,
		`* LIST (\HasChildren) "/" "Job"`, `* LIST (\HasNoChildren \Subscribed) "/" "Job/2026"`,
		`* LIST (\HasNoChildren \Junk) "/" "Junk"`, "a18 OK LIST completed")
	r.expect(`a19 DELETE Job/2026`, "a19 OK DELETE completed")
	r.expect(`a20 DELETE INBOX`, "~a20 NO \\[CANNOT\\] .*")
	r.expect(`a21 DELETE Nowhere`, "~a21 NO \\[NONEXISTENT\\] .*")
	r.expect(`a22 STATUS INBOX (MESSAGES UNSEEN SIZE APPENDLIMIT)`,
		fmt.Sprintf(`* STATUS INBOX (MESSAGES 0 UNSEEN 0 SIZE 0 APPENDLIMIT %d)`, DefaultMaxAppendSize), "a22 OK STATUS completed")
	r.expect(`a23 CAPABILITY`, `~\* CAPABILITY IMAP4rev1 ID .* NAMESPACE UIDPLUS ESEARCH LIST-EXTENDED LIST-STATUS MOVE .*SPECIAL-USE CREATE-SPECIAL-USE LITERAL\+ .*APPENDLIMIT=\d+`, "a23 OK CAPABILITY completed")
}

// A client that APPENDs its copy of a sent message to \Sent (Thunderbird)
// finds the node's copy already there: one message, named by APPENDUID.
func TestProtoSentCopyNotDuplicated(t *testing.T) {
	e := newEnv(t)
	msg := "Message-ID: <abc@yggmail>\r\nFrom: me@yggmail\r\nSubject: sent\r\n\r\nhello\r\n"
	key, _ := mailbox.SentCopyKey("<abc@yggmail>")
	m, _, err := e.store.Append("Sent", strings.NewReader(msg), mailbox.AppendOptions{Flags: []string{mailbox.FlagSeen}, EnvelopeID: &key})
	if err != nil {
		t.Fatal(err)
	}
	sent, archive := uidValidity(t, e.store, "Sent"), uidValidity(t, e.store, "Archive")
	r := dialRaw(t, e.addr)
	r.login()
	appendLine := func(tag, box, body string) string {
		return fmt.Sprintf("%s APPEND %s (\\Seen) {%d+}\r\n%s", tag, box, len(body), body)
	}
	r.expect(appendLine("a1", "Sent", msg), fmt.Sprintf("a1 OK [APPENDUID %d %d] APPEND completed", sent, m.UID))
	other := strings.Replace(msg, "abc@", "other@", 1)
	r.expect(appendLine("a2", "Sent", other), fmt.Sprintf("a2 OK [APPENDUID %d %d] APPEND completed", sent, m.UID+1))
	r.expect(appendLine("a3", "Sent", other), fmt.Sprintf("a3 OK [APPENDUID %d %d] APPEND completed", sent, m.UID+1))
	r.expect(appendLine("a4", "Archive", msg), fmt.Sprintf("a4 OK [APPENDUID %d 1] APPEND completed", archive))
	r.expect(`a5 CREATE Outgoing (USE (\Sent))`, "a5 OK CREATE completed")
	third := strings.Replace(msg, "abc@", "third@", 1)
	r.expect(appendLine("a6", "Outgoing", third), fmt.Sprintf("~a6 OK \\[APPENDUID %d 1\\] APPEND completed", uidValidity(t, e.store, "Outgoing")))
	r.expect(appendLine("a7", "Outgoing", third), fmt.Sprintf("~a7 OK \\[APPENDUID %d 1\\] APPEND completed", uidValidity(t, e.store, "Outgoing")))
	r.expect(`a8 STATUS Sent (MESSAGES)`, `* STATUS "Sent" (MESSAGES 2)`, "a8 OK STATUS completed")
	r.expect(`a9 STATUS Outgoing (MESSAGES)`, `* STATUS "Outgoing" (MESSAGES 1)`, "a9 OK STATUS completed")
	noID := "From: me@yggmail\r\n\r\nno id\r\n"
	r.expect(appendLine("b1", "Sent", noID), fmt.Sprintf("b1 OK [APPENDUID %d %d] APPEND completed", sent, m.UID+2))
	r.expect(appendLine("b2", "Sent", noID), fmt.Sprintf("b2 OK [APPENDUID %d %d] APPEND completed", sent, m.UID+3))
	r.expect(`b3 STATUS Sent (MESSAGES UIDNEXT)`, fmt.Sprintf(`* STATUS "Sent" (MESSAGES 4 UIDNEXT %d)`, m.UID+4), "b3 OK STATUS completed")
}
