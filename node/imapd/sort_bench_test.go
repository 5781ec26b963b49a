package imapd

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yggpost/yggpost/mailbox"
)

// sortBenchMessages is the size of the mailbox the SORT and THREAD
// benchmarks work on: threads of ten replies.
const sortBenchMessages = 2000

func sortBenchEnv(b *testing.B) *imapclient.Client {
	e := newEnv(b)
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range sortBenchMessages {
		root := i - i%10
		msg := fmt.Sprintf("From: u%d@example.org\r\nSubject: Re: topic %d\r\nDate: %s\r\nMessage-ID: <%d@x>\r\nReferences: <%d@x>\r\n\r\nbody\r\n",
			i%37, root, day.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z), i, root)
		if _, _, err := e.store.Append("INBOX", bytes.NewReader([]byte(msg)), mailbox.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	c := e.dial(nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkSortByDateAndFrom is one UID SORT (DATE FROM) of the whole
// mailbox over the socket: every header read, sorted, answered.
func BenchmarkSortByDateAndFrom(b *testing.B) {
	c := sortBenchEnv(b)
	opts := &imapclient.SortOptions{
		SearchCriteria: &imap.SearchCriteria{},
		SortCriteria:   []imapclient.SortCriterion{{Key: imapclient.SortKeyDate}, {Key: imapclient.SortKeyFrom}},
	}
	for b.Loop() {
		if nums, err := c.UIDSort(opts).Wait(); err != nil || len(nums) != sortBenchMessages {
			b.Fatalf("UID SORT: %d results, %v", len(nums), err)
		}
	}
}

// BenchmarkThreadReferences is one THREAD REFERENCES of the whole mailbox.
func BenchmarkThreadReferences(b *testing.B) {
	c := sortBenchEnv(b)
	opts := &imapclient.ThreadOptions{Algorithm: imap.ThreadReferences, SearchCriteria: &imap.SearchCriteria{}}
	for b.Loop() {
		if threads, err := c.Thread(opts).Wait(); err != nil || len(threads) != sortBenchMessages/10 {
			b.Fatalf("THREAD: %d threads, %v", len(threads), err)
		}
	}
}
