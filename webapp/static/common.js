/* 话术助手: small helpers shared by the agents' page (app.js), the helpdesk sidebar (sidebar.js) and the editors'
 * pages (editor.js), on one global: window.Huashu. Plain JS, no build step; loaded with defer before the page script.
 * widget.js does not use this file: it must stay one self-contained script for third-party pages.
 * Every piece of data goes into the page with textContent: nothing here parses HTML. */
(() => {
  "use strict";

  const KEY_STORAGE = "huashu.apiKey"; // the API key, shared by the agents' page and the sidebar on one server
  const DEFAULT_STAGE_NAMES = {presale: "售前", order: "售中", aftersale: "售后", general: "通用"};
  const SVG_NS = "http://www.w3.org/2000/svg";

  // ---- DOM ------------------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clearNode(node) {
    while (node && node.firstChild) node.removeChild(node.firstChild);
  }

  /* An <svg> of stroked paths (fill none, stroke currentColor), hidden from assistive technology. */
  function svgIcon(viewBox, paths, pathAttrs, className) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", viewBox);
    if (className) svg.setAttribute("class", className);
    svg.setAttribute("aria-hidden", "true");
    for (const d of paths) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      for (const [name, value] of Object.entries(pathAttrs || {})) path.setAttribute(name, value);
      svg.appendChild(path);
    }
    return svg;
  }

  /* Restart a one-shot CSS animation (the "copied" flash) on a node. */
  function flash(node, className) {
    node.classList.remove(className);
    void node.offsetWidth;
    node.classList.add(className);
  }

  // Where a toast may stand on a page with the sticky top bar, in order of preference: bottom centre (the .toast
  // rule, ""), just under the top bar, then the corners. placeBox knows where base.css puts each.
  const TOAST_PLACES = ["", "toast-top", "toast-right", "toast-left", "toast-top toast-right", "toast-top toast-left"];

  function placeBox(where, width, height) {
    const view = document.documentElement;
    const top = where.includes("toast-top") ? 68 : view.clientHeight - 32 - height;
    const left = where.includes("toast-right") ? view.clientWidth - 16 - width
      : where.includes("toast-left") ? 16 : (view.clientWidth - width) / 2;
    return {left, right: left + width, top, bottom: top + height};
  }
  const CONTROLS = "button, .btn, input[type=submit], input[type=button], select, summary, [role=button]";

  /* How many visible controls (buttons and the like) a box, with a margin, meets. */
  function controlsUnder(node, box) {
    const pad = 8; // the toast slides 8px while it fades in
    let count = 0;
    for (const control of document.querySelectorAll(CONTROLS)) {
      if (node.contains(control)) continue;
      const r = control.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      if (r.right > box.left - pad && r.left < box.right + pad && r.bottom > box.top - pad && r.top < box.bottom + pad) {
        count++;
      }
    }
    return count;
  }

  /* A toast function for one node: show(text, kind) shows text for ms (warnMs for kind "warn"). The node keeps
   * the classes it has now; "show", "toast-<kind>" and its place come and go. `places` (TOAST_PLACES on the pages
   * with the top bar; default: only where its CSS puts it): the toast takes the first place where it covers no
   * button (the 保存 of a form scrolled to the bottom), else the one covering fewest, and looks again while it is
   * shown, since the page may scroll or move a button under it. */
  function toaster(node, ms, warnMs, places) {
    const options = places && places.length ? places : [""];
    const base = node ? node.className : "";
    let timer = null;
    let watch = null;
    let classes = base;
    let at = ""; // the place it stands: it fades out there too

    function setPlace(where) {
      at = where;
      const wanted = classes + (at ? " " + at : "");
      if (node.className !== wanted) node.className = wanted;
      node.dataset.place = at || "toast-bottom";
    }

    /* Stand where no button is (`fresh`: a new toast, which looks from the first place on; otherwise it stays
     * where it is while that is still free). */
    function place(fresh) {
      if (options.length < 2) return;
      const now = node.getBoundingClientRect();
      if (fresh !== true && !controlsUnder(node, placeBox(at, now.width, now.height))) return;
      let best = null;
      for (const where of options) {
        const covered = controlsUnder(node, placeBox(where, now.width, now.height));
        if (best === null || covered < best.covered) best = {where, covered};
        if (!covered) break;
      }
      if (best.where !== at) setPlace(best.where);
    }

    function hide() {
      clearInterval(watch);
      window.removeEventListener("scroll", place);
      window.removeEventListener("resize", place);
      classes = base;
      setPlace(at);
    }

    return function show(text, kind) {
      if (!node) return;
      node.textContent = text;
      classes = base + " show" + (kind ? " toast-" + kind : "");
      setPlace(at);
      place(true);
      clearInterval(watch);
      if (options.length > 1) {
        window.addEventListener("scroll", place, {passive: true});
        window.addEventListener("resize", place, {passive: true});
        watch = setInterval(place, 150);
      }
      clearTimeout(timer);
      timer = setTimeout(hide, kind === "warn" ? warnMs : ms);
    };
  }

  // ---- stages, scores, placeholders --------------------------------------------------------------------

  function parseJSON(text, fallback) {
    try { return text ? JSON.parse(text) : fallback; } catch (e) { return fallback; }
  }

  /* The stage names: the defaults, overridden by <body data-stage-names="{...}"> where the page has it. */
  function stageNames() {
    return Object.assign({}, DEFAULT_STAGE_NAMES, parseJSON(document.body.dataset.stageNames, {}));
  }

  /* The value of the checked radio button name="stage" ("" for 自动). */
  function checkedStage() {
    const checked = document.querySelector('input[name="stage"]:checked');
    return checked ? checked.value : "";
  }

  function stageBadge(stage, names, extraClass) {
    const text = names[stage] || stage || names.general;
    return el("span", `badge badge-${stage || "general"}` + (extraClass ? " " + extraClass : ""), text);
  }

  function percent(score) {
    return Math.max(0, Math.min(100, Math.round(Number(score) * 100)));
  }

  /* Fill node with text, every {占位符} named in unfilled wrapped in <mark class=markClass>; text nodes only. */
  function markUnfilled(node, text, unfilled, markClass) {
    const wanted = new Set(unfilled || []);
    let last = 0;
    for (const match of text.matchAll(/\{([^{}\s]{1,16})\}/g)) {
      if (!wanted.has(match[1])) continue;
      if (match.index > last) node.appendChild(document.createTextNode(text.slice(last, match.index)));
      const mark = el("mark", markClass, match[0]);
      mark.title = `「${match[1]}」没有设置，发送前请手动填写`;
      node.appendChild(mark);
      last = match.index + match[0].length;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
    return node;
  }

  // ---- the public API: key and headers -----------------------------------------------------------------

  function savedApiKey() {
    try { return localStorage.getItem(KEY_STORAGE) || ""; } catch (err) { return ""; }
  }

  /* Save a key, or forget it when value is empty. Storage may be blocked (a sandboxed frame): then nothing. */
  function saveApiKey(value) {
    try {
      if (value) localStorage.setItem(KEY_STORAGE, value);
      else localStorage.removeItem(KEY_STORAGE);
    } catch (err) { /* storage blocked */ }
  }

  /* Headers for a JSON request to /api/v1, with the saved API key if there is one. */
  function apiHeaders() {
    const h = {"Content-Type": "application/json"};
    const key = savedApiKey();
    if (key) h["X-API-Key"] = key;
    return h;
  }

  // ---- clipboard ---------------------------------------------------------------------------------------

  /* Copy text; true when it worked. Falls back to a hidden textarea and execCommand where the async clipboard is
   * missing (plain http) or refused (a frame without clipboard-write permission). */
  async function writeClipboard(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (err) { /* fall back below */ }
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.left = "-9999px";
    area.style.top = "0";
    area.style.opacity = "0";
    document.body.appendChild(area);
    const focused = document.activeElement;
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
    area.remove();
    if (focused && focused.focus) focused.focus();
    return ok;
  }

  window.Huashu = Object.freeze({
    KEY_STORAGE, TOAST_PLACES, el, clearNode, svgIcon, flash, toaster, parseJSON, stageNames, checkedStage, stageBadge, percent,
    markUnfilled, savedApiKey, saveApiKey, apiHeaders, writeClipboard,
  });
})();
