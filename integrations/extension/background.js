/* 话术推荐 extension: the service worker.
 *
 * - Registers the content scripts for the configured sites only (chrome.scripting.registerContentScripts), and only
 *   for those whose host permission the agent granted on the options page; re-registers when the settings or the
 *   permissions change. No page outside those sites is ever read.
 * - Makes every call to the suggestion server (POST /api/v1/suggest, POST /api/v1/feedback, GET /api/v1/shops; a
 *   site's calls go to the shop chosen in its panel, /api/v1/shops/<shop>/…), with the API key, on
 *   behalf of the content scripts: the chat tool's Content-Security-Policy and CORS do not apply, and the key never
 *   reaches a web page or a content script (chrome.storage.local is closed to content scripts, see lockStorage).
 * - Runs the "pick on the page" mode: injects content/picker.js into a tab of the site being configured.
 */
"use strict";

importScripts("common/settings.js");

const S = self.HuashuSettings;
const CONTENT_FILES = ["content/dom.js", "content/panel.js", "content/content.js"];
const GUARD_FILE = "content/guard.js";
const SCRIPT_PREFIX = "huashu-";
const REQUEST_TIMEOUT_MS = 10000;
const MAX_MESSAGE_CHARS = 2000;
const MAX_CONTEXT = 20;

// ---- settings and content scripts --------------------------------------------------------------------------

/* Content scripts may not read chrome.storage.local (where the API key is): only this worker and the options page. */
function lockStorage() {
  return chrome.storage.local.setAccessLevel({accessLevel: "TRUSTED_CONTEXTS"}).catch(() => {});
}

async function granted(pattern) {
  const origin = S.originPattern(pattern);
  return !!origin && chrome.permissions.contains({origins: [origin]}).catch(() => false);
}

/* The configured sites whose host permission was granted, each with its match pattern. */
async function activeSites(settings) {
  const out = [];
  for (const site of settings.sites) {
    const pattern = S.sitePattern(site.url);
    if (pattern && await granted(pattern)) out.push({site, pattern});
  }
  return out;
}

let syncing = Promise.resolve();

/* Make the registered content scripts match the settings; inject them into open tabs of those sites; tell open
 * tabs that the settings changed (a content script on a site no longer configured removes its panel). */
function syncContentScripts() {
  syncing = syncing.catch(() => {}).then(doSync);
  return syncing;
}

async function doSync() {
  await lockStorage();
  const settings = await S.load();
  const active = await activeSites(settings);
  const registered = await chrome.scripting.getRegisteredContentScripts();
  const ours = registered.filter((s) => s.id.startsWith(SCRIPT_PREFIX)).map((s) => s.id);
  if (ours.length) await chrome.scripting.unregisterContentScripts({ids: ours});
  const scripts = [];
  for (const {site, pattern} of active) {
    // In the page's own world, before its scripts: a page that also embeds widget.js leaves the panel to us.
    scripts.push({id: SCRIPT_PREFIX + "guard-" + site.id, matches: [pattern], js: [GUARD_FILE], world: "MAIN",
                  runAt: "document_start", persistAcrossSessions: true});
    scripts.push({id: SCRIPT_PREFIX + "site-" + site.id, matches: [pattern], js: CONTENT_FILES,
                  runAt: "document_idle", persistAcrossSessions: true});
  }
  if (scripts.length) await chrome.scripting.registerContentScripts(scripts);
  await notifyTabs(active);
  return {sites: active.map((a) => a.site.id), patterns: active.map((a) => a.pattern)};
}

async function notifyTabs(active) {
  const done = new Set();
  for (const {pattern} of active) {
    // With the host permission, tabs.query sees these tabs' addresses (no "tabs" permission needed).
    const tabs = await chrome.tabs.query({url: pattern}).catch(() => []);
    for (const tab of tabs) {
      if (done.has(tab.id)) continue;
      done.add(tab.id);
      await chrome.scripting.executeScript({target: {tabId: tab.id}, files: [GUARD_FILE], world: "MAIN"})
        .catch(() => {});
      // content.js started before only reloads its settings.
      await chrome.scripting.executeScript({target: {tabId: tab.id}, files: CONTENT_FILES}).catch(() => {});
    }
  }
  // Tabs where a panel runs but whose site was removed: the message is ignored by every other tab.
  const all = await chrome.tabs.query({}).catch(() => []);
  for (const tab of all) {
    if (!done.has(tab.id)) chrome.tabs.sendMessage(tab.id, {type: "huashu:settings-changed"}).catch(() => {});
  }
}

chrome.runtime.onInstalled.addListener(() => { syncContentScripts(); });
chrome.runtime.onStartup.addListener(() => { syncContentScripts(); });
chrome.permissions.onAdded.addListener(() => { syncContentScripts(); });
chrome.permissions.onRemoved.addListener(() => { syncContentScripts(); });
chrome.action.onClicked.addListener(() => { chrome.runtime.openOptionsPage(); });

// ---- calling the suggestion server -------------------------------------------------------------------------

function clip(text, max) {
  return Array.from(String(text)).slice(0, max).join("");
}

async function callServer(settings, method, path, body) {
  const server = S.normalizeServer(settings.server);
  if (!server) return {ok: false, status: 0, code: "no_server"};
  const headers = {"Accept": "application/json"};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (settings.apiKey) headers["X-API-Key"] = settings.apiKey;
  let response;
  try {
    response = await fetch(server + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit",
      cache: "no-store", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)});
  } catch (err) {
    const timedOut = err && (err.name === "TimeoutError" || err.name === "AbortError");
    return {ok: false, status: 0, code: timedOut ? "timeout" : "network", server};
  }
  const data = await response.json().catch(() => null);
  const error = data && data.error && typeof data.error === "object" ? data.error : {};
  return {ok: response.ok, status: response.status, data: response.ok ? data : null, server,
          code: error.code || "", message: typeof error.message === "string" ? error.message : "",
          retryAfter: parseInt(response.headers.get("Retry-After"), 10) || 0};
}

/* The shop the agent chose in the panel on `site` ("" the default shop): kept apart from the settings, as the
 * panel's place is, so a choice neither re-registers the content scripts nor reaches the options page. */
async function siteShop(site) {
  const shops = (await chrome.storage.local.get("shops")).shops || {};
  return S.shopName(shops[site.id]);
}

function strings(list, max, size) {
  return Array.isArray(list) ? list.filter((t) => typeof t === "string" && t.trim()).slice(-max)
    .map((t) => clip(t, size)) : [];
}

/* The configured site of the page a content script runs in, or null (then it is told nothing). */
async function senderSite(sender) {
  if (!sender.tab || sender.id !== chrome.runtime.id || sender.frameId !== 0 || !sender.url) return null;
  const settings = await S.load();
  const site = S.siteFor(settings, sender.url);
  if (!site || !await granted(S.sitePattern(site.url))) return null;
  return {settings, site};
}

function fromExtensionPage(sender) {
  return sender.id === chrome.runtime.id && typeof sender.url === "string" &&
    sender.url.startsWith(chrome.runtime.getURL(""));
}

const contentHandlers = {
  /* The content script asks which site it is on: the site's selectors, not the key. */
  async hello(msg, found) {
    const {settings, site} = found;
    const ui = (await chrome.storage.local.get("ui")).ui || {};
    return {site: {id: site.id, name: site.name, latest: site.latest, history: site.history || site.latest,
                   replyBox: site.replyBox, outgoing: site.outgoing},
            k: settings.k, server: S.normalizeServer(settings.server), ui: ui[site.id] || null,
            shop: await siteShop(site)};
  },
  async suggest(msg, found) {
    const message = typeof msg.message === "string" ? clip(msg.message.trim(), MAX_MESSAGE_CHARS) : "";
    if (!message) return {ok: false, status: 0, code: "empty"};
    const body = {message, k: found.settings.k};
    const context = strings(msg.context, MAX_CONTEXT, MAX_MESSAGE_CHARS);
    if (context.length) body.context = context;
    const shop = await siteShop(found.site);
    return {...await callServer(found.settings, "POST", S.shopApi(shop) + "/suggest", body), shop};
  },
  async feedback(msg, found) {
    if (!["copied", "sent", "dismissed"].includes(msg.action) || typeof msg.reply_id !== "string") {
      return {ok: false, status: 0, code: "bad_request"};
    }
    const message = typeof msg.message === "string" ? clip(msg.message.trim(), MAX_MESSAGE_CHARS) : "";
    if (!message) return {ok: false, status: 0, code: "empty"};
    // to the shop whose suggestions were shown (the agent may have switched since)
    const shop = typeof msg.shop === "string" ? S.shopName(msg.shop) : await siteShop(found.site);
    return callServer(found.settings, "POST", S.shopApi(shop) + "/feedback",
                      {message, reply_id: msg.reply_id.slice(0, 200), action: msg.action});
  },
  /* The shops the server hosts besides the default one (none: the panel shows no 店铺 list), and this site's. */
  async shops(msg, found) {
    const result = await callServer(found.settings, "GET", "/api/v1/shops");
    const listed = result.ok && result.data && Array.isArray(result.data.shops) ? result.data.shops : [];
    const names = listed.map((shop) => S.shopName(shop && shop.name)).filter(Boolean).slice(0, 500);
    const shop = await siteShop(found.site);
    if (result.ok && shop && !names.includes(shop)) { // removed from the server: the default shop answers again
      await contentHandlers.setShop({shop: ""}, found);
      return {ok: true, shops: names, shop: "", gone: shop};
    }
    return {ok: result.ok, shops: names, shop};
  },
  /* The agent chose a shop in the panel: this site's from now on. */
  async setShop(msg, found) {
    const shops = (await chrome.storage.local.get("shops")).shops || {};
    shops[found.site.id] = S.shopName(msg.shop);
    await chrome.storage.local.set({shops});
    return {ok: true, shop: shops[found.site.id]};
  },
  /* The panel's place and collapsed state, remembered per site. */
  async ui(msg, found) {
    const ui = (await chrome.storage.local.get("ui")).ui || {};
    const state = {collapsed: !!(msg.state && msg.state.collapsed)};
    const pos = msg.state && msg.state.position;
    if (pos && Number.isFinite(pos.right) && Number.isFinite(pos.bottom)) {
      state.position = {right: Math.round(pos.right), bottom: Math.round(pos.bottom)};
    }
    ui[found.site.id] = state;
    await chrome.storage.local.set({ui});
    return {ok: true};
  },
  async options() {
    await chrome.runtime.openOptionsPage();
    return {ok: true};
  }
};

const pageHandlers = {
  /* Settings saved on the options page: register the content scripts now, and report what is active. */
  async sync() {
    return syncContentScripts();
  },
  /* 测试连接: is the server there, does it take the key? */
  async test(msg) {
    const settings = S.normalize({server: msg.server, apiKey: msg.apiKey, k: 1, sites: []});
    const result = await callServer(settings, "GET", "/api/v1/situations");
    const count = result.ok && result.data && Array.isArray(result.data.situations) ? result.data.situations.length
      : null;
    return {ok: result.ok, status: result.status, code: result.code, count};
  },
  async pick(msg, sender) {
    return startPicking(msg, sender);
  }
};

chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  if (!msg || typeof msg.type !== "string" || sender.id !== chrome.runtime.id) return false;
  let work = null;
  if (fromExtensionPage(sender) && pageHandlers[msg.type]) {
    work = pageHandlers[msg.type](msg, sender);
  } else if (msg.type === "picked" && sender.tab) {
    work = pickedOnPage(msg, sender);
  } else if (contentHandlers[msg.type]) {
    work = senderSite(sender).then((found) => (found ? contentHandlers[msg.type](msg, found) : {site: null}));
  }
  if (!work) return false;
  work.then(reply, (err) => reply({ok: false, status: 0, code: "error", message: String(err && err.message)}));
  return true; // answered asynchronously
});

// ---- "pick on the page" ------------------------------------------------------------------------------------

function waitForLoad(tabId) {
  return new Promise((resolve) => {
    const listener = (id, info) => {
      if (id === tabId && info.status === "complete") {
        chrome.tabs.onUpdated.removeListener(listener);
        resolve();
      }
    };
    chrome.tabs.onUpdated.addListener(listener);
    chrome.tabs.get(tabId).then((tab) => { if (tab.status === "complete") listener(tabId, tab); }, () => {});
  });
}

/* From the options page: open (or find) a page of the site and let the agent click its elements there. */
async function startPicking(msg, sender) {
  const pattern = S.sitePattern(msg.url);
  if (!pattern) return {ok: false, code: "bad_url"};
  if (!await granted(pattern)) return {ok: false, code: "no_permission"};
  const tabs = await chrome.tabs.query({url: pattern}).catch(() => []);
  let tab = tabs.find((t) => t.active) || tabs[0];
  if (!tab) {
    // An address can be opened; a pattern with "*" cannot: the agent opens a chat page of the site first.
    if (msg.url.indexOf("*") >= 0) return {ok: false, code: "no_tab"};
    tab = await chrome.tabs.create({url: msg.url.trim(), active: true});
  }
  await waitForLoad(tab.id);
  await chrome.storage.session.set({picking: {optionsTab: sender.tab ? sender.tab.id : null, key: msg.key}});
  await chrome.scripting.executeScript({target: {tabId: tab.id}, func: (key) => { self.__huashuPickKey = key; },
                                        args: [String(msg.key || "")]});
  await chrome.scripting.executeScript({target: {tabId: tab.id}, files: ["content/picker.js"]});
  await chrome.tabs.update(tab.id, {active: true});
  if (tab.windowId !== undefined) chrome.windows.update(tab.windowId, {focused: true}).catch(() => {});
  return {ok: true, tabId: tab.id};
}

/* The picker is done (its message also reaches the options page directly): bring the options page back. */
async function pickedOnPage(msg, sender) {
  const {picking} = await chrome.storage.session.get("picking");
  if (!picking || picking.key !== msg.key) return {ok: false};
  await chrome.storage.session.remove("picking");
  if (picking.optionsTab !== null && !msg.cancelled) {
    await chrome.tabs.update(picking.optionsTab, {active: true}).catch(() => {});
  }
  return {ok: true};
}
