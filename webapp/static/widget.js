/* 话术助手 widget: reply suggestions inside any web chat tool, from one script tag. No build step, no dependencies.
 *
 *   <script src="https://huashu.example.com/static/widget.js"
 *           data-server="https://huashu.example.com" data-api-key="…"
 *           data-incoming=".msg.buyer" data-reply-box="#reply" async></script>
 *
 * or, for full control, `window.HuashuWidget.init({server, apiKey, incoming, replyBox, …})` (see docs/integrations.md
 * for every option). It watches the page with a MutationObserver, takes the latest buyer message (the last element
 * matching `incoming`), asks POST /api/v1/suggest with the earlier buyer messages as context, and shows the replies
 * in a small floating panel rendered in a Shadow DOM (its styles neither leak into the page nor take the page's).
 * A click or Alt+1…9 puts a reply into the reply box, the way a person typing would be seen by React/Vue: it never
 * sends anything by itself. All text is inserted with textContent: nothing from the page or the API is parsed as HTML.
 *
 * The product in focus (商品) goes along as `product`: `data-product` / `product` (an id, a link or a name, e.g. from
 * the product card the buyer sent), `HuashuWidget.setProduct(ref)`, or the agent's choice in the panel's chooser
 * (search by name over GET /api/v1/products?q=).
 *
 * The shop (店铺) answered for, on a server hosting several: `data-shop` / `shop`, `HuashuWidget.setShop(name)` (a
 * chat tool that knows whose conversation is open), or the agent's choice in the panel's 店铺 list, remembered on
 * this site. Every call then goes to /api/v1/shops/<shop>/… (the same routes); "" is the default shop.
 */
(function () {
  "use strict";

  if (window.HuashuWidget && window.HuashuWidget.version) return; // the script was included twice

  var VERSION = "1.0.0";
  var TAG = "huashu-widget";
  var STAGE_NAMES = {presale: "售前", order: "售中", aftersale: "售后", general: "通用"};
  var MAX_CONTEXT = 20;        // the API's limit
  var REQUEST_TIMEOUT_MS = 10000;
  var DEBOUNCE_MS = 180;
  var SENT_WATCH_MS = 10 * 60 * 1000;
  var STORAGE_KEY = "huashu-widget.collapsed";
  var POSITION_KEY = "huashu-widget.position";
  var SHOP_KEY = "huashu-widget.shop";
  var SHOP_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/; // a shop's name on the server (suggest/shops/homes.py)

  var script = document.currentScript ||
    document.querySelector('script[src*="widget.js"][data-incoming], script[src*="widget.js"][data-server]');

  function scriptOrigin() {
    try {
      return script && script.src ? new URL(script.src, location.href).origin : location.origin;
    } catch (err) {
      return location.origin;
    }
  }

  var DEFAULTS = {
    server: "",            // the huashu-suggest server; default: where widget.js was loaded from
    apiKey: "",            // sent as X-API-Key when the server has api_keys.txt
    incoming: "",          // CSS selector of the buyer's messages (required)
    replyBox: "",          // CSS selector of the reply box: textarea, input or contenteditable
    outgoing: "",          // optional CSS selector of the agent's sent messages (to log "sent" feedback)
    container: "",         // optional CSS selector of the conversation element to look in (default: the whole page)
    buyerName: "",         // optional CSS selector of the buyer's nickname, filled into {买家昵称}
    k: 5,                  // suggestions shown (1–9 get Alt+number)
    stage: "",             // presale | order | aftersale, or "" to let the engine decide
    context: 5,            // earlier buyer messages sent as context (0–20)
    maxChars: 2000,        // the server's max_message_chars: longer messages are cut to this
    insert: "replace",     // "replace" the reply box's content, or insert at the "cursor"
    position: "right",     // "right" or "left" bottom corner (the agent can drag the panel by its title bar)
    offsetX: 16,           // distance from that side, px
    offsetY: 16,           // distance from the bottom, px
    collapsed: null,       // start collapsed (default: as the agent left it)
    hotkeys: true,         // Alt+1…9 insert, Alt+0 collapses/expands
    title: "话术推荐",
    variables: null,       // extra placeholder values for every request, e.g. {"客服名": "小暖"}
    getMessages: null,     // function () -> [buyer message strings, oldest first]: replaces `incoming`
    product: "",           // the product in focus: an id, a link or a name (the agent can change it in the panel)
    shop: null,            // the shop answered for ("" the default one); default: the one last chosen on this site
    zIndex: 2147483000
  };

  // ---- configuration ---------------------------------------------------------------------------------------

  function fromScriptTag() {
    var d = script ? script.dataset : {};
    var out = {};
    var map = {server: "server", apiKey: "apiKey", incoming: "incoming", replyBox: "replyBox", outgoing: "outgoing",
               container: "container", buyerName: "buyerName", k: "k", stage: "stage", context: "context",
               maxChars: "maxChars", insert: "insert", position: "position", offsetX: "offsetX",
               offsetY: "offsetY", collapsed: "collapsed",
               hotkeys: "hotkeys", title: "title", product: "product", shop: "shop"};
    Object.keys(map).forEach(function (name) {
      if (d[map[name]] !== undefined && d[map[name]] !== "") out[name] = d[map[name]];
    });
    return out;
  }

  function toInt(value, fallback, lo, hi) {
    var n = parseInt(value, 10);
    if (isNaN(n)) return fallback;
    return Math.max(lo, Math.min(hi, n));
  }

  function toBool(value, fallback) {
    if (value === true || value === false) return value;
    if (value === null || value === undefined || value === "") return fallback;
    return !/^(false|0|no|off)$/i.test(String(value));
  }

  function normalizeConfig(raw) {
    var c = {};
    Object.keys(DEFAULTS).forEach(function (key) { c[key] = raw[key] !== undefined ? raw[key] : DEFAULTS[key]; });
    c.server = String(c.server || scriptOrigin()).replace(/\/+$/, "");
    c.apiKey = c.apiKey ? String(c.apiKey) : "";
    c.k = toInt(c.k, 5, 1, 9);
    c.context = toInt(c.context, 5, 0, MAX_CONTEXT);
    c.maxChars = toInt(c.maxChars, 2000, 1, 100000);
    c.stage = /^(presale|order|aftersale)$/.test(c.stage || "") ? c.stage : "";
    c.insert = c.insert === "cursor" ? "cursor" : "replace";
    c.position = c.position === "left" ? "left" : "right";
    c.offsetX = toInt(c.offsetX, 16, 0, 10000);
    c.offsetY = toInt(c.offsetY, 16, 0, 10000);
    c.hotkeys = toBool(c.hotkeys, true);
    c.collapsed = c.collapsed === null || c.collapsed === undefined ? null : toBool(c.collapsed, false);
    c.title = String(c.title || DEFAULTS.title).slice(0, 40);
    c.variables = c.variables && typeof c.variables === "object" ? c.variables : null;
    c.getMessages = typeof c.getMessages === "function" ? c.getMessages : null;
    c.product = productRef(c.product);
    c.shop = c.shop === null || c.shop === undefined ? null : shopName(c.shop);
    return c;
  }

  /* A shop's name as the server spells it, or "" (the default shop) for anything else. */
  function shopName(value) {
    var text = String(value || "").trim();
    return SHOP_NAME.test(text) ? text : "";
  }

  function rememberedShop() {
    try { return shopName(localStorage.getItem(SHOP_KEY)); } catch (err) { return ""; }
  }

  // ---- text helpers ----------------------------------------------------------------------------------------

  /* At most `max` code points (the server counts code points; never split a surrogate pair). */
  function clip(text, max) {
    if (text.length <= max) return text;
    return Array.from(text).slice(0, max).join("");
  }

  function textOf(node) {
    return (node.textContent || "").replace(/[ \t\r\f\v\u00a0\u3000]+/g, " ").replace(/\s*\n\s*/g, "\n").trim();
  }

  /* A product reference as the API takes it (id, link or name): a trimmed string, "" for none. */
  function productRef(value) {
    if (typeof value === "number" && isFinite(value)) return String(value);
    return typeof value === "string" ? clip(value.trim(), 500) : "";
  }

  function same(a, b) {
    return a.replace(/\s+/g, "") === b.replace(/\s+/g, "");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // ---- styles (scoped to the shadow root) ------------------------------------------------------------------

  var CSS = [
    ":host{all:initial !important;position:fixed !important;display:block !important;bottom:16px !important;",
    "right:16px !important;left:auto !important;top:auto !important;width:auto !important;height:auto !important;",
    "margin:0 !important;padding:0 !important;border:0 !important;transform:none !important;opacity:1 !important;",
    "visibility:visible !important;pointer-events:auto !important}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none !important}",
    ".hw{width:340px;max-width:calc(100vw - 32px);display:flex;flex-direction:column;max-height:min(70vh,560px);",
    "background:#fff;color:#1f2329;border:1px solid #dfe3e9;border-radius:12px;overflow:hidden;",
    "box-shadow:0 10px 30px rgba(16,24,40,.16),0 2px 6px rgba(16,24,40,.08);text-align:left;",
    "font:14px/1.6 -apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Microsoft YaHei',",
    "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','Segoe UI',Roboto,Arial,sans-serif;",
    "-webkit-font-smoothing:antialiased;letter-spacing:normal;word-spacing:normal;text-transform:none;direction:ltr}",
    ".hw.collapsed{width:auto;min-width:180px}",
    ".head{display:flex;align-items:center;gap:8px;height:42px;padding:0 6px 0 12px;flex:none;",
    "background:#f7f8fa;border-bottom:1px solid #e8ebf0;cursor:grab;user-select:none;touch-action:none}",
    ".dragging .head{cursor:grabbing}",
    ".collapsed .head{border-bottom:0}",
    ".mark{display:grid;place-items:center;width:22px;height:22px;border-radius:6px;background:#2456c9;color:#fff;",
    "font-size:12px;font-weight:700;flex:none}",
    ".title{font-weight:600;font-size:14px;white-space:nowrap}",
    ".count{padding:0 7px;border-radius:999px;background:#eaf0fc;color:#2456c9;font-size:12px;line-height:20px;",
    "font-weight:600;font-variant-numeric:tabular-nums}",
    ".status{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:#5f6672;",
    "font-size:12px;text-align:right}",
    ".status.ok{color:#14804a}.status.warn{color:#a65b00}",
    ".spin{width:12px;height:12px;border-radius:50%;border:2px solid #c9d5f2;border-top-color:#2456c9;flex:none;",
    "animation:spin .8s linear infinite}",
    "@keyframes spin{to{transform:rotate(360deg)}}",
    "button,input,select{font:inherit;color:inherit;margin:0}",
    ".vh{position:absolute !important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;",
    "clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    ".shop{display:flex;align-items:center;gap:8px;flex:none;padding:6px 10px 6px 12px;",
    "border-bottom:1px solid #e8ebf0;background:#fff}",
    ".collapsed .shop{display:none}",
    ".shop-label{flex:none;color:#4e5561;font-size:12px;font-weight:600}",
    ".shop-select{flex:1;min-width:0;height:28px;padding:0 6px;border:1px solid #cfd4dc;border-radius:6px;",
    "background:#fff;color:#1f2329;font-size:13px;font-weight:600}",
    ".shop-select:focus{outline:none;border-color:#2456c9;box-shadow:0 0 0 3px #eaf0fc}",
    ".shop-note{flex:none;max-width:45%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:#a65b00;",
    "font-size:12px}",
    ".product{flex:none;padding:7px 10px 8px 12px;border-bottom:1px solid #e8ebf0;background:#fff}",
    ".collapsed .product{display:none}",
    ".product-head{display:flex;align-items:center;gap:8px;min-height:26px}",
    ".product-label{flex:none;color:#4e5561;font-size:12px;font-weight:600}",
    ".product-current{flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:13px;",
    "font-weight:600;color:#1f2329}",
    ".product-current.none{color:#5f6672;font-weight:400}",
    ".pbtn{flex:none;height:26px;padding:0 9px;border:1px solid #cfd4dc;border-radius:6px;background:#fff;",
    "color:#1b44a3;font-size:12.5px;cursor:pointer}",
    ".pbtn:hover{border-color:#a9bdec;background:#f3f6fd}",
    ".product-search{margin-top:6px}",
    ".product-input{display:block;width:100%;height:32px;padding:0 9px;border:1px solid #cfd4dc;border-radius:6px;",
    "background:#fff;color:#1f2329;font-size:13px}",
    ".product-input::placeholder{color:#6b7280}",
    ".product-input:focus{outline:none;border-color:#2456c9;box-shadow:0 0 0 3px #eaf0fc}",
    ".product-list{list-style:none;margin:4px 0 0;padding:4px;max-height:196px;overflow-y:auto;",
    "border:1px solid #cfd4dc;border-radius:6px;background:#fff}",
    ".option{display:flex;align-items:baseline;justify-content:space-between;gap:8px;padding:5px 8px;",
    "border-radius:5px;font-size:13px;line-height:1.45;cursor:pointer;color:#1f2329}",
    ".option:hover{background:#f3f6fd}",
    ".option[aria-selected=true]{background:#eaf0fc;color:#1b44a3;box-shadow:inset 2px 0 0 #2456c9}",
    ".option-name{min-width:0;overflow-wrap:anywhere}",
    ".option-meta{flex:none;color:#5f6672;font-size:11.5px;font-variant-numeric:tabular-nums}",
    ".option-none{padding:6px 8px;color:#5f6672;font-size:12.5px}",
    ".toggle{display:grid;place-items:center;width:30px;height:30px;border:0;border-radius:6px;background:transparent;",
    "color:#4e5561;cursor:pointer;flex:none;padding:0}",
    ".toggle:hover{background:#e8ebf0}",
    ".toggle svg{width:16px;height:16px;transition:transform .15s}",
    ".collapsed .toggle svg{transform:rotate(180deg)}",
    "button:focus-visible{outline:2px solid #2456c9;outline-offset:1px}",
    ".body{overflow-y:auto;overscroll-behavior:contain;padding:10px 10px 4px;flex:1 1 auto}",
    ".quote{display:flex;gap:8px;align-items:baseline;margin:0 2px 8px;color:#4e5561;font-size:12.5px}",
    ".quote-label{flex:none;padding:0 6px;border-radius:4px;background:#eff1f4;color:#555d6b;font-size:11.5px;",
    "line-height:18px}",
    ".quote-text{min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".list{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}",
    ".item{display:grid;grid-template-columns:22px minmax(0,1fr);column-gap:8px;width:100%;padding:8px 10px 8px 8px;",
    "border:1px solid #e3e6eb;border-radius:8px;background:#f9fafb;text-align:left;cursor:pointer;",
    "transition:border-color .12s,background .12s}",
    ".item:hover{border-color:#a9bdec;background:#f3f6fd}",
    ".item.done{border-color:#14804a;background:#eaf6ef}",
    ".num{grid-row:1/3;display:grid;place-items:center;width:22px;height:22px;margin-top:1px;border-radius:6px;",
    "background:#1f2329;color:#fff;font:600 12px/1 ui-monospace,Menlo,Consolas,monospace}",
    ".text{font-size:14px;line-height:1.6;white-space:pre-wrap;overflow-wrap:anywhere;color:#1f2329}",
    ".item>.text,.item>.hint,.item>.meta{grid-column:2}",
    ".hint{justify-self:start;margin-top:4px;padding:1px 6px;border-radius:4px;background:#fff4e0;color:#8a4b00;",
    "font-size:12px;line-height:1.55;overflow-wrap:anywhere}",
    ".meta{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:4px;font-size:11.5px;color:#5f6672}",
    ".chip{padding:0 6px;border-radius:4px;line-height:18px;background:#eef0f3;color:#4e5561}",
    ".chip-presale{background:#eaf0fc;color:#2456c9}.chip-order{background:#fff2df;color:#a35a00}",
    ".chip-aftersale{background:#e3f4ee;color:#0f7358}",
    ".chip-warn{background:#fff4e0;color:#a65b00}",
    ".score{font-variant-numeric:tabular-nums}",
    ".note{margin:4px 2px 10px;padding:14px 12px;border:1px dashed #cfd4dc;border-radius:8px;text-align:center;",
    "color:#4e5561}",
    ".note strong{display:block;color:#1f2329;font-weight:600;margin-bottom:2px}",
    ".note small{display:block;color:#5f6672;font-size:12px}",
    ".note.error{border:1px solid #f3c3bf;background:#fdeceb}",
    ".note.error strong{color:#c4332b}",
    ".retry{margin-top:8px;height:28px;padding:0 12px;border:1px solid #cfd4dc;border-radius:6px;background:#fff;",
    "cursor:pointer;font-size:12.5px}",
    ".retry:hover{border-color:#a9bdec;color:#2456c9}",
    ".foot{display:flex;justify-content:space-between;gap:8px;padding:6px 12px 8px;color:#5f6672;font-size:11.5px;",
    "flex:none}",
    "kbd{display:inline-block;min-width:1.4em;padding:0 .3em;border:1px solid #cfd4dc;border-bottom-width:2px;",
    "border-radius:4px;background:#fff;color:#4e5561;font:500 10.5px/1.5 ui-monospace,Menlo,Consolas,monospace;",
    "text-align:center}",
    "@media (prefers-reduced-motion:reduce){*{transition:none !important;animation:none !important}}"
  ].join("");

  // ---- the widget ------------------------------------------------------------------------------------------

  var current = null;

  function Widget(config) {
    this.config = config;
    // shownApi: the API (the shop's) that gave the suggestions shown: feedback on them goes there
    this.state = {key: "", seq: 0, controller: null, message: "", suggestions: [], names: {}, shownApi: "",
                  pending: null, retryTimer: null, timer: null};
    // The product in focus: {id: what is sent as `product`, name: what is shown} or null; `turn` makes a later
    // choice win over a name still being looked up; the chooser's list: items, active option, search seq.
    // `searching`: a search for newer text is on its way (arrows and Enter wait for it; Enter meanwhile sets
    // `enterPending`: the first match is chosen when it comes).
    this.product = {current: null, turn: 0, items: [], active: -1, open: false, seq: 0, timer: null,
                    searching: false, enterPending: false};
    this.shop = config.shop !== null ? config.shop : rememberedShop();
    this.onMutations = this.onMutations.bind(this);
    this.onKeyDown = this.onKeyDown.bind(this);
    this.build();
    this.observer = new MutationObserver(this.onMutations);
    // The whole page is watched (single-page apps replace their conversation element when the agent switches
    // chats); `container` only narrows where buyer messages are looked for, and is looked up again every time.
    this.observer.observe(document.body || document.documentElement,
                          {childList: true, subtree: true, characterData: true});
    if (config.hotkeys) window.addEventListener("keydown", this.onKeyDown, true);
    this.scan();
  }

  Widget.prototype.watchRoot = function () {
    var found = null;
    try {
      found = this.config.container ? document.querySelector(this.config.container) : null;
    } catch (err) {
      found = null; // a bad selector: look in the whole page
    }
    return found || document.body || document.documentElement;
  };

  Widget.prototype.build = function () {
    var c = this.config;
    var host = document.createElement(TAG);
    host.setAttribute("data-position", c.position);
    var root = host.attachShadow({mode: "open"});
    var style = document.createElement("style");
    // z-index here, not in a style attribute: the :host rule's `all: initial !important` would win over that.
    style.textContent = CSS + ":host{z-index:" + toInt(c.zIndex, DEFAULTS.zIndex, 0, 2147483647) + " !important}";
    root.appendChild(style);
    this.placeStyle = document.createElement("style"); // where the panel sits: see place()
    root.appendChild(this.placeStyle);

    var panel = el("section", "hw");
    panel.setAttribute("role", "complementary");
    panel.setAttribute("aria-label", c.title);
    var head = el("header", "head");
    var mark = el("span", "mark", "话");
    mark.setAttribute("aria-hidden", "true");
    head.appendChild(mark);
    head.appendChild(el("span", "title", c.title));
    this.countEl = el("span", "count");
    this.countEl.hidden = true;
    head.appendChild(this.countEl);
    this.spinEl = el("span", "spin");
    this.spinEl.hidden = true;
    head.appendChild(this.spinEl);
    this.statusEl = el("span", "status");
    this.statusEl.setAttribute("aria-live", "polite");
    head.appendChild(this.statusEl);
    var toggle = el("button", "toggle");
    toggle.type = "button";
    toggle.appendChild(chevron());
    head.appendChild(toggle);
    panel.appendChild(head);
    panel.appendChild(this.buildShop());
    panel.appendChild(this.buildProduct());

    this.bodyEl = el("div", "body");
    this.quoteEl = el("p", "quote");
    this.quoteEl.hidden = true;
    this.quoteEl.appendChild(el("span", "quote-label", "买家"));
    this.quoteText = el("span", "quote-text");
    this.quoteEl.appendChild(this.quoteText);
    this.bodyEl.appendChild(this.quoteEl);
    this.listEl = el("ol", "list");
    this.bodyEl.appendChild(this.listEl);
    this.noteEl = el("div", "note");
    this.bodyEl.appendChild(this.noteEl);
    panel.appendChild(this.bodyEl);

    var foot = el("footer", "foot");
    var hint = el("span");
    if (c.hotkeys) {
      hint.appendChild(el("kbd", "", "Alt"));
      hint.appendChild(document.createTextNode("+"));
      hint.appendChild(el("kbd", "", "1…9"));
      hint.appendChild(document.createTextNode(" 填入回复框"));
    } else {
      hint.textContent = "点击填入回复框";
    }
    foot.appendChild(hint);
    foot.appendChild(el("span", "", "不会自动发送"));
    this.footEl = foot;
    panel.appendChild(foot);
    root.appendChild(panel);

    var self = this;
    toggle.addEventListener("click", function () { self.setCollapsed(!self.collapsed, true); });
    head.addEventListener("dblclick", function (event) {
      if (event.target !== toggle && !toggle.contains(event.target)) self.setCollapsed(!self.collapsed, true);
    });
    this.dragging(head, toggle);
    // Keep the focus (and caret) in the chat tool's reply box while the agent clicks in the panel.
    panel.addEventListener("mousedown", function (event) {
      if (event.target.closest && event.target.closest("button")) event.preventDefault();
    });

    this.host = host;
    this.root = root;
    this.panel = panel;
    this.toggleEl = toggle;
    var stored = null;
    try { stored = localStorage.getItem(STORAGE_KEY); } catch (err) { stored = null; }
    this.setCollapsed(c.collapsed !== null ? c.collapsed : stored === "1", false);
    this.showNote("idle");
    if (c.product) this.setProduct(c.product, true); // asked with the first message, no extra request
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(POSITION_KEY) || "null"); } catch (err) { saved = null; }
    this.place(saved && typeof saved.right === "number" && typeof saved.bottom === "number" ? saved : null);
    this.onResize = function () { self.place(self.offsets); };
    window.addEventListener("resize", this.onResize);
    this.mount();
    this.loadShops();
  };

  // ---- the shop (店铺) ------------------------------------------------------------------------------------

  /* Where this widget's calls go: the default shop's API, or /api/v1/shops/<shop>. */
  Widget.prototype.api = function () {
    return this.config.server + (this.shop ? "/api/v1/shops/" + encodeURIComponent(this.shop) : "/api/v1");
  };

  /* The 店铺 line: a list of the shops the server hosts, shown only when it hosts more than the default one. */
  Widget.prototype.buildShop = function () {
    var self = this;
    var row = el("div", "shop");
    row.hidden = true;
    var label = el("label", "shop-label", "店铺");
    label.setAttribute("for", "hw-shop");
    row.appendChild(label);
    this.shopSelect = el("select", "shop-select");
    this.shopSelect.id = "hw-shop";
    this.shopSelect.title = "推荐、商品和反馈都按所选店铺的话术库";
    row.appendChild(this.shopSelect);
    this.shopNote = el("span", "shop-note"); // a shop asked for that the server does not host (until a choice)
    this.shopNote.hidden = true;
    row.appendChild(this.shopNote);
    this.shopSelect.addEventListener("change", function () {
      self.shopNote.hidden = true;
      self.setShop(self.shopSelect.value, true);
      self.setStatus("已切换到「" + (self.shop || "默认店铺") + "」", "ok");
    });
    ["keydown", "keyup", "keypress"].forEach(function (type) { // the host page's shortcuts must not see them
      self.shopSelect.addEventListener(type, function (event) { event.stopPropagation(); });
    });
    this.shopRow = row;
    return row;
  };

  /* GET /api/v1/shops fills the list. A shop the server does not host falls back to the default one; a server
   * that cannot tell (an older one, unreachable) keeps the shop configured. */
  Widget.prototype.loadShops = function () {
    var self = this;
    var headers = {};
    if (this.config.apiKey) headers["X-API-Key"] = this.config.apiKey;
    var turn = this.shopTurn = (this.shopTurn || 0) + 1;
    fetch(this.config.server + "/api/v1/shops", {mode: "cors", credentials: "omit", headers: headers})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (turn !== self.shopTurn || !data || !Array.isArray(data.shops)) return;
        var names = data.shops.map(function (shop) { return shop ? shopName(shop.name) : ""; })
          .filter(Boolean).slice(0, 500);
        clear(self.shopSelect);
        [""].concat(names).forEach(function (name) {
          var option = el("option", "", name || "默认店铺");
          option.value = name;
          self.shopSelect.appendChild(option);
        });
        if (self.shop && names.indexOf(self.shop) < 0) {
          self.shopNote.textContent = "没有店铺「" + self.shop + "」";
          self.shopNote.title = "服务上没有店铺「" + self.shop + "」，已改用默认店铺";
          self.shopNote.hidden = false;
          self.setShop("", false);
        }
        self.shopRow.hidden = !names.length && self.shopNote.hidden;
        self.shopSelect.value = self.shop;
      })
      .catch(function () { /* the list stays hidden; the configured shop is asked as it is */ });
  };

  /* Answer for shop `name` ("" the default one) from now on: the product in focus goes (it was looked up in the
   * other shop's sheet; set it again after) and the buyer's latest message is asked again of this shop.
   * `remember`: the agent chose it, so it is the shop this site starts with next time. */
  Widget.prototype.setShop = function (name, remember) {
    var shop = shopName(name);
    if (remember) {
      try { localStorage.setItem(SHOP_KEY, shop); } catch (err) { /* storage blocked */ }
    }
    if (this.shopSelect && this.shopSelect.value !== shop) this.shopSelect.value = shop;
    if (shop === this.shop) return;
    this.shop = shop;
    this.setProduct("", true);
    this.refresh();
  };

  // ---- the product in focus -----------------------------------------------------------------------------

  /* The product line: 商品 <name | 未选择商品> [选择/更换] [清除], and a search box (an ARIA combobox with a listbox)
   * that 选择/更换 opens. Keys in the box: typing searches; ↓/↑ move through the list; Enter chooses (the first
   * match when none is highlighted); Esc closes the list, then empties the box, then closes the search. */
  Widget.prototype.buildProduct = function () {
    var self = this;
    var box = el("div", "product");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "商品");
    var headRow = el("div", "product-head");
    headRow.appendChild(el("span", "product-label", "商品"));
    this.productName = el("span", "product-current none", "未选择商品");
    headRow.appendChild(this.productName);
    this.productChange = el("button", "pbtn product-change", "选择");
    this.productChange.type = "button";
    this.productChange.setAttribute("aria-expanded", "false");
    this.productChange.setAttribute("aria-controls", "hw-product-search");
    headRow.appendChild(this.productChange);
    this.productClear = el("button", "pbtn product-clear", "清除");
    this.productClear.type = "button";
    this.productClear.setAttribute("aria-label", "清除商品");
    this.productClear.hidden = true;
    headRow.appendChild(this.productClear);
    box.appendChild(headRow);

    var search = el("div", "product-search");
    search.id = "hw-product-search";
    search.hidden = true;
    var label = el("label", "vh", "搜索商品（名称、ID 或类目）");
    label.setAttribute("for", "hw-product-input");
    search.appendChild(label);
    var input = el("input", "product-input");
    input.id = "hw-product-input";
    input.type = "text";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.maxLength = 200;
    input.placeholder = "搜索商品：名称、ID 或类目";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "hw-product-list");
    search.appendChild(input);
    var list = el("ul", "product-list");
    list.id = "hw-product-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "商品搜索结果");
    list.hidden = true;
    search.appendChild(list);
    this.productStatus = el("span", "vh");
    this.productStatus.setAttribute("aria-live", "polite");
    search.appendChild(this.productStatus);
    box.appendChild(search);
    this.productSearch = search;
    this.productInput = input;
    this.productList = list;

    this.productChange.addEventListener("click", function () {
      if (search.hidden) self.openSearch();
      else self.closeSearch(false);
    });
    this.productClear.addEventListener("click", function () { self.setProduct("", false); });
    input.addEventListener("input", function () {
      var p = self.product;
      self.openList();
      p.items = [];
      self.setActive(-1);
      self.productBusy(true);
      clearTimeout(p.timer);
      p.timer = setTimeout(function () { self.searchProducts(input.value.trim()); }, 150);
    });
    input.addEventListener("click", function () {
      if (!self.product.open) { self.openList(); self.searchProducts(input.value.trim()); }
    });
    input.addEventListener("keydown", function (event) { self.onProductKey(event); });
    // Keys typed here are the widget's: the host page's own shortcuts must not see them.
    ["keydown", "keyup", "keypress"].forEach(function (type) {
      input.addEventListener(type, function (event) { event.stopPropagation(); });
    });
    box.addEventListener("focusout", function (event) {
      var next = event.relatedTarget;
      if (!next || !box.contains(next)) self.closeList();
    });
    this.productBox = box;
    return box;
  };

  Widget.prototype.renderProduct = function () {
    var product = this.product.current;
    this.productName.textContent = product ? product.name : "未选择商品";
    this.productName.className = "product-current" + (product ? "" : " none");
    this.productName.title = product ? (product.id === product.name ? product.id : product.name + "（" + product.id + "）") : "";
    this.productChange.textContent = product ? "更换" : "选择";
    this.productChange.setAttribute("aria-label", product ? "更换商品" : "选择商品");
    this.productClear.hidden = !product;
  };

  Widget.prototype.openSearch = function () {
    this.productSearch.hidden = false;
    this.productChange.setAttribute("aria-expanded", "true");
    this.productInput.value = "";
    this.productInput.focus();
    this.openList();
    this.searchProducts("");
  };

  /* Hide the search box; `refocus`: put the focus back on the 选择/更换 button (after a choice or Esc). */
  Widget.prototype.closeSearch = function (refocus) {
    this.closeList();
    this.productInput.value = "";
    this.productSearch.hidden = true;
    this.productChange.setAttribute("aria-expanded", "false");
    if (refocus) this.productChange.focus();
  };

  Widget.prototype.openList = function () {
    this.product.open = true;
    this.productList.hidden = false;
    this.productInput.setAttribute("aria-expanded", "true");
  };

  Widget.prototype.closeList = function () {
    var p = this.product;
    clearTimeout(p.timer);
    p.timer = null;
    p.seq++;
    this.productBusy(false);
    p.enterPending = false;
    p.open = false;
    p.items = [];
    p.active = -1;
    clear(this.productList);
    this.productList.hidden = true;
    this.productInput.setAttribute("aria-expanded", "false");
    this.productInput.removeAttribute("aria-activedescendant");
  };

  /* A search is on its way (true) or done (false): the list says so with aria-busy. */
  Widget.prototype.productBusy = function (on) {
    this.product.searching = on;
    if (on) this.productList.setAttribute("aria-busy", "true");
    else this.productList.removeAttribute("aria-busy");
  };

  Widget.prototype.setActive = function (index) {
    this.product.active = index;
    var nodes = this.productList.querySelectorAll(".option");
    for (var i = 0; i < nodes.length; i++) nodes[i].setAttribute("aria-selected", String(i === index));
    if (index >= 0 && nodes[index]) {
      this.productInput.setAttribute("aria-activedescendant", nodes[index].id);
      if (nodes[index].scrollIntoView) nodes[index].scrollIntoView({block: "nearest"});
    } else {
      this.productInput.removeAttribute("aria-activedescendant");
    }
  };

  /* GET /api/v1/products?q= (no Content-Type: without an API key this is a simple request, no preflight). */
  Widget.prototype.fetchProducts = function (query) {
    var headers = {};
    if (this.config.apiKey) headers["X-API-Key"] = this.config.apiKey;
    return fetch(this.api() + "/products?q=" + encodeURIComponent(query), {
      mode: "cors", credentials: "omit", headers: headers
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok || !data || !Array.isArray(data.products)) {
          var error = new Error("product search failed");
          error.status = response.status;
          throw error;
        }
        return data.products.filter(function (p) { return p && typeof p.id === "string" && p.id; }).map(function (p) {
          return {id: clip(p.id, 200), name: clip(typeof p.name === "string" && p.name ? p.name : p.id, 200),
                  category: typeof p.category === "string" ? clip(p.category, 100) : ""};
        });
      });
    });
  };

  Widget.prototype.listMessage = function (text) {
    clear(this.productList);
    var item = el("li", "option-none", text);
    item.id = "hw-product-none";
    item.setAttribute("role", "option");
    item.setAttribute("aria-disabled", "true");
    item.setAttribute("aria-selected", "false");
    this.productList.appendChild(item);
    this.product.items = [];
    this.setActive(-1);
  };

  Widget.prototype.searchProducts = function (query) {
    var self = this;
    var p = this.product;
    clearTimeout(p.timer);
    p.timer = null;
    this.productBusy(true);
    var seq = ++p.seq;
    this.fetchProducts(query).then(function (items) {
      if (seq !== p.seq || !p.open) return;
      self.productBusy(false);
      p.items = items;
      clear(self.productList);
      if (!items.length) {
        p.enterPending = false;
        self.listMessage(query ? "没有找到「" + query + "」相关的商品" : "商品表里还没有商品");
        self.productStatus.textContent = "没有找到商品";
        return;
      }
      items.forEach(function (product, index) {
        var item = el("li", "option");
        item.id = "hw-product-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.setAttribute("data-product-id", product.id);
        item.appendChild(el("span", "option-name", product.name));
        item.appendChild(el("span", "option-meta", [product.category, product.id].filter(Boolean).join(" · ")));
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { self.chooseProduct(product); });
        self.productList.appendChild(item);
      });
      self.setActive(-1);
      self.productStatus.textContent = "找到 " + items.length + " 个商品，按上下键选择，回车确定";
      if (p.enterPending) {
        p.enterPending = false;
        self.chooseProduct(items[0]);
      }
    }, function (err) {
      if (seq !== p.seq || !p.open) return;
      self.productBusy(false);
      p.enterPending = false;
      self.listMessage(err && err.status === 401 ? "需要 API Key 才能搜索商品" : "商品搜索失败，请稍后再试");
    });
  };

  Widget.prototype.onProductKey = function (event) {
    if (event.isComposing || event.keyCode === 229) return;
    var p = this.product;
    var count = p.items.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!p.open) {
        this.openList();
        this.searchProducts(this.productInput.value.trim());
        return;
      }
      if (!count) return;
      var step = event.key === "ArrowDown" ? 1 : -1;
      var from = p.active < 0 ? (step > 0 ? -1 : count) : p.active;
      this.setActive((from + step + count) % count);
    } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      if (!p.open) return;
      if (p.searching) { // typed faster than the search: the first match for what is typed, when it comes
        p.enterPending = true;
        if (p.timer) this.searchProducts(this.productInput.value.trim());
        return;
      }
      if (count) this.chooseProduct(p.items[p.active >= 0 ? p.active : 0]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (p.open) this.closeList();
      else if (this.productInput.value) this.productInput.value = "";
      else this.closeSearch(true);
    }
  };

  Widget.prototype.chooseProduct = function (product) {
    this.closeSearch(true);
    this.product.turn++;
    this.product.current = {id: product.id, name: product.name};
    this.renderProduct();
    this.productStatus.textContent = "已选择商品：" + product.name;
    this.refresh(); // the buyer's latest message, for this product
  };

  /* Put `ref` (an id, a link or a name; "" or null for none) in focus. It is sent as given; its name is looked up
   * for the product line. `quiet`: do not ask again now (the first request will carry it). */
  Widget.prototype.setProduct = function (ref, quiet) {
    var self = this;
    var wanted = productRef(ref);
    var turn = ++this.product.turn;
    this.product.current = wanted ? {id: wanted, name: wanted} : null;
    this.renderProduct();
    if (!quiet) this.refresh();
    if (!wanted) return;
    this.fetchProducts(wanted).then(function (items) {
      if (turn !== self.product.turn) return;
      var exact = null;
      for (var i = 0; i < items.length; i++) {
        if (items[i].id === wanted || items[i].name === wanted) { exact = items[i]; break; }
      }
      if (!exact && items.length === 1) exact = items[0];
      if (exact) {
        self.product.current = {id: wanted, name: exact.name};
        self.renderProduct();
      }
    }, function () { /* the reference itself stays on show */ });
  };

  /* Pin the panel: to the configured corner, or `offsets` {right, bottom} (px) where the agent dragged it. The
   * rule goes into the shadow root: host-page styles and style attributes cannot beat :host !important rules. */
  Widget.prototype.place = function (offsets) {
    var c = this.config;
    var rule;
    if (offsets) {
      var w = this.panel.offsetWidth || 340;
      var h = this.panel.offsetHeight || 42;
      var right = Math.max(0, Math.min(offsets.right, window.innerWidth - Math.min(w, window.innerWidth)));
      var bottom = Math.max(0, Math.min(offsets.bottom, window.innerHeight - Math.min(h, window.innerHeight)));
      this.offsets = {right: right, bottom: bottom};
      rule = "right:" + right + "px !important;bottom:" + bottom + "px !important;left:auto !important";
    } else {
      this.offsets = null;
      rule = c.position === "left" ? "left:" + c.offsetX + "px !important;right:auto !important;"
                                   : "right:" + c.offsetX + "px !important;left:auto !important;";
      rule += "bottom:" + c.offsetY + "px !important";
    }
    this.placeStyle.textContent = ":host{" + rule + "}";
  };

  /* Drag by the title bar; the spot is remembered per site (localStorage) until HuashuWidget.resetPosition(). */
  Widget.prototype.dragging = function (handle, toggle) {
    var self = this;
    var start = null;
    handle.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || toggle.contains(event.target)) return;
      var rect = self.host.getBoundingClientRect();
      start = {x: event.clientX, y: event.clientY, right: window.innerWidth - rect.right,
               bottom: window.innerHeight - rect.bottom, moved: false};
      handle.setPointerCapture(event.pointerId);
    });
    handle.addEventListener("pointermove", function (event) {
      if (!start) return;
      var dx = event.clientX - start.x;
      var dy = event.clientY - start.y;
      if (!start.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      start.moved = true;
      self.panel.classList.add("dragging");
      self.place({right: start.right - dx, bottom: start.bottom - dy});
    });
    var end = function () {
      if (!start) return;
      if (start.moved && self.offsets) {
        try { localStorage.setItem(POSITION_KEY, JSON.stringify(self.offsets)); } catch (err) { /* blocked */ }
      }
      start = null;
      self.panel.classList.remove("dragging");
    };
    handle.addEventListener("pointerup", end);
    handle.addEventListener("pointercancel", end);
  };

  Widget.prototype.resetPosition = function () {
    try { localStorage.removeItem(POSITION_KEY); } catch (err) { /* blocked */ }
    this.place(null);
  };

  Widget.prototype.mount = function () {
    if (!this.host.isConnected) (document.body || document.documentElement).appendChild(this.host);
  };

  Widget.prototype.setCollapsed = function (collapsed, remember) {
    this.collapsed = !!collapsed;
    this.panel.classList.toggle("collapsed", this.collapsed);
    this.bodyEl.hidden = this.collapsed;
    this.footEl.hidden = this.collapsed;
    this.toggleEl.setAttribute("aria-expanded", String(!this.collapsed));
    this.toggleEl.setAttribute("aria-label", this.collapsed ? "展开话术推荐" : "收起话术推荐");
    this.toggleEl.title = this.collapsed ? "展开 (Alt+0)" : "收起 (Alt+0)";
    if (remember) {
      try { localStorage.setItem(STORAGE_KEY, this.collapsed ? "1" : "0"); } catch (err) { /* storage blocked */ }
    }
  };

  Widget.prototype.setStatus = function (text, kind) {
    this.statusEl.textContent = text || "";
    this.statusEl.className = "status" + (kind ? " " + kind : "");
    clearTimeout(this.statusTimer);
    if (text && kind === "ok") {
      var self = this;
      this.statusTimer = setTimeout(function () { self.setStatus(""); }, 2500);
    }
  };

  Widget.prototype.destroy = function () {
    this.observer.disconnect();
    window.removeEventListener("keydown", this.onKeyDown, true);
    window.removeEventListener("resize", this.onResize);
    clearTimeout(this.state.timer);
    clearTimeout(this.state.retryTimer);
    clearTimeout(this.product.timer);
    this.shopTurn = (this.shopTurn || 0) + 1; // a shop list on its way is no longer wanted
    this.product.turn++;
    this.product.seq++;
    if (this.state.controller) this.state.controller.abort();
    if (this.host.parentNode) this.host.parentNode.removeChild(this.host);
  };

  // ---- watching the conversation ---------------------------------------------------------------------------

  Widget.prototype.onMutations = function () {
    var self = this;
    clearTimeout(this.state.timer);
    this.state.timer = setTimeout(function () { self.scan(); }, DEBOUNCE_MS);
  };

  Widget.prototype.buyerMessages = function () {
    var c = this.config;
    var texts = [];
    if (c.getMessages) {
      try {
        var got = c.getMessages();
        texts = Array.isArray(got) ? got.filter(function (t) { return typeof t === "string"; }) : [];
      } catch (err) {
        texts = [];
      }
    } else if (c.incoming) {
      var nodes;
      try { nodes = this.watchRoot().querySelectorAll(c.incoming); } catch (err) { nodes = []; }
      for (var i = 0; i < nodes.length; i++) texts.push(textOf(nodes[i]));
    }
    return texts.map(function (t) {
      // A leading "/" would make the API look up shortcut codes: a buyer's message never means that.
      return clip(t.replace(/^[\s/／]+/, "").trim(), c.maxChars);
    }).filter(Boolean);
  };

  Widget.prototype.scan = function () {
    this.mount(); // single-page apps sometimes rebuild <body>
    this.checkSent();
    var texts = this.buyerMessages();
    if (!texts.length) {
      if (this.state.key) this.idle(); // e.g. the agent opened a conversation without buyer messages
      return;
    }
    var latest = texts[texts.length - 1];
    var context = this.config.context ? texts.slice(Math.max(0, texts.length - 1 - this.config.context), -1) : [];
    var product = this.product.current ? this.product.current.id : "";
    var key = JSON.stringify([latest, context, product]);
    if (key === this.state.key) return;
    this.state.key = key;
    this.request(latest, context);
  };

  Widget.prototype.idle = function () {
    this.state.key = "";
    this.state.seq++;
    if (this.state.controller) this.state.controller.abort();
    this.state.suggestions = [];
    this.state.message = "";
    clear(this.listEl);
    this.countEl.hidden = true;
    this.quoteEl.hidden = true;
    this.spinEl.hidden = true;
    this.noteEl.removeAttribute("role");
    this.showNote("idle");
    this.setStatus("");
  };

  Widget.prototype.refresh = function () {
    this.state.key = "";
    this.scan();
  };

  Widget.prototype.variables = function () {
    var vars = {};
    var c = this.config;
    if (c.variables) {
      Object.keys(c.variables).forEach(function (name) {
        if (typeof c.variables[name] === "string") vars[name] = c.variables[name].slice(0, 200);
      });
    }
    if (c.buyerName) {
      var node = null;
      try { node = document.querySelector(c.buyerName); } catch (err) { node = null; }
      var name = node ? textOf(node).slice(0, 200) : "";
      if (name) vars["买家昵称"] = name;
    }
    return Object.keys(vars).length ? vars : null;
  };

  // ---- asking the server -----------------------------------------------------------------------------------

  Widget.prototype.headers = function () {
    var h = {"Content-Type": "application/json"};
    if (this.config.apiKey) h["X-API-Key"] = this.config.apiKey;
    return h;
  };

  Widget.prototype.request = function (message, context) {
    var self = this;
    var c = this.config;
    var body = {message: message, k: c.k};
    if (c.stage) body.stage = c.stage;
    if (context.length) body.context = context;
    if (this.product.current) body.product = this.product.current.id;
    var vars = this.variables();
    if (vars) body.variables = vars;

    clearTimeout(this.state.retryTimer);
    if (this.state.controller) this.state.controller.abort();
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    this.state.controller = controller;
    var seq = ++this.state.seq;
    var timedOut = false;
    var timer = setTimeout(function () { timedOut = true; if (controller) controller.abort(); }, REQUEST_TIMEOUT_MS);
    this.spinEl.hidden = false;
    this.setStatus("");
    this.quoteText.textContent = message.replace(/\n/g, " ");
    this.quoteText.title = message;
    this.quoteEl.hidden = false;

    var api = this.api();
    fetch(api + "/suggest", {
      method: "POST", mode: "cors", credentials: "omit", headers: this.headers(),
      body: JSON.stringify(body), signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (seq !== self.state.seq) return;
        if (response.ok && data && Array.isArray(data.suggestions)) {
          self.state.shownApi = api;
          self.render(message, data);
          return;
        }
        var error = data && data.error ? data.error : {};
        if (response.status === 401) {
          self.fail("话术服务需要有效的 API Key", "请在嵌入代码里设置 data-api-key。", false);
        } else if (response.status === 503) {
          var wait = Math.max(2, Math.min(60, parseInt(response.headers.get("Retry-After"), 10) || 5));
          self.fail("话术服务正在启动", "模型加载中，" + wait + " 秒后自动重试。", true);
          self.state.retryTimer = setTimeout(function () { self.refresh(); }, wait * 1000);
        } else if (response.status === 422 || response.status === 400 || response.status === 413) {
          self.fail("这条消息没法推荐话术", error.message || ("HTTP " + response.status), false);
        } else {
          self.fail("话术服务出错了", (error.message || "HTTP " + response.status) + "，请稍后重试。", true);
        }
      });
    }).catch(function (err) {
      if (seq !== self.state.seq) return;
      if (err && err.name === "AbortError" && !timedOut) return;
      self.fail(timedOut ? "话术服务响应超时" : "连不上话术服务",
                timedOut ? "请稍后重试。" : "请检查服务地址 " + c.server + " 和它的 CORS 设置（cors_origins）。", true);
    }).then(function () {
      clearTimeout(timer);
      if (seq === self.state.seq) self.spinEl.hidden = true;
    });
  };

  Widget.prototype.fail = function (title, detail, retry) {
    this.state.suggestions = [];
    // state.key stays: the page's next unrelated change must not hammer a failing server; 重试 (or the
    // 503 timer) calls refresh(), and a new buyer message asks anyway.
    clear(this.listEl);
    this.countEl.hidden = true;
    this.showNote("error", title, detail, retry);
    this.setStatus("出错了", "warn");
  };

  Widget.prototype.showNote = function (kind, title, detail, retry) {
    var note = this.noteEl;
    clear(note);
    note.className = "note" + (kind === "error" ? " error" : "");
    note.hidden = kind === "none";
    if (kind === "none") return;
    if (kind === "idle") {
      note.appendChild(el("strong", "", "等待买家消息"));
      note.appendChild(el("small", "", "买家发来新消息时，这里会推荐话术。"));
      return;
    }
    if (kind === "empty") {
      note.appendChild(el("strong", "", "没有合适的话术"));
      note.appendChild(el("small", "", "这条消息和话术库里的场景都不太像，请手动回复。"));
      return;
    }
    note.setAttribute("role", "alert");
    note.appendChild(el("strong", "", title));
    note.appendChild(el("small", "", detail));
    if (retry) {
      var self = this;
      var button = el("button", "retry", "重试");
      button.type = "button";
      button.addEventListener("click", function () { self.refresh(); });
      note.appendChild(button);
    }
  };

  Widget.prototype.render = function (message, data) {
    var names = {};
    (data.segments || []).forEach(function (segment) {
      (segment.situations || []).forEach(function (s) { names[s.id] = s.name; });
    });
    this.state.message = message;
    this.state.names = names;
    this.state.suggestions = (data.suggestions || []).slice(0, this.config.k);
    clear(this.listEl);
    this.noteEl.removeAttribute("role");
    var list = this.state.suggestions;
    if (data.abstained || !list.length) {
      this.countEl.hidden = true;
      this.showNote("empty");
      this.setStatus("");
      return;
    }
    this.showNote("none");
    this.countEl.textContent = list.length + " 条";
    this.countEl.hidden = false;
    var self = this;
    list.forEach(function (reply, i) {
      var li = el("li");
      var item = el("button", "item");
      item.type = "button";
      item.setAttribute("data-n", String(i + 1));
      item.setAttribute("data-reply-id", String(reply.id));
      item.title = self.config.hotkeys ? "点击或按 Alt+" + (i + 1) + " 填入回复框" : "点击填入回复框";
      item.appendChild(el("span", "num", i + 1));
      item.appendChild(el("span", "text", reply.text));
      if (reply.note) {
        // for the agent, not the buyer: shown under the text, never inserted with it
        item.appendChild(el("span", "hint", "提示：" + reply.note));
      }
      var meta = el("span", "meta");
      meta.appendChild(el("span", "chip", names[reply.situation] || reply.situation));
      meta.appendChild(el("span", "chip chip-" + (STAGE_NAMES[reply.stage] ? reply.stage : "general"),
                          STAGE_NAMES[reply.stage] || "通用"));
      var pct = Math.max(0, Math.min(100, Math.round(Number(reply.score) * 100)));
      var score = el("span", "score", "置信度 " + pct + "%");
      meta.appendChild(score);
      if (reply.unfilled && reply.unfilled.length) {
        meta.appendChild(el("span", "chip chip-warn", "待填写：" + reply.unfilled.join("、")));
      }
      item.appendChild(meta);
      item.addEventListener("click", function () { self.insert(i + 1); });
      li.appendChild(item);
      self.listEl.appendChild(li);
    });
    this.setStatus("");
  };

  // ---- putting a reply into the chat tool ------------------------------------------------------------------

  Widget.prototype.replyBox = function () {
    var found = null;
    if (this.config.replyBox) {
      try { found = document.querySelector(this.config.replyBox); } catch (err) { found = null; }
    }
    return found;
  };

  Widget.prototype.insert = function (n) {
    var reply = this.state.suggestions[n - 1];
    if (!reply) return false;
    var box = this.replyBox();
    var self = this;
    var done = function (how) {
      var item = self.root.querySelector('.item[data-n="' + n + '"]');
      if (item) {
        item.classList.add("done");
        setTimeout(function () { item.classList.remove("done"); }, 1200);
      }
      var warn = reply.unfilled && reply.unfilled.length;
      self.setStatus(warn ? "注意填写「" + reply.unfilled.join("、") + "」" : how, warn ? "warn" : "ok");
      self.feedback(reply.id, "copied");
      self.state.pending = {id: reply.id, text: reply.text, message: self.state.message,
                            until: Date.now() + SENT_WATCH_MS, seen: self.outgoingCount()};
    };
    if (box && fillBox(box, reply.text, this.config.insert)) {
      done("已填入第 " + n + " 条");
      return true;
    }
    copyText(reply.text, this.root).then(function (ok) {
      if (ok) done(box ? "已复制第 " + n + " 条，请粘贴" : "没找到回复框，已复制到剪贴板");
      else self.setStatus("没找到回复框，也无法复制", "warn");
    });
    return false;
  };

  function isTextControl(node) {
    return node && (node.tagName === "TEXTAREA" || (node.tagName === "INPUT" &&
      /^(text|search|email|url|tel|)$/i.test(node.getAttribute("type") || "")));
  }

  /* Fill a textarea/input through the prototype's value setter (React's value tracker then sees a real change),
   * or a contenteditable through execCommand('insertText') (editors see a normal typing input event). */
  function fillBox(box, text, mode) {
    if (isTextControl(box)) {
      if (box.disabled || box.readOnly) return false;
      var proto = box.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      var setter = Object.getOwnPropertyDescriptor(proto, "value").set;
      var value = text;
      var caret = text.length;
      if (mode === "cursor") {
        var old = box.value;
        var start = typeof box.selectionStart === "number" ? box.selectionStart : old.length;
        var end = typeof box.selectionEnd === "number" ? box.selectionEnd : old.length;
        value = old.slice(0, start) + text + old.slice(end);
        caret = start + text.length;
      }
      box.focus();
      setter.call(box, value);
      try { box.setSelectionRange(caret, caret); } catch (err) { /* some input types have no selection */ }
      box.dispatchEvent(new Event("input", {bubbles: true}));
      box.dispatchEvent(new Event("change", {bubbles: true}));
      return true;
    }
    if (box.isContentEditable) {
      box.focus();
      var selection = window.getSelection();
      var range = document.createRange();
      range.selectNodeContents(box);
      if (mode === "cursor" && selection.rangeCount && box.contains(selection.getRangeAt(0).commonAncestorContainer)) {
        range = selection.getRangeAt(0);
      }
      selection.removeAllRanges();
      selection.addRange(range);
      var ok = false;
      try { ok = document.execCommand("insertText", false, text); } catch (err) { ok = false; }
      if (!ok || box.textContent.indexOf(text) < 0) {
        if (mode === "cursor") box.textContent = box.textContent + text;
        else box.textContent = text;
        var evt;
        try {
          evt = new InputEvent("input", {bubbles: true, inputType: "insertText", data: text});
        } catch (err) {
          evt = new Event("input", {bubbles: true});
        }
        box.dispatchEvent(evt);
        range = document.createRange();
        range.selectNodeContents(box);
        range.collapse(false);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      return true;
    }
    return false;
  }

  function copyText(text, shadow) {
    var fallback = function () {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.cssText = "position:fixed;left:-9999px;top:0;opacity:0";
      shadow.appendChild(area);
      var focused = document.activeElement;
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
      shadow.removeChild(area);
      if (focused && focused.focus) focused.focus();
      return ok;
    };
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, fallback);
    }
    return Promise.resolve(fallback());
  }

  // ---- feedback --------------------------------------------------------------------------------------------

  Widget.prototype.feedback = function (replyId, action) {
    var message = this.state.message;
    if (!message) return;
    try {
      fetch((this.state.shownApi || this.api()) + "/feedback", {
        method: "POST", mode: "cors", credentials: "omit", keepalive: true, headers: this.headers(),
        body: JSON.stringify({message: message, reply_id: replyId, action: action})
      }).catch(function () { /* feedback is best effort */ });
    } catch (err) { /* old browsers without keepalive */ }
  };

  Widget.prototype.outgoingCount = function () {
    if (!this.config.outgoing) return 0;
    try { return this.watchRoot().querySelectorAll(this.config.outgoing).length; } catch (err) { return 0; }
  };

  /* With `outgoing` set: a new sent message that is the inserted reply logs "sent" once. */
  Widget.prototype.checkSent = function () {
    var pending = this.state.pending;
    if (!pending || !this.config.outgoing) return;
    if (Date.now() > pending.until) { this.state.pending = null; return; }
    var nodes;
    try { nodes = this.watchRoot().querySelectorAll(this.config.outgoing); } catch (err) { return; }
    for (var i = pending.seen; i < nodes.length; i++) {
      if (same(textOf(nodes[i]), pending.text)) {
        this.state.pending = null;
        var message = this.state.message;
        this.state.message = pending.message;
        this.feedback(pending.id, "sent");
        this.state.message = message;
        return;
      }
    }
    pending.seen = Math.max(pending.seen, nodes.length);
  };

  // ---- keyboard --------------------------------------------------------------------------------------------

  Widget.prototype.onKeyDown = function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    var match = /^(?:Digit|Numpad)([0-9])$/.exec(event.code || "");
    if (!match) return;
    var n = parseInt(match[1], 10);
    if (n === 0) {
      this.setCollapsed(!this.collapsed, true);
    } else if (n <= this.state.suggestions.length) {
      this.insert(n);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  function chevron() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 6l4 4 4-4");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "1.8");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
    return svg;
  }

  // ---- public API ------------------------------------------------------------------------------------------

  function whenReady(fn) {
    if (document.body) fn();
    else document.addEventListener("DOMContentLoaded", fn, {once: true});
  }

  var pendingProduct = null; // setProduct() before the widget is up: the next init takes it
  var pendingShop = null;    // setShop() likewise

  var api = {
    version: VERSION,
    /* Start (or restart) the widget. Options not given come from the script tag's data-* attributes. */
    init: function (options) {
      var raw = Object.assign({}, fromScriptTag(), window.HuashuWidgetConfig || {}, options || {});
      if (pendingProduct !== null && !(options && options.product !== undefined)) raw.product = pendingProduct;
      pendingProduct = null;
      if (pendingShop !== null && !(options && options.shop !== undefined)) raw.shop = pendingShop;
      pendingShop = null;
      var config = normalizeConfig(raw);
      if (!config.incoming && !config.getMessages) {
        throw new Error("HuashuWidget.init: set `incoming` (a CSS selector of the buyer's messages) or `getMessages`");
      }
      whenReady(function () {
        if (current) current.destroy();
        current = new Widget(config);
      });
      return api;
    },
    destroy: function () {
      if (current) current.destroy();
      current = null;
    },
    /* Ask again for the latest buyer message (e.g. after switching conversations without DOM changes). */
    refresh: function () {
      if (current) current.refresh();
    },
    /* Put suggestion n (1-based) into the reply box, as a click would. */
    insert: function (n) {
      return current ? current.insert(n) : false;
    },
    /* Back to the configured corner after the agent dragged the panel elsewhere. */
    resetPosition: function () {
      if (current) current.resetPosition();
    },
    /* Put a product in focus (an id, a link or a name: the product card the buyer sent), or none with null/"";
     * the buyer's latest message is asked about again for it. The agent can still change it in the panel. */
    setProduct: function (ref) {
      if (current) current.setProduct(ref, false);
      else pendingProduct = productRef(ref);
    },
    /* Answer for shop `name` (one the server hosts; "" or null: the default shop). The product in focus goes with
     * the old shop: call setProduct after. */
    setShop: function (name) {
      if (current) current.setShop(name, false);
      else pendingShop = shopName(name);
    },
    /* The shop answered for: its name, or "" for the default shop. */
    shop: function () {
      return current ? current.shop : (pendingShop !== null ? pendingShop : rememberedShop());
    },
    /* The product in focus: {id (what is sent as `product`), name} or null. */
    product: function () {
      var p = current ? current.product.current : null;
      return p ? {id: p.id, name: p.name} : (!current && pendingProduct ? {id: pendingProduct, name: pendingProduct} : null);
    },
    /* The suggestions shown now (copies of the API's objects). */
    suggestions: function () {
      return current ? JSON.parse(JSON.stringify(current.state.suggestions)) : [];
    }
  };
  window.HuashuWidget = api;

  var tagConfig = Object.assign({}, fromScriptTag(), window.HuashuWidgetConfig || {});
  var auto = script && script.dataset.auto !== undefined ? toBool(script.dataset.auto, true) : true;
  if (auto && (tagConfig.incoming || tagConfig.getMessages)) {
    try {
      api.init();
    } catch (err) {
      if (window.console) console.warn("[huashu-widget]", err.message);
    }
  }
})();
