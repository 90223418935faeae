// SPDX-License-Identifier: MIT
// Starts Converse on Parley's chat page: this server's WebSocket, assets from /chat/ only.

const converse = window.converse;
const { html, VERSION_NAME } = converse.env;
const scheme = location.protocol === "https:" ? "wss:" : "ws:";

// In fullscreen mode Converse's footer shows its sponsors' logos from its own web site; this
// page loads nothing from elsewhere, so the footer keeps the credit and links only.
function defineFooter(api) {
    const Footer = api.elements.registry["converse-footer"];
    api.elements.define("converse-footer", class extends Footer {
        render() {
            return html`<footer class="footer mt-auto py-3">
                <p class="brand-subtitle text-center subdued">Parley's web chat runs
                <a href="https://github.com/conversejs/converse.js" target="_blank"
                   rel="noopener">Converse</a> ${VERSION_NAME}, an open-source XMPP client
                (MPL-2.0).</p></footer>`;
        }
    });
}

// The "add a groupchat" form suggests rooms by asking muc_search_service, a public directory
// by default: ask our own MUC service instead (it knows no such search), so that room names
// being typed never leave this server.
function searchRoomsLocally(api) {
    api.listen.on("connected", async () => {
        const service = await converse.env.u.muc.getDefaultMUCService();
        if (service)
            api.settings.set("muc_search_service", service);
    });
}

converse.plugins.add("parley-page", {
    initialize() {
        defineFooter(this._converse.api);
        searchRoomsLocally(this._converse.api);
    },
});

converse.initialize({
    view_mode: "fullscreen",
    websocket_url: `${scheme}//${location.host}/xmpp-websocket`,
    // The URL above is the one way in: no BOSH, no host-meta look-up at the JID's domain.
    discover_connection_methods: false,
    // Lazily loaded chunks, fonts, sounds and emoji, from beside converse.min.js.
    assets_path: new URL("converse", import.meta.url).pathname,
    // Users type full JIDs (alice@localhost) and chat with whoever they name; the MUC
    // service is found through the server's disco#items.
    allow_non_roster_messaging: true,
    // Accounts are made with parleyctl; these lists of public providers would be fetched
    // from elsewhere.
    allow_registration: false,
    autocomplete_providers_url: "",
    xmpp_providers_url: "",
    whitelisted_plugins: ["parley-page"],
});
