/* 话术推荐 extension: the settings' shape, the presets, and the URL-pattern rules, shared by the service worker
 * (importScripts) and the options page (<script>). Plain script, no build step: it defines self.HuashuSettings.
 *
 * Stored in chrome.storage.local (readable by the extension's own pages and service worker only, see background.js):
 *   {server: "http://127.0.0.1:8000", apiKey: "…", k: 5,
 *    sites: [{id, name, url, latest, history, replyBox, outgoing}]}
 * A site's `url` is the address its chat pages start with ("https://app.chatwoot.com/app/"), or a Chrome match
 * pattern when it holds a "*" ("https://*.example.com/im/*"). Selectors: `latest` matches the buyer's messages (the
 * last match in page order is the latest one), `history` the conversation's earlier messages sent as context
 * (usually the same selector), `replyBox` the reply box, `outgoing` (optional) the agent's sent messages.
 */
(function (root) {
  "use strict";

  var DEFAULTS = {server: "http://127.0.0.1:8000", apiKey: "", k: 5, sites: []};
  var SITE_FIELDS = ["id", "name", "url", "latest", "history", "replyBox", "outgoing"];
  var MAX_SITES = 50;
  var MAX_SELECTOR = 500;
  var SHOP_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/; // a shop's name on the server (suggest/shops/homes.py)

  /* Presets: the selectors of chat tools we know. `url` may use {server} (the server address). */
  var PRESETS = {
    demo: {
      name: "演示聊天页",
      url: "{server}/integrations/demo",
      latest: ".msg.buyer",
      history: ".msg.buyer",
      replyBox: "#reply",
      outgoing: ".msg.agent"
    },
    chatwoot: {
      // Chatwoot 4 draws the contact's messages as .left-bubble and the agent's as .right-bubble, the text in
      // .prose-bubble; Chatwoot 3 used li.left / li.right with .message-text__wrap. The reply box is ProseMirror.
      name: "Chatwoot",
      url: "https://app.chatwoot.com/app/",
      latest: ".left-bubble .prose-bubble, li.left .message-text__wrap",
      history: ".left-bubble .prose-bubble, li.left .message-text__wrap",
      replyBox: ".ProseMirror[contenteditable=\"true\"]",
      outgoing: ".right-bubble .prose-bubble, li.right .message-text__wrap"
    }
  };

  function str(value, max) {
    return typeof value === "string" ? value.trim().slice(0, max) : "";
  }

  function newId() {
    var bytes = new Uint8Array(6);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* "http://127.0.0.1:8000/" -> "http://127.0.0.1:8000", or null when it is not an http(s) address. */
  function normalizeServer(value) {
    var text = str(value, 500);
    if (!text) return null;
    var url;
    try { url = new URL(text); } catch (err) { return null; }
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (url.username || url.password || url.search || url.hash) return null;
    return (url.origin + url.pathname).replace(/\/+$/, "");
  }

  var PATTERN = /^(\*|https?):\/\/(\*\.[^/*:]+|[^/*:]+)(:\d{1,5})?(\/.*)$/;

  /* A site's `url` as a Chrome match pattern, or null. A pattern for every host (host "*") is refused: the
   * extension reads the configured chat tools only. */
  function sitePattern(value) {
    var text = str(value, 1000);
    if (!text) return null;
    if (text.indexOf("*") < 0) {
      var url;
      try { url = new URL(text); } catch (err) { return null; }
      if (url.protocol !== "http:" && url.protocol !== "https:") return null;
      text = url.protocol + "//" + url.host + url.pathname + "*";
    }
    var m = PATTERN.exec(text);
    if (!m || m[2] === "*" || m[2].length < 1) return null;
    return text;
  }

  /* The host permission a match pattern needs: "https://app.chatwoot.com/app/*" -> "https://app.chatwoot.com/*". */
  function originPattern(pattern) {
    var m = PATTERN.exec(pattern || "");
    return m ? m[1] + "://" + m[2] + (m[3] || "") + "/*" : null;
  }

  function escapeRegExp(text) {
    return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }

  /* Does `url` match the Chrome match pattern? (Scheme, host with optional "*." prefix, port, path with "*".) */
  function matches(pattern, url) {
    var m = PATTERN.exec(pattern || "");
    if (!m) return false;
    var u;
    try { u = new URL(url); } catch (err) { return false; }
    var scheme = u.protocol.slice(0, -1);
    if (m[1] === "*" ? (scheme !== "http" && scheme !== "https") : scheme !== m[1]) return false;
    var host = m[2];
    if (host.slice(0, 2) === "*.") {
      var base = host.slice(2).toLowerCase();
      if (u.hostname !== base && u.hostname.slice(-(base.length + 1)) !== "." + base) return false;
    } else if (u.hostname !== host.toLowerCase()) {
      return false;
    }
    if (m[3] && u.port !== m[3].slice(1) && !(u.port === "" && defaultPort(scheme) === m[3].slice(1))) return false;
    var path = new RegExp("^" + m[4].split("*").map(escapeRegExp).join(".*") + "$");
    return path.test(u.pathname + u.search);
  }

  function defaultPort(scheme) {
    return scheme === "https" ? "443" : "80";
  }

  /* A shop's name as the server spells it, or "" (the default shop) for anything else. */
  function shopName(value) {
    return typeof value === "string" && SHOP_NAME.test(value) ? value : "";
  }

  /* The API of shop `shop` on the server: the default shop's, or /api/v1/shops/<shop> (the same routes). */
  function shopApi(shop) {
    return shopName(shop) ? "/api/v1/shops/" + shop : "/api/v1";
  }

  /* A preset as a new site; `server` fills {server}. */
  function fromPreset(name, server) {
    var preset = PRESETS[name];
    if (!preset) return null;
    var site = {id: newId()};
    Object.keys(preset).forEach(function (key) {
      site[key] = preset[key].replace("{server}", (server || DEFAULTS.server).replace(/\/+$/, ""));
    });
    return site;
  }

  /* Settings from storage (or a form) with every field present and in range; unknown fields are dropped. */
  function normalize(raw) {
    raw = raw && typeof raw === "object" ? raw : {};
    var k = parseInt(raw.k, 10);
    var sites = Array.isArray(raw.sites) ? raw.sites.slice(0, MAX_SITES) : [];
    return {
      server: normalizeServer(raw.server) || (raw.server === undefined ? DEFAULTS.server : str(raw.server, 500)),
      apiKey: str(raw.apiKey, 500),
      k: isNaN(k) ? DEFAULTS.k : Math.max(1, Math.min(9, k)),
      sites: sites.filter(function (s) { return s && typeof s === "object"; }).map(function (s) {
        var site = {};
        SITE_FIELDS.forEach(function (key) { site[key] = str(s[key], key === "url" ? 1000 : MAX_SELECTOR); });
        site.id = /^[a-z0-9-]{1,40}$/.test(site.id) ? site.id : newId();
        site.name = site.name.slice(0, 40);
        return site;
      })
    };
  }

  /* Problems that stop saving, as [{site: index or null, field, message}] (messages in Chinese, for the agent).
   * `validSelector(text)` is given by a page that can parse CSS (the options page). */
  function problems(settings, validSelector) {
    var out = [];
    if (!normalizeServer(settings.server)) {
      out.push({site: null, field: "server", message: "请填写话术服务的地址，例如 http://127.0.0.1:8000"});
    }
    settings.sites.forEach(function (site, i) {
      if (!site.name) out.push({site: i, field: "name", message: "请给这个网站起个名字"});
      if (!sitePattern(site.url)) {
        out.push({site: i, field: "url", message: "网址不对：请填写聊天页面的地址，例如 https://app.chatwoot.com/app/"});
      }
      [["latest", "买家最新消息"], ["replyBox", "回复框"]].forEach(function (pair) {
        if (!site[pair[0]]) out.push({site: i, field: pair[0], message: "请填写「" + pair[1] + "」的 CSS 选择器，或在页面上点选"});
      });
      ["latest", "history", "replyBox", "outgoing"].forEach(function (field) {
        if (site[field] && validSelector && !validSelector(site[field])) {
          out.push({site: i, field: field, message: "这不是有效的 CSS 选择器：" + site[field]});
        }
      });
    });
    return out;
  }

  /* The host permissions these settings need: the server and every site. */
  function requiredOrigins(settings) {
    var origins = [];
    var server = normalizeServer(settings.server);
    if (server) origins.push(originPattern(sitePattern(server + "/")));
    settings.sites.forEach(function (site) {
      var origin = originPattern(sitePattern(site.url));
      if (origin) origins.push(origin);
    });
    return origins.filter(function (o, i) { return o && origins.indexOf(o) === i; });
  }

  /* The site configured for a page's URL, or null. */
  function siteFor(settings, url) {
    for (var i = 0; i < settings.sites.length; i++) {
      var pattern = sitePattern(settings.sites[i].url);
      if (pattern && matches(pattern, url)) return settings.sites[i];
    }
    return null;
  }

  function load() {
    return chrome.storage.local.get(["server", "apiKey", "k", "sites"]).then(normalize);
  }

  root.HuashuSettings = {
    DEFAULTS: DEFAULTS, PRESETS: PRESETS, normalize: normalize, normalizeServer: normalizeServer,
    sitePattern: sitePattern, originPattern: originPattern, matches: matches, fromPreset: fromPreset,
    problems: problems, requiredOrigins: requiredOrigins, siteFor: siteFor, load: load, newId: newId,
    shopName: shopName, shopApi: shopApi
  };
})(self);
