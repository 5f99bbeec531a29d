/* 话术推荐 extension: the content script of a configured chat site (registered by background.js for the configured
 * sites only). It asks the service worker which site this is, shows the panel (panel.js), watches the page with a
 * MutationObserver, and when the buyer's latest message changes asks for suggestions, with the earlier messages as
 * context, through the service worker (which holds the server address and the API key). A click or Alt+n puts
 * reply n into the reply box (dom.js) and logs `copied`; when that reply then shows up as a sent message, `sent`.
 * It never presses Enter or clicks a send button.
 */
(function (root) {
  "use strict";

  var ns = root.HuashuExt;
  if (ns.app) { // injected again after the settings were saved: only reload them
    ns.app.reload();
    return;
  }

  var dom = ns.dom;
  var DEBOUNCE_MS = 180;
  var SENT_WATCH_MS = 10 * 60 * 1000;

  var site = null;
  var k = 5;
  var server = "";
  var panel = null;
  var observer = null;
  // shop: the shop whose suggestions are shown (feedback on them goes there, whatever the agent chose since)
  var state = {key: "", seq: 0, message: "", shop: "", pending: null, timer: null, retryTimer: null, conv: null};

  function alive() {
    return !!(root.chrome && chrome.runtime && chrome.runtime.id);
  }

  /* A message to the service worker; null when the extension went away (reloaded or removed): then stop. */
  function ask(message) {
    if (!alive()) { stop(); return Promise.resolve(null); }
    try {
      return chrome.runtime.sendMessage(message).catch(function () {
        if (!alive()) stop();
        return null;
      });
    } catch (err) {
      stop();
      return Promise.resolve(null);
    }
  }

  function reload() {
    return ask({type: "hello"}).then(apply);
  }

  function apply(config) {
    if (!config || !config.site) { stop(); return; }
    site = config.site;
    k = config.k || 5;
    server = config.server || "";
    if (!panel) {
      panel = new ns.Panel({
        title: "话术推荐",
        ui: config.ui,
        onInsert: insert,
        onRetry: refresh,
        onSettings: function () { ask({type: "options"}); },
        onUiChange: function (ui) { ask({type: "ui", state: ui}); },
        onShop: chooseShop
      });
      observer = new MutationObserver(onMutations);
      observer.observe(document.body || document.documentElement, {childList: true, subtree: true,
                                                                    characterData: true});
    }
    ask({type: "shops"}).then(function (res) {
      if (!res || !res.ok || !panel) return;
      panel.setShops(res.shops, res.shop, res.gone);
      if (res.gone) refresh();
    });
    refresh();
  }

  /* The agent chose another shop in the panel: this site's from now on, and the buyer's message asked again. */
  function chooseShop(name) {
    ask({type: "setShop", shop: name}).then(function (res) {
      if (!res || !res.ok || !panel) return;
      refresh();
      panel.setStatus("已切换到「" + (res.shop || "默认店铺") + "」", "ok");
    });
  }

  function stop() {
    if (observer) observer.disconnect();
    observer = null;
    clearTimeout(state.timer);
    clearTimeout(state.retryTimer);
    if (panel) panel.destroy();
    panel = null;
    site = null;
    state.key = "";
    state.seq++;
  }

  // ---- watching the conversation ----------------------------------------------------------------------------

  function skip(node) {
    return !!panel && panel.owns(node);
  }

  function onMutations(records) {
    if (state.pending) checkSent(records);
    clearTimeout(state.timer);
    state.timer = setTimeout(scan, DEBOUNCE_MS);
  }

  function refresh() {
    state.key = "";
    scan();
  }

  function scan() {
    if (!panel || !site) return;
    panel.mount(); // single-page apps sometimes rebuild <body>
    var conv = dom.readConversation(site, skip);
    if (!conv) {
      if (state.key) idle();
      return;
    }
    var key = JSON.stringify([conv.latest, conv.context]);
    if (key === state.key) return;
    state.key = key;
    request(conv);
  }

  function idle() {
    state.key = "";
    state.seq++;
    state.message = "";
    panel.idle();
  }

  // ---- asking the server (through the service worker) -------------------------------------------------------

  function request(conv) {
    var seq = ++state.seq;
    clearTimeout(state.retryTimer);
    panel.loading(conv.latest, conv.context);
    ask({type: "suggest", message: conv.latest, context: conv.context}).then(function (res) {
      if (seq !== state.seq || !panel) return;
      if (res && res.ok && res.data && Array.isArray(res.data.suggestions)) {
        state.message = conv.latest;
        state.shop = res.shop || "";
        panel.render(res.data, k);
        return;
      }
      state.message = "";
      explain(res || {status: 0, code: "gone"});
    });
  }

  /* A failed call, in words the agent can act on; never retried on every page change (重试 or a new message). */
  function explain(res) {
    var where = server || "（未设置）";
    if (res.status === 401) {
      panel.fail("话术服务需要有效的 API Key", "请在扩展的设置页填写正确的 API Key。", false);
    } else if (res.status === 403) {
      panel.fail("话术服务拒绝了扩展的请求", res.message || "请联系管理员检查服务设置。", false);
    } else if (res.status === 503) {
      var wait = Math.max(2, Math.min(60, res.retryAfter || 5));
      panel.fail("话术服务正在启动", "模型加载中，" + wait + " 秒后自动重试。", true);
      state.retryTimer = setTimeout(refresh, wait * 1000);
    } else if (res.status === 400 || res.status === 413 || res.status === 422) {
      panel.fail("这条消息没法推荐话术", res.message || ("HTTP " + res.status), false);
    } else if (res.status) {
      panel.fail("话术服务出错了", (res.message || "HTTP " + res.status) + "，请稍后重试。", true);
    } else if (res.code === "timeout") {
      panel.fail("话术服务响应超时", "请稍后重试。", true);
    } else {
      panel.fail("连不上话术服务", "请检查扩展设置里的服务地址 " + where + "，以及是否允许了扩展访问它。", true);
    }
  }

  function feedback(message, replyId, action, shop) {
    if (message) ask({type: "feedback", message: message, reply_id: String(replyId), action: action, shop: shop});
  }

  // ---- putting a reply into the reply box -------------------------------------------------------------------

  function insert(n) {
    if (!panel) return;
    var reply = panel.suggestions[n - 1];
    if (!reply) return;
    var box = dom.replyBox(site.replyBox);
    var done = function (how) {
      panel.flash(n);
      var unfilled = reply.unfilled && reply.unfilled.length;
      panel.setStatus(unfilled ? "注意填写「" + reply.unfilled.join("、") + "」" : how, unfilled ? "warn" : "ok");
      feedback(state.message, reply.id, "copied", state.shop);
      state.pending = {id: reply.id, text: reply.text, message: state.message, shop: state.shop, box: box,
                       until: Date.now() + SENT_WATCH_MS, seen: dom.all(site.outgoing).length};
    };
    if (box && dom.fill(box, reply.text)) {
      done("已填入第 " + n + " 条");
      return;
    }
    panel.copy(reply.text).then(function (ok) {
      if (ok) done(box ? "已复制第 " + n + " 条，请粘贴" : "没找到回复框，已复制到剪贴板");
      else panel.setStatus("没找到回复框，也无法复制", "warn");
    });
  }

  /* The inserted reply was sent by the agent: it appeared among the sent messages (the site's `outgoing`
   * selector), or, without one, as a new element on the page outside the reply box. Logged once. */
  function checkSent(records) {
    var pending = state.pending;
    if (Date.now() > pending.until) { state.pending = null; return; }
    var found = false;
    if (site.outgoing) {
      var nodes = dom.all(site.outgoing);
      for (var i = pending.seen; i < nodes.length && !found; i++) found = dom.same(dom.textOf(nodes[i]), pending.text);
      pending.seen = Math.max(pending.seen, nodes.length);
    } else {
      records.forEach(function (record) {
        Array.prototype.forEach.call(record.addedNodes, function (node) {
          if (found || skip(node) || (pending.box && (pending.box.contains(node) || node.contains(pending.box)))) return;
          if (node.nodeType === 1 && node.isContentEditable) return;
          found = dom.same(dom.textOf(node), pending.text);
        });
      });
    }
    if (found) {
      state.pending = null;
      feedback(pending.message, pending.id, "sent", pending.shop);
    }
  }

  chrome.runtime.onMessage.addListener(function (message) {
    if (message && message.type === "huashu:settings-changed") reload();
    return false;
  });

  ns.app = {reload: reload};
  reload();
})(globalThis);
