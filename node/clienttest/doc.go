// Package clienttest proves that real mail clients work with a Yggpost
// node: Delta Chat's own core (driven through its JSON-RPC server from
// Node.js scripts in testdata/), and the command-line clients mbsync, curl
// and swaks. Every test starts real nodes in-process on loopback and talks
// to their IMAP and SMTP servers over real sockets, exactly as the client
// does for a user.
//
// The clients are not vendored. Each test skips, naming what is missing,
// when its client is not installed; .ci/run installs them all: the Debian
// packages isync, curl, swaks and mutt, and the npm packages listed in
// testdata/package.json into $YGGPOST_CLIENTTEST_DIR (default
// $HOME/.cache/yggpost-clienttest), outside the repository.
//
// The package has no code of its own outside its tests.
package clienttest
