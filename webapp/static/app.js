/* 话术助手: suggest as you type, copy with number keys. Plain JS, no build step; shared helpers from common.js.
 * Every piece of data goes into the page with textContent: reply texts are never parsed as HTML. */
(() => {
  "use strict";

  // Shared helpers (common.js, loaded before this file).
  const {el, clearNode, svgIcon, flash, toaster, stageNames, checkedStage, percent, markUnfilled, saveApiKey,
         apiHeaders, writeClipboard} = window.Huashu;

  // Settings come from data attributes of <body> (no inline script: the page runs under a strict CSP).
  const CONFIG = {
    maxChars: Number(document.body.dataset.maxChars) || 2000,
  };
  const STAGE_NAMES = stageNames();
  const DEBOUNCE_MS = 250;

  const $ = (id) => document.getElementById(id);
  const box = $("message");
  const contextBox = $("context");
  const results = $("results");
  const summary = $("summary");
  const counter = $("counter");
  const statusEl = $("status");
  const apiKeyBox = $("apikey-box");
  const apiKeyInput = $("apikey");

  const state = {
    timer: null,
    seq: 0,
    controller: null,
    message: "",       // the message the shown suggestions are for
    suggestions: [],   // the flat, numbered list
    lastKey: "",       // request last sent (to skip identical ones)
  };

  // ---- small helpers ----------------------------------------------------------------------------------

  function isTextField(node) {
    if (!node) return false;
    const tag = node.tagName;
    if (tag === "TEXTAREA" || node.isContentEditable) return true;
    if (tag !== "INPUT") return false;
    return !["radio", "checkbox", "button", "submit", "reset"].includes(node.type);
  }

  const showToast = toaster($("toast"), 1600, 2600);

  // ---- asking the API ---------------------------------------------------------------------------------

  function updateCounter() {
    const n = box.value.length;
    counter.textContent = `${n} / ${CONFIG.maxChars}`;
    counter.classList.toggle("counter-full", n >= CONFIG.maxChars);
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => run(false), DEBOUNCE_MS);
  }

  async function run(force) {
    clearTimeout(state.timer);
    const message = box.value;
    if (!message.trim()) {
      showIntro();
      return;
    }
    const body = {message};
    const stage = checkedStage();
    if (stage) body.stage = stage;
    const context = contextBox.value.trim();
    if (context) body.context = [context];
    const key = JSON.stringify(body);
    if (!force && key === state.lastKey) return;
    state.lastKey = key;

    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    const seq = ++state.seq;
    results.setAttribute("aria-busy", "true");
    document.body.classList.add("loading");
    try {
      const response = await fetch("/api/v1/suggest", {
        method: "POST", headers: apiHeaders(), body: key, signal: controller.signal,
      });
      const data = await response.json().catch(() => null);
      if (seq !== state.seq) return; // a newer request is on its way
      if (response.status === 401) {
        apiKeyBox.hidden = false;
        state.lastKey = "";
        showError("此服务需要 API Key：请在左侧填写后保存。");
        return;
      }
      if (!response.ok || !data || data.error) {
        const detail = data && data.error ? data.error.message : `HTTP ${response.status}`;
        showError(response.status === 503 ? "模型还在加载，请稍候再试。" : `请求出错：${detail}`);
        state.lastKey = "";
        return;
      }
      render(data);
    } catch (err) {
      if (err.name === "AbortError") return;
      if (seq === state.seq) {
        state.lastKey = "";
        showError("连接不上服务，请检查网络后重试。");
      }
    } finally {
      if (seq === state.seq) {
        results.removeAttribute("aria-busy");
        document.body.classList.remove("loading");
      }
    }
  }

  // ---- rendering --------------------------------------------------------------------------------------

  function showIntro() {
    if (state.controller) state.controller.abort();
    state.seq++;
    state.lastKey = "";
    state.message = "";
    state.suggestions = [];
    document.body.classList.remove("loading");
    results.removeAttribute("aria-busy");
    clearNode(summary);
    clearNode(results);
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

  function showError(text) {
    state.suggestions = [];
    clearNode(summary);
    clearNode(results);
    const card = el("div", "notice notice-error");
    card.setAttribute("role", "alert");
    card.appendChild(el("p", "notice-title", text));
    results.appendChild(card);
  }

  function stageBadge(stage) {
    return window.Huashu.stageBadge(stage, STAGE_NAMES);
  }

  /* Reply text with every unfilled {占位符} wrapped in <mark>, built from text nodes only. */
  function replyText(reply) {
    return markUnfilled(el("p", "reply-text"), reply.text, reply.unfilled, "unfilled");
  }

  function replyCard(reply, number) {
    const card = el("article", "reply" + (number ? "" : " reply-extra"));
    card.dataset.replyId = reply.id;
    if (number) {
      card.dataset.number = String(number);
      const num = el("span", "reply-num", number);
      num.setAttribute("aria-label", `第 ${number} 条`);
      card.appendChild(num);
    }
    card.appendChild(replyText(reply));
    const meta = el("div", "reply-meta");
    if (reply.shortcut) meta.appendChild(el("span", "tag tag-code", "/" + reply.shortcut));
    if (reply.unfilled && reply.unfilled.length) {
      meta.appendChild(el("span", "tag tag-warn", "待填写：" + reply.unfilled.join("、")));
    }
    card.appendChild(meta);
    const button = el("button", "btn btn-copy", "复制");
    button.type = "button";
    button.setAttribute("aria-label", number ? `复制第 ${number} 条` : "复制这条话术");
    button.addEventListener("click", () => copyReply(reply, card));
    card.appendChild(button);
    return card;
  }

  function render(data) {
    state.message = data.message;
    state.suggestions = data.suggestions || [];
    clearNode(summary);
    clearNode(results);
    const shortcut = /^\s*[/／]/.test(data.message);

    if (data.abstained || !state.suggestions.length) {
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

    const numbers = new Map(state.suggestions.map((reply, i) => [reply.id, i + 1]));
    const segments = data.segments || [];
    const multi = segments.length > 1;
    summary.appendChild(el("span", "summary-count", shortcut
      ? `快捷编码 ${data.normalized} · ${state.suggestions.length} 条`
      : `${state.suggestions.length} 条建议` + (multi ? ` · ${segments.length} 个问题` : "")));
    if (data.stage_source === "inferred" && data.stage) {
      const inferred = el("span", "summary-stage", "按上一条消息判断为");
      inferred.appendChild(stageBadge(data.stage));
      summary.appendChild(inferred);
    }
    summary.appendChild(el("span", "summary-hint", "按数字键复制"));

    const shown = new Set();
    segments.forEach((segment, index) => {
      const group = el("section", "segment");
      if (multi) {
        const head = el("header", "segment-head");
        head.appendChild(el("span", "segment-index", `问题 ${index + 1}`));
        head.appendChild(el("q", "segment-text", segment.text));
        group.appendChild(head);
      }
      let any = false;
      for (const situation of segment.situations || []) {
        const numbered = situation.replies.filter((r) => numbers.has(r.id) && !shown.has(r.id));
        if (!numbered.length) continue;
        any = true;
        numbered.forEach((r) => shown.add(r.id));
        const block = el("div", "situation");
        const head = el("div", "situation-head");
        head.appendChild(el("h2", "situation-name", situation.name));
        head.appendChild(stageBadge(situation.stage));
        const confidence = el("span", "confidence");
        if (shortcut) {
          confidence.appendChild(el("span", "confidence-value", "快捷编码匹配"));
        } else {
          const value = percent(situation.score);
          const bar = el("span", "confidence-bar");
          const fill = el("span", "confidence-fill");
          fill.style.width = `${value}%`;
          bar.appendChild(fill);
          confidence.appendChild(bar);
          confidence.appendChild(el("span", "confidence-value", `置信度 ${value}%`));
          confidence.title = "这个问题属于该场景的把握";
        }
        head.appendChild(confidence);
        block.appendChild(head);
        const list = el("div", "reply-list");
        numbered.sort((a, b) => numbers.get(a.id) - numbers.get(b.id))
          .forEach((reply) => list.appendChild(replyCard(reply, numbers.get(reply.id))));
        block.appendChild(list);
        const others = situation.replies.filter((r) => !numbers.has(r.id) && !shown.has(r.id));
        if (others.length) {
          const more = el("details", "more");
          more.appendChild(el("summary", "", `同场景的其他话术 ${others.length} 条`));
          others.forEach((reply) => { shown.add(reply.id); more.appendChild(replyCard(reply, 0)); });
          block.appendChild(more);
        }
        group.appendChild(block);
      }
      if (!any) {
        group.appendChild(el("p", "segment-none", segment.abstained ? "这个问题没有找到合适的话术。" : "这个问题的话术已在上面列出。"));
      }
      results.appendChild(group);
    });

    if (!shortcut) {
      // None fitted: logged for the editors (suggest report groups such messages into missing situations).
      const foot = el("div", "results-foot");
      const none = el("button", "btn btn-ghost btn-none", "都不合适");
      none.type = "button";
      none.title = "告诉编辑：这条消息缺少合适的话术";
      none.addEventListener("click", () => {
        sendFeedback(null, "dismissed_all");
        none.disabled = true;
        none.textContent = "已反馈给编辑";
        showToast("已记录，编辑会补充话术");
      });
      foot.appendChild(none);
      results.appendChild(foot);
    }
  }

  // ---- copying ----------------------------------------------------------------------------------------

  async function copyReply(reply, card) {
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

  function copyNumber(n) {
    const reply = state.suggestions[n - 1];
    if (!reply) {
      if (state.suggestions.length) showToast(`只有 ${state.suggestions.length} 条建议`, "warn");
      return;
    }
    const card = results.querySelector(`.reply[data-number="${n}"]`);
    copyReply(reply, card);
  }

  function sendFeedback(replyId, action) {
    if (!state.message.trim()) return;
    fetch("/api/v1/feedback", {
      method: "POST", headers: apiHeaders(), keepalive: true,
      body: JSON.stringify(replyId ? {message: state.message, reply_id: replyId, action} : {message: state.message, action}),
    }).catch(() => {});
  }

  // ---- wiring -----------------------------------------------------------------------------------------

  function clearAll() {
    box.value = "";
    updateCounter();
    showIntro();
    box.focus();
  }

  box.addEventListener("input", () => { updateCounter(); schedule(); });
  contextBox.addEventListener("input", () => { if (box.value.trim()) schedule(); });
  document.querySelectorAll('input[name="stage"]').forEach((radio) =>
    radio.addEventListener("change", () => { if (box.value.trim()) run(false); }));
  $("run").addEventListener("click", () => run(true));
  $("clear").addEventListener("click", clearAll);
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
    // Number keys: bare 1-9 outside text fields, Alt+1-9 anywhere (event.code: Alt changes event.key on macOS).
    const digit = /^Digit([1-9])$/.exec(event.code) || /^Numpad([1-9])$/.exec(event.code);
    if (digit && !event.ctrlKey && !event.metaKey && (event.altKey || !typing) && !event.shiftKey) {
      event.preventDefault();
      copyNumber(Number(digit[1]));
      return;
    }
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // ---- readiness --------------------------------------------------------------------------------------

  async function checkReady() {
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
    setTimeout(checkReady, 3000);
  }

  updateCounter();
  checkReady();
  if (box.value.trim()) run(true);
})();
