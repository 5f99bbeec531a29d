/* 话术推荐 extension: "pick on the page". Injected by the service worker into a tab of the site being configured,
 * when the agent presses 在页面上点选 on the options page (never elsewhere). A bar at the top asks for four clicks:
 * the buyer's latest message, an earlier buyer message (may be skipped), one of the agent's own messages (may be
 * skipped; it keeps the agent's messages out and lets the extension log "sent"), and the reply box. The page does
 * not see these clicks. The CSS selectors are worked out from the clicked elements (the shortest selector that
 * matches the buyer's messages and not the agent's) and sent to the options page, which fills them in; nothing
 * is saved until the agent presses 保存 there. Esc or 取消 stops.
 */
(function (root) {
  "use strict";

  if (root.__huashuPicker) root.__huashuPicker.stop(false);

  var key = root.__huashuPickKey || "";
  var STEPS = [
    {id: "latest", text: "请点击买家最新的一条消息", optional: false},
    {id: "earlier", text: "请点击更早的一条买家消息", optional: true},
    {id: "outgoing", text: "请点击一条你（客服）发出的消息", optional: true},
    {id: "replyBox", text: "请点击回复框（输入回复的地方）", optional: false}
  ];
  var STYLE = [
    // The host takes no room: only the bar (and the highlight, which lets clicks through) are drawn.
    ":host{all:initial !important;position:fixed !important;top:0 !important;left:0 !important;width:0 !important;",
    "height:0 !important;overflow:visible !important;z-index:2147483647 !important;display:block !important}",
    "*{box-sizing:border-box}",
    ".bar{position:fixed;top:12px;left:50%;transform:translateX(-50%);display:flex;align-items:center;gap:10px;",
    "max-width:calc(100vw - 24px);padding:10px 12px 10px 16px;border-radius:10px;background:#1f2329;color:#fff;",
    "box-shadow:0 10px 30px rgba(16,24,40,.3);pointer-events:auto;",
    "font:14px/1.5 -apple-system,BlinkMacSystemFont,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif}",
    ".step{flex:none;padding:0 8px;border-radius:999px;background:#3d4450;color:#fff;font-size:12px;line-height:22px}",
    ".text{min-width:0}",
    "button{height:30px;padding:0 12px;border:1px solid #5b6370;border-radius:6px;background:#2b3038;color:#fff;",
    "font:inherit;font-size:13px;cursor:pointer}",
    "button:hover{background:#3d4450}",
    "button:focus-visible{outline:2px solid #9bb8ff;outline-offset:1px}",
    ".box{position:fixed;border:2px solid #2456c9;background:rgba(36,86,201,.12);border-radius:4px;",
    "pointer-events:none;transition:all .05s}",
    ".box.picked{border-color:#14804a;background:rgba(20,128,74,.12)}"
  ].join("");

  var host = document.createElement("huashu-picker");
  var shadow = host.attachShadow({mode: "open"});
  var style = document.createElement("style");
  style.textContent = STYLE;
  shadow.appendChild(style);
  var bar = document.createElement("div");
  bar.className = "bar";
  bar.setAttribute("role", "dialog");
  bar.setAttribute("aria-label", "话术推荐：在页面上点选");
  var stepEl = document.createElement("span");
  stepEl.className = "step";
  var textEl = document.createElement("span");
  textEl.className = "text";
  textEl.setAttribute("aria-live", "polite");
  var skipBtn = document.createElement("button");
  skipBtn.type = "button";
  skipBtn.textContent = "跳过";
  var cancelBtn = document.createElement("button");
  cancelBtn.type = "button";
  cancelBtn.textContent = "取消";
  [stepEl, textEl, skipBtn, cancelBtn].forEach(function (n) { bar.appendChild(n); });
  var box = document.createElement("div");
  box.className = "box";
  box.hidden = true;
  shadow.appendChild(box);
  shadow.appendChild(bar);
  (document.body || document.documentElement).appendChild(host);

  var step = 0;
  var picked = {};

  function show() {
    var s = STEPS[step];
    stepEl.textContent = "第 " + (step + 1) + " 步，共 " + STEPS.length + " 步";
    textEl.textContent = s.text + (s.optional ? "（没有可以跳过）" : "");
    skipBtn.hidden = !s.optional;
  }

  function ours(event) {
    return event.composedPath().indexOf(host) >= 0;
  }

  function highlight(node, done) {
    if (!node || node.nodeType !== 1) { box.hidden = true; return; }
    var r = node.getBoundingClientRect();
    box.style.cssText = "left:" + r.left + "px;top:" + r.top + "px;width:" + r.width + "px;height:" + r.height + "px";
    box.className = "box" + (done ? " picked" : "");
    box.hidden = false;
  }

  /* The element a click means: for the reply box, the editable element around (or under) the click. */
  function target(node) {
    if (STEPS[step].id !== "replyBox") return node;
    var editable = node.closest("textarea, input");
    if (editable) return editable;
    var top = null;
    for (var n = node; n && n.nodeType === 1; n = n.parentElement) if (n.isContentEditable) top = n;
    return top || node;
  }

  function onMove(event) {
    if (ours(event)) return;
    highlight(target(event.target), false);
  }

  function swallow(event) {
    if (ours(event)) return;
    event.preventDefault();
    event.stopPropagation();
    event.stopImmediatePropagation();
  }

  function onClick(event) {
    if (ours(event)) return;
    swallow(event);
    var node = target(event.target);
    picked[STEPS[step].id] = node;
    highlight(node, true);
    next();
  }

  function onKey(event) {
    if (event.key === "Escape") { swallow(event); stop(true); }
  }

  function next() {
    step++;
    if (step < STEPS.length) { show(); return; }
    finish();
  }

  // ---- selectors -------------------------------------------------------------------------------------------

  var STATE_CLASS = /^(is-|has-)?(active|hover|hovered|focus|focused|selected|current|open|visible|hidden|new|unread)$/;

  function classes(node) {
    return Array.prototype.filter.call(node.classList, function (c) {
      return /^[A-Za-z_][\w-]*$/.test(c) && c.length <= 40 && !/\d{3,}/.test(c) && !STATE_CLASS.test(c) &&
        !/^(css|sc|jsx|emotion|svelte)-/.test(c);
    });
  }

  function simple(node) {
    var tag = node.tagName.toLowerCase();
    return tag + classes(node).map(function (c) { return "." + CSS.escape(c); }).join("");
  }

  function matched(selector) {
    try { return Array.prototype.slice.call(document.querySelectorAll(selector)); } catch (err) { return null; }
  }

  function fits(selector, yes, no) {
    var found = matched(selector);
    if (!found) return false;
    return yes.every(function (n) { return found.indexOf(n) >= 0; }) &&
      no.every(function (n) { return found.indexOf(n) < 0; });
  }

  function ancestors(node, max) {
    var out = [];
    for (var n = node.parentElement; n && out.length < max && n !== document.body && n !== document.documentElement;
         n = n.parentElement) out.push(n);
    return out;
  }

  /* An id that names a place (#messages), not one message (#message42). */
  function stableId(node) {
    return !!node.id && /^[A-Za-z][\w-]*$/.test(node.id) && !/\d/.test(node.id);
  }

  /* Candidate selectors for `node`: the element itself, then the element under each classed ancestor. */
  function candidates(node) {
    var leaf = simple(node);
    var list = [leaf];
    ancestors(node, 6).forEach(function (a, i) {
      var tag = a.tagName.toLowerCase();
      classes(a).forEach(function (c) {
        list.push(tag + "." + CSS.escape(c) + (i === 0 ? " > " : " ") + leaf);
      });
      if (stableId(a)) list.push("#" + CSS.escape(a.id) + " " + leaf);
    });
    return list;
  }

  function parts(selector) {
    return selector.split(" ").filter(function (x) { return x !== ">"; }).length;
  }

  /* The best selector matching all of `yes` and none of `no` (or, failing that, all of `yes`): no bare tag name if
   * possible, then the fewest parts; then, told what to leave out, the one matching most (all of the agent's
   * messages, say), else the one matching least (the buyer's messages rather than every message). */
  function generalize(yes, no) {
    yes = yes.filter(Boolean);
    no = no.filter(Boolean);
    if (!yes.length) return "";
    var pool = [];
    yes.forEach(function (node) {
      candidates(node).forEach(function (c) { if (pool.indexOf(c) < 0) pool.push(c); });
    });
    var rounds = [no, []];
    for (var r = 0; r < rounds.length; r++) {
      var fitting = pool.filter(function (c) { return fits(c, yes, rounds[r]); }).map(function (c) {
        return {selector: c, bare: /[.#[]/.test(c) ? 0 : 1, parts: parts(c), count: matched(c).length};
      });
      if (!fitting.length) continue;
      var more = rounds[r].length ? -1 : 1;
      fitting.sort(function (a, b) {
        return a.bare - b.bare || a.parts - b.parts || more * (a.count - b.count) ||
          a.selector.length - b.selector.length;
      });
      return fitting[0].selector;
    }
    return path(yes[0]);
  }

  /* A selector for exactly this element: its id, or classes and ancestors until it is the only match. */
  function unique(node) {
    if (stableId(node) && matched("#" + CSS.escape(node.id)).length === 1) return "#" + CSS.escape(node.id);
    var leaf = simple(node);
    if (node.isContentEditable && node.getAttribute("contenteditable") !== null) {
      leaf += '[contenteditable="' + node.getAttribute("contenteditable") + '"]';
    }
    var list = [leaf].concat(candidates(node).slice(1).sort(function (a, b) {
      return parts(a) - parts(b) || a.length - b.length;
    }));
    for (var i = 0; i < list.length; i++) {
      var found = matched(list[i]);
      if (found && found.length === 1 && found[0] === node) return list[i];
    }
    return path(node);
  }

  function path(node) {
    var parts = [];
    for (var n = node; n && n.nodeType === 1 && n !== document.documentElement; n = n.parentElement) {
      var tag = n.tagName.toLowerCase();
      var index = 1;
      for (var s = n.previousElementSibling; s; s = s.previousElementSibling) if (s.tagName === n.tagName) index++;
      parts.unshift(tag + ":nth-of-type(" + index + ")");
      if (tag === "body") break;
    }
    return parts.join(" > ");
  }

  function finish() {
    var buyer = generalize([picked.latest, picked.earlier], [picked.outgoing]);
    var selectors = {
      latest: buyer,
      history: buyer,
      replyBox: picked.replyBox ? unique(picked.replyBox) : "",
      outgoing: picked.outgoing ? generalize([picked.outgoing], [picked.latest, picked.earlier]) : ""
    };
    stepEl.textContent = "完成";
    textEl.textContent = "已选好，请回到扩展的设置页检查并保存。";
    skipBtn.hidden = true;
    cancelBtn.textContent = "关闭";
    send({type: "picked", key: key, selectors: selectors, url: location.href});
    detach();
    setTimeout(function () { stop(false); }, 1500);
  }

  function send(message) {
    try { chrome.runtime.sendMessage(message).catch(function () {}); } catch (err) { /* extension went away */ }
  }

  var EVENTS = ["pointerdown", "pointerup", "mousedown", "mouseup", "dblclick", "contextmenu", "auxclick"];

  function detach() {
    window.removeEventListener("mousemove", onMove, true);
    window.removeEventListener("click", onClick, true);
    window.removeEventListener("keydown", onKey, true);
    EVENTS.forEach(function (type) { window.removeEventListener(type, swallow, true); });
  }

  function stop(cancelled) {
    detach();
    if (host.parentNode) host.parentNode.removeChild(host);
    if (root.__huashuPicker === api) root.__huashuPicker = null;
    if (cancelled) send({type: "picked", key: key, cancelled: true});
  }

  skipBtn.addEventListener("click", function () { next(); });
  cancelBtn.addEventListener("click", function () { stop(step < STEPS.length); });
  window.addEventListener("mousemove", onMove, true);
  window.addEventListener("click", onClick, true);
  window.addEventListener("keydown", onKey, true);
  EVENTS.forEach(function (type) { window.addEventListener(type, swallow, true); });

  var api = {stop: stop};
  root.__huashuPicker = api;
  show();
})(globalThis);
