// Command yggpost runs a Yggpost node: email over the Yggdrasil mesh with the
// mailbox on this machine, served to ordinary mail clients over IMAP and SMTP
// on loopback, and over TLS to other devices (-imaps, -submissions, and
// STARTTLS on -imap and -smtp); SIGHUP reads the -tls-cert files again.
//
// With -relay the node also holds mail for members that are offline; it
// logs a "relay status" line at start and every 10 minutes, and prints the
// figures as a table on stdout on SIGUSR1.
//
// Exit codes: 0 success, 1 the node failed while running, 2 bad flags or
// configuration, 3 the database could not be opened.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/yggpost/yggpost/internal/loglevel"
	"github.com/yggpost/yggpost/node"
)

const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
	exitStore   = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// listFlag collects a flag given several times, or once with commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

type options struct {
	cfg          node.Config
	setPassword  bool
	passwordHash string
	printAddress bool
	dclogin      bool
	setup        setupFlags
	tls          tlsFlags
	verbose      bool
	relay        relayFlags
	backup       backupFlags
	reload       *reloader
	mailfile     mailFileFlags
	imports      importFlags
	conf         confFlags
	metrics      metricsFlags
}

func parseFlags(args []string, stderr io.Writer) (options, []string, error) {
	return parseFlagsFrom(args, nil, stderr)
}

// parseFlagsFrom is parseFlags with the stdin -useconf reads.
func parseFlagsFrom(args []string, stdin io.Reader, stderr io.Writer) (options, []string, error) {
	o := options{reload: &reloader{}}
	var peers, listen listFlag
	fs := flag.NewFlagSet("yggpost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, stderr) }
	fs.StringVar(&o.cfg.Database, "database", node.DefaultDatabase, "mailbox database directory (Badger)")
	fs.StringVar(&o.cfg.SMTPAddr, "smtp", node.DefaultSMTPAddr, "SMTP submission listen address for mail clients")
	fs.StringVar(&o.cfg.IMAPAddr, "imap", node.DefaultIMAPAddr, "IMAP listen address for mail clients")
	fs.Var(&peers, "peer", "connect to a Yggdrasil peer, tcp://host:port or tls://host:port (repeatable)")
	fs.Var(&listen, "listen", "accept Yggdrasil peerings on a URL such as tcp://0.0.0.0:9001 (repeatable)")
	fs.BoolVar(&o.cfg.Multicast, "multicast", false, "discover nodes on the local network")
	fs.StringVar(&o.cfg.MulticastRegexp, "mcastregexp", ".*", "regexp of interface names to use for multicast")
	fs.BoolVar(&o.setPassword, "password", false, "set the IMAP/SMTP password (prompts, or reads one line from stdin) and exit")
	fs.StringVar(&o.passwordHash, "passwordhash", "", "set the IMAP/SMTP password from a bcrypt hash and exit")
	fs.BoolVar(&o.printAddress, "address", false, "print this node's mail address and exit")
	fs.BoolVar(&o.dclogin, "dclogin", false, "ask for the password, then print the account settings, a Delta Chat dclogin: link and its QR code, and exit")
	fs.BoolVar(&o.verbose, "v", false, "log debug detail")
	o.relay.register(fs)
	o.backup.register(fs)
	o.imports.register(fs)
	o.setup.register(fs)
	o.tls.register(fs, &o.cfg)
	o.mailfile.register(fs)
	o.conf.register(fs)
	o.metrics.register(fs)
	if err := fs.Parse(args); err != nil {
		return o, nil, err
	}
	o.cfg.Peers, o.cfg.Listen = peers, listen
	o.tls.apply(&o.cfg)
	o.metrics.apply(&o.cfg)
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.conf.use(&o, set, stdin); err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		return o, nil, err
	}
	if err := oneAction(set); err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		return o, nil, err
	}
	if err := o.relay.apply(set, &o.cfg); err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		return o, nil, err
	}
	return o, fs.Args(), nil
}

// actions are the flags that do one thing and exit instead of running the
// node.
var actions = []string{"password", "passwordhash", "address", "dclogin", "setup", "tls-fingerprint",
	"relay-invite", "backup", "restore", "export", "import-maildir", "import-mbox", "import-yggmail", "genconf"}

// oneAction refuses two actions at once: one would be done and the other
// silently skipped.
func oneAction(set map[string]bool) error {
	var given []string
	for _, a := range actions {
		if set[a] {
			given = append(given, "-"+a)
		}
	}
	if len(given) > 1 {
		return fmt.Errorf("%s do one thing each: give one of them at a time", strings.Join(given, " and "))
	}
	return nil
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `Usage:
  yggpost [flags]             run a node
  yggpost demo                run two nodes on loopback and send a first message
  yggpost demo relay          show a relay holding mail for a member who is offline
  yggpost -genconf > FILE     write a configuration file with every setting documented
  yggpost -useconffile FILE   run a node with it (flags given as well win over it)
  yggpost -password           set the IMAP/SMTP password
  yggpost -address            print the mail address (also of a running node)
  yggpost status              the running node: peers, relays, queue (-json for scripts)
  yggpost queue               the running node's queue, per recipient (-json)
  yggpost retry ADDRESS       try the mail queued for ADDRESS now
  yggpost relay members       a running relay's members and what it holds for each (-json)
  yggpost reload              make the running node read its configuration again (as SIGHUP)
  yggpost -backup FILE        back up the database (also of a running node)
  yggpost -restore FILE       restore a backup into a new -database
  yggpost -tls-fingerprint    print the TLS certificate's SHA-256 fingerprint
  yggpost -dclogin            print the account settings and a Delta Chat link and QR code
  yggpost -setup HOST         the same for devices reaching this node as HOST, and their profiles
  yggpost -relay -listen URL  run a relay for members that are offline (see docs/relay.md)
  yggpost -relay-invite N     print N invite tokens for this relay
  yggpost -export DIR         write all mail as a Maildir++ tree (node stopped)
  yggpost -import-maildir PATH [-into MAILBOX]   import a Maildir (node stopped)
  yggpost -import-mbox FILE [-into MAILBOX]      import an mbox file (node stopped)
  yggpost -import-yggmail FILE                   move from Yggmail: its yggmail.db into -database

Flags:
`)
	fs.PrintDefaults()
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdin, stdout, stderr)
}

// runContext is run with the signals that stop the node already turned
// into ctx.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, rest, err := parseFlagsFrom(args, stdin, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if o.conf.gen {
		return printConf(stdout)
	}
	level := o.conf.level
	if o.verbose {
		level = slog.LevelDebug
	}
	levels := loglevel.New(level)
	levels.Set(level, o.conf.levels)
	logger := slog.New(levels.Handler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug - 4})))
	o.cfg.Logger = logger
	o.reload.levels, o.reload.log = levels, logger

	if len(rest) > 0 && controlCommands[rest[0]] {
		return runControlCommand(o.cfg.Database, rest, stdout, stderr)
	}
	if len(rest) > 0 {
		return runSubcommand(ctx, rest, stdout, stderr, logger)
	}
	if code, ran := onRunningNode(o, stdin, stdout, stderr); ran {
		return code
	}
	if o.mailfile.requested() {
		return runMailFile(ctx, o.mailfile, o.cfg.Database, logger, stdout, stderr)
	}
	if host, err := setupHost(o.setup.host); o.setup.host != "" && err == nil {
		// The self-signed certificate must name the host the devices
		// will reach; a bad host is reported by runSetup.
		o.cfg.TLSHosts = append(o.cfg.TLSHosts, host)
	}
	if err := o.cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		return exitUsage
	}
	if code, done := o.backup.run(o.cfg, stdout, stderr, logger); done {
		return code
	}
	if o.imports.yggmail != "" { // before Open, which would give the database a key of its own
		return runImport(ctx, o.cfg, o.imports.yggmail, stderr)
	}
	if o.printAddress {
		return printAddress(o.cfg, stdout, stderr)
	}
	o.cfg.Control = true
	o.cfg.Reload = o.reload.reload
	n, err := node.Open(o.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "yggpost: %v\n", err)
		if o.relay.invite > 0 {
			fmt.Fprintln(stderr, "yggpost: -relay-invite needs the database to itself: stop the relay that runs on it first")
		}
		return exitStore
	}
	defer n.Close()
	o.reload.mu.Lock()
	o.reload.n = n
	o.reload.mu.Unlock()

	if code, done := runOnOpenNode(n, o, stdin, stdout, stderr); done {
		return code
	}
	if o.cfg.Isolated() {
		fmt.Fprintf(stderr, "yggpost: %v\n", node.ErrIsolated)
		return exitUsage
	}
	if o.cfg.Relay == nil {
		return runNode(ctx, n, o.reload, logger)
	}
	return runRelay(ctx, n, o.reload, logger, stdout)
}

// runSubcommand runs "demo" or "demo relay".
func runSubcommand(ctx context.Context, rest []string, stdout, stderr io.Writer, logger *slog.Logger) int {
	switch rest[0] {
	case "demo":
		if len(rest) > 1 && rest[1] == "relay" {
			return runRelayDemo(ctx, stdout, logger)
		}
		if len(rest) > 1 {
			fmt.Fprintf(stderr, "yggpost: unknown demo %q (want: demo, or demo relay)\n", rest[1])
			return exitUsage
		}
		return runDemo(ctx, stdout, logger)
	default:
		fmt.Fprintf(stderr, "yggpost: unknown command %q (want: demo)\n", rest[0])
		return exitUsage
	}
}

// runOnOpenNode carries out the actions that need the database opened by
// this process; done is false when none was asked for.
func runOnOpenNode(n *node.Node, o options, stdin io.Reader, stdout, stderr io.Writer) (code int, done bool) {
	switch {
	case o.tls.fingerprint:
		fmt.Fprintln(stdout, n.TLSFingerprint())
		return exitOK, true
	case o.setPassword:
		return setPassword(n, stdin, stderr), true
	case o.dclogin:
		return printDCLogin(n, o.cfg, stdin, stdout, stderr), true
	case o.setup.host != "":
		return runSetup(n, o.cfg, o.setup, stdin, stdout, stderr), true
	case o.passwordHash != "":
		if err := n.SetPasswordHash(o.passwordHash); err != nil {
			fmt.Fprintf(stderr, "yggpost: -passwordhash: %v\n", err)
			return exitUsage, true
		}
		fmt.Fprintln(stderr, "password hash stored")
		return exitOK, true
	case o.relay.invite > 0:
		return printInvites(n, o.relay.invite, stdout, stderr), true
	}
	return exitOK, false
}

// runNode runs n until ctx ends.
func runNode(ctx context.Context, n *node.Node, rl *reloader, logger *slog.Logger) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go rl.onHangup(ctx)
	if err := n.Run(ctx); err != nil {
		logger.Error("node stopped", "err", err)
		return exitRuntime
	}
	return exitOK
}

// runRelay runs n, a node with the relay role, until ctx ends, and reports
// the relay's status meanwhile (periodic log line; table on SIGUSR1).
func runRelay(ctx context.Context, n *node.Node, rl *reloader, logger *slog.Logger, stdout io.Writer) int {
	sig, stopSig := statusSignal()
	defer stopSig()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { reportRelayStatus(ctx, n, relayStatusInterval, sig, logger, stdout) })
	wg.Go(func() { rl.onHangup(ctx) })
	err := n.Run(ctx)
	cancel()
	wg.Wait()
	if err != nil {
		logger.Error("node stopped", "err", err)
		return exitRuntime
	}
	return exitOK
}
