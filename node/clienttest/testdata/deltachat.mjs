// Drives Delta Chat's core (deltachat-rpc-server, through its JSON-RPC
// client) against two Yggpost nodes: configure one account per node,
// SecureJoin, exchange messages both ways, and report what happened.
//
// Usage: node deltachat.mjs CONFIG.json
//
// CONFIG: {modules, dataDir, bccSelf, firstRound, rounds, waitMs, resume,
// fileBytes, bounceBytes, accounts:
// [{name, addr, password, imapServer, imapPort, smtpServer, smtpPort,
// imapSecurity, smtpSecurity}, x2]} (security "plain" when not given, or
// "ssl" or "starttls"; certificates are not checked);
// modules is the directory whose node_modules holds
// @deltachat/stdio-rpc-server. With resume set, the accounts of an earlier
// run in the same dataDir are used as they are (no configuration, no
// SecureJoin). With fileBytes set, the first account also sends the
// second a file of that size. With bounceBytes set, the first account
// finally sends the second a file of that size, which the second node
// refuses, and waits until its core marks the message failed.
//
// Output, one JSON object per line on stdout:
//   {"type":"event","account":NAME,"kind":KIND,...}  every core event
//   {"type":"step","step":TEXT}                        progress
//   {"type":"received",...}                            each message as the recipient sees it,
//                                                      with the ms from send to IncomingMsg
//   {"type":"chat",...}                                each account's chat at the end
//   {"type":"file",...}                                the file as the recipient got it
//   {"type":"bounced","state":N,"error":TEXT}          the refused message, once failed
//   {"type":"result","ok":true}                        last line on success
// A failure prints {"type":"result","ok":false,"error":TEXT} and exits 1.

import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const step = (text) => emit({ type: "step", step: text });

const require = createRequire(path.join(cfg.modules, "package.json"));
const rpcServer = require.resolve("@deltachat/stdio-rpc-server");
const { startDeltaChat } = await import(pathToFileURL(rpcServer).href);

// Every event of every account, in order, so a wait can look back at
// events that arrived before it started.
const events = [];
const waiters = new Set();
const names = new Map();

function onEvent(accountId, ev) {
  const account = names.get(accountId) ?? String(accountId);
  const rec = { account, ...ev };
  events.push(rec);
  emit({ type: "event", ...rec });
  for (const w of waiters) w.check(rec);
}

// waitFor resolves with the first event from index `since` on that
// matches pred, or rejects after cfg.waitMs naming what it waited for.
function waitFor(since, what, pred) {
  const hit = events.slice(since).find(pred);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve, reject) => {
    const w = {
      check(ev) {
        if (!pred(ev)) return;
        waiters.delete(w);
        clearTimeout(w.timer);
        resolve(ev);
      },
    };
    w.timer = setTimeout(() => {
      waiters.delete(w);
      reject(new Error(`timed out after ${cfg.waitMs} ms waiting for ${what}`));
    }, cfg.waitMs);
    waiters.add(w);
  });
}

async function configure(rpc, acc) {
  const id = await rpc.addAccount();
  names.set(id, acc.name);
  await rpc.setConfig(id, "displayname", acc.name);
  await rpc.addOrUpdateTransport(id, {
    addr: acc.addr,
    password: acc.password,
    imapServer: acc.imapServer,
    imapPort: acc.imapPort,
    imapSecurity: acc.imapSecurity ?? "plain",
    imapUser: null,
    imapFolder: null,
    smtpServer: acc.smtpServer,
    smtpPort: acc.smtpPort,
    smtpSecurity: acc.smtpSecurity ?? "plain",
    smtpUser: null,
    smtpPassword: null,
    certificateChecks: "acceptInvalidCertificates",
  });
  await rpc.setConfig(id, "bcc_self", cfg.bccSelf ? "1" : "0");
  const bcc = await rpc.getConfig(id, "bcc_self");
  step(`${acc.name} configured as ${acc.addr}, bcc_self=${bcc}`);
  return id;
}

// secureJoin runs the Setup-Contact protocol: the joiner scans the
// inviter's QR code. It returns each side's chat with the other.
async function secureJoin(rpc, inviter, joiner) {
  const mark = events.length;
  const qr = await rpc.getChatSecurejoinQrCode(inviter.id, null);
  const joinerChat = await rpc.secureJoin(joiner.id, qr);
  const inv = await waitFor(mark, "SecurejoinInviterProgress 1000", (e) =>
    e.account === inviter.name && e.kind === "SecurejoinInviterProgress" && e.progress === 1000);
  await waitFor(mark, "SecurejoinJoinerProgress 1000", (e) =>
    e.account === joiner.name && e.kind === "SecurejoinJoinerProgress" && e.progress === 1000);
  step(`SecureJoin done: ${inviter.name} chat ${inv.chatId}, ${joiner.name} chat ${joinerChat}`);
  return { [inviter.name]: inv.chatId, [joiner.name]: joinerChat };
}

// sendAndReceive sends one text message and waits until the recipient's
// core reports it as an incoming message and the sender's as delivered.
async function sendAndReceive(rpc, from, to, chats, text) {
  const mark = events.length;
  const start = Date.now();
  const sentId = await rpc.miscSendTextMessage(from.id, chats[from.name], text);
  const inc = await waitFor(mark, `${to.name} receiving "${text}"`, (e) =>
    e.account === to.name && e.kind === "IncomingMsg");
  const elapsedMs = Date.now() - start;
  await waitFor(mark, `${from.name} seeing "${text}" delivered`, (e) =>
    e.account === from.name && e.kind === "MsgDelivered" && e.msgId === sentId);
  const m = await rpc.getMessage(to.id, inc.msgId);
  emit({
    type: "received", from: from.name, to: to.name, sent: text, text: m.text,
    showPadlock: m.showPadlock, chatId: m.chatId, expectedChat: chats[to.name],
    error: m.error, elapsedMs,
  });
}

// report emits each account's chat: every non-info message with its text,
// direction and padlock.
async function report(rpc, acc, chatId) {
  const ids = await rpc.getMessageIds(acc.id, chatId, false, false);
  const msgs = await rpc.getMessages(acc.id, ids);
  const list = ids.map((id) => msgs[id]).filter((m) => m && m.kind === "message" && !m.isInfo)
    .map((m) => ({ text: m.text, fromId: m.fromId, showPadlock: m.showPadlock, state: m.state }));
  emit({ type: "chat", account: acc.name, messages: list });
}

// bounce sends the other account a file larger than its node accepts,
// waits for the delivery report the sender's node puts into INBOX to reach
// the sender's core, and reports it with the state of the refused message.
async function bounce(rpc, from, chats) {
  if (cfg.forceEncryption !== undefined) await rpc.setConfig(from.id, "force_encryption", cfg.forceEncryption);
  const file = path.join(cfg.dataDir, "too-large.bin");
  writeFileSync(file, randomBytes(cfg.bounceBytes)); // incompressible
  const mark = events.length;
  const id = await rpc.sendMsg(from.id, chats[from.name], {
    text: "this one is refused", html: null, viewtype: "File", file, filename: "too-large.bin",
    location: null, overrideSenderName: null, quotedMessageId: null, quotedText: null,
  });
  const ev = await waitFor(mark, `${from.name} receiving the delivery report`, (e) =>
    e.account === from.name && (e.kind === "IncomingMsg" || (e.kind === "MsgFailed" && e.msgId === id)));
  const report = ev.kind === "IncomingMsg" ? await rpc.getMessage(from.id, ev.msgId) : null;
  const m = await rpc.getMessage(from.id, id);
  emit({ type: "bounced", state: m.state, error: m.error, text: report?.text ?? "" });
}

// sendFile sends a file with a non-ASCII text and waits until the
// recipient's core has downloaded it completely (a large message travels
// as a pre-message and a post-message).
async function sendFile(rpc, from, to, chats, bytes) {
  const file = path.join(cfg.dataDir, "photo.bin");
  const data = randomBytes(bytes);
  writeFileSync(file, data);
  step(`sending a file of ${bytes} bytes`);
  const text = "Grüße, 你好 👋 with a file";
  const mark = events.length;
  await rpc.sendMsg(from.id, chats[from.name], {
    text, html: null, viewtype: "File", file, filename: "photo.bin",
    location: null, overrideSenderName: null, quotedMessageId: null, quotedText: null,
  });
  const inc = await waitFor(mark, `${to.name} receiving the file`, (e) =>
    e.account === to.name && e.kind === "IncomingMsg");
  const deadline = Date.now() + cfg.waitMs;
  let m = await rpc.getMessage(to.id, inc.msgId);
  while (m.downloadState !== "Done") {
    if (Date.now() > deadline) throw new Error(`file still ${m.downloadState} after ${cfg.waitMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
    m = await rpc.getMessage(to.id, inc.msgId);
  }
  const got = readFileSync(m.file);
  const sha = (b) => createHash("sha256").update(b).digest("hex");
  emit({ type: "file", from: from.name, to: to.name, sent: text, text: m.text, showPadlock: m.showPadlock,
    wantSha: sha(data), gotSha: sha(got), bytes: got.length });
}

// resume finds the accounts and the chat of an earlier run.
async function resume(rpc) {
  const ids = await rpc.getAllAccountIds();
  const [alice, bob] = cfg.accounts.map((a, i) => ({ ...a, id: ids[i] }));
  for (const acc of [alice, bob]) names.set(acc.id, acc.name);
  const chats = {};
  for (const [me, other] of [[alice, bob], [bob, alice]]) {
    const contact = await rpc.lookupContactIdByAddr(me.id, other.addr);
    chats[me.name] = await rpc.getChatIdByContactId(me.id, contact);
  }
  step(`resumed: alice chat ${chats.alice}, bob chat ${chats.bob}`);
  return { alice, bob, chats };
}

async function setUp(rpc) {
  const [a, b] = cfg.accounts;
  const alice = { ...a, id: await configure(rpc, a) };
  const bob = { ...b, id: await configure(rpc, b) };
  for (const acc of [alice, bob]) await rpc.startIo(acc.id);
  const chats = await secureJoin(rpc, alice, bob);
  return { alice, bob, chats };
}

async function main() {
  const dc = startDeltaChat(cfg.dataDir, { muteStdErr: false });
  dc.on("ALL", onEvent);
  try {
    const { alice, bob, chats } = cfg.resume ? await resume(dc.rpc) : await setUp(dc.rpc);
    if (cfg.resume) for (const acc of [alice, bob]) await dc.rpc.startIo(acc.id);
    const first = cfg.firstRound ?? 0;
    for (let i = first; i < first + cfg.rounds; i++) {
      await sendAndReceive(dc.rpc, alice, bob, chats, `ping ${i} from alice`);
      await sendAndReceive(dc.rpc, bob, alice, chats, `pong ${i} from bob`);
    }
    if (cfg.fileBytes) await sendFile(dc.rpc, alice, bob, chats, cfg.fileBytes);
    for (const acc of [alice, bob]) await report(dc.rpc, acc, chats[acc.name]);
    if (cfg.bounceBytes) await bounce(dc.rpc, alice, chats);
    for (const acc of [alice, bob]) await dc.rpc.stopIo(acc.id);
    emit({ type: "result", ok: true });
  } finally {
    dc.close();
  }
}

main().catch((err) => {
  emit({ type: "result", ok: false, error: err?.stack ?? JSON.stringify(err) });
  process.exit(1);
});
