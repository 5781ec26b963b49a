// Package mbox reads the mbox format: one file of messages, each starting
// with a "From " line (RFC 4155), as mutt, Thunderbird, Google Takeout and
// mail spools write it. It owns splitting the file into messages, the
// From_ line (sender and date), the unescaping of ">From " lines and the
// flags of the Status and X-Status header fields. It reads one line at a
// time, never a whole message: Reader is an io.Reader of the current
// message. It knows no store: node/mailfile imports what it reads.
//
// # Rules
//
// A line ends at LF. A message starts at a line that begins with "From "
// and runs to the next such line or the end of the input. The file must
// start with one (an empty file holds no messages).
//
// The last empty line ("\n" or "\r\n") before the next From_ line, or
// before the end of the input, is the separator the writer added and is
// not part of the message (as Python's mailbox.mbox reads it).
//
// Lines of the message that start with one or more ">" followed by
// "From " lose one ">": the mboxrd rule, which also undoes the escaping of
// mboxo files. (An mboxo writer left ">From " lines of the original as
// they were; they cannot be told apart and lose their ">" too.)
//
// The date of a From_ line is the asctime form, "Mon Jan  2 15:04:05
// 2006", optionally with a zone name or numeric offset before or after
// the year, read as UTC when no zone is given (RFC 4155 §2). Another form
// gives a zero date: the caller picks one.
package mbox
