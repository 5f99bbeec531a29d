/* 话术推荐 sidebar: a helpdesk iframe app (Chatwoot Dashboard App protocol). Plain JS, no build step; shared helpers from common.js.
 *
 * Protocol: the app posts the string 'chatwoot-dashboard-app:fetch-info' to window.parent (on load, on 刷新, when
 * the tab becomes visible again, and every few seconds while it is visible); the helpdesk answers with
 * JSON.stringify({event: 'appContext', data: {conversation, contact, currentAgent}}). The payload comes from
 * another application and is treated as untrusted: only JSON strings from the parent window, at most 1 MB, only
 * the last 50 messages, each cut to the API's length limit, and every piece of it shown with textContent.
 * ?message=… on the page's own URL asks for one message by hand (with ?product=… for the product in focus).
 *
 * The product in focus (商品) is sent as `product`: the conversation's custom attribute `product_id` (or `product`;
 * an id, a link or a name) when it has one, otherwise the one the agent chose with the chooser. The agent may change
 * it; the conversation's value comes back when the helpdesk switches to another conversation or the attribute
 * changes, and a conversation without one starts with none (nothing of one buyer's product leaks into the next). When a reply is copied, the app also posts
 * JSON.stringify({event: 'huashu:reply', data: {text, reply_id, situation, message}}) to the parent, for helpdesks
 * whose app SDK can put text into the reply box.
 */
(() => {
  "use strict";

  const FETCH_INFO = "chatwoot-dashboard-app:fetch-info";
  const MAX_PAYLOAD_BYTES = 1024 * 1024;
  const MAX_MESSAGES = 50;
  const CONTEXT_MESSAGES = 5;
  const POLL_MS = 10000;
  const K = 6;
  // Shared helpers (common.js, loaded before this file).
  const {el, clearNode, svgIcon, flash, toaster, stageNames, checkedStage, stageBadge, percent, markUnfilled,
         saveApiKey, apiHeaders, writeClipboard, productPicker, oneSegmentPerClause, shopSwitcher} = window.Huashu;
  // The conversation's custom attributes that name the product it is about, in order of preference.
  const PRODUCT_ATTRIBUTES = ["product_id", "product"];
  const STAGE_NAMES = stageNames();

  const body = document.body;
  const MAX_CHARS = Number(body.dataset.maxChars) || 2000;
  const $ = (id) => document.getElementById(id);
  // The shop (店铺) answered for: ?shop= in the dashboard app's address (one app per shop's inbox), else the one
  // last chosen in the helpdesk this sidebar is framed by (remembered per embedding site), else the default shop.
  const site = (() => { try { return new URL(document.referrer).origin; } catch (err) { return ""; } })();
  const shop = shopSwitcher($("shop"), `huashu.shop@${site}`, new URLSearchParams(location.search).get("shop"),
                            body.dataset.apiRoot || "/api/v1");
  const results = $("results");
  const conn = $("conn");

  const state = {
    key: "",            // the request last sent (skip identical ones)
    seq: 0,
    controller: null,
    message: "",        // the message the shown suggestions are for
    shownApi: "",       // … and the shop API that gave them (feedback on them goes there)
    suggestions: [],
    source: null,       // {message, context, contact, conversationId, at} of the shown message
    gotContext: false,
    contextKey: "",     // the helpdesk's latest buyer message last seen: polling answers only act on a change
    forceNext: false,   // 刷新 was pressed: act on the next answer even if nothing changed
    conversationId: null, // the conversation and its product attribute last applied to the product in focus
    productRef: null,
    turn: 0,            // appContext answers handled: a newer one wins over one still resolving its product
    productReady: Promise.resolve(),
  };

  // ---- the product in focus ---------------------------------------------------------------------------

  const productSource = $("product-source");

  function showProductSource(text) {
    productSource.textContent = text;
    productSource.hidden = !text;
  }

  const picker = productPicker({
    root: $("product"), input: $("product-search"), list: $("product-list"), current: $("product-current"),
    clear: $("product-clear"), status: $("product-status"),
  }, {
    api: shop.api,
    onChange: (product) => {
      showProductSource(product ? "手动选择" : "");
      if (state.source) ask(state.source, true); // the message on screen, for this product
    },
  });

  // ---- helpers ----------------------------------------------------------------------------------------

  /* At most `max` code points, the way the server counts (never half a surrogate pair). */
  function clip(text, max) {
    if (text.length <= max) return text;
    return Array.from(text).slice(0, max).join("");
  }

  function isPlainObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  const showToast = toaster($("toast"), 1500, 2600);

  function setConn(text, kind) {
    conn.textContent = text;
    conn.className = "sb-conn" + (kind ? " sb-conn-" + kind : "");
  }

  // ---- the helpdesk's context (untrusted) -------------------------------------------------------------

  function requestContext() {
    if (window.parent && window.parent !== window) window.parent.postMessage(FETCH_INFO, "*");
  }

  function byteLength(text) {
    if (text.length * 3 <= MAX_PAYLOAD_BYTES) return text.length; // cannot be over the limit
    return new TextEncoder().encode(text).length;
  }

  /* The appContext data object, or null for anything else. */
  function parseAppContext(raw) {
    if (typeof raw !== "string" || raw.length > MAX_PAYLOAD_BYTES || byteLength(raw) > MAX_PAYLOAD_BYTES) return null;
    let parsed;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      return null;
    }
    if (!isPlainObject(parsed) || parsed.event !== "appContext" || !isPlainObject(parsed.data)) return null;
    return parsed.data;
  }

  function timeOf(value) {
    if (typeof value === "number" && isFinite(value)) return value < 1e11 ? value * 1000 : value; // seconds or ms
    if (typeof value === "string" && value) {
      const n = Number(value);
      if (isFinite(n)) return n < 1e11 ? n * 1000 : n;
      const t = Date.parse(value);
      if (!isNaN(t)) return t;
    }
    return -Infinity;
  }

  function isIncoming(m) {
    return isPlainObject(m) && (m.message_type === 0 || m.message_type === "incoming") && m.private !== true &&
      typeof m.content === "string" && m.content.trim() !== "";
  }

  function shortText(value, max) {
    return typeof value === "string" ? clip(value.trim(), max) : "";
  }

  /* The product a conversation is about, from its custom attributes (product_id, else product): a string or a
   * number (an id, a link or a name), "" when it has none. */
  function conversationProduct(conversation) {
    const attributes = isPlainObject(conversation.custom_attributes) ? conversation.custom_attributes : {};
    for (const name of PRODUCT_ATTRIBUTES) {
      const value = attributes[name];
      if (typeof value === "number" && isFinite(value)) return String(value);
      const text = shortText(value, 500);
      if (text) return text;
    }
    return "";
  }

  /* From Chatwoot's {conversation, contact, currentAgent}: the buyer's latest message and the earlier ones. */
  function extract(data) {
    const conversation = isPlainObject(data.conversation) ? data.conversation : {};
    const all = Array.isArray(conversation.messages) ? conversation.messages.slice(-MAX_MESSAGES) : [];
    const incoming = [];
    all.forEach((m, index) => {
      if (isIncoming(m)) incoming.push({text: clip(m.content.trim(), MAX_CHARS), at: timeOf(m.created_at), index});
    });
    incoming.sort((a, b) => (a.at - b.at) || (a.index - b.index)); // the newest last; ties keep the list order
    const contact = isPlainObject(data.contact) ? data.contact : {};
    const id = conversation.id;
    return {
      latest: incoming.length ? incoming[incoming.length - 1] : null,
      context: incoming.slice(Math.max(0, incoming.length - 1 - CONTEXT_MESSAGES), -1).map((m) => m.text),
      contact: shortText(contact.name, 200),
      conversationId: (typeof id === "number" || typeof id === "string") ? clip(String(id), 20) : "",
      product: conversationProduct(conversation),
    };
  }

  async function onAppContext(data) {
    state.gotContext = true;
    const info = extract(data);
    setConn(info.conversationId ? `会话 #${info.conversationId}` : "已连接会话", "ok");
    const contextKey = JSON.stringify([info.conversationId, info.latest && info.latest.text,
                                       info.latest && info.latest.at, info.context, info.contact, info.product]);
    if (contextKey === state.contextKey && !state.forceNext) return; // e.g. a manual question stays on screen
    state.contextKey = contextKey;
    state.forceNext = false;
    const turn = ++state.turn;
    if (info.conversationId !== state.conversationId || info.product !== state.productRef) {
      // another conversation, or its product attribute changed: that attribute decides (none: no product)
      state.conversationId = info.conversationId;
      state.productRef = info.product;
      state.productReady = picker.setRef(info.product, {silent: true})
        .then((product) => showProductSource(product ? "来自会话" : ""));
    }
    await state.productReady; // the product is looked up before the message is asked about
    if (turn !== state.turn) return; // a newer answer from the helpdesk took over meanwhile
    if (!info.latest) {
      showSource(null);
      state.key = "";
      showPlaceholder("这个会话里还没有买家消息", "买家发来消息后点「刷新」，或在下方手动输入。");
      return;
    }
    const message = info.latest.text.replace(/^[\s/／]+/, ""); // a buyer never means a /shortcut lookup
    if (!message) return;
    ask({message, context: info.context, contact: info.contact, conversationId: info.conversationId,
         at: info.latest.at, manual: false});
  }

  window.addEventListener("message", (event) => {
    // Only the embedding helpdesk speaks to us (or the page itself, when opened on its own).
    if (event.source !== window.parent) return;
    const data = parseAppContext(event.data);
    if (data) onAppContext(data);
  });

  // ---- asking the API ---------------------------------------------------------------------------------

  async function ask(source, force) {
    const request = {message: source.message, k: K};
    const stage = checkedStage();
    if (stage) request.stage = stage;
    if (source.context && source.context.length) request.context = source.context;
    if (source.contact) request.variables = {"买家昵称": source.contact};
    const product = picker.value();
    if (product) request.product = product;
    const key = JSON.stringify(request);
    if (!force && key === state.key) return;
    state.key = key;
    state.source = source;
    showSource(source);

    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    const seq = ++state.seq;
    const timer = setTimeout(() => controller.abort(), 10000);
    body.classList.add("loading");
    const api = shop.api();
    try {
      const response = await fetch(`${api}/suggest`, {
        method: "POST", headers: apiHeaders(), body: key, signal: controller.signal, credentials: "same-origin",
      });
      const data = await response.json().catch(() => null);
      if (seq !== state.seq) return;
      if (response.ok && data && Array.isArray(data.suggestions)) {
        state.shownApi = api;
        render(data);
        return;
      }
      state.key = "";
      if (response.status === 401) {
        $("apikey-box").hidden = false;
        showError("此服务需要 API Key", "请在下方填写后保存。");
      } else if (response.status === 503) {
        showError("模型还在加载", "请稍候几秒再点「刷新」。");
      } else {
        const detail = data && data.error ? data.error.message : `HTTP ${response.status}`;
        showError("请求出错", detail);
      }
    } catch (err) {
      if (seq !== state.seq) return;
      state.key = "";
      showError(err.name === "AbortError" ? "服务响应超时" : "连接不上服务", "请检查网络后点「刷新」重试。");
    } finally {
      clearTimeout(timer);
      if (seq === state.seq) body.classList.remove("loading");
    }
  }

  // ---- rendering --------------------------------------------------------------------------------------

  function formatTime(ms) {
    if (!isFinite(ms)) return "";
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, "0");
    const today = new Date();
    const sameDay = d.toDateString() === today.toDateString();
    return (sameDay ? "" : `${d.getMonth() + 1}月${d.getDate()}日 `) + `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function showSource(source) {
    const box = $("current");
    if (!source) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    $("current-text").textContent = source.message;
    const meta = [];
    if (source.manual) meta.push("手动输入");
    if (source.contact) meta.push(source.contact);
    const time = source.manual ? "" : formatTime(source.at);
    if (time) meta.push(time);
    $("current-meta").textContent = meta.join(" · ");
    const contextBox = $("context-box");
    const list = $("context-list");
    clearNode(list);
    const context = source.context || [];
    contextBox.hidden = !context.length;
    $("context-summary").textContent = `上文 ${context.length} 条买家消息`;
    context.forEach((text) => list.appendChild(el("li", "", text)));
  }

  function showPlaceholder(title, text) {
    state.suggestions = [];
    state.message = "";
    clearNode(results);
    const wrap = el("div", "sb-empty");
    wrap.appendChild(el("p", "sb-empty-title", title));
    wrap.appendChild(el("p", "sb-empty-text", text));
    results.appendChild(wrap);
  }

  function showError(title, text) {
    state.suggestions = [];
    clearNode(results);
    const card = el("div", "sb-notice sb-notice-error");
    card.setAttribute("role", "alert");
    card.appendChild(el("p", "sb-notice-title", title));
    card.appendChild(el("p", "sb-notice-text", text));
    results.appendChild(card);
  }

  /* Reply text with every unfilled {占位符} marked, built from text nodes only. */
  function replyText(reply) {
    // inside a <button>: phrasing content only
    return markUnfilled(el("span", "sb-reply-text"), String(reply.text), reply.unfilled, "sb-unfilled");
  }

  function copyIcon() {
    const wrap = el("span", "sb-reply-copy");
    wrap.setAttribute("aria-hidden", "true");
    wrap.appendChild(svgIcon("0 0 16 16", ["M5.5 5.5h7v8h-7z", "M3.5 10.5v-8h7"],
                             {"stroke-width": "1.5", "stroke-linejoin": "round"}));
    return wrap;
  }

  function replyCard(reply, number) {
    const card = el("button", "sb-reply");
    card.type = "button";
    card.dataset.replyId = reply.id;
    card.dataset.number = String(number);
    card.title = `点击复制第 ${number} 条`;
    card.appendChild(el("span", "sb-reply-num", number));
    card.appendChild(replyText(reply));
    if (reply.note) {
      // for the agent, not the buyer: shown under the text, never copied with it
      card.appendChild(el("span", "sb-reply-note", `提示：${reply.note}`));
    }
    if (reply.unfilled && reply.unfilled.length) {
      card.appendChild(el("span", "sb-tag-warn", "待填写：" + reply.unfilled.join("、")));
    }
    card.appendChild(copyIcon());
    card.addEventListener("click", () => copyReply(reply, card));
    return card;
  }

  function render(data) {
    state.message = data.message;
    state.suggestions = data.suggestions || [];
    clearNode(results);
    if (data.abstained || !state.suggestions.length) {
      const empty = el("div", "sb-notice sb-notice-empty");
      empty.appendChild(el("p", "sb-notice-title", "没有合适的话术"));
      empty.appendChild(el("p", "sb-notice-text", "这条消息和话术库里的场景都不太像，请手动回复，或选择会话阶段再试。"));
      results.appendChild(empty);
      return;
    }
    const numbers = new Map(state.suggestions.map((reply, i) => [reply.id, i + 1]));
    const segments = oneSegmentPerClause(data.segments || []); // a product answer's segment joins its clause's
    const multi = segments.length > 1;
    const shown = new Set();
    segments.forEach((segment, index) => {
      const group = el("section", "sb-segment");
      if (multi) {
        const head = el("header", "sb-segment-head");
        head.appendChild(el("span", "sb-segment-index", `问题 ${index + 1}`));
        head.appendChild(el("q", "sb-segment-text", segment.text));
        group.appendChild(head);
      }
      for (const situation of segment.situations || []) {
        const replies = (situation.replies || []).filter((r) => numbers.has(r.id) && !shown.has(r.id));
        if (!replies.length) continue;
        replies.forEach((r) => shown.add(r.id));
        const block = el("div", "sb-situation");
        const head = el("div", "sb-situation-head");
        head.appendChild(el("h2", "sb-situation-name", situation.name));
        const stage = STAGE_NAMES[situation.stage] ? situation.stage : "general";
        head.appendChild(stageBadge(stage, STAGE_NAMES, "sb-badge"));
        const value = percent(situation.score);
        const confidence = el("span", "confidence sb-confidence");
        confidence.title = "这个问题属于该场景的把握";
        const bar = el("span", "confidence-bar sb-confidence-bar");
        const fill = el("span", "confidence-fill");
        fill.style.width = `${value}%`;
        bar.appendChild(fill);
        confidence.appendChild(bar);
        confidence.appendChild(el("span", "sb-confidence-value", `${value}%`));
        head.appendChild(confidence);
        block.appendChild(head);
        replies.sort((a, b) => numbers.get(a.id) - numbers.get(b.id))
          .forEach((reply) => block.appendChild(replyCard(reply, numbers.get(reply.id))));
        group.appendChild(block);
      }
      if (group.childElementCount > (multi ? 1 : 0)) results.appendChild(group);
    });
  }

  // ---- copying ----------------------------------------------------------------------------------------

  function selectText(node) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  async function copyReply(reply, card) {
    const ok = await writeClipboard(reply.text);
    if (!ok) {
      selectText(card.querySelector(".sb-reply-text"));
      showToast("无法访问剪贴板：文字已选中，请按 Ctrl+C 复制", "warn");
      return;
    }
    flash(card, "copied"); // restart the flash
    if (reply.unfilled && reply.unfilled.length) showToast(`已复制，注意「${reply.unfilled.join("、")}」还没填写`, "warn");
    else showToast("已复制");
    sendFeedback(reply.id, "copied");
    announce(reply);
  }

  /* Tell the embedding page which reply was chosen. Chatwoot ignores it; a helpdesk whose app SDK can write into
   * the reply box (a Zendesk app wrapping this page, say) inserts data.text. Only the corpus's reply is sent. */
  function announce(reply) {
    if (window.parent === window) return;
    window.parent.postMessage(JSON.stringify({event: "huashu:reply", data: {
      text: String(reply.text), reply_id: String(reply.id), situation: String(reply.situation || ""),
      message: state.message}}), "*");
  }

  function sendFeedback(replyId, action) {
    if (!state.message) return;
    fetch(`${state.shownApi || shop.api()}/feedback`, {
      method: "POST", headers: apiHeaders(), keepalive: true, credentials: "same-origin",
      body: JSON.stringify({message: state.message, reply_id: replyId, action}),
    }).catch(() => {});
  }

  // ---- wiring -----------------------------------------------------------------------------------------

  function refresh() {
    state.key = "";
    if (window.parent !== window && state.gotContext) {
      state.forceNext = true; // the helpdesk's answer re-asks the latest buyer message
      requestContext();
    } else if (window.parent !== window) {
      requestContext();
    } else if (state.source) {
      ask(state.source, true);
    }
  }

  $("refresh").addEventListener("click", refresh);
  if ($("shop")) {
    $("shop").addEventListener("change", () => {
      // another shop's replies and product sheet: an answer still on its way is the other shop's, and the
      // conversation's product is looked up in this shop's sheet anew
      if (state.controller) state.controller.abort();
      state.seq++;
      state.conversationId = null;
      state.productRef = null;
      picker.clear({silent: true});
      showProductSource("");
      showToast(`已切换到「${shop.label()}」`);
      refresh();
    });
  }
  document.querySelectorAll('input[name="stage"]').forEach((radio) =>
    radio.addEventListener("change", () => { if (state.source) ask(state.source, true); }));
  $("manual-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = clip($("manual-text").value.trim(), MAX_CHARS);
    if (text) ask({message: text, context: [], contact: "", at: NaN, manual: true}, true);
  });
  $("manual-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("manual-form").requestSubmit();
    }
  });
  $("apikey-save").addEventListener("click", () => {
    const value = $("apikey").value.trim();
    saveApiKey(value);
    $("apikey").value = "";
    showToast(value ? "API Key 已保存" : "API Key 已清除");
    if (state.source) ask(state.source, true); // ask again for what is on screen
    else refresh();
  });
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT")) return;
    if (!/^[1-9]$/.test(event.key)) return;
    const card = results.querySelector(`.sb-reply[data-number="${event.key}"]`);
    const reply = state.suggestions[Number(event.key) - 1];
    if (card && reply) {
      event.preventDefault();
      copyReply(reply, card);
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") requestContext();
  });
  // Chatwoot answers fetch-info with the conversation as it is now: asking now and then picks up new messages
  // (an unchanged latest message is not asked for again).
  setInterval(() => { if (document.visibilityState === "visible") requestContext(); }, POLL_MS);

  // A key in the URL fragment (#key=…, never sent to any server) is saved like the form would.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("key")) {
    saveApiKey(fragment.get("key"));
    history.replaceState(null, "", location.pathname + location.search);
  }

  const params = new URLSearchParams(location.search);
  const manual = params.get("message");
  const manualProduct = (params.get("product") || "").trim();
  (async () => {
    if (manualProduct) {
      const product = await picker.setRef(manualProduct, {silent: true});
      showProductSource(product ? "来自链接" : "");
    }
    if (manual && manual.trim()) {
      const text = clip(manual.trim(), MAX_CHARS);
      $("manual-text").value = text;
      $("manual").open = true;
      ask({message: text, context: [], contact: "", at: NaN, manual: true}, true);
    }
  })();
  if (window.parent !== window) {
    setConn("正在读取会话…");
    requestContext();
    setTimeout(() => {
      if (!state.gotContext) setConn("未收到会话信息（不在 Chatwoot 中？）", "warn");
    }, 4000);
  } else {
    setConn(manual ? "手动模式" : "独立打开：请在下方手动输入", manual ? "" : "warn");
  }
})();
