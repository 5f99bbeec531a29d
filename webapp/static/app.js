/* 话术助手: suggest as you type, copy with number keys. Plain JS, no build step; shared helpers from common.js.
 * Every piece of data goes into the page with textContent: reply texts are never parsed as HTML.
 *
 * Two rules keep the number keys safe:
 *  - the numbers belong to what is on screen: badges run 1, 2, 3 … top to bottom in display order, and key n
 *    copies the card showing n (state.numbered is built while the cards are laid out);
 *  - the numbers belong to the message on screen: as soon as the message, the previous message or the stage
 *    changes, the shown results go stale (greyed out, inert, number keys ignored) until the results for what is
 *    now in the form arrive. A late answer to an older request is never shown. */
(() => {
  "use strict";

  // Shared helpers (common.js, loaded before this file).
  const {el, clearNode, svgIcon, flash, toaster, stageNames, checkedStage, percent, markUnfilled, saveApiKey,
         apiHeaders, writeClipboard, productPicker, oneSegmentPerClause, shopSwitcher} = window.Huashu;

  // Settings come from data attributes of <body> (no inline script: the page runs under a strict CSP).
  const CONFIG = {
    maxChars: Number(document.body.dataset.maxChars) || 2000,
    // A /code lookup asks for every hit the API allows (MAX_K in suggest/records.py), as 千牛 lists them all.
    maxK: Number(document.body.dataset.maxK) || 50,
  };
  const NUMBER_KEYS = 9; // keys 1–9 copy; a longer /code list shows the rest without a number
  const STAGE_NAMES = stageNames();
  const DEBOUNCE_MS = 250;
  const SLOW_MS = 3000;      // past this, say the service is slow
  const TIMEOUT_MS = 8000;   // past this, give up: 「服务暂时连不上」 (the typed message stays)
  // A situation scoring under this share of its clause's best one is a long shot: shown folded, without a number,
  // so that it never takes a number key ahead of a better reply.
  const LOW_SHARE = 0.5;
  const OFFLINE_TEXT = "服务暂时连不上，请稍后再试";

  const $ = (id) => document.getElementById(id);
  const box = $("message");
  const contextBox = $("context");
  const results = $("results");
  const summary = $("summary");
  const noneButton = $("none");
  const counter = $("counter");
  const statusEl = $("status");
  const apiKeyBox = $("apikey-box");
  const apiKeyInput = $("apikey");
  const shopSelect = $("shop"); // only when the server hosts shops besides the default one
  // The API of the shop chosen in 店铺 (remembered in this browser): suggestions, products and feedback.
  const shop = shopSwitcher(shopSelect, "huashu.shop", new URLSearchParams(location.search).get("shop"));
  const apiRoot = shop.api;

  // The product in focus (商品): sent as `product` with every suggestion request. Choosing another one makes the
  // results on screen stale and asks again for the message on screen; Esc (a new buyer) clears it.
  const picker = productPicker({
    root: $("product"), input: $("product-search"), list: $("product-list"), current: $("product-current"),
    clear: $("product-clear"), status: $("product-status"),
  }, {
    api: apiRoot,
    onChange: () => {
      if (!box.value.trim()) return;
      formChanged();
      run(false);
    },
    onChosen: () => box.focus(), // back to the buyer's message: the product is set, the agent goes on working
  });

  const state = {
    timer: null,
    slowTimer: null,
    seq: 0,
    controller: null,
    message: "",       // the message the shown suggestions are for
    shownApi: "",      // … and the shop API that gave them (feedback on them goes there)
    numbered: [],      // the numbered replies, in display order: numbered[n - 1] is the card showing n
    lastKey: "",       // request last sent (to skip identical ones)
    shownKey: "",      // request whose answer is on screen
    stale: false,      // the form no longer matches what is on screen: number keys are ignored
    dismissable: false, // 都不合适 applies to what is on screen
    dismissed: false,   // … and was already sent for it
  };

  // ---- small helpers ----------------------------------------------------------------------------------

  function isTextField(node) {
    if (!node) return false;
    const tag = node.tagName;
    if (tag === "TEXTAREA" || node.isContentEditable) return true;
    if (tag !== "INPUT") return false;
    return !["radio", "checkbox", "button", "submit", "reset"].includes(node.type);
  }

  const showToast = toaster($("toast"), 1600, 2600, window.Huashu.TOAST_PLACES); // never over a button

  // ---- what the page says about API errors: one Chinese sentence per error code ---------------------------

  const FIELD_NAMES = {message: "消息", context: "上一条消息", stage: "会话阶段", k: "条数", variables: "占位符",
                       product: "商品"};

  function fieldName(field) {
    const base = String(field || "message").split(/[.[]/)[0];
    return FIELD_NAMES[base] || "请求内容";
  }

  /* The limit named in an error like "'message' has 2001 characters; the limit is 2000". */
  function limitOf(error) {
    const match = /limit is (\d+)|longer than (\d+)/.exec((error && error.message) || "");
    return match ? Number(match[1] || match[2]) : CONFIG.maxChars;
  }

  /* The Chinese sentence for an API error ({code, message, field}) with its HTTP status. The English message is
   * for developers and never shown. */
  function errorText(status, error) {
    const code = (error && error.code) || "";
    const what = fieldName(error && error.field);
    switch (code) {
      case "too_long": return `${what}太长：最多 ${limitOf(error)} 个字`;
      case "empty": return `${what}是空的：请先粘贴买家发来的内容`;
      case "invalid_type": return `${what}的格式不对：请刷新页面后重试`;
      case "missing_field": return `请求里缺少${what}：请刷新页面后重试`;
      case "invalid_text": return `${what}里有无法识别的字符：请删掉特殊符号后重试`;
      case "invalid_choice": return `${what}的选项无效：请重新选择`;
      case "out_of_range": return `${what}超出允许的范围：请刷新页面后重试`;
      case "too_many": return `${what}太多了：请减少一些后重试`;
      case "unknown_field":
      case "unexpected_field": return "页面版本和服务不一致：请刷新页面后重试";
      case "malformed_json":
      case "invalid_body":
      case "bad_request": return "请求格式有误：请刷新页面后重试";
      case "payload_too_large": return "内容太长，服务拒收：请删短一些再试";
      case "unauthorized": return "此服务需要 API Key：请在左侧填写后保存。";
      case "not_ready": return "模型还在加载，请稍候再试。";
      case "too_many_requests": return "请求太频繁了，请稍后再试";
      case "internal_error": return "服务出错了，请稍后再试；一直这样请联系管理员";
      case "not_found":
      case "method_not_allowed":
      case "unsupported_media_type": return "服务地址不对：请刷新页面后重试";
      default:
        if (status === 503) return "模型还在加载，请稍候再试。";
        if (!status || status >= 500) return OFFLINE_TEXT;
        return code ? `请求没有成功（错误代码 ${code}），请稍后再试` : `请求没有成功（HTTP ${status}），请稍后再试`;
    }
  }

  // ---- asking the API ---------------------------------------------------------------------------------

  function updateCounter() {
    const n = box.value.length;
    counter.textContent = `${n} / ${CONFIG.maxChars}`;
    counter.classList.toggle("counter-full", n >= CONFIG.maxChars);
  }

  /* A /code (or full-width ／code) lookup of 千牛 quick phrases; /: starts a 旺旺 emoticon, not a lookup. */
  function isShortcut(message) {
    return /^\s*[/／]/.test(message) && !/^\s*(\/:|／:|／：)/.test(message);
  }

  /* The request body for what is in the form now, as JSON ("" when there is no message). */
  function formKey() {
    const message = box.value;
    if (!message.trim()) return "";
    const body = {message};
    if (isShortcut(message)) body.k = CONFIG.maxK; // every match, not only the nine with number keys
    const stage = checkedStage();
    if (stage) body.stage = stage;
    const context = contextBox.value.trim();
    if (context) body.context = [context];
    const product = isShortcut(message) ? "" : picker.value(); // a /code lookup is the same for every product
    if (product) body.product = product;
    return JSON.stringify(body);
  }

  /* Grey out the shown results (and refuse number keys) while they are not for what is in the form. */
  function setStale(stale) {
    state.stale = stale;
    results.classList.toggle("stale", stale);
    results.inert = stale;
    noneButton.disabled = stale || !state.dismissable || state.dismissed;
    document.body.classList.toggle("loading", stale);
    if (stale) results.setAttribute("aria-busy", "true");
    else results.removeAttribute("aria-busy");
  }

  /* The form changed: what is on screen is now stale, unless the form is back to what it shows. */
  function formChanged() {
    const key = formKey();
    if (key && key === state.shownKey) backToShown(key);
    else setStale(true);
  }

  /* Back to the message on screen (typed and deleted a character): its results are current again, and an answer
   * for the detour is no longer wanted. */
  function backToShown(key) {
    clearTimeout(state.timer);
    if (state.controller) {
      stopRequest();
      state.seq++;
    }
    state.lastKey = key;
    setStale(false);
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => run(false), DEBOUNCE_MS);
  }

  function stopRequest() {
    clearTimeout(state.slowTimer);
    if (state.controller) state.controller.abort();
    state.controller = null;
  }

  async function run(force) {
    clearTimeout(state.timer);
    const key = formKey();
    if (!key) {
      showIntro();
      return;
    }
    if (!force && key === state.shownKey) {
      backToShown(key);
      return;
    }
    if (!force && key === state.lastKey && state.controller) return; // already on its way
    state.lastKey = key;
    setStale(true);

    stopRequest();
    const controller = new AbortController();
    state.controller = controller;
    const seq = ++state.seq;
    let timedOut = false;
    const timeout = setTimeout(() => { timedOut = true; controller.abort(); }, TIMEOUT_MS);
    state.slowTimer = setTimeout(() => {
      if (seq === state.seq && state.stale) showSlow();
    }, SLOW_MS);
    try {
      const api = apiRoot();
      const response = await fetch(`${api}/suggest`, {
        method: "POST", headers: apiHeaders(), body: key, signal: controller.signal,
      });
      const data = await response.json().catch(() => null);
      if (seq !== state.seq) return; // a newer request is on its way
      if (key !== formKey()) { // the form changed while this was on its way: a newer request is scheduled
        state.lastKey = "";
        return;
      }
      if (response.status === 401) {
        apiKeyBox.hidden = false;
        state.lastKey = "";
        showError(errorText(401, {code: "unauthorized"}));
        return;
      }
      if (!response.ok || !data || data.error) {
        state.lastKey = "";
        const error = data && data.error ? data.error : null;
        if (!error && response.status >= 500) {
          showError(OFFLINE_TEXT, "输入的消息已保留，稍后按 Ctrl+Enter 重试。");
          checkReady();
        } else {
          showError(errorText(response.status, error));
        }
        return;
      }
      state.shownApi = api;
      render(data, key);
    } catch (err) {
      if (seq !== state.seq) return;
      if (err.name === "AbortError" && !timedOut) return;
      state.lastKey = "";
      showError(OFFLINE_TEXT, "输入的消息已保留，稍后按 Ctrl+Enter 重试。");
      checkReady();
    } finally {
      clearTimeout(timeout);
      if (seq === state.seq) {
        clearTimeout(state.slowTimer);
        state.controller = null;
      }
    }
  }

  // ---- rendering --------------------------------------------------------------------------------------

  /* Forget what is on screen: nothing is numbered, nothing is stale. */
  function resetShown(key) {
    state.message = "";
    state.numbered = [];
    state.shownKey = key || "";
    state.dismissable = false;
    state.dismissed = false;
    noneButton.hidden = true;
    noneButton.textContent = "";
    clearNode(summary);
    clearNode(results);
    setStale(false);
  }

  function showIntro() {
    stopRequest();
    state.seq++;
    state.lastKey = "";
    resetShown("");
    const wrap = el("div", "placeholder");
    wrap.appendChild(icon("bubble", "placeholder-mark"));
    wrap.appendChild(el("p", "placeholder-title", "粘贴买家消息，推荐话术会出现在这里"));
    wrap.appendChild(el("p", "placeholder-text", "边输入边推荐；一条消息里有多个问题时，每个问题单独一组。"));
    results.appendChild(wrap);
  }

  const ICONS = {
    bubble: ["M10 10h28a4 4 0 0 1 4 4v16a4 4 0 0 1-4 4H22l-8 7v-7h-4a4 4 0 0 1-4-4V14a4 4 0 0 1 4-4z",
             "M15 20h18M15 26h11"],
    search: ["M21 9a12 12 0 1 1 0 24a12 12 0 0 1 0-24z", "M30 30l10 10", "M16.5 21h9"],
  };

  function icon(kind, className) {
    return svgIcon("0 0 48 48", ICONS[kind],
                   {"stroke-width": "2.5", "stroke-linecap": "round", "stroke-linejoin": "round"}, className);
  }

  function showSlow() {
    clearNode(summary);
    summary.appendChild(el("span", "summary-slow", "服务响应较慢，正在等待…"));
  }

  /* An error notice in place of the results; the typed message stays in the box. */
  function showError(text, detail) {
    resetShown("");
    const card = el("div", "notice notice-error");
    card.setAttribute("role", "alert");
    card.appendChild(el("p", "notice-title", text));
    if (detail) card.appendChild(el("p", "notice-text", detail));
    results.appendChild(card);
  }

  function stageBadge(stage) {
    return window.Huashu.stageBadge(stage, STAGE_NAMES);
  }

  /* Reply text with every unfilled {占位符} wrapped in <mark>, built from text nodes only. */
  function replyText(reply) {
    return markUnfilled(el("p", "reply-text"), reply.text, reply.unfilled, "unfilled");
  }

  /* One reply card; numbered cards get the next number in display order. `opts.situation`: the situation's name
   * shown on the card (a /code list is one list in code order, not grouped); `opts.later`: an unnumbered card in a
   * numbered list (a /code hit after the ninth), kept in line with the numbered ones. */
  function replyCard(reply, numbered, opts) {
    opts = opts || {};
    const card = el("article", "reply" + (numbered ? "" : opts.later ? " reply-later" : " reply-extra"));
    card.dataset.replyId = reply.id;
    let number = 0;
    if (numbered) {
      state.numbered.push(reply);
      number = state.numbered.length;
      card.dataset.number = String(number);
      const num = el("span", "reply-num", number);
      num.setAttribute("aria-label", `第 ${number} 条`);
      card.appendChild(num);
    } else if (opts.later) {
      const num = el("span", "reply-num reply-num-none", "·");
      num.setAttribute("aria-hidden", "true");
      num.title = "没有数字键：请点“复制”";
      card.appendChild(num);
    }
    card.appendChild(replyText(reply));
    if (reply.note) {
      // for the agent, not the buyer: shown under the text, never copied with it
      const note = el("p", "reply-note", `提示：${reply.note}`);
      note.title = "给客服的提示，不会随话术复制";
      card.appendChild(note);
    }
    const meta = el("div", "reply-meta");
    if (opts.situation) meta.appendChild(el("span", "tag tag-situation", opts.situation));
    if (reply.shortcut) meta.appendChild(el("span", "tag tag-code", "/" + reply.shortcut));
    if (reply.unfilled && reply.unfilled.length) {
      const warn = el("span", "tag tag-warn", "待填写：" + reply.unfilled.join("、"));
      warn.title = "发送前请手动填写";
      meta.appendChild(warn);
    }
    card.appendChild(meta);
    const button = el("button", "btn btn-copy", "复制");
    button.type = "button";
    button.setAttribute("aria-label", number ? `复制第 ${number} 条` : "复制这条话术");
    button.addEventListener("click", () => copyReply(reply, card));
    card.appendChild(button);
    return card;
  }

  function situationHead(situation) {
    const head = el("div", "situation-head");
    head.appendChild(el("h2", "situation-name", situation.name));
    head.appendChild(stageBadge(situation.stage));
    const confidence = el("span", "confidence");
    const value = percent(situation.score);
    const bar = el("span", "confidence-bar");
    bar.setAttribute("aria-hidden", "true");
    const fill = el("span", "confidence-fill");
    fill.style.width = `${value}%`;
    bar.appendChild(fill);
    confidence.appendChild(bar);
    confidence.appendChild(el("span", "confidence-value", `置信度 ${value}%`));
    confidence.title = "这个问题属于该场景的把握";
    head.appendChild(confidence);
    return head;
  }

  /* Where each suggestion is shown: under the clause whose situation list rates the reply's situation highest
   * (so every clause's answer sits under its own clause). Returns reply id -> {segment index, situation id}. */
  function homes(segments, flatIds) {
    const home = new Map();
    segments.forEach((segment, index) => {
      for (const situation of segment.situations || []) {
        for (const reply of situation.replies || []) {
          if (!flatIds.has(reply.id)) continue;
          const known = home.get(reply.id);
          if (!known || situation.score > known.score) {
            home.set(reply.id, {segment: index, situation: situation.id, score: situation.score});
          }
        }
      }
    });
    return home;
  }

  /* A /code lookup as 千牛 lists quick phrases: one list in the engine's order (yj1, yj2 … yj10, natural order),
   * every match shown; the first nine get number keys, the rest a copy button only. */
  function renderShortcut(data) {
    const flat = data.suggestions || [];
    const names = new Map();
    for (const segment of data.segments || []) {
      for (const situation of segment.situations || []) names.set(situation.id, situation.name);
    }
    const group = el("section", "segment segment-codes");
    group.setAttribute("aria-label", "快捷编码匹配");
    const list = el("ol", "reply-list code-list");
    flat.forEach((reply, index) => {
      const item = el("li", "code-item");
      item.appendChild(replyCard(reply, index < NUMBER_KEYS,
                                 {situation: names.get(reply.situation) || "", later: index >= NUMBER_KEYS}));
      list.appendChild(item);
    });
    group.appendChild(list);
    if (flat.length >= CONFIG.maxK) {
      group.appendChild(el("p", "code-more",
        `最多列出 ${CONFIG.maxK} 条：还有更多以「${data.normalized.slice(1)}」开头的编码，请多输入几个字符缩小范围。`));
    }
    results.appendChild(group);

    const total = flat.length;
    summary.appendChild(el("span", "summary-count",
      `快捷编码 ${data.normalized} · 共 ${total}${total >= CONFIG.maxK ? "+" : ""} 条`));
    summary.appendChild(el("span", "summary-hint", total > NUMBER_KEYS
      ? `前 ${NUMBER_KEYS} 条可按数字键复制，其余请点“复制”`
      : `按数字键 1–${total} 复制`));
  }

  function render(data, key) {
    stopRequest();
    resetShown(key);
    state.message = data.message;
    const flat = data.suggestions || [];
    const shortcut = isShortcut(data.message);

    if (data.abstained || !flat.length) {
      const empty = el("div", "notice notice-empty");
      empty.appendChild(icon("search", "notice-mark"));
      empty.appendChild(el("p", "notice-title",
        shortcut ? `没有找到以「${data.normalized.slice(1)}」开头的快捷编码…` : "没有找到合适的话术…"));
      empty.appendChild(el("p", "notice-text", shortcut
        ? "换一个编码试试，或去掉开头的 / 按消息内容推荐。"
        : "这条消息和话术库里的场景都不太像。可以换个说法、选择会话阶段，或以 / 开头按快捷编码查找。"));
      results.appendChild(empty);
      return;
    }
    if (shortcut) {
      renderShortcut(data);
      return;
    }

    const flatIds = new Set(flat.map((reply) => reply.id));
    const segments = oneSegmentPerClause(data.segments || []);
    const home = homes(segments, flatIds);
    const multi = segments.length > 1;
    const extraShown = new Set(); // replies outside the flat list, shown once in a "more" fold
    const built = [];

    segments.forEach((segment, index) => {
      const group = el("section", "segment");
      if (multi) {
        group.setAttribute("aria-label", `问题 ${index + 1}`);
        const head = el("header", "segment-head");
        head.appendChild(el("span", "segment-index", `问题 ${index + 1}`));
        head.appendChild(el("q", "segment-text", segment.text));
        group.appendChild(head);
      }
      const situations = segment.situations || [];
      const best = situations.length ? Math.max(...situations.map((s) => Number(s.score) || 0)) : 0;
      const longShots = [];
      let any = false;
      situations.forEach((situation, rank) => {
        const placed = (situation.replies || []).filter((r) => {
          const at = home.get(r.id);
          return at && at.segment === index && at.situation === situation.id;
        });
        if (!placed.length) return;
        if (rank > 0 && Number(situation.score) < LOW_SHARE * best) {
          longShots.push({situation, placed});
          return;
        }
        any = true;
        const block = el("div", "situation");
        block.appendChild(situationHead(situation));
        const list = el("div", "reply-list");
        placed.forEach((reply) => list.appendChild(replyCard(reply, true)));
        block.appendChild(list);
        const others = (situation.replies || []).filter((r) => !flatIds.has(r.id) && !extraShown.has(r.id));
        if (others.length) {
          const more = el("details", "more");
          more.appendChild(el("summary", "", `同场景的其他话术 ${others.length} 条`));
          others.forEach((reply) => { extraShown.add(reply.id); more.appendChild(replyCard(reply, false)); });
          block.appendChild(more);
        }
        group.appendChild(block);
      });
      if (longShots.length) {
        // folded and unnumbered: a long shot never takes a number key ahead of a better reply
        const more = el("details", "more more-unlikely");
        const count = longShots.reduce((n, item) => n + item.placed.length, 0);
        more.appendChild(el("summary", "", `把握较低的其他场景 ${longShots.length} 个 · ${count} 条`));
        for (const {situation, placed} of longShots) {
          const block = el("div", "situation situation-unlikely");
          block.appendChild(situationHead(situation));
          const list = el("div", "reply-list");
          placed.forEach((reply) => list.appendChild(replyCard(reply, false)));
          block.appendChild(list);
          more.appendChild(block);
        }
        group.appendChild(more);
      }
      if (!any && !longShots.length) {
        const elsewhere = situations.some((s) => (s.replies || []).some((r) => home.has(r.id)));
        group.appendChild(el("p", "segment-none", segment.abstained || !elsewhere
          ? "这个问题没有找到合适的话术。" : "这个问题的话术已在其他问题下列出。"));
      }
      built.push(group);
    });

    // Suggestions no clause lists (not expected from the engine): still shown, numbered after the rest.
    const orphans = flat.filter((reply) => !home.has(reply.id));
    if (orphans.length) {
      const group = el("section", "segment");
      group.setAttribute("aria-label", "其他建议");
      const list = el("div", "reply-list");
      orphans.forEach((reply) => list.appendChild(replyCard(reply, true)));
      group.appendChild(list);
      built.push(group);
    }
    built.forEach((group) => results.appendChild(group));

    const count = state.numbered.length;
    summary.appendChild(el("span", "summary-count", `${count} 条建议` + (multi ? ` · ${segments.length} 个问题` : "")));
    if (data.stage_source === "inferred" && data.stage) {
      const inferred = el("span", "summary-stage", "按上一条消息判断为");
      inferred.appendChild(stageBadge(data.stage));
      summary.appendChild(inferred);
    }
    if (count) summary.appendChild(el("span", "summary-hint", `按数字键 1–${Math.min(count, 9)} 复制`));

    // None fitted: logged for the editors (suggest report groups such messages into missing situations).
    state.dismissable = true;
    noneButton.hidden = false;
    noneButton.disabled = false;
    const hint = el("kbd", "", "0");
    hint.setAttribute("aria-hidden", "true"); // the key is announced through aria-keyshortcuts
    noneButton.append("都不合适 ", hint);
  }

  // ---- copying ----------------------------------------------------------------------------------------

  async function copyReply(reply, card) {
    if (state.stale) return;
    const ok = await writeClipboard(reply.text);
    if (!ok) {
      showToast("复制失败：浏览器不允许访问剪贴板", "warn");
      return;
    }
    if (card) flash(card, "copied"); // restart the flash animation
    const number = card && card.dataset.number ? `第 ${card.dataset.number} 条` : "";
    if (reply.unfilled && reply.unfilled.length) {
      showToast(`已复制${number}，注意「${reply.unfilled.join("、")}」还没填写`, "warn");
    } else {
      showToast(`已复制${number}`);
    }
    sendFeedback(reply.id, "copied");
  }

  function loadingToast() {
    showToast("新消息的推荐还在加载，请稍候", "warn");
  }

  function copyNumber(n) {
    if (state.stale) {
      loadingToast();
      return;
    }
    const reply = state.numbered[n - 1];
    const card = results.querySelector(`.reply[data-number="${n}"]`);
    if (!reply || !card) {
      if (state.numbered.length) showToast(`只有 ${state.numbered.length} 条建议`, "warn");
      return;
    }
    copyReply(reply, card);
  }

  function dismissAll() {
    if (state.stale) {
      loadingToast();
      return;
    }
    if (!state.dismissable || noneButton.hidden) return;
    if (state.dismissed) {
      showToast("已经反馈过了");
      return;
    }
    sendFeedback(null, "dismissed_all");
    state.dismissed = true;
    noneButton.disabled = true;
    noneButton.textContent = "已反馈给编辑";
    showToast("已记录，编辑会补充话术");
  }

  function sendFeedback(replyId, action) {
    if (!state.message.trim()) return;
    fetch(`${state.shownApi || apiRoot()}/feedback`, {
      method: "POST", headers: apiHeaders(), keepalive: true,
      body: JSON.stringify(replyId ? {message: state.message, reply_id: replyId, action} : {message: state.message, action}),
    }).catch(() => {});
  }

  // ---- wiring -----------------------------------------------------------------------------------------

  /* Esc: a new buyer. The message, the previous message and the product in focus go, so nothing of one buyer's
   * conversation leaks into the next one. */
  function clearAll() {
    box.value = "";
    contextBox.value = "";
    picker.clear({silent: true});
    updateCounter();
    showIntro();
    box.focus();
  }

  box.addEventListener("input", () => { updateCounter(); formChanged(); schedule(); });
  contextBox.addEventListener("input", () => { if (box.value.trim()) { formChanged(); schedule(); } });
  document.querySelectorAll('input[name="stage"]').forEach((radio) =>
    radio.addEventListener("change", () => { if (box.value.trim()) { formChanged(); run(false); } }));
  if (shopSelect) {
    /* Another shop: its own replies and product sheet. The product in focus was the other shop's, and what is
     * on screen goes stale until that shop's answer for the same message arrives. */
    shopSelect.addEventListener("change", () => {
      picker.clear({silent: true});
      state.shownKey = "";
      state.lastKey = "";
      if (box.value.trim()) run(true);
      showToast(`已切换到「${shop.label()}」`);
    });
  }
  $("run").addEventListener("click", () => run(true));
  $("clear").addEventListener("click", clearAll);
  noneButton.addEventListener("click", dismissAll);
  $("apikey-save").addEventListener("click", () => {
    const key = apiKeyInput.value.trim();
    saveApiKey(key);
    apiKeyInput.value = "";
    showToast(key ? "API Key 已保存" : "API Key 已清除");
    checkReady();
    if (box.value.trim()) run(true);
  });

  document.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return; // the input method is still composing
    const typing = isTextField(event.target);
    if (event.key === "Escape") {
      event.preventDefault();
      clearAll();
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run(true);
      return;
    }
    // Number keys: bare 0-9 outside text fields, Alt+0-9 anywhere (event.code: Alt changes event.key on macOS).
    // 1-9 copy the card showing that number; 0 is 都不合适.
    const digit = /^Digit([0-9])$/.exec(event.code) || /^Numpad([0-9])$/.exec(event.code);
    if (digit && !event.ctrlKey && !event.metaKey && (event.altKey || !typing) && !event.shiftKey) {
      event.preventDefault();
      const n = Number(digit[1]);
      if (n === 0) dismissAll();
      else copyNumber(n);
      return;
    }
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // ---- readiness --------------------------------------------------------------------------------------

  let readyTimer = null;

  async function checkReady() {
    clearTimeout(readyTimer);
    try {
      const response = await fetch("/readyz", {cache: "no-store"});
      if (response.ok) {
        statusEl.textContent = "已就绪";
        statusEl.className = "status status-ok";
        return;
      }
      statusEl.textContent = "模型加载中…";
      statusEl.className = "status status-wait";
    } catch (err) {
      statusEl.textContent = "未连接";
      statusEl.className = "status status-bad";
    }
    readyTimer = setTimeout(checkReady, 3000);
  }

  updateCounter();
  checkReady();
  if (box.value.trim()) run(true);
})();
