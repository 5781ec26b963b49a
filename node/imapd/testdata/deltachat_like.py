# Drives the IMAP server the way Delta Chat does, with Python's imaplib.
# Usage: deltachat_like.py PORT USER PASSWORD EXPECTED_BODY_FILE
# Prints "IDLING" when it waits in IDLE for the test to deliver a message,
# and exits non-zero with a message on the first unexpected reply.
import imaplib
import re
import sys

port, user, password, body_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
expected = open(body_file, "rb").read()


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)


m = imaplib.IMAP4("127.0.0.1", port)
typ, data = m.login(user, password)
check(typ == "OK", "login %r" % data)
# Delta Chat takes the capabilities from the LOGIN reply's response code.
check(data[0].startswith(b"[CAPABILITY IMAP4rev1 ") and b" IDLE " in data[0], "LOGIN reply %r" % data)
# With ID advertised, Delta Chat identifies itself.
check(b" ID " in data[0], "LOGIN reply lacks ID: %r" % data)
imaplib.Commands["ID"] = ("NONAUTH", "AUTH", "SELECTED")
typ, data = m._simple_command("ID", '("name" "Delta Chat" "version" "2.0.0")')
check(typ == "OK", "ID %r" % data)
typ, data = m._untagged_response(typ, data, "ID")
check(data[0].startswith(b'("name" "Yggpost"'), "ID reply %r" % data)
typ, data = m.select("INBOX")
check(typ == "OK" and data[0] == b"1", "select %r" % data)

typ, data = m.uid("FETCH", "1:*", "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])")
check(typ == "OK" and isinstance(data[0], tuple), "header fetch %r" % data)
meta, headers = data[0]
uid = int(re.search(rb"UID (\d+)", meta).group(1))
size = int(re.search(rb"RFC822.SIZE (\d+)", meta).group(1))
check(size == len(expected), "RFC822.SIZE %d, want %d" % (size, len(expected)))
check(b"Subject: python" in headers and b"Content-Type" not in headers, "header fields %r" % headers)

typ, data = m.uid("FETCH", str(uid), "(FLAGS BODY.PEEK[])")
check(typ == "OK" and data[0][1] == expected, "body fetch differs")
check(b"\\Seen" not in data[0][0], "PEEK set \\Seen: %r" % data[0][0])

tag = m._new_tag().decode()
m.send(("%s IDLE\r\n" % tag).encode())
line = m.readline()
check(line.startswith(b"+"), "IDLE continuation %r" % line)
print("IDLING", flush=True)
line = m.readline()
check(line == b"* 2 EXISTS\r\n", "in IDLE got %r" % line)
line = m.readline()
check(line == b"* 2 RECENT\r\n", "in IDLE got %r after EXISTS" % line)
m.send(b"DONE\r\n")
line = m.readline()
check(line.startswith(tag.encode() + b" OK"), "IDLE end %r" % line)

typ, data = m.uid("STORE", str(uid), "+FLAGS", "(\\Deleted)")
check(typ == "OK" and b"\\Deleted" in data[0], "store %r" % data)
typ, data = m.close()
check(typ == "OK", "close %r" % data)
m.logout()
print("DONE", flush=True)
