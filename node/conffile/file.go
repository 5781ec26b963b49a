// Package conffile owns Yggpost's configuration file: an HJSON document
// whose keys are the settings of a node and of its relay role, their
// defaults and documentation, the text -genconf prints, and the strict
// reading that turns a file into a node.Config.
//
// The File struct is the single description of the format: its field names
// are the keys, its `comment` tags are the documentation -genconf prints,
// and its `check` tags name the parser each value must pass. A key is its
// flag's name written in Yggdrasil's CamelCase (-peer is Peers, -tls-host is
// TLSHosts, -relay-quota-bytes is Relay.QuotaBytes), so that a Peers or
// Listen block reads and pastes the same as in yggdrasil.conf.
//
// Reading is strict: an unknown key, a value of the wrong type or one its
// parser refuses is an *Error naming the file, the key's path
// (Relay.QuotaBytes, Peers[2]) and the reason. A key left out keeps its
// default.
package conffile

import (
	"github.com/yggpost/yggpost/node"
	"github.com/yggpost/yggpost/node/outbox"
	"github.com/yggpost/yggpost/relay"
)

// File is the configuration file. The zero value is not useful: start from
// Default, which holds the defaults a node uses with no flags.
type File struct {
	Database        string            `comment:"Directory of the mailbox database (Badger): mail, outbox, the node's\nkey and the password hash. The address belongs to this directory."`
	SMTP            string            `check:"hostport" comment:"SMTP submission listen address (host:port) for your mail clients.\nLoopback by default; offers STARTTLS."`
	IMAP            string            `check:"hostport" comment:"IMAP listen address (host:port) for your mail clients. Loopback by\ndefault; offers STARTTLS."`
	IMAPS           string            `check:"hostport" comment:"IMAP over TLS listen address for mail clients on other devices,\ne.g. 0.0.0.0:993. Empty: not served."`
	Submissions     string            `check:"hostport" comment:"SMTP submission over TLS listen address for mail clients on other\ndevices, e.g. 0.0.0.0:465. Empty: not served."`
	TLSCert         string            `comment:"TLS certificate file (PEM, with its chain), read again on SIGHUP.\nEmpty: a self-signed certificate kept in the database."`
	TLSKey          string            `comment:"TLS private key file (PEM) of TLSCert. Give both or neither."`
	TLSHosts        []string          `check:"tlshost" comment:"Host names and addresses other devices reach this node by; the\nself-signed certificate names them."`
	AllowPlainAuth  bool              `comment:"Let mail clients on other machines log in without TLS. Only on a\nVPN or a network you trust: the password crosses it readable.\nLoopback clients may always."`
	Peers           []string          `check:"peer" comment:"Yggdrasil peers to connect to, e.g. [\"tls://a.b.c.d:e\"]."`
	Listen          []string          `check:"listen" comment:"Yggdrasil listen URLs on which other nodes may peer with this one,\ne.g. [\"tcp://0.0.0.0:9001\"]."`
	Multicast       bool              `comment:"Discover nodes on the local network."`
	MulticastRegexp string            `check:"regexp" comment:"Regular expression of the interface names multicast uses."`
	Relays          []string          `check:"relayref" comment:"Your relays: each a relay's address, optionally followed by\n=<invite token>, e.g. [\"<64 hex>@yggmail=token\"]. The node registers\nwith each and collects what they hold for it while it was offline."`
	MaxMessageSize  Size              `comment:"Largest message accepted from your mail clients and from the mesh,\na size such as \"64MiB\" or a number of bytes (advertised as SMTP SIZE)."`
	GiveUp          Duration          `comment:"How long an undelivered message is retried before it bounces,\na duration such as \"5d\" or \"36h\"."`
	NotifyAfter     Duration          `comment:"How long a message may wait before you get a \"delayed\" report."`
	ReachTimeout    Duration          `comment:"How long one direct delivery attempt searches the mesh for the\nrecipient before the message goes to a relay."`
	Relay           Relay             `comment:"The relay role: this node holds mail for members while they are\noffline. See docs/relay.md."`
	LogLevel        string            `check:"level" comment:"Least severe log level written: debug, info, warn or error."`
	LogLevels       map[string]string `check:"level" comment:"Log levels of single components overriding LogLevel,\ne.g. {\"outbox\": \"debug\"}."`
	Metrics         string            `check:"hostport" comment:"Listen address (host:port) of the Prometheus metrics endpoint.\nEmpty: not served."`
}

// Relay is the relay role's section of the file.
type Relay struct {
	Enabled        bool     `comment:"Run the relay role (the node also serves its own mailbox)."`
	Policy         string   `check:"policy" comment:"Who may become a member: open, allowlist or invite."`
	Allow          []string `check:"address" comment:"Member addresses admitted by the allowlist policy."`
	QuotaBytes     Size     `comment:"Bytes held per member, a size such as \"1GiB\"."`
	QuotaEnvelopes int      `comment:"Envelopes held per member."`
	Retention      Duration `comment:"How long an envelope is held, a duration such as \"14d\"."`
	MaxEnvelope    Size     `comment:"Largest envelope accepted."`
	Forward        bool     `comment:"Hold what members send to people who are not members, and pass\nit on."`
	ExpireInterval Duration `comment:"How often the relay deletes what is past its retention."`
}

// Default returns the file a node runs with when nothing is configured:
// -genconf prints it, and a key left out of a file keeps its value here.
func Default() *File {
	return &File{
		Database:        node.DefaultDatabase,
		SMTP:            node.DefaultSMTPAddr,
		IMAP:            node.DefaultIMAPAddr,
		TLSHosts:        []string{},
		Peers:           []string{},
		Listen:          []string{},
		MulticastRegexp: ".*",
		Relays:          []string{},
		MaxMessageSize:  node.DefaultMaxMessageSize,
		GiveUp:          Duration(node.DefaultGiveUp),
		NotifyAfter:     Duration(outbox.DefaultNotifyAfter),
		ReachTimeout:    Duration(node.DefaultReachTimeout),
		Relay: Relay{
			Policy:         relay.PolicyOpen.String(),
			Allow:          []string{},
			QuotaBytes:     relay.DefaultMemberBytes,
			QuotaEnvelopes: relay.DefaultMemberEnvelopes,
			Retention:      Duration(relay.DefaultRetention),
			MaxEnvelope:    relay.DefaultMaxEnvelope,
			Forward:        true,
			ExpireInterval: Duration(node.DefaultExpireInterval),
		},
		LogLevel:  "info",
		LogLevels: map[string]string{},
	}
}
