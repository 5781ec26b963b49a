package maildir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestInfo(t *testing.T) {
	kw := &Keywords{}
	kw.Assign("$Forwarded")
	kw.Assign("work")
	flags := []string{`\Seen`, `\Deleted`, "work", `\Answered`, `\Draft`, `\Flagged`, "$Forwarded", "nolet", `\Recent`}
	if got := Info(flags, kw); got != ":2,DFRSTab" {
		t.Fatalf("Info = %q", got)
	}
	unique, back := ParseInfo("123.M1P2.host:2,DFRSTabzP", kw)
	want := []string{`\Draft`, `\Flagged`, `\Answered`, `\Seen`, `\Deleted`, "$Forwarded", "work"}
	if unique != "123.M1P2.host" || !slices.Equal(back, want) {
		t.Fatalf("ParseInfo = %q %v", unique, back)
	}
	if _, f := ParseInfo("x:1,S", kw); f != nil {
		t.Errorf("info version 1 gave flags %v", f)
	}
	if u, f := ParseInfo("plain", nil); u != "plain" || f != nil {
		t.Errorf("no info: %q %v", u, f)
	}
}

func TestFolderDir(t *testing.T) {
	cases := map[string]string{
		"INBOX":             "",
		"inbox":             "",
		"Sent":              ".Sent",
		"Work/Projects":     ".Work.Projects",
		"a.b/c%d":           ".a%2Eb.c%25d",
		"../../etc":         ".%2E%2E.%2E%2E.etc",
		"Grüße an Zoë 2024": ".Grüße an Zoë 2024",
		"INBOX/Sub":         ".INBOX.Sub",
	}
	for name, want := range cases {
		got, err := FolderDir(name)
		if err != nil || got != want {
			t.Errorf("FolderDir(%q) = %q, %v; want %q", name, got, err, want)
			continue
		}
		if want == "" {
			continue
		}
		if back, err := FolderName(got); err != nil || back != name {
			t.Errorf("FolderName(%q) = %q, %v", got, back, err)
		}
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", "\xff", strings.Repeat("x", 300)} {
		if d, err := FolderDir(bad); err == nil {
			t.Errorf("FolderDir(%q) = %q, want an error", bad, d)
		}
	}
	for _, bad := range []string{"", ".", "..", "...", "Sent", ".a..b", ".a.", ".%2F", ".%41", ".%2", ".%zz", "./x", ".a\nb"} {
		if n, err := FolderName(bad); err == nil {
			t.Errorf("FolderName(%q) = %q, want an error", bad, n)
		}
	}
}

func TestDeliverAndRead(t *testing.T) {
	root := t.TempDir()
	date := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	for _, rel := range []string{"", ".Work.Projects"} {
		w, err := Create(root, rel)
		if err != nil {
			t.Fatal(err)
		}
		kw := &Keywords{}
		kw.Assign("$Junk")
		name, err := w.Deliver(strings.NewReader("Subject: x\n\nhi\n"), Info([]string{`\Seen`, "$Junk"}, kw), date)
		if err != nil || !strings.HasSuffix(name, ":2,Sa") {
			t.Fatalf("Deliver = %q, %v", name, err)
		}
		if err := w.WriteKeywords(kw); err != nil {
			t.Fatal(err)
		}
		if tmp, _ := os.ReadDir(filepath.Join(w.Dir(), "tmp")); len(tmp) != 0 {
			t.Errorf("tmp/ not empty: %v", tmp)
		}
	}
	if _, err := Create(root, "../escape"); err == nil {
		t.Fatal("Create accepted ../escape")
	}
	// Junk next to the messages: hidden files, a directory, a symlink.
	cur := filepath.Join(root, "cur")
	os.WriteFile(filepath.Join(cur, ".DS_Store"), []byte("junk"), 0o600)
	os.Mkdir(filepath.Join(cur, "sub"), 0o700)
	os.Symlink("/etc/passwd", filepath.Join(cur, "link:2,S"))
	os.WriteFile(filepath.Join(root, "new", "weird name:2,"), []byte("Subject: y\n\n"), 0o600)
	os.Mkdir(filepath.Join(root, ".not a maildir"), 0o700)
	os.Mkdir(filepath.Join(root, "..."), 0o700)

	folders, skipped, err := Tree(root)
	if err != nil || len(folders) != 2 || folders[0].Name != "" || folders[1].Name != "Work/Projects" {
		t.Fatalf("Tree = %+v, %v", folders, err)
	}
	if len(skipped) != 2 {
		t.Errorf("Tree skipped %+v, want the two non-folders", skipped)
	}
	msgs, skipped, err := ReadFolder(root)
	if err != nil || len(msgs) != 2 || len(skipped) != 3 {
		t.Fatalf("ReadFolder = %+v, %+v, %v", msgs, skipped, err)
	}
	m := msgs[1] // new/ comes first
	if !slices.Equal(m.Flags, []string{`\Seen`, "$Junk"}) || !m.Date.Equal(date) {
		t.Errorf("message = %+v", m)
	}
}
