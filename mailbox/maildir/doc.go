// Package maildir reads and writes the Maildir format (the Maildir++ layout
// that Dovecot, Courier, mutt, mbsync and Python's mailbox.Maildir read).
// It owns the format only: file names and their info suffix, the mapping
// between mailbox names and folder directories, the keywords file, and
// the rule for writing a message file. It knows no store: node/mailfile
// moves mail between a mailbox.Store and these files.
//
// # Layout
//
//	ROOT/cur/ new/ tmp/                 INBOX (the root Maildir)
//	ROOT/.Sent/cur/ new/ tmp/           mailbox "Sent"
//	ROOT/.Work.Projects/...             mailbox "Work/Projects"
//	ROOT/.X/maildirfolder               empty: marks a Maildir++ subfolder
//	ROOT/.X/dovecot-keywords            keyword letters of folder X
//	ROOT/subscriptions                  subscribed names, one per line
//
// INBOX is the root Maildir, so `mutt -f ROOT` and mailbox.Maildir(ROOT)
// open it directly, and every other mailbox is a Maildir++ subfolder:
// `mutt -f ROOT/.Sent`, mailbox.Maildir(ROOT).get_folder("Sent").
//
// # Folder names
//
// A mailbox name is untrusted input. FolderDir maps it to one directory
// name directly below ROOT: the levels of the name (separated by "/") are
// joined with ".", and a level's ".", "/", "%", and bytes below 0x20 or
// 0x7f are written as "%" and two upper-case hex digits. The result always
// starts with "." followed by a byte other than ".", holds no "/" and so
// can name neither ROOT's parent nor anything outside ROOT. Other UTF-8 is
// kept as it is (no modified UTF-7). FolderName reverses it.
//
// # Message files
//
// A message file is named UNIQUE:2,FLAGS. UNIQUE is
// seconds.MmicrosecondsPpidQcounterRrandom.host; FLAGS are the info
// letters in ASCII order: D \Draft, F \Flagged, R \Answered, S \Seen,
// T \Deleted, then lower-case letters for keywords as listed in the
// folder's dovecot-keywords file ("0 $Forwarded" gives letter a, "1 x" b,
// up to z: at most 26 keywords per folder). The file's mtime is the
// message's internal date. Deliver writes the file in tmp/, sets its
// mtime, fsyncs it and renames it into cur/, the Maildir rule that makes a
// message appear whole or not at all.
package maildir
