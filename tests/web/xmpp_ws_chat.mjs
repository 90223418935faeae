// SPDX-License-Identifier: MIT
// An @xmpp/client user over WebSocket for the end-to-end tests: logs in (the library picks
// SCRAM), says hello to a peer, waits for the peer's answer, reports what happened as one
// JSON line and leaves. Usage (Node 20 has WebSocket behind a flag):
//   node --experimental-websocket xmpp_ws_chat.mjs SERVICE DOMAIN USER PASSWORD PEER TEXT
import { client, xml } from "@xmpp/client";

const [service, domain, username, password, peer, text] = process.argv.slice(2);
const report = { online: null, mechanism: null, answer: null, from: null };
const xmpp = client({ service, domain, username, password, resource: "node" });
const bound = setTimeout(() => finish(1, "no answer within 20 s"), 20000);

let finished = false;

async function finish(code, error) {
    if (finished)
        return;
    finished = true;
    clearTimeout(bound);
    if (error)
        report.error = String(error);
    console.log(JSON.stringify(report));
    try {
        await xmpp.stop();
    } catch (e) {
        // already offline
    }
    process.exit(code);
}

xmpp.on("error", (err) => finish(1, err));
xmpp.on("stanza", (stanza) => {
    if (stanza.is("message") && stanza.getChildText("body")) {
        report.answer = stanza.getChildText("body");
        report.from = stanza.attrs.from;
        finish(0);
    }
});
xmpp.on("online", async (address) => {
    report.online = address.toString();
    report.mechanism = xmpp.mechanism ?? xmpp.sasl?.mechanism ?? null;
    await xmpp.send(xml("presence"));
    await xmpp.send(xml("message", { type: "chat", to: peer }, xml("body", {}, text)));
});
xmpp.start().catch((err) => finish(1, err));
