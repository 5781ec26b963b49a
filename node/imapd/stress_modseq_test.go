package imapd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// CONDSTORE and QRESYNC (RFC 7162) in TestStressManyClients. Every
// client's connection passes through a modseqWatch, which reads the
// server's responses in the order they arrive, as the client library
// does, and checks what RFC 7162 says of their order: a CONDSTORE client
// gets a MODSEQ with every FLAGS, the MODSEQ of a message never goes
// down, nor the HIGHESTMODSEQ told within one SELECT; a client without
// CONDSTORE gets neither. The CONDSTORE clients also resynchronise a view
// of the mailbox they recorded earlier with FETCH (CHANGEDSINCE), and
// store with UNCHANGEDSINCE; a QRESYNC client on a raw connection
// resynchronises with SELECT (QRESYNC) and UID FETCH (CHANGEDSINCE
// VANISHED). A resynchronisation takes the mailbox to itself (stressQuiet)
// for its last command and the full UID FETCH that checks it, so the two
// see the same mailbox.

// respEvent is one server response, as far as the checks need it.
type respEvent struct {
	kind   string // FETCH, EXPUNGE, EXISTS, VANISHED, EARLIER (VANISHED (EARLIER)), TAGGED, OTHER
	seq    uint32
	uid    uint32
	flags  string // sorted, lower case, without \Recent; only if hasFlags
	hasFl  bool
	modSeq uint64 // 0 if none
	uids   []uint32
	// code is the response code's name and its argument, if any
	// ("HIGHESTMODSEQ", "57").
	code, codeArg string
	line          string
}

var (
	respFetch    = regexp.MustCompile(`^\* (\d+) FETCH \((.*)\)$`)
	respUID      = regexp.MustCompile(`(?:^|[ (])UID (\d+)`)
	respFlags    = regexp.MustCompile(`(?:^|[ (])FLAGS \(([^)]*)\)`)
	respModSeq   = regexp.MustCompile(`(?:^|[ (])MODSEQ \((\d+)\)`)
	respNumbered = regexp.MustCompile(`^\* (\d+) (EXPUNGE|EXISTS)$`)
	respVanished = regexp.MustCompile(`^\* VANISHED (\(EARLIER\) )?([0-9:,]+)$`)
	respCode     = regexp.MustCompile(`^\S+ (?:OK|NO|BAD) \[([A-Z-]+)(?: ([^\]]*))?\]`)
)

// parseResp reads one response line (literals already left out).
func parseResp(line string) respEvent {
	ev := respEvent{kind: "OTHER", line: line}
	if m := respCode.FindStringSubmatch(line); m != nil {
		ev.code, ev.codeArg = m[1], m[2]
	}
	if !strings.HasPrefix(line, "* ") && !strings.HasPrefix(line, "+") {
		ev.kind = "TAGGED"
		return ev
	}
	if m := respFetch.FindStringSubmatch(line); m != nil {
		ev.kind = "FETCH"
		ev.seq = atou32(m[1])
		if u := respUID.FindStringSubmatch(m[2]); u != nil {
			ev.uid = atou32(u[1])
		}
		if f := respFlags.FindStringSubmatch(m[2]); f != nil {
			ev.hasFl, ev.flags = true, normFlags(f[1])
		}
		if s := respModSeq.FindStringSubmatch(m[2]); s != nil {
			ev.modSeq, _ = strconv.ParseUint(s[1], 10, 64)
		}
		return ev
	}
	if m := respNumbered.FindStringSubmatch(line); m != nil {
		ev.kind, ev.seq = m[2], atou32(m[1])
		return ev
	}
	if m := respVanished.FindStringSubmatch(line); m != nil {
		ev.kind = "VANISHED"
		if m[1] != "" {
			ev.kind = "EARLIER"
		}
		ev.uids = parseUIDList(m[2])
	}
	return ev
}

func atou32(s string) uint32 {
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint32(n)
}

// parseUIDList expands a sequence set without "*", as VANISHED and
// MODIFIED carry them.
func parseUIDList(s string) []uint32 {
	var out []uint32
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, b := atou32(lo), atou32(lo)
		if isRange {
			b = atou32(hi)
		}
		if a > b {
			a, b = b, a
		}
		for u := a; u <= b && u != 0; u++ {
			out = append(out, u)
		}
	}
	return out
}

// normFlags puts a flag list in one form to compare: lower case, sorted,
// without \Recent (which belongs to one session, RFC 3501 2.3.2).
func normFlags(list string) string {
	var fs []string
	for _, f := range strings.Fields(strings.ToLower(list)) {
		if f != `\recent` {
			fs = append(fs, f)
		}
	}
	slices.Sort(fs)
	return strings.Join(fs, " ")
}

// modseqRules checks the order of one session's responses: MODSEQ with
// FLAGS once CONDSTORE is on, no MODSEQ before; a message's MODSEQ never going
// down; HIGHESTMODSEQ never going down within one SELECT.
type modseqRules struct {
	condStore bool              // CONDSTORE enabled (SELECT (CONDSTORE) or ENABLE QRESYNC sent)
	modSeq    map[uint32]uint64 // highest MODSEQ seen per UID
	uids      []uint32          // the UIDs in modSeq, in the order first seen
	highest   uint64            // HIGHESTMODSEQ told since the last SELECT
}

func (r *modseqRules) check(ev respEvent, problem func(string, ...any)) {
	if r.modSeq == nil {
		r.modSeq = map[uint32]uint64{}
	}
	if ev.code == "HIGHESTMODSEQ" {
		h, _ := strconv.ParseUint(ev.codeArg, 10, 64)
		// SELECT tells it with CONDSTORE or without (RFC 7162 3.1.2.1).
		if h < r.highest {
			problem("HIGHESTMODSEQ went down from %d to %d within one SELECT: %q", r.highest, h, ev.line)
		}
		r.highest = max(r.highest, h)
	}
	if ev.kind != "FETCH" {
		return
	}
	switch {
	case !r.condStore && ev.modSeq != 0:
		problem("FETCH with MODSEQ without CONDSTORE: %q", ev.line)
	case r.condStore && ev.hasFl && ev.modSeq == 0:
		problem("FETCH with FLAGS but no MODSEQ: %q", ev.line)
	}
	if ev.uid == 0 || ev.modSeq == 0 {
		return
	}
	old, ok := r.modSeq[ev.uid]
	if !ok {
		r.uids = append(r.uids, ev.uid)
	}
	if ev.modSeq < old {
		problem("MODSEQ of UID %d went down from %d to %d: %q", ev.uid, old, ev.modSeq, ev.line)
	}
	r.modSeq[ev.uid] = max(old, ev.modSeq)
}

// modseqWatch is a connection that parses what the server sends as the
// client library reads it (so in order) and checks it with modseqRules.
// Between capture and take it keeps the responses, for the one command a
// client has in flight.
type modseqWatch struct {
	net.Conn
	problem func(string, ...any)
	wire    io.Writer // gets the bytes each way, before they are checked

	mu        sync.Mutex
	line      []byte // the response line read so far, literals left out
	literal   int    // bytes of a literal still to skip
	rules     modseqRules
	tagged    respEvent // the last tagged response
	capturing bool
	events    []respEvent
}

var respLiteral = regexp.MustCompile(`~?\{(\d+)\+?\}$`)

func (w *modseqWatch) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.wire.Write(p[:n])
	w.feed(p[:n])
	return n, err
}

func (w *modseqWatch) Write(p []byte) (int, error) {
	w.wire.Write(p)
	return w.Conn.Write(p)
}

func (w *modseqWatch) feed(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(b) > 0 {
		if w.literal > 0 {
			k := min(w.literal, len(b))
			w.literal -= k
			b = b[k:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.line = append(w.line, b...)
			return
		}
		w.line = append(w.line, b[:i]...)
		b = b[i+1:]
		l := strings.TrimSuffix(string(w.line), "\r")
		if m := respLiteral.FindStringSubmatch(l); m != nil {
			w.literal, _ = strconv.Atoi(m[1])
			w.line = append(w.line[:0:0], l...) // the line goes on after the literal
			continue
		}
		w.line = w.line[:0]
		ev := parseResp(l)
		w.rules.check(ev, w.problem)
		if ev.kind == "TAGGED" {
			w.tagged = ev
		}
		if w.capturing {
			w.events = append(w.events, ev)
		}
	}
}

// selecting marks the start of a SELECT: HIGHESTMODSEQ starts afresh.
func (w *modseqWatch) selecting(condStore bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rules.highest = 0
	w.rules.condStore = w.rules.condStore || condStore
}

func (w *modseqWatch) capture() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.capturing, w.events = true, nil
}

func (w *modseqWatch) take() []respEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	ev := w.events
	w.capturing, w.events = false, nil
	return ev
}

func (w *modseqWatch) lastTagged() respEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tagged
}

func (w *modseqWatch) highest() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rules.highest
}

// pick returns a UID the client has seen a MODSEQ for, and that MODSEQ.
func (w *modseqWatch) pick(rnd *rand.Rand) (uint32, uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.rules.uids) == 0 {
		return 0, 0
	}
	u := w.rules.uids[rnd.IntN(len(w.rules.uids))]
	return u, w.rules.modSeq[u]
}

// stressQuiet lets a resynchronisation have the mailbox to itself: the
// clients hold it for reading around each command, a resynchronisation
// for writing around its last command and the full fetch after.
type stressQuiet = sync.RWMutex

// stressProgress counts the commands the clients have completed, so a
// resynchronisation can wait for the others to have done some work.
type stressProgress struct {
	mu   sync.Mutex
	n    int
	wake chan struct{} // closed and replaced at every step
}

func newStressProgress() *stressProgress { return &stressProgress{wake: make(chan struct{})} }

func (p *stressProgress) step() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	close(p.wake)
	p.wake = make(chan struct{})
}

func (p *stressProgress) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// reach waits until n steps are done; false if deadline comes first.
func (p *stressProgress) reach(n int, deadline time.Time) bool {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		p.mu.Lock()
		done, wake := p.n >= n, p.wake
		p.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-wake:
		case <-timer.C:
			return false
		}
	}
}

// modseqStats counts the CONDSTORE checks made, for the run's log.
type modseqStats struct {
	changedSince, vanished, qresync atomic.Int64 // resynchronisations by kind
	resyncChanged                   atomic.Int64 // messages reported changed in them
	resyncVanished                  atomic.Int64 // UIDs reported vanished in them
	condStores, modified            atomic.Int64 // STOREs with UNCHANGEDSINCE, and those answered MODIFIED
	expunges                        atomic.Int64 // EXPUNGEs whose OK carried HIGHESTMODSEQ
}

func (s *modseqStats) String() string {
	return fmt.Sprintf("resynchronisations: %d CHANGEDSINCE, %d CHANGEDSINCE VANISHED, %d SELECT QRESYNC (%d changed, %d vanished UIDs applied); "+
		"%d STORE UNCHANGEDSINCE (%d MODIFIED); %d EXPUNGE with HIGHESTMODSEQ",
		s.changedSince.Load(), s.vanished.Load(), s.qresync.Load(), s.resyncChanged.Load(), s.resyncVanished.Load(),
		s.condStores.Load(), s.modified.Load(), s.expunges.Load())
}

// modseqSnap is a view of the mailbox recorded to be resynchronised later.
type modseqSnap struct {
	uidValidity uint32
	modSeq      uint64
	flags       map[uint32]string // UID → normalised flags
	after       int               // resynchronise once the clients have done this many steps
}

// viewOf returns the UID → flags of the FETCH responses in events, the
// last one of a UID winning.
func viewOf(events []respEvent) map[uint32]string {
	v := map[uint32]string{}
	for _, ev := range events {
		if ev.kind == "FETCH" && ev.uid != 0 && ev.hasFl {
			v[ev.uid] = ev.flags
		}
	}
	return v
}

// applyResync applies a resynchronisation's responses to view in order:
// FETCH sets a message's flags, VANISHED removes UIDs.
func applyResync(view map[uint32]string, events []respEvent, stats *modseqStats) {
	for _, ev := range events {
		switch {
		case ev.kind == "FETCH" && ev.uid != 0 && ev.hasFl:
			view[ev.uid] = ev.flags
			stats.resyncChanged.Add(1)
		case ev.kind == "VANISHED" || ev.kind == "EARLIER":
			for _, u := range ev.uids {
				delete(view, u)
			}
			stats.resyncVanished.Add(int64(len(ev.uids)))
		}
	}
}

// compareViews reports how a resynchronised view differs from the full
// fetch. Without VANISHED a client cannot learn of expunges, so exact
// says whether the view may hold UIDs the mailbox no longer has.
func compareViews(how string, snap *modseqSnap, got, full map[uint32]string, exact bool, problem func(string, ...any)) {
	uids := make([]uint32, 0, len(full))
	for u := range full {
		uids = append(uids, u)
	}
	slices.Sort(uids)
	for _, u := range uids {
		g, ok := got[u]
		switch {
		case !ok:
			problem("%s from MODSEQ %d: UID %d (flags %q) missing from the resynchronised view", how, snap.modSeq, u, full[u])
		case g != full[u]:
			problem("%s from MODSEQ %d: UID %d has flags %q resynchronised, %q in a full fetch", how, snap.modSeq, u, g, full[u])
		}
	}
	if !exact {
		return
	}
	for u := range got {
		if _, ok := full[u]; !ok {
			problem("%s from MODSEQ %d: UID %d still in the resynchronised view, not in a full fetch", how, snap.modSeq, u)
		}
	}
}

// selectCondStore selects box with CONDSTORE; the SELECT must tell a
// HIGHESTMODSEQ.
func (sc *stressClient) selectCondStore(box string) {
	sc.watch.selecting(true)
	var data *imap.SelectData
	err := sc.timed("SELECT", func() error {
		var err error
		data, err = sc.c.Select(box, &imap.SelectOptions{CondStore: true}).Wait()
		return err
	})
	if err != nil {
		sc.problem("SELECT (CONDSTORE): %v", err)
	} else if data.HighestModSeq == 0 {
		sc.problem("SELECT (CONDSTORE) told no HIGHESTMODSEQ")
	} else {
		sc.uidValidity = data.UIDValidity
	}
	sc.mu.Lock()
	sc.base, sc.expunging = -1, false
	sc.mu.Unlock()
}

// allUIDs is UID 1:*.
var allUIDs = imap.UIDSet{{Start: 1, Stop: 0}}

// record takes the client's HIGHESTMODSEQ and then its full view of the
// mailbox, to resynchronise later.
func (sc *stressClient) record() {
	h := sc.watch.highest()
	if h == 0 || sc.uidValidity == 0 {
		return
	}
	sc.watch.capture()
	err := sc.timed("FETCH", func() error {
		return sc.c.Fetch(allUIDs, &imap.FetchOptions{UID: true, Flags: true}).Close()
	})
	events := sc.watch.take()
	if err != nil {
		sc.problem("UID FETCH 1:* (FLAGS): %v", err)
		return
	}
	sc.snap = &modseqSnap{uidValidity: sc.uidValidity, modSeq: h, flags: viewOf(events), after: sc.progress.count() + 10 + sc.rnd.IntN(60)}
}

// resync brings the recorded view up to date with UID FETCH (CHANGEDSINCE)
// and compares it with a full UID FETCH right after. Expunges are not
// reported so, so only the flags of the messages still there are compared.
func (sc *stressClient) resync() {
	snap := sc.snap
	sc.snap = nil
	if snap.uidValidity != sc.uidValidity {
		sc.problem("UIDVALIDITY changed from %d to %d", snap.uidValidity, sc.uidValidity)
		return
	}
	sc.quiet.Lock()
	defer sc.quiet.Unlock()
	// Whatever the session has not been told yet (new messages in
	// particular) is told now; the view takes nothing from it.
	if err := sc.c.Noop().Wait(); err != nil {
		sc.problem("NOOP: %v", err)
		return
	}
	sc.watch.capture()
	err := sc.timed("RESYNC", func() error {
		return sc.c.Fetch(allUIDs, &imap.FetchOptions{UID: true, Flags: true, ChangedSince: snap.modSeq}).Close()
	})
	changed := sc.watch.take()
	if err != nil {
		sc.problem("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d): %v", snap.modSeq, err)
		return
	}
	sc.watch.capture()
	err = sc.c.Fetch(allUIDs, &imap.FetchOptions{UID: true, Flags: true}).Close()
	full := sc.watch.take()
	if err != nil {
		sc.problem("UID FETCH 1:* (FLAGS): %v", err)
		return
	}
	sc.stats.changedSince.Add(1)
	applyResync(snap.flags, changed, sc.stats)
	compareViews("UID FETCH (CHANGEDSINCE)", snap, snap.flags, viewOf(full), false, sc.problem)
}

// storeUnchangedSince stores on a UID with UNCHANGEDSINCE the MODSEQ the
// client last saw for it. A MODIFIED answer may only name that UID, and
// only if its MODSEQ is now above the one given.
func (sc *stressClient) storeUnchangedSince() bool {
	uid, m := sc.watch.pick(sc.rnd)
	if uid == 0 {
		return false
	}
	flags := []imap.Flag{stressKeywords[sc.rnd.IntN(len(stressKeywords))]}
	op := []imap.StoreFlagsOp{imap.StoreFlagsAdd, imap.StoreFlagsDel, imap.StoreFlagsSet}[sc.rnd.IntN(3)]
	var msgs []*imapclient.FetchMessageBuffer
	err := sc.timed("CSTORE", func() error {
		var err error
		msgs, err = sc.c.Store(imap.UIDSetNum(imap.UID(uid)), &imap.StoreFlags{Op: op, Flags: flags}, &imap.StoreOptions{UnchangedSince: m}).Collect()
		return err
	})
	if err != nil {
		if !expungeIssued(err) {
			sc.problem("UID STORE %d (UNCHANGEDSINCE %d): %v", uid, m, err)
		}
		return true
	}
	for _, msg := range msgs {
		sc.checkFlags(sc.c.Mailbox(), msg.SeqNum, msg.Flags)
	}
	sc.stats.condStores.Add(1)
	ok := sc.watch.lastTagged()
	if ok.code != "MODIFIED" {
		return true
	}
	sc.stats.modified.Add(1)
	for _, u := range parseUIDList(ok.codeArg) {
		if u != uid {
			sc.problem("UID STORE %d (UNCHANGEDSINCE %d) answered MODIFIED %s", uid, m, ok.codeArg)
			return true
		}
	}
	got, err := sc.c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{UID: true, ModSeq: true}).Collect()
	if err != nil {
		sc.problem("UID FETCH %d (MODSEQ): %v", uid, err)
		return true
	}
	for _, msg := range got {
		if msg.UID == imap.UID(uid) && msg.ModSeq <= m {
			sc.problem("UID STORE %d (UNCHANGEDSINCE %d) answered MODIFIED, but its MODSEQ is %d", uid, m, msg.ModSeq)
		}
	}
	return true
}

// expungeCondStore deletes a random message with EXPUNGE, whose OK must
// carry HIGHESTMODSEQ, and selects the mailbox again (see expunge).
func (sc *stressClient) expungeCondStore(box string, n uint32, seen uint64) {
	if !sc.markDeleted(n, seen) {
		return
	}
	// The EXPUNGE command takes the EXPUNGE responses to itself, so the
	// count of messages is not followed until the next SELECT.
	sc.mu.Lock()
	sc.base, sc.expunging = -1, true
	sc.mu.Unlock()
	if err := sc.timed("EXPUNGE", func() error { return sc.c.Expunge().Close() }); err != nil {
		sc.problem("EXPUNGE: %v", err)
	} else if ok := sc.watch.lastTagged(); ok.code != "HIGHESTMODSEQ" {
		sc.problem("EXPUNGE answered %q, without HIGHESTMODSEQ", ok.line)
	} else {
		sc.stats.expunges.Add(1)
	}
	sc.selectBox(box)
}

// lineConn is a raw IMAP connection for the QRESYNC client, which the
// client library cannot be (it does not parse VANISHED).
type lineConn struct {
	c     net.Conn
	br    *bufio.Reader
	n     int
	rules modseqRules
}

func dialLine(addr string) (*lineConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &lineConn{c: c, br: bufio.NewReader(c)}
	if g, err := l.read(); err != nil || !strings.HasPrefix(g, "* OK") {
		c.Close()
		return nil, fmt.Errorf("greeting %q: %v", g, err)
	}
	return l, nil
}

func (l *lineConn) read() (string, error) {
	l.c.SetReadDeadline(time.Now().Add(15 * time.Second))
	s, err := l.br.ReadString('\n')
	return strings.TrimSuffix(s, "\r\n"), err
}

// cmd sends a command and returns its responses, checked by modseqRules;
// an answer other than OK is an error.
func (l *lineConn) cmd(problem func(string, ...any), format string, args ...any) ([]respEvent, error) {
	l.n++
	tag := fmt.Sprintf("q%d", l.n)
	line := tag + " " + fmt.Sprintf(format, args...)
	if _, err := l.c.Write([]byte(line + "\r\n")); err != nil {
		return nil, err
	}
	var events []respEvent
	for {
		s, err := l.read()
		if err != nil {
			return events, fmt.Errorf("%s: %v", line, err)
		}
		if respLiteral.MatchString(s) {
			return events, fmt.Errorf("%s: unexpected literal in %q", line, s)
		}
		ev := parseResp(s)
		l.rules.check(ev, problem)
		events = append(events, ev)
		if strings.HasPrefix(s, tag+" ") {
			if !strings.HasPrefix(s, tag+" OK") {
				return events, fmt.Errorf("%s: %s", line, s)
			}
			return events, nil
		}
	}
}

// open logs in, enables QRESYNC and, with sel, selects INBOX with it.
func (l *lineConn) open(problem func(string, ...any), sel string) ([]respEvent, error) {
	if _, err := l.cmd(problem, `LOGIN %s "%s"`, testUser, testPass); err != nil {
		return nil, err
	}
	if _, err := l.cmd(problem, "ENABLE QRESYNC"); err != nil {
		return nil, err
	}
	l.rules.condStore = true
	l.rules.highest = 0
	return l.cmd(problem, "%s", sel)
}

// stressResyncer is the QRESYNC client: it records its view of INBOX,
// waits for the other clients to change the mailbox, and resynchronises,
// alternately by SELECT (QRESYNC) in a new session and by UID FETCH
// (CHANGEDSINCE VANISHED) in the same one.
type stressResyncer struct {
	sc   *stressClient // for problems, latency and the shared parts
	addr string
}

func (r *stressResyncer) run(deadline time.Time) {
	for time.Now().Before(deadline) && r.once(deadline) {
	}
}

// once records, waits and resynchronises; false when the run is over.
func (r *stressResyncer) once(deadline time.Time) bool {
	sc := r.sc
	a, err := dialLine(r.addr)
	if err != nil {
		sc.problem("connect: %v", err)
		return false
	}
	defer a.c.Close()
	sel, err := a.open(sc.problem, "SELECT INBOX")
	if err != nil {
		sc.problem("%v", err)
		return false
	}
	snap := &modseqSnap{}
	for _, ev := range sel {
		switch ev.code {
		case "UIDVALIDITY":
			snap.uidValidity = atou32(ev.codeArg)
		case "HIGHESTMODSEQ":
			snap.modSeq, _ = strconv.ParseUint(ev.codeArg, 10, 64)
		}
	}
	if snap.uidValidity == 0 || snap.modSeq == 0 {
		sc.problem("SELECT with QRESYNC enabled told UIDVALIDITY %d, HIGHESTMODSEQ %d", snap.uidValidity, snap.modSeq)
		return false
	}
	all, err := a.cmd(sc.problem, "UID FETCH 1:* (FLAGS)")
	if err != nil {
		sc.problem("%v", err)
		return false
	}
	snap.flags = viewOf(all)
	if !sc.progress.reach(sc.progress.count()+10+sc.rnd.IntN(60), deadline) {
		return false
	}

	var how string
	var got []respEvent
	b := a
	if sc.rnd.IntN(2) == 0 {
		how = "SELECT (QRESYNC)"
		if b, err = dialLine(r.addr); err != nil {
			sc.problem("connect: %v", err)
			return false
		}
		defer b.c.Close()
		if _, err := b.open(sc.problem, "NOOP"); err != nil {
			sc.problem("%v", err)
			return false
		}
		known := ""
		if sc.rnd.IntN(2) == 0 {
			known = " " + uidList(snap.flags)
		}
		sc.quiet.Lock()
		defer sc.quiet.Unlock()
		b.rules.highest = 0
		err = sc.timed("RESYNC", func() error {
			var err error
			got, err = b.cmd(sc.problem, "SELECT INBOX (QRESYNC (%d %d%s))", snap.uidValidity, snap.modSeq, known)
			return err
		})
		sc.stats.qresync.Add(1)
	} else {
		how = "UID FETCH (CHANGEDSINCE VANISHED)"
		sc.quiet.Lock()
		defer sc.quiet.Unlock()
		// What the session has not been told yet is told now, and not
		// taken into the view.
		if _, err := a.cmd(sc.problem, "NOOP"); err != nil {
			sc.problem("%v", err)
			return false
		}
		err = sc.timed("RESYNC", func() error {
			var err error
			got, err = a.cmd(sc.problem, "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)", snap.modSeq)
			return err
		})
		sc.stats.vanished.Add(1)
	}
	if err != nil {
		sc.problem("%v", err)
		return false
	}
	full, err := b.cmd(sc.problem, "UID FETCH 1:* (FLAGS)")
	if err != nil {
		sc.problem("%v", err)
		return false
	}
	applyResync(snap.flags, got, sc.stats)
	compareViews(how, snap, snap.flags, viewOf(full), true, sc.problem)
	return true
}

// uidList writes the UIDs of view as a sequence set.
func uidList(view map[uint32]string) string {
	var set imap.UIDSet
	for u := range view {
		set.AddNum(imap.UID(u))
	}
	if len(set) == 0 {
		return "1"
	}
	return set.String()
}
