/* 话术推荐 extension: the suggestion panel (content-script world).
 *
 * The widget's panel (webapp/static/widget.js), its look and its keys: a floating card beside the chat, rendered in
 * a Shadow DOM under a <huashu-extension> element (the page's CSS does not reach it, its CSS does not reach the
 * page), the replies numbered 1–9 with situation, stage, confidence and placeholders to fill; a click or Alt+1…9
 * inserts a reply, Alt+0 collapses or expands, the title bar drags it. Everything is written with textContent.
 * The colours meet WCAG AA (4.5:1) for text. This file only draws: content.js decides what to show.
 */
(function (root) {
  "use strict";

  var ns = root.HuashuExt = root.HuashuExt || {};
  if (ns.Panel) return;

  var TAG = "huashu-extension";
  var STAGE_NAMES = {presale: "售前", order: "售中", aftersale: "售后", general: "通用"};
  var WIDTH = 340;

  var STYLE = [
    ":host{all:initial !important;position:fixed !important;display:block !important;bottom:16px !important;",
    "right:16px !important;left:auto !important;top:auto !important;width:auto !important;height:auto !important;",
    "margin:0 !important;padding:0 !important;border:0 !important;transform:none !important;opacity:1 !important;",
    "visibility:visible !important;pointer-events:auto !important;z-index:2147483000 !important}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none !important}",
    ".hw{width:" + WIDTH + "px;max-width:calc(100vw - 32px);display:flex;flex-direction:column;",
    "max-height:min(70vh,560px);background:#fff;color:#1f2329;border:1px solid #dfe3e9;border-radius:12px;",
    "overflow:hidden;box-shadow:0 10px 30px rgba(16,24,40,.16),0 2px 6px rgba(16,24,40,.08);text-align:left;",
    "font:14px/1.6 -apple-system,BlinkMacSystemFont,'PingFang SC','Hiragino Sans GB','Microsoft YaHei',",
    "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','Segoe UI',Roboto,Arial,sans-serif;",
    "-webkit-font-smoothing:antialiased;letter-spacing:normal;word-spacing:normal;text-transform:none;direction:ltr}",
    ".hw.collapsed{width:auto;min-width:200px}",
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
    ".status.ok{color:#12723f}.status.warn{color:#9a5400}",
    ".spin{width:12px;height:12px;border-radius:50%;border:2px solid #c9d5f2;border-top-color:#2456c9;flex:none;",
    "animation:spin .8s linear infinite}",
    "@keyframes spin{to{transform:rotate(360deg)}}",
    "button{font:inherit;color:inherit;margin:0}",
    ".icon{display:grid;place-items:center;width:30px;height:30px;border:0;border-radius:6px;background:transparent;",
    "color:#4e5561;cursor:pointer;flex:none;padding:0}",
    ".icon:hover{background:#e8ebf0}",
    ".icon svg{width:16px;height:16px;transition:transform .15s}",
    ".collapsed .toggle svg{transform:rotate(180deg)}",
    "button:focus-visible{outline:2px solid #2456c9;outline-offset:1px}",
    ".body{overflow-y:auto;overscroll-behavior:contain;padding:10px 10px 4px;flex:1 1 auto}",
    ".quote{display:flex;gap:8px;align-items:baseline;margin:0 2px 8px;color:#4e5561;font-size:12.5px}",
    ".quote-label{flex:none;padding:0 6px;border-radius:4px;background:#eff1f4;color:#4e5561;font-size:11.5px;",
    "line-height:18px}",
    ".quote-text{min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
    ".context{margin:-4px 2px 8px;color:#5f6672;font-size:11.5px}",
    ".list{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}",
    ".item{display:grid;grid-template-columns:22px minmax(0,1fr);column-gap:8px;width:100%;padding:8px 10px 8px 8px;",
    "border:1px solid #e3e6eb;border-radius:8px;background:#f9fafb;text-align:left;cursor:pointer;",
    "transition:border-color .12s,background .12s}",
    ".item:hover{border-color:#a9bdec;background:#f3f6fd}",
    ".item.done{border-color:#14804a;background:#eaf6ef}",
    ".num{grid-row:1/3;display:grid;place-items:center;width:22px;height:22px;margin-top:1px;border-radius:6px;",
    "background:#1f2329;color:#fff;font:600 12px/1 ui-monospace,Menlo,Consolas,monospace}",
    ".text{font-size:14px;line-height:1.6;white-space:pre-wrap;overflow-wrap:anywhere;color:#1f2329}",
    ".meta{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:4px;font-size:11.5px;color:#5f6672}",
    ".chip{padding:0 6px;border-radius:4px;line-height:18px;background:#eef0f3;color:#4e5561}",
    ".chip-presale{background:#eaf0fc;color:#2456c9}.chip-order{background:#fff2df;color:#94520a}",
    ".chip-aftersale{background:#e3f4ee;color:#0d6650}",
    ".chip-warn{background:#fff4e0;color:#8f4f00}",
    ".score{font-variant-numeric:tabular-nums}",
    ".note{margin:4px 2px 10px;padding:14px 12px;border:1px dashed #cfd4dc;border-radius:8px;text-align:center;",
    "color:#4e5561}",
    ".note strong{display:block;color:#1f2329;font-weight:600;margin-bottom:2px}",
    ".note small{display:block;color:#5f6672;font-size:12px}",
    ".note.error{border:1px solid #f3c3bf;background:#fdeceb}",
    ".note.error strong{color:#b02a22}.note.error small{color:#4e5561}",
    ".retry{margin-top:8px;height:28px;padding:0 12px;border:1px solid #cfd4dc;border-radius:6px;background:#fff;",
    "cursor:pointer;font-size:12.5px}",
    ".retry:hover{border-color:#a9bdec;color:#2456c9}",
    ".shop{display:flex;align-items:center;gap:8px;flex:none;padding:6px 10px 6px 12px;",
    "border-bottom:1px solid #e8ebf0;background:#fff}",
    ".collapsed .shop{display:none}",
    ".shop-label{flex:none;color:#4e5561;font-size:12px;font-weight:600}",
    ".shop-select{flex:1;min-width:0;height:28px;padding:0 6px;border:1px solid #cfd4dc;border-radius:6px;",
    "background:#fff;color:#1f2329;font:inherit;font-size:13px;font-weight:600;margin:0}",
    ".shop-select:focus{outline:none;border-color:#2456c9;box-shadow:0 0 0 3px #eaf0fc}",
    ".shop-note{flex:none;max-width:45%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;color:#a65b00;",
    "font-size:12px}",
    ".foot{display:flex;justify-content:space-between;gap:8px;padding:6px 12px 8px;color:#5f6672;font-size:11.5px;",
    "flex:none}",
    "kbd{display:inline-block;min-width:1.4em;padding:0 .3em;border:1px solid #cfd4dc;border-bottom-width:2px;",
    "border-radius:4px;background:#fff;color:#4e5561;font:500 10.5px/1.5 ui-monospace,Menlo,Consolas,monospace;",
    "text-align:center}",
    "@media (prefers-reduced-motion:reduce){*{transition:none !important;animation:none !important}}"
  ].join("");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function svg(path) {
    var ns = "http://www.w3.org/2000/svg";
    var icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 16 16");
    icon.setAttribute("aria-hidden", "true");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "none");
    p.setAttribute("stroke", "currentColor");
    p.setAttribute("stroke-width", "1.6");
    p.setAttribute("stroke-linecap", "round");
    p.setAttribute("stroke-linejoin", "round");
    icon.appendChild(p);
    return icon;
  }

  var CHEVRON = "M4 6l4 4 4-4";
  var GEAR = "M8 5.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5zM8 1.5v1.6M8 12.9v1.6M1.5 8h1.6M12.9 8h1.6M3.4 3.4l1.1 1.1" +
             "M11.5 11.5l1.1 1.1M3.4 12.6l1.1-1.1M11.5 4.5l1.1-1.1";

  /* options: {title, ui: {collapsed, position}, onInsert(n), onRetry(), onSettings(), onUiChange(state),
   *           onShop(name)} */
  function Panel(options) {
    this.options = options;
    this.suggestions = [];
    this.collapsed = !!(options.ui && options.ui.collapsed);
    this.offsets = null;
    this.onKeyDown = this.onKeyDown.bind(this);
    this.onResize = this.onResize.bind(this);
    this.build();
    window.addEventListener("keydown", this.onKeyDown, true);
    window.addEventListener("resize", this.onResize);
  }

  Panel.prototype.build = function () {
    var self = this;
    var title = this.options.title || "话术推荐";
    var host = document.createElement(TAG);
    var shadow = host.attachShadow({mode: "open"});
    var style = document.createElement("style");
    style.textContent = STYLE;
    shadow.appendChild(style);
    this.placeStyle = document.createElement("style");
    shadow.appendChild(this.placeStyle);

    var panel = el("section", "hw");
    panel.setAttribute("role", "complementary");
    panel.setAttribute("aria-label", title);
    var head = el("header", "head");
    var mark = el("span", "mark", "话");
    mark.setAttribute("aria-hidden", "true");
    head.appendChild(mark);
    head.appendChild(el("span", "title", title));
    this.countEl = el("span", "count");
    this.countEl.hidden = true;
    head.appendChild(this.countEl);
    this.spinEl = el("span", "spin");
    this.spinEl.hidden = true;
    head.appendChild(this.spinEl);
    this.statusEl = el("span", "status");
    this.statusEl.setAttribute("aria-live", "polite");
    head.appendChild(this.statusEl);
    var settings = el("button", "icon settings");
    settings.type = "button";
    settings.title = "扩展设置";
    settings.setAttribute("aria-label", "打开话术推荐扩展的设置");
    settings.appendChild(svg(GEAR));
    head.appendChild(settings);
    var toggle = el("button", "icon toggle");
    toggle.type = "button";
    toggle.appendChild(svg(CHEVRON));
    head.appendChild(toggle);
    panel.appendChild(head);
    panel.appendChild(this.buildShop());

    this.bodyEl = el("div", "body");
    this.quoteEl = el("p", "quote");
    this.quoteEl.hidden = true;
    this.quoteEl.appendChild(el("span", "quote-label", "买家"));
    this.quoteText = el("span", "quote-text");
    this.quoteEl.appendChild(this.quoteText);
    this.bodyEl.appendChild(this.quoteEl);
    this.contextEl = el("p", "context");
    this.contextEl.hidden = true;
    this.bodyEl.appendChild(this.contextEl);
    this.listEl = el("ol", "list");
    this.bodyEl.appendChild(this.listEl);
    this.noteEl = el("div", "note");
    this.bodyEl.appendChild(this.noteEl);
    panel.appendChild(this.bodyEl);

    var foot = el("footer", "foot");
    var hint = el("span");
    hint.appendChild(el("kbd", "", "Alt"));
    hint.appendChild(document.createTextNode("+"));
    hint.appendChild(el("kbd", "", "1…9"));
    hint.appendChild(document.createTextNode(" 填入回复框"));
    foot.appendChild(hint);
    foot.appendChild(el("span", "", "不会自动发送"));
    this.footEl = foot;
    panel.appendChild(foot);
    shadow.appendChild(panel);

    toggle.addEventListener("click", function () { self.setCollapsed(!self.collapsed, true); });
    settings.addEventListener("click", function () { if (self.options.onSettings) self.options.onSettings(); });
    head.addEventListener("dblclick", function (event) {
      if (!event.target.closest("button")) self.setCollapsed(!self.collapsed, true);
    });
    // Keep the focus (and caret) in the chat tool's reply box while the agent clicks in the panel.
    panel.addEventListener("mousedown", function (event) {
      if (event.target.closest && event.target.closest("button")) event.preventDefault();
    });
    this.dragging(head);

    this.host = host;
    this.shadow = shadow;
    this.panel = panel;
    this.toggleEl = toggle;
    this.setCollapsed(this.collapsed, false);
    this.showNote("idle");
    var pos = this.options.ui && this.options.ui.position;
    this.place(pos && typeof pos.right === "number" && typeof pos.bottom === "number" ? pos : null);
    this.mount();
  };

  /* The 店铺 line: the shops the server hosts, shown only when it hosts more than the default one (setShops). */
  Panel.prototype.buildShop = function () {
    var self = this;
    var row = el("div", "shop");
    row.hidden = true;
    var label = el("label", "shop-label", "店铺");
    label.setAttribute("for", "hx-shop");
    row.appendChild(label);
    this.shopSelect = el("select", "shop-select");
    this.shopSelect.id = "hx-shop";
    this.shopSelect.title = "推荐和反馈都按所选店铺的话术库";
    row.appendChild(this.shopSelect);
    this.shopNote = el("span", "shop-note"); // the site's shop is no longer on the server (until a choice)
    this.shopNote.hidden = true;
    row.appendChild(this.shopNote);
    this.shopSelect.addEventListener("change", function () {
      self.shopNote.hidden = true;
      if (self.options.onShop) self.options.onShop(self.shopSelect.value);
    });
    ["keydown", "keyup", "keypress"].forEach(function (type) { // the chat tool's shortcuts must not see them
      self.shopSelect.addEventListener(type, function (event) { event.stopPropagation(); });
    });
    this.shopRow = row;
    return row;
  };

  /* `names`: the shops besides the default one; `current`: the one this site answers for ("" the default);
   * `gone`: the site's shop until now, which the server no longer hosts. */
  Panel.prototype.setShops = function (names, current, gone) {
    var select = this.shopSelect;
    clear(select);
    [""].concat(names || []).forEach(function (name) {
      var option = el("option", "", name || "默认店铺");
      option.value = name;
      select.appendChild(option);
    });
    select.value = names && names.indexOf(current) >= 0 ? current : "";
    this.shopNote.textContent = gone ? "没有店铺「" + gone + "」" : "";
    this.shopNote.title = gone ? "服务上没有店铺「" + gone + "」了，已改用默认店铺" : "";
    this.shopNote.hidden = !gone;
    this.shopRow.hidden = !(names && names.length) && !gone;
  };

  /* Is `node` part of the panel? (Its own mutations and text are not the chat's.) */
  Panel.prototype.owns = function (node) {
    return !!node && (node === this.host || this.host.contains(node));
  };

  Panel.prototype.mount = function () {
    if (!this.host.isConnected) (document.body || document.documentElement).appendChild(this.host);
  };

  /* Where the panel sits: bottom-right beside the chat, or where the agent dragged it ({right, bottom} px). The
   * rule lives in the shadow root: the page's styles cannot move it. */
  Panel.prototype.place = function (offsets) {
    var rule;
    if (offsets) {
      var w = this.panel.offsetWidth || WIDTH;
      var h = this.panel.offsetHeight || 42;
      var right = Math.max(0, Math.min(offsets.right, window.innerWidth - Math.min(w, window.innerWidth)));
      var bottom = Math.max(0, Math.min(offsets.bottom, window.innerHeight - Math.min(h, window.innerHeight)));
      this.offsets = {right: right, bottom: bottom};
      rule = "right:" + right + "px !important;bottom:" + bottom + "px !important";
    } else {
      this.offsets = null;
      rule = "right:16px !important;bottom:16px !important";
    }
    this.placeStyle.textContent = ":host{" + rule + "}";
  };

  Panel.prototype.onResize = function () {
    this.place(this.offsets);
  };

  Panel.prototype.dragging = function (handle) {
    var self = this;
    var start = null;
    handle.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || event.target.closest("button")) return;
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
      var moved = start.moved;
      start = null;
      self.panel.classList.remove("dragging");
      if (moved) self.remember();
    };
    handle.addEventListener("pointerup", end);
    handle.addEventListener("pointercancel", end);
  };

  Panel.prototype.remember = function () {
    if (this.options.onUiChange) this.options.onUiChange({collapsed: this.collapsed, position: this.offsets});
  };

  Panel.prototype.setCollapsed = function (collapsed, remember) {
    this.collapsed = !!collapsed;
    this.panel.classList.toggle("collapsed", this.collapsed);
    this.bodyEl.hidden = this.collapsed;
    this.footEl.hidden = this.collapsed;
    this.toggleEl.setAttribute("aria-expanded", String(!this.collapsed));
    this.toggleEl.setAttribute("aria-label", this.collapsed ? "展开话术推荐" : "收起话术推荐");
    this.toggleEl.title = this.collapsed ? "展开 (Alt+0)" : "收起 (Alt+0)";
    if (remember) this.remember();
  };

  Panel.prototype.setStatus = function (text, kind) {
    var self = this;
    this.statusEl.textContent = text || "";
    this.statusEl.className = "status" + (kind ? " " + kind : "");
    clearTimeout(this.statusTimer);
    if (text && kind === "ok") this.statusTimer = setTimeout(function () { self.setStatus(""); }, 2500);
  };

  Panel.prototype.showNote = function (kind, title, detail, retry) {
    var note = this.noteEl;
    var self = this;
    clear(note);
    note.className = "note" + (kind === "error" ? " error" : "");
    note.removeAttribute("role");
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
      var button = el("button", "retry", "重试");
      button.type = "button";
      button.addEventListener("click", function () { if (self.options.onRetry) self.options.onRetry(); });
      note.appendChild(button);
    }
  };

  /* Asking the server about `message` (with `context`, the earlier messages). */
  Panel.prototype.loading = function (message, context) {
    this.spinEl.hidden = false;
    this.setStatus("");
    this.quoteText.textContent = message.replace(/\n/g, " ");
    this.quoteText.title = message;
    this.quoteEl.hidden = false;
    this.contextEl.textContent = context.length ? "连同前面 " + context.length + " 条买家消息一起分析" : "";
    this.contextEl.hidden = !context.length;
  };

  Panel.prototype.idle = function () {
    this.suggestions = [];
    clear(this.listEl);
    this.countEl.hidden = true;
    this.quoteEl.hidden = true;
    this.contextEl.hidden = true;
    this.spinEl.hidden = true;
    this.showNote("idle");
    this.setStatus("");
  };

  Panel.prototype.fail = function (title, detail, retry) {
    this.suggestions = [];
    this.spinEl.hidden = true;
    clear(this.listEl);
    this.countEl.hidden = true;
    this.showNote("error", title, detail, retry);
    this.setStatus("出错了", "warn");
  };

  /* The API's answer (the `suggest query --json` shape), at most `k` replies. */
  Panel.prototype.render = function (data, k) {
    var self = this;
    var names = {};
    (data.segments || []).forEach(function (segment) {
      (segment.situations || []).forEach(function (s) { names[s.id] = s.name; });
    });
    this.spinEl.hidden = true;
    this.suggestions = (Array.isArray(data.suggestions) ? data.suggestions : []).slice(0, k);
    clear(this.listEl);
    if (data.abstained || !this.suggestions.length) {
      this.countEl.hidden = true;
      this.showNote("empty");
      this.setStatus("");
      return;
    }
    this.showNote("none");
    this.countEl.textContent = this.suggestions.length + " 条";
    this.countEl.hidden = false;
    this.suggestions.forEach(function (reply, i) {
      var li = el("li");
      var item = el("button", "item");
      item.type = "button";
      item.setAttribute("data-n", String(i + 1));
      item.setAttribute("data-reply-id", String(reply.id));
      item.title = "点击或按 Alt+" + (i + 1) + " 填入回复框";
      item.appendChild(el("span", "num", i + 1));
      item.appendChild(el("span", "text", reply.text));
      var meta = el("span", "meta");
      meta.appendChild(el("span", "chip", names[reply.situation] || reply.situation));
      var stage = STAGE_NAMES[reply.stage] ? reply.stage : "general";
      meta.appendChild(el("span", "chip chip-" + stage, STAGE_NAMES[stage]));
      var pct = Math.max(0, Math.min(100, Math.round(Number(reply.score) * 100)));
      meta.appendChild(el("span", "score", "置信度 " + pct + "%"));
      if (reply.unfilled && reply.unfilled.length) {
        meta.appendChild(el("span", "chip chip-warn", "待填写：" + reply.unfilled.join("、")));
      }
      item.appendChild(meta);
      item.addEventListener("click", function () { self.options.onInsert(i + 1); });
      li.appendChild(item);
      self.listEl.appendChild(li);
    });
    this.setStatus("");
  };

  /* Reply n was used: a green flash on it. */
  Panel.prototype.flash = function (n) {
    var item = this.shadow.querySelector('.item[data-n="' + n + '"]');
    if (!item) return;
    item.classList.add("done");
    setTimeout(function () { item.classList.remove("done"); }, 1200);
  };

  Panel.prototype.onKeyDown = function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    var match = /^(?:Digit|Numpad)([0-9])$/.exec(event.code || "");
    if (!match) return;
    var n = parseInt(match[1], 10);
    if (n === 0) {
      this.setCollapsed(!this.collapsed, true);
    } else if (n <= this.suggestions.length) {
      this.options.onInsert(n);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  /* Copy to the clipboard (when the reply box is missing), from inside the shadow root. */
  Panel.prototype.copy = function (text) {
    var shadow = this.shadow;
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
  };

  Panel.prototype.destroy = function () {
    window.removeEventListener("keydown", this.onKeyDown, true);
    window.removeEventListener("resize", this.onResize);
    clearTimeout(this.statusTimer);
    if (this.host.parentNode) this.host.parentNode.removeChild(this.host);
  };

  ns.Panel = Panel;
})(globalThis);
