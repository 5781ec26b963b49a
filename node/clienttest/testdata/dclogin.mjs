// Asks Delta Chat's core (deltachat-rpc-server, through its JSON-RPC
// client) to read a dclogin: link the way the app reads a scanned QR code,
// then to set an account up from it, which logs in to the IMAP and SMTP
// servers the link names (and starts the account's I/O, stopped at the
// end).
//
// Usage: node dclogin.mjs CONFIG.json
//
// CONFIG: {modules, dataDir, link}; modules is the directory whose
// node_modules holds @deltachat/stdio-rpc-server.
//
// Output, one JSON object per line on stdout:
//   {"type":"event","account":"1","kind":KIND,...}  every core event
//   {"type":"qr","qr":QR}                           checkQr's reading of the link
//   {"type":"transports","transports":[...]}        the account's servers once set up
//   {"type":"result","ok":true}                     last line on success
// A failure prints {"type":"result","ok":false,"error":TEXT} and exits 1.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");

const require = createRequire(path.join(cfg.modules, "package.json"));
const rpcServer = require.resolve("@deltachat/stdio-rpc-server");
const { startDeltaChat } = await import(pathToFileURL(rpcServer).href);

async function main() {
  const dc = startDeltaChat(cfg.dataDir, { muteStdErr: false });
  dc.on("ALL", (accountId, ev) => emit({ type: "event", account: String(accountId), ...ev }));
  try {
    const id = await dc.rpc.addAccount();
    emit({ type: "step", step: "checkQr" });
    emit({ type: "qr", qr: await dc.rpc.checkQr(id, cfg.link) });
    emit({ type: "step", step: "addTransportFromQr" });
    await dc.rpc.addTransportFromQr(id, cfg.link);
    emit({ type: "transports", transports: await dc.rpc.listTransports(id) });
    await dc.rpc.stopIo(id);
    emit({ type: "result", ok: true });
  } finally {
    dc.close();
  }
}

main().catch((err) => {
  emit({ type: "result", ok: false, error: err?.stack ?? err?.message ?? JSON.stringify(err) });
  process.exit(1);
});
