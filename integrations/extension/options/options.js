/* 话术推荐 extension: the options page. The server address, the API key, the number of replies, and the sites
 * (each: an address, CSS selectors of the buyer's messages, the earlier messages, the reply box and, optionally,
 * the agent's sent messages), with presets and a "pick on the page" mode.
 *
 * 保存 asks the browser for the host permissions the settings need (the server and each site; a permission request
 * must come straight from the click, so it is the first thing the handler does), then stores the settings in
 * chrome.storage.local and has the service worker register the content scripts for those sites. Permissions no
 * longer needed are given back.
 */
(function () {
  "use strict";

  const S = self.HuashuSettings;
  const $ = (id) => document.getElementById(id);
  const FIELDS = ["name", "url", "latest", "history", "replyBox", "outgoing"];
  const sitesEl = $("sites");
  const template = $("site-template");

  // ---- the form --------------------------------------------------------------------------------------------

  function setStatus(el, text, kind) {
    el.textContent = text;
    el.className = "result" + (kind ? " " + kind : "");
  }

  function status(text, kind) {
    setStatus($("status"), text, kind);
  }

  function titleOf(card) {
    const name = card.querySelector('[data-field="name"]').value.trim();
    const index = Array.prototype.indexOf.call(sitesEl.children, card) + 1;
    return name || "网站 " + index;
  }

  function refreshTitles() {
    Array.prototype.forEach.call(sitesEl.children, (card) => {
      card.querySelector(".site-title").textContent = titleOf(card);
    });
    $("no-sites").hidden = sitesEl.children.length > 0;
  }

  function addSite(site, focus) {
    const card = template.content.firstElementChild.cloneNode(true);
    card.dataset.id = site.id || S.newId();
    FIELDS.forEach((field) => {
      const input = card.querySelector(`[data-field="${field}"]`);
      const label = card.querySelector(`[data-for="${field}"]`);
      input.id = `site-${card.dataset.id}-${field}`;
      label.htmlFor = input.id;
      input.value = site[field] || "";
    });
    card.querySelector(".pick").addEventListener("click", () => pick(card));
    card.querySelector(".remove").addEventListener("click", () => {
      card.remove();
      refreshTitles();
      status("已删除，点击「保存」后生效。");
    });
    card.querySelector('[data-field="name"]').addEventListener("input", refreshTitles);
    sitesEl.appendChild(card);
    refreshTitles();
    if (focus) card.querySelector('[data-field="' + (site.name ? "url" : "name") + '"]').focus();
    return card;
  }

  function fill(settings) {
    $("server").value = settings.server;
    $("api-key").value = settings.apiKey;
    $("k").value = settings.k;
    sitesEl.textContent = "";
    settings.sites.forEach((site) => addSite(site, false));
    refreshTitles();
  }

  function readSite(card) {
    const site = {id: card.dataset.id};
    FIELDS.forEach((field) => { site[field] = card.querySelector(`[data-field="${field}"]`).value; });
    return site;
  }

  function collect() {
    return S.normalize({server: $("server").value, apiKey: $("api-key").value, k: $("k").value,
                        sites: Array.prototype.map.call(sitesEl.children, readSite)});
  }

  function validSelector(selector) {
    try {
      document.createDocumentFragment().querySelector(selector);
      return true;
    } catch (err) {
      return false;
    }
  }

  /* Marks the fields with problems; returns true when there are none. */
  function showProblems(problems) {
    document.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    document.querySelectorAll(".site .errors").forEach((n) => { n.textContent = ""; n.hidden = true; });
    const cards = sitesEl.children;
    problems.forEach((p) => {
      if (p.site === null) {
        $(p.field).setAttribute("aria-invalid", "true");
        return;
      }
      const card = cards[p.site];
      card.querySelector(`[data-field="${p.field}"]`).setAttribute("aria-invalid", "true");
      const list = card.querySelector(".errors");
      const item = document.createElement("li");
      item.textContent = p.message;
      list.appendChild(item);
      list.hidden = false;
    });
    const general = problems.filter((p) => p.site === null).map((p) => p.message);
    if (problems.length) {
      status(general.length ? general.join("；") : "有 " + problems.length + " 处需要修改，见上面标红的地方。", "error");
      const first = document.querySelector("[aria-invalid=true]");
      if (first) first.focus();
    }
    return problems.length === 0;
  }

  // ---- saving ------------------------------------------------------------------------------------------------

  function save() {
    const settings = collect();
    if (!showProblems(S.problems(settings, validSelector))) return;
    const origins = S.requiredOrigins(settings);
    // First, while the click still counts as the agent's gesture: ask for the host permissions.
    chrome.permissions.request({origins}).then((granted) => {
      if (!granted) {
        status("没有获得访问这些地址的权限，设置没有保存。请再点一次「保存」并选择允许。", "error");
        return null;
      }
      return chrome.storage.local.set(settings)
        .then(() => chrome.runtime.sendMessage({type: "sync"}))
        .then((active) => {
          releaseUnused(origins);
          const n = active && active.sites ? active.sites.length : 0;
          status(n ? `已保存。扩展会在 ${n} 个网站上显示话术推荐（已打开的页面也会立即生效）。`
                   : "已保存。还没有网站：添加网站后扩展才会在聊天页面上显示。", "ok");
        });
    }).catch((err) => {
      status("保存失败：" + (err && err.message ? err.message : err), "error");
    });
  }

  /* Give back the host permissions no site and no server needs any more. */
  function releaseUnused(needed) {
    chrome.permissions.getAll().then((all) => {
      const stale = (all.origins || []).filter((o) => needed.indexOf(o) < 0);
      // Permissions the manifest itself grants cannot be removed: that is fine.
      stale.forEach((origin) => chrome.permissions.remove({origins: [origin]}).catch(() => {}));
    });
  }

  // ---- 测试连接 ----------------------------------------------------------------------------------------------

  function testConnection() {
    const result = $("test-result");
    const server = S.normalizeServer($("server").value);
    if (!server) {
      setStatus(result, "请先填写正确的服务地址，例如 http://127.0.0.1:8000", "error");
      return;
    }
    const origin = S.originPattern(S.sitePattern(server + "/"));
    chrome.permissions.request({origins: [origin]}).then((granted) => {
      if (!granted) {
        setStatus(result, "没有获得访问这个地址的权限。", "error");
        return null;
      }
      setStatus(result, "正在连接……");
      return chrome.runtime.sendMessage({type: "test", server, apiKey: $("api-key").value.trim()}).then((res) => {
        if (res && res.ok) {
          setStatus(result, res.count === null ? "连接成功。" : `连接成功：话术库里有 ${res.count} 个场景。`, "ok");
        } else if (res && res.status === 401) {
          setStatus(result, "服务要求 API Key：请填写正确的 Key。", "error");
        } else if (res && res.status) {
          setStatus(result, `服务返回了错误（HTTP ${res.status}），请检查地址。`, "error");
        } else {
          setStatus(result, "连不上这个地址：请检查服务是否在运行、地址是否正确。", "error");
        }
      });
    }).catch((err) => setStatus(result, "测试失败：" + (err && err.message ? err.message : err), "error"));
  }

  // ---- pick on the page --------------------------------------------------------------------------------------

  function pick(card) {
    const site = readSite(card);
    const pattern = S.sitePattern(site.url);
    if (!pattern) {
      showProblems([{site: Array.prototype.indexOf.call(sitesEl.children, card), field: "url",
                     message: "先填写这个网站聊天页面的网址，再在页面上点选。"}]);
      return;
    }
    chrome.permissions.request({origins: [S.originPattern(pattern)]}).then((granted) => {
      if (!granted) {
        status("没有获得访问这个网站的权限，无法在页面上点选。", "error");
        return null;
      }
      return chrome.runtime.sendMessage({type: "pick", url: site.url.trim(), key: card.dataset.id}).then((res) => {
        if (res && res.ok) {
          status("请到聊天页面上，按页面顶部的提示依次点击。", "");
        } else if (res && res.code === "no_tab") {
          status("请先在浏览器里打开这个网站的一个聊天页面，再点「在页面上点选」。", "error");
        } else {
          status("无法在这个页面上点选：" + ((res && (res.message || res.code)) || "未知原因"), "error");
        }
      });
    }).catch((err) => status("无法在页面上点选：" + (err && err.message ? err.message : err), "error"));
  }

  chrome.runtime.onMessage.addListener((msg) => {
    if (!msg || msg.type !== "picked") return false;
    const card = Array.prototype.find.call(sitesEl.children, (c) => c.dataset.id === msg.key);
    if (!card) return false;
    if (msg.cancelled) {
      status("已取消在页面上点选。");
      return false;
    }
    const selectors = msg.selectors || {};
    ["latest", "history", "replyBox", "outgoing"].forEach((field) => {
      if (typeof selectors[field] === "string") card.querySelector(`[data-field="${field}"]`).value = selectors[field];
    });
    status(`已从页面填入「${titleOf(card)}」的选择器，请检查后点击「保存」。`, "ok");
    return false;
  });

  // ---- start -------------------------------------------------------------------------------------------------

  $("save").addEventListener("click", save);
  $("test").addEventListener("click", testConnection);
  $("add-site").addEventListener("click", () => addSite({id: S.newId()}, true));
  document.querySelectorAll("[data-preset]").forEach((button) => {
    button.addEventListener("click", () => {
      const server = S.normalizeServer($("server").value) || S.DEFAULTS.server;
      addSite(S.fromPreset(button.dataset.preset, server), true);
      status(`已添加预设「${S.PRESETS[button.dataset.preset].name}」，检查网址后点击「保存」。`);
    });
  });
  $("show-key").addEventListener("click", () => {
    const input = $("api-key");
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    $("show-key").textContent = show ? "隐藏" : "显示";
    $("show-key").setAttribute("aria-pressed", String(show));
  });
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      save();
    }
  });

  S.load().then((settings) => {
    fill(settings);
    document.body.dataset.ready = "1";
  });
})();
