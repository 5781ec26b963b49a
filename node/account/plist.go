package account

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// plistDict is a property list dictionary that keeps its keys in the
// order written. A value is a string, an int, a bool, []byte (written as
// <data>), a plistDict or a []plistDict (written as <array>).
type plistDict []plistEntry

type plistEntry struct {
	key   string
	value any
}

// plistHeader opens an XML property list as Apple's tools write it.
const plistHeader = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
`

// marshalPlist writes root as an XML property list (Apple's plist DTD
// 1.0), one element a line, indented by tabs. Text is escaped with
// encoding/xml, which also writes tab, newline and carriage return as
// character references so that a parser's line-end rules do not change
// them; the caller has made sure every string is text XML can carry
// (checkXMLText).
func marshalPlist(root plistDict) []byte {
	var b bytes.Buffer
	b.WriteString(plistHeader)
	writePlistValue(&b, 0, root)
	b.WriteString("</plist>\n")
	return b.Bytes()
}

// writePlistValue writes v on its own line(s) at depth tabs.
func writePlistValue(b *bytes.Buffer, depth int, v any) {
	indent := strings.Repeat("\t", depth)
	switch v := v.(type) {
	case string:
		b.WriteString(indent + "<string>")
		xml.EscapeText(b, []byte(v)) // a bytes.Buffer never fails a write
		b.WriteString("</string>\n")
	case int:
		b.WriteString(indent + "<integer>" + strconv.Itoa(v) + "</integer>\n")
	case bool:
		b.WriteString(indent + "<" + strconv.FormatBool(v) + "/>\n")
	case []byte:
		b.WriteString(indent + "<data>" + base64.StdEncoding.EncodeToString(v) + "</data>\n")
	case plistDict:
		b.WriteString(indent + "<dict>\n")
		for _, e := range v {
			b.WriteString(indent + "\t<key>")
			xml.EscapeText(b, []byte(e.key))
			b.WriteString("</key>\n")
			writePlistValue(b, depth+1, e.value)
		}
		b.WriteString(indent + "</dict>\n")
	case []plistDict:
		b.WriteString(indent + "<array>\n")
		for _, d := range v {
			writePlistValue(b, depth+1, d)
		}
		b.WriteString(indent + "</array>\n")
	default:
		panic(fmt.Sprintf("account: no property list form for %T", v))
	}
}

// checkXMLText reports an error unless text holds only characters XML 1.0
// can carry (its Char production): no control character but tab,
// newline and carriage return, and no U+FFFE or U+FFFF. encoding/xml
// would silently put U+FFFD in their place, and a client would get a
// host name or a password other than the one meant.
func checkXMLText(what, text string) error {
	if !utf8.ValidString(text) {
		return fmt.Errorf("account settings: the %s is not valid UTF-8", what)
	}
	for _, r := range text {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("account settings: the %s holds the character %U, which XML cannot carry", what, r)
		}
	}
	return nil
}
