package imapd

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// stressFor is how long TestStressManyClients runs; the default keeps the
// suite quick, -imap.stress 30s is the full run.
var stressFor = flag.Duration("imap.stress", 3*time.Second, "how long TestStressManyClients runs its clients")

var stressWire = flag.Bool("imap.stress.wire", false, "log a client's last protocol lines with a problem")

const stressClients = 10

// stressKeywords are the keywords the clients set: more than any one
// mailbox starts with, so the set of keywords in use grows while
// sessions have the mailbox selected.
var stressKeywords = []imap.Flag{"$Label1", "$Label2", "$Label3", "$Label4", "$Label5", "$Junk", "$NotJunk", "work", "later"}

// stressModel is what the clients together know for sure about the
// mailboxes: the body and internal date of every message any of them
// appended, by the token in its Subject.
type stressModel struct {
	mu     sync.Mutex
	bodies map[string][]byte
	dates  map[string]time.Time
}

func (m *stressModel) add(token string, body []byte, date time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bodies[token], m.dates[token] = body, date
}

func (m *stressModel) get(token string) ([]byte, time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bodies[token]
	return b, m.dates[token], ok
}

// stressClient is one client and its view of the selected mailbox, as
// the server has told it: the number of messages and the flags the
// mailbox may carry. Every response is checked against the view.
type stressClient struct {
	t     *testing.T
	id    int
	c     *imapclient.Client
	rnd   *rand.Rand
	model *stressModel

	mu       sync.Mutex
	base     int    // EXISTS as the unsolicited responses tell it; -1 after SELECT until the next EXISTS
	expunges uint64 // unsolicited EXPUNGEs seen
	problems []string
	latency  map[string][]time.Duration
	wire     wireTail // the last bytes each way, for a problem's context

	// CONDSTORE (stress_modseq_test.go): the checks on the responses,
	// whether this client enables it, the UIDVALIDITY its last SELECT
	// told, the view it will resynchronise, and what all clients share.
	watch       *modseqWatch
	condStore   bool
	expunging   bool // in an EXPUNGE command, whose EXPUNGE responses the view does not see
	uidValidity uint32
	snap        *modseqSnap
	quiet       *stressQuiet
	progress    *stressProgress
	stats       *modseqStats
}

// wireTail keeps the last few KB written to it.
type wireTail struct {
	mu  sync.Mutex
	buf []byte
}

func (w *wireTail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > 8<<10 {
		w.buf = append([]byte(nil), w.buf[len(w.buf)-4<<10:]...)
	}
	return len(p), nil
}

func (w *wireTail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}

func (sc *stressClient) problem(format string, args ...any) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	p := fmt.Sprintf("client %d: ", sc.id) + fmt.Sprintf(format, args...)
	if *stressWire && len(sc.problems) == 0 {
		sc.t.Logf("%s; the client's last protocol lines:\n%s", p, sc.wire.String())
	}
	sc.problems = append(sc.problems, p)
}

// checkFlags reports flags of message seq the mailbox's FLAGS never
// listed (the client library keeps the last FLAGS, in the order the
// responses came). The sequence number of an unsolicited FETCH is not
// checked against EXISTS: the client library hands such a FETCH to its
// handler on a goroutine of its own and reads on, so the count it holds
// then may already include later responses.
func (sc *stressClient) checkFlags(mb *imapclient.SelectedMailbox, seq uint32, flags []imap.Flag) {
	if mb == nil {
		return
	}
	known := flagSet(mb.Flags)
	for _, f := range flags {
		if f == `\Recent` || known[imap.Flag(strings.ToLower(string(f)))] {
			continue
		}
		sc.problem("FETCH shows %s on message %d, which FLAGS never listed", f, seq)
	}
}

func (sc *stressClient) handler() *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages == nil {
				return
			}
			sc.mu.Lock()
			defer sc.mu.Unlock()
			if sc.expunging {
				return
			}
			if sc.base >= 0 && int(*d.NumMessages) < sc.base {
				sc.problems = append(sc.problems, fmt.Sprintf("client %d: EXISTS went down from %d to %d without EXPUNGE", sc.id, sc.base, *d.NumMessages))
			}
			sc.base = int(*d.NumMessages)
		},
		Expunge: func(seq uint32) {
			sc.mu.Lock()
			defer sc.mu.Unlock()
			sc.expunges++
			if sc.base < 0 {
				return
			}
			if seq == 0 || int(seq) > sc.base {
				sc.problems = append(sc.problems, fmt.Sprintf("client %d: EXPUNGE %d of %d", sc.id, seq, sc.base))
				return
			}
			sc.base--
		},
		Fetch: func(msg *imapclient.FetchMessageData) {
			buf, err := msg.Collect()
			if err != nil {
				sc.problem("unsolicited FETCH: %v", err)
				return
			}
			sc.checkFlags(sc.c.Mailbox(), buf.SeqNum, buf.Flags)
		},
	}
}

func flagSet(flags []imap.Flag) map[imap.Flag]bool {
	set := map[imap.Flag]bool{}
	for _, f := range flags {
		set[imap.Flag(strings.ToLower(string(f)))] = true
	}
	return set
}

// gone reports whether the connection ended (the server closed it, or
// the client library gave up on it): a problem of its own, once.
func (sc *stressClient) gone() bool {
	select {
	case <-sc.c.Closed():
		sc.problem("the connection ended")
		return true
	default:
		return false
	}
}

// timed runs op and keeps its latency under name.
func (sc *stressClient) timed(name string, op func() error) error {
	start := time.Now()
	err := op()
	sc.mu.Lock()
	sc.latency[name] = append(sc.latency[name], time.Since(start))
	sc.mu.Unlock()
	return err
}

// view returns the number of messages the client was told of, and how
// many unsolicited EXPUNGEs it has seen so far.
func (sc *stressClient) view() (uint32, uint64) {
	sc.mu.Lock()
	expunges := sc.expunges
	sc.mu.Unlock()
	if mb := sc.c.Mailbox(); mb != nil {
		return mb.NumMessages, expunges
	}
	return 0, expunges
}

// raced reports whether an EXPUNGE came in since view said before: a
// command sent with the older numbers may then name a message the server
// has told the client is gone, and a NO is right.
func (sc *stressClient) raced(before uint64) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.expunges != before
}

// step runs one random command.
func (sc *stressClient) step(box string) {
	n, seen := sc.view()
	switch r := sc.rnd.IntN(100); {
	case r < 20 || n == 0:
		sc.appendOne(box)
	case r < 45:
		sc.fetch(n, seen)
	case r < 70:
		if !sc.condStore || sc.rnd.IntN(2) == 0 || !sc.storeUnchangedSince() {
			sc.store(n, seen)
		}
	case r < 78 && sc.condStore:
		sc.expungeCondStore(box, n, seen)
	case r < 78:
		sc.expunge(box, n, seen)
	case r < 86:
		seq := imap.SeqSetNum(uint32(sc.rnd.IntN(int(n)) + 1))
		if err := sc.timed("COPY", func() error { _, err := sc.c.Copy(seq, "Archive").Wait(); return err }); err != nil && !sc.raced(seen) {
			sc.problem("COPY %v: %v", seq, err)
		}
	case r < 93:
		if err := sc.timed("NOOP", func() error { return sc.c.Noop().Wait() }); err != nil {
			sc.problem("NOOP: %v", err)
		}
	default:
		sc.selectBox(box)
	}
}

func (sc *stressClient) selectBox(box string) {
	if sc.condStore {
		sc.selectCondStore(box)
		return
	}
	sc.watch.selecting(false)
	err := sc.timed("SELECT", func() error { _, err := sc.c.Select(box, nil).Wait(); return err })
	if err != nil {
		sc.problem("SELECT: %v", err)
	}
	sc.mu.Lock()
	sc.base = -1
	sc.mu.Unlock()
}

func (sc *stressClient) appendOne(box string) {
	token := fmt.Sprintf("c%d-%d", sc.id, sc.rnd.Uint64())
	date := time.Date(2020+sc.rnd.IntN(5), time.Month(1+sc.rnd.IntN(12)), 1+sc.rnd.IntN(28), sc.rnd.IntN(24), sc.rnd.IntN(60), 0, 0, time.UTC)
	body := []byte("From: <stress@test>\r\nSubject: " + token + "\r\nDate: " + date.Format(time.RFC1123Z) + "\r\n\r\n" + strings.Repeat(token+" ", 1+sc.rnd.IntN(200)) + "\r\n")
	sc.model.add(token, body, date)
	err := sc.timed("APPEND", func() error {
		cmd := sc.c.Append(box, int64(len(body)), &imap.AppendOptions{Time: date})
		_, werr := cmd.Write(body)
		cerr := cmd.Close() // always: it ends the command's hold on the connection
		_, err := cmd.Wait()
		return errors.Join(werr, cerr, err)
	})
	if err != nil {
		sc.problem("APPEND: %v", err)
	}
}

// fetch reads a random range: every message in the client's view must be
// answered, with the body and internal date it was appended with.
func (sc *stressClient) fetch(n uint32, seen uint64) {
	from := uint32(sc.rnd.IntN(int(n)) + 1)
	to := min(n, from+uint32(sc.rnd.IntN(5)))
	var set imap.SeqSet
	set.AddRange(from, to)
	var msgs []*imapclient.FetchMessageBuffer
	err := sc.timed("FETCH", func() error {
		var err error
		msgs, err = sc.c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		return err
	})
	if err != nil {
		if !sc.raced(seen) {
			sc.problem("FETCH %v (view %d): %v", set, n, err)
		}
		return
	}
	for _, m := range msgs {
		sc.checkFlags(sc.c.Mailbox(), m.SeqNum, m.Flags)
		body := m.FindBodySection(&imap.FetchItemBodySection{Peek: true})
		token := subjectToken(body)
		want, date, ok := sc.model.get(token)
		switch {
		case !ok:
			sc.problem("FETCH %d: a message no client appended (%.60q)", m.SeqNum, body)
		case !bytes.Equal(body, want):
			sc.problem("FETCH %d (%s): body differs from what was appended", m.SeqNum, token)
		case !m.InternalDate.Equal(date):
			sc.problem("FETCH %d (%s): INTERNALDATE %v, appended with %v", m.SeqNum, token, m.InternalDate, date)
		}
	}
}

// expungeIssued reports a NO [EXPUNGEISSUED].
func expungeIssued(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && ie.Code == "EXPUNGEISSUED"
}

func subjectToken(body []byte) string {
	_, rest, ok := bytes.Cut(body, []byte("Subject: "))
	if !ok {
		return ""
	}
	token, _, _ := bytes.Cut(rest, []byte("\r\n"))
	return string(token)
}

func (sc *stressClient) store(n uint32, seen uint64) {
	seq := imap.SeqSetNum(uint32(sc.rnd.IntN(int(n)) + 1))
	flags := []imap.Flag{stressKeywords[sc.rnd.IntN(len(stressKeywords))]}
	if sc.rnd.IntN(3) == 0 {
		flags = append(flags, imap.FlagSeen)
	}
	op := []imap.StoreFlagsOp{imap.StoreFlagsAdd, imap.StoreFlagsDel, imap.StoreFlagsSet}[sc.rnd.IntN(3)]
	var msgs []*imapclient.FetchMessageBuffer
	err := sc.timed("STORE", func() error {
		var err error
		msgs, err = sc.c.Store(seq, &imap.StoreFlags{Op: op, Flags: flags}, nil).Collect()
		return err
	})
	if err != nil {
		// RFC 2180 4.2: a STORE on a message another session expunged,
		// before this one was told, may be refused so.
		if !sc.raced(seen) && !expungeIssued(err) {
			sc.problem("STORE %v: %v", seq, err)
		}
		return
	}
	for _, m := range msgs {
		sc.checkFlags(sc.c.Mailbox(), m.SeqNum, m.Flags)
	}
}

// markDeleted sets \Deleted on a random one of the n messages and reports
// whether it did.
func (sc *stressClient) markDeleted(n uint32, seen uint64) bool {
	seq := imap.SeqSetNum(uint32(sc.rnd.IntN(int(n)) + 1))
	if err := sc.timed("STORE", func() error {
		return sc.c.Store(seq, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	}); err != nil {
		if !sc.raced(seen) && !expungeIssued(err) {
			sc.problem("STORE \\Deleted %v: %v", seq, err)
		}
		return false
	}
	return true
}

// expunge deletes a random message. It expunges with CLOSE and selects
// the mailbox again: the client library hands the EXPUNGE responses to an
// EXPUNGE command to that command rather than to the view, and the other
// clients see the expunges as unsolicited responses all the same.
func (sc *stressClient) expunge(box string, n uint32, seen uint64) {
	if !sc.markDeleted(n, seen) {
		return
	}
	if err := sc.timed("EXPUNGE", func() error { return sc.c.UnselectAndExpunge().Wait() }); err != nil {
		sc.problem("CLOSE: %v", err)
	}
	sc.selectBox(box)
}

// TestStressManyClients runs ten clients doing random SELECT, FETCH,
// STORE, EXPUNGE, APPEND, COPY and NOOP on one mailbox at once. Each
// checks every response against what the server told it (sequence
// numbers, EXISTS and EXPUNGE, keywords announced in FLAGS) and against
// what the clients appended (bodies, internal dates); there must be no
// problem at all. Half of them enable CONDSTORE and, with a QRESYNC
// client beside them, check MODSEQ and resynchronisation
// (stress_modseq_test.go). It logs the latency of each command.
func TestStressManyClients(t *testing.T) {
	e := newEnv(t)
	model := &stressModel{bodies: map[string][]byte{}, dates: map[string]time.Time{}}
	quiet, progress, stats := &stressQuiet{}, newStressProgress(), &modseqStats{}
	newClient := func(i int) *stressClient {
		return &stressClient{t: t, id: i, rnd: rand.New(rand.NewPCG(uint64(i), 7)), model: model, base: -1, latency: map[string][]time.Duration{},
			condStore: i%2 == 1, quiet: quiet, progress: progress, stats: stats}
	}
	clients := make([]*stressClient, stressClients)
	for i := range clients {
		sc := newClient(i)
		start := time.Now()
		conn, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		sc.watch = &modseqWatch{Conn: conn, problem: sc.problem, wire: &sc.wire}
		c := imapclient.New(sc.watch, &imapclient.Options{UnilateralDataHandler: sc.handler()})
		t.Cleanup(func() { c.Close() })
		if err := c.Login(testUser, testPass).Wait(); err != nil {
			t.Fatal(err)
		}
		sc.c = c
		sc.latency["LOGIN"] = append(sc.latency["LOGIN"], time.Since(start))
		sc.selectBox("INBOX")
		clients[i] = sc
	}
	resyncer := &stressResyncer{sc: newClient(stressClients), addr: e.addr}
	deadline := time.Now().Add(*stressFor)
	// A client stuck in a command (the server never answered) is a
	// problem; closing its connection lets the test end and say so.
	watchdog := time.AfterFunc(*stressFor+15*time.Second, func() {
		for _, sc := range clients {
			sc.problem("still in a command 15 s after the run ended")
			sc.c.Close()
		}
	})
	defer watchdog.Stop()
	var wg sync.WaitGroup
	for _, sc := range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) && !sc.gone() {
				switch {
				case sc.snap != nil && progress.count() >= sc.snap.after:
					sc.resync()
				case sc.condStore && sc.snap == nil && sc.rnd.IntN(30) == 0:
					quiet.RLock()
					sc.record()
					quiet.RUnlock()
				}
				quiet.RLock()
				sc.step("INBOX")
				quiet.RUnlock()
				progress.step()
			}
		})
	}
	wg.Go(func() { resyncer.run(deadline) })
	wg.Wait()
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("server: %s", line)
		}
	}

	all := map[string][]time.Duration{}
	var problems []string
	for _, sc := range append(clients, resyncer.sc) {
		problems = append(problems, sc.problems...)
		for name, ds := range sc.latency {
			all[name] = append(all[name], ds...)
		}
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	sort.Strings(names)
	total := 0
	for _, name := range names {
		ds := all[name]
		slices.Sort(ds)
		total += len(ds)
		t.Logf("%-8s %6d  median %6.2f ms  p95 %6.2f ms  max %7.2f ms", name, len(ds),
			ms(ds[len(ds)/2]), ms(ds[len(ds)*95/100]), ms(ds[len(ds)-1]))
	}
	t.Logf("%d clients and a QRESYNC client, %d commands in %v", stressClients, total, *stressFor)
	t.Logf("CONDSTORE: %v", stats)
	if len(problems) > 0 {
		t.Errorf("%d problems, by kind:\n%s", len(problems), problemKinds(problems))
	}
}

// problemKinds counts problems by their text with numbers, keywords and
// tokens blotted out, most frequent first, with one example of each.
func problemKinds(problems []string) string {
	blot := regexp.MustCompile(`\$?[A-Za-z]*[0-9][0-9A-Za-z-]*|\$[A-Za-z]+|\b(work|later)\b`)
	count, example := map[string]int{}, map[string]string{}
	for _, p := range problems {
		k := blot.ReplaceAllString(p, "#")
		if count[k]++; count[k] == 1 {
			example[k] = p
		}
	}
	kinds := make([]string, 0, len(count))
	for k := range count {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return count[kinds[i]] > count[kinds[j]] })
	var b strings.Builder
	for _, k := range kinds[:min(len(kinds), 15)] {
		fmt.Fprintf(&b, "%7d× %s\n", count[k], example[k])
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
