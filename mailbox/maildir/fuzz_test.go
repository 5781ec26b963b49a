package maildir

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzFolderDir checks that no mailbox name leaves the root: the folder is
// one path element starting with "." and not "." or "..", and FolderName
// gives the name back.
func FuzzFolderDir(f *testing.F) {
	for _, s := range []string{"INBOX", "Work/Projects", "../../etc", "..", ".", "a/../b", "%2E", "a.b", "Zoë/ü", "a\x00b", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		dir, err := FolderDir(name)
		if err != nil || dir == "" {
			return
		}
		if dir[0] != '.' || len(dir) < 2 || dir[1] == '.' || strings.ContainsAny(dir, "/\x00") || len(dir) > maxDirName {
			t.Fatalf("FolderDir(%q) = %q", name, dir)
		}
		root := "/root/mail"
		if p := filepath.Join(root, dir); filepath.Dir(p) != root {
			t.Fatalf("FolderDir(%q) = %q leaves the root: %q", name, dir, p)
		}
		back, err := FolderName(dir)
		if err != nil || back != name {
			t.Fatalf("FolderName(FolderDir(%q)) = %q, %v", name, back, err)
		}
	})
}

// FuzzFolderName checks that a directory name it accepts is the one
// FolderDir gives for the name it returns.
func FuzzFolderName(f *testing.F) {
	for _, s := range []string{".Sent", ".Work.Projects", ".a%2Eb", "..", ".%2F", ".INBOX", ".%0A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dir string) {
		name, err := FolderName(dir)
		if err != nil || strings.EqualFold(name, Inbox) {
			return
		}
		if again, err := FolderDir(name); err != nil || again != dir {
			t.Fatalf("FolderDir(FolderName(%q) = %q) = %q, %v", dir, name, again, err)
		}
	})
}

// FuzzParseInfo checks that the flags of a file name come back from the
// info written for them.
func FuzzParseInfo(f *testing.F) {
	for _, s := range []string{"1.M2P3.h:2,DFRST", "x:2,", "x:2,Sa", "x:1,S", "x", "x:2,zzSS", ":2,,", "a:b:2,S"} {
		f.Add(s, "0 $Junk\n25 last\n")
	}
	f.Fuzz(func(t *testing.T, name, keywords string) {
		kw := ParseKeywords(strings.NewReader(keywords))
		_, flags := ParseInfo(name, kw)
		info := Info(flags, kw)
		_, again := ParseInfo("u"+info, kw)
		slices.Sort(flags)
		slices.Sort(again)
		if !slices.Equal(flags, again) {
			t.Fatalf("%q: flags %v, through %q %v", name, flags, info, again)
		}
		var b strings.Builder
		kw.WriteTo(&b)
		if back := ParseKeywords(strings.NewReader(b.String())); *back != *kw {
			t.Fatalf("keywords file %q read back differently", b.String())
		}
	})
}
