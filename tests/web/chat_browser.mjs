// SPDX-License-Identifier: MIT
// Two users of the web chat page in headless Chromium, for the end-to-end tests: each logs in
// through the page's own form, they chat 1:1 both ways and meet in a room, as a person would
// click and type. Reports what each saw as one JSON line and screenshots each page. Usage:
//   node chat_browser.mjs PAGE_URL ROOM_JID SHOT_PREFIX JID PASSWORD JID PASSWORD
import { chromium } from "playwright-core";

const [pageUrl, room, shotPrefix, ...creds] = process.argv.slice(2);
const users = [{ jid: creds[0], password: creds[1] }, { jid: creds[2], password: creds[3] }];
const WAIT_MS = 15000;     // one step: a page load, a login, a message to show up
const DEADLINE_MS = 45000; // the whole run, below the caller's own timeout
const origin = new URL(pageUrl).origin;
const domain = creds[0].split("@")[1];
const report = { users: {}, websockets: [], foreign: [], foreign_stanzas: [], http_errors: [],
                 room_search: [], csp: [], page_errors: [], console_errors: [], screenshots: [],
                 step: "start" };
let browser = null;
let finished = false;

// Debian's chromium, headless. Playwright's launch() gives it a fresh temporary profile
// (--user-data-dir) and deletes it at close. No sandbox (tests may run as root), no GPU, no
// requests of the browser's own (updates, safe browsing, metrics).
async function launch() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        timeout: WAIT_MS,
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
}

// Nothing the client sends may be addressed beyond this server's domain and its services
// (e.g. a public room directory).
function addressedElsewhere(frame) {
    for (const [, to] of frame.matchAll(/\bto=["']([^"']+)["']/g)) {
        const host = to.replace(/^[^@/]*@/, "").replace(/\/.*/, "");
        if (host !== domain && !host.endsWith("." + domain))
            report.foreign_stanzas.push(to);
    }
}

// Where the "add a groupchat" form sent its room search (the page points it at our own MUC
// service).
const ROOM_SEARCH = "https://xmlns.zombofant.net/muclumbus/search/1.0";
function noteRoomSearch(user, frame) {
    const to = frame.includes(ROOM_SEARCH) && frame.match(/\bto=["']([^"']+)["']/);
    if (to) {
        report.room_search.push(to[1]);
        user.searched();
    }
}

// Everything the page loads must come from the server, and load.
function watch(page, user) {
    const { jid } = user;
    page.on("request", (req) => {
        const url = new URL(req.url());
        if (url.origin !== origin && url.protocol !== "data:" && url.protocol !== "blob:")
            report.foreign.push(req.url());
    });
    page.on("response", (res) => {
        if (res.status() >= 400)
            report.http_errors.push(`${res.status()} ${res.url()}`);
    });
    page.on("websocket", (ws) => {
        report.websockets.push(ws.url());
        ws.on("framesent", ({ payload }) => {
            addressedElsewhere(String(payload));
            noteRoomSearch(user, String(payload));
        });
    });
    page.on("pageerror", (err) => report.page_errors.push(`${jid}: ${err.message}`));
    page.on("console", (msg) => {
        if (/Content[- ]Security[- ]Policy/i.test(msg.text()))
            report.csp.push(`${jid}: ${msg.text()}`);
        else if (msg.type() === "error")
            report.console_errors.push(`${jid}: ${msg.text()}`);
    });
}

async function openPage(user) {
    // The tests' HTTPS port has a self-signed certificate.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 },
                                               ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    user.search = new Promise((resolve) => { user.searched = resolve; });
    watch(page, user);
    user.page = page;
    report.users[user.jid] = { logged_in: false, saw_chat: null, saw_room: null };
    await page.goto(pageUrl, { waitUntil: "load" });
    report.title = await page.title();
}

async function logIn(user) {
    const { page } = user;
    await page.fill("#converse-login-jid", user.jid);
    await page.fill("#converse-login-password", user.password);
    await page.click("#converse-login [type=submit]");
    await page.locator("converse-roster").waitFor();
    report.users[user.jid].logged_in = true;
}

// A controlbox menu (contacts or groupchats), then one of its items.
async function menuItem(page, heading, item) {
    const menu = page.locator("converse-controlbox .d-flex", { has: page.locator(heading) });
    await menu.locator("converse-dropdown button.dropdown-toggle").click();
    await menu.locator(`a.${item}`).click();
}

async function openChat(user, peer) {
    const { page } = user;
    await menuItem(page, ".controlbox-heading--contacts", "new-chat");
    const modal = page.locator("converse-new-chat-modal");
    await modal.locator("input[name=jid]").fill(peer);
    await modal.locator("[type=submit]").click();
    user.chat = page.locator(`converse-chat[jid="${peer}"]`);
    await user.chat.locator("textarea.chat-textarea").waitFor();
}

async function joinRoom(user, nick) {
    const { page } = user;
    await menuItem(page, ".controlbox-heading--groupchats", "show-add-muc-modal");
    const modal = page.locator("converse-add-muc-modal");
    await modal.locator("input[name=chatroom]").pressSequentially(room);  // as typed
    // Typing asks for suggestions after a pause; joining does not wait longer for them.
    await Promise.race([user.search, new Promise((done) => setTimeout(done, 2000))]);
    await modal.locator("input[name=nickname]").fill(nick);
    await modal.locator("input[name=join]").click();
    user.room = page.locator(`converse-muc[jid="${room}"]`);
    await user.room.locator("textarea.chat-textarea").waitFor();
}

async function say(view, text) {
    const box = view.locator("textarea.chat-textarea");
    await box.fill(text);
    await box.press("Enter");
}

// True once the text is shown as a message in that view; false after WAIT_MS.
async function sees(view, text) {
    try {
        await view.locator(".chat-msg__text", { hasText: text }).first().waitFor();
        return true;
    } catch (err) {
        return false;
    }
}

// Each page as it is now: SHOT_PREFIX-USER-LABEL.png.
function screenshots(label) {
    return Promise.all(users.map(async (u) => {
        const path = `${shotPrefix}-${u.jid.split("@")[0]}-${label}.png`;
        await u.page.screenshot({ path });
        report.screenshots.push(path);
    }));
}

async function step(name, fn) {
    report.step = name;
    await fn();
}

async function run() {
    const [a, b] = users;
    const hello = `Hello ${b.jid}, from ${a.jid}'s browser`;
    const answer = `Hello back, ${a.jid}`;
    const roomText = `Good morning, room ${room}`;
    browser = await launch();
    await step("open", () => Promise.all(users.map(openPage)));
    await step("log in", () => Promise.all(users.map(logIn)));
    await step("open chats", async () => {
        await openChat(a, b.jid);
        await openChat(b, a.jid);
    });
    await step("chat", async () => {
        await say(a.chat, hello);
        report.users[b.jid].saw_chat = await sees(b.chat, hello);
        await say(b.chat, answer);
        report.users[a.jid].saw_chat = await sees(a.chat, answer);
        await screenshots("chat");
    });
    await step("join room", async () => {
        await joinRoom(a, a.jid.split("@")[0]);  // the first occupant makes the room
        await joinRoom(b, b.jid.split("@")[0]);
    });
    await step("groupchat", async () => {
        await say(a.room, roomText);
        const seen = await Promise.all(users.map((u) => sees(u.room, roomText)));
        users.forEach((u, i) => { report.users[u.jid].saw_room = seen[i]; });
    });
    await step("screenshots", () => screenshots("room"));
    report.step = "done";
}

// Closes the browser (its temporary profile goes with it), prints the report, exits.
async function finish(code, error) {
    if (finished)
        return;
    finished = true;
    clearTimeout(deadline);
    if (error)
        report.error = String(error.stack || error);
    const closing = browser ? browser.close().catch(() => {}) : Promise.resolve();
    await Promise.race([closing, new Promise((done) => setTimeout(done, 5000))]);
    console.log(JSON.stringify(report));
    process.exit(code);
}

const deadline = setTimeout(() => finish(1, `deadline of ${DEADLINE_MS} ms at ${report.step}`),
                            DEADLINE_MS);
run().then(() => finish(0), (err) => finish(1, err));
