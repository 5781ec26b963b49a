"""SORT, THREAD and a CONDSTORE resync with Python's imaplib, as a script
of a mail client would run them. Prints one result per line."""
import imaplib
import sys

port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = imaplib.IMAP4("127.0.0.1", port)
m.login(user, password)
# imaplib keeps the capabilities of the greeting; ENABLE comes with login.
typ, data = m.capability()
m.capabilities = tuple(data[-1].decode().upper().split())
typ, data = m.enable("CONDSTORE")
print("ENABLED", typ, m.untagged_responses.pop("ENABLED", [b"?"])[0].decode())
typ, data = m.select("INBOX")
assert typ == "OK", (typ, data)
typ, data = m.sort("(REVERSE DATE)", "UTF-8", "ALL")
print("SORT", typ, data[0].decode())
typ, data = m.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")
print("UID SORT", typ, data[0].decode())
typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
print("THREAD", typ, data[0].decode())
typ, data = m.store("2", "+FLAGS", "(\\Flagged)")
print("STORE", typ, data[0].decode())
typ, data = m._simple_command("FETCH", "1:*", "(FLAGS)", "(CHANGEDSINCE 7)")
print("CHANGEDSINCE", typ, " ".join(d.decode() for d in m._untagged_response(typ, data, "FETCH")[1]))
m.logout()
