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

  /* Segments with the same text are one clause: the engine gives answers built from the product sheet a segment
   * of their own, for the whole message. Shown as one question, their situations together (by score). */
  function oneSegmentPerClause(segments) {
    const byText = new Map();
    const out = [];
    for (const segment of segments) {
      const known = byText.get(segment.text);
      if (!known) {
        const copy = Object.assign({}, segment, {situations: (segment.situations || []).slice()});
        byText.set(segment.text, copy);
        out.push(copy);
        continue;
      }
      known.situations = known.situations.concat(segment.situations || [])
        .sort((a, b) => (Number(b.score) || 0) - (Number(a.score) || 0));
      known.abstained = known.abstained && segment.abstained;
    }
    return out;
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

  // ---- the product in focus: a search-as-you-type chooser ----------------------------------------------

  const NO_PRODUCT = "未选择商品";

  /* A product from GET /api/v1/products ({id, name, category, link}), checked and cut to sane lengths. */
  function productOf(item) {
    if (!item || typeof item !== "object" || typeof item.id !== "string" || !item.id) return null;
    const text = (value, max) => (typeof value === "string" ? value.slice(0, max) : "");
    return {id: text(item.id, 200), name: text(item.name, 200) || text(item.id, 200),
            category: text(item.category, 100), link: text(item.link, 500)};
  }

  /* Products matching `query` (id, name or category) from <api>/products; throws an Error with .status on failure. */
  async function searchProducts(api, query) {
    const response = await fetch(`${api}/products?q=${encodeURIComponent(query)}`, {
      headers: apiHeaders(), credentials: "same-origin",
    });
    const data = await response.json().catch(() => null);
    if (!response.ok || !data || !Array.isArray(data.products)) {
      const error = new Error("product search failed");
      error.status = response.status;
      throw error;
    }
    return data.products.map(productOf).filter(Boolean);
  }

  /* The product a reference (an id, a link or a name, as a helpdesk or a URL gives it) means: the sheet's entry
   * when the search finds exactly it (or only one product), else the reference itself, marked `unresolved` (it is
   * still sent as `product`: the engine names the candidates in a note). */
  async function resolveProduct(api, ref) {
    const wanted = String(ref).trim().slice(0, 500);
    let found = [];
    try { found = await searchProducts(api, wanted); } catch (err) { found = []; }
    const exact = found.find((p) => p.id === wanted || p.link === wanted || p.name === wanted) ||
      (found.length === 1 ? found[0] : null);
    return exact || {id: wanted, name: wanted, category: "", link: "", unresolved: true};
  }

  /* The product chooser of the agents' page and the sidebar: an ARIA 1.2 combobox (an <input role=combobox>
   * controlling a <ul role=listbox>) over GET <api>/products?q=. The parts are in the page already:
   *   input    the search box (role=combobox, aria-controls = list's id)
   *   list     the listbox it opens; options get ids `<list id>-<n>` for aria-activedescendant
   *   current  where the product in focus is named (「未选择商品」 when none)
   *   clear    the button that clears it (hidden when none)
   *   status   a polite live region (optional): how many were found, what was chosen
   *   root     the element holding them all (focus leaving it closes the list)
   * Keys in the box: typing searches; ↓/↑ open the list and move through it; Enter chooses the highlighted product
   * (the first when none is); Esc closes the list, or empties the box when it is closed (the event then stops
   * here); with the list closed and the box empty, Esc is left to the page. Choosing or clearing calls
   * onChange(product | null); set/clear/setRef with {silent: true} do not. */
  function productPicker(parts, options) {
    const {input, list, current, clear, status, root} = parts;
    const opts = options || {};
    // opts.api: the API root, or a function giving it (the agents' page switches shops)
    const apiOf = typeof opts.api === "function" ? opts.api : () => opts.api || "/api/v1";
    // items: the options shown for the text in the box (none while a search for newer text is on its way:
    // `searching`); enterPending: Enter was pressed meanwhile, so the first match is chosen when it arrives.
    const state = {product: null, items: [], active: -1, open: false, seq: 0, timer: null, turn: 0,
                   searching: false, enterPending: false};

    function say(text) {
      if (status) status.textContent = text;
    }

    function render() {
      const product = state.product;
      clearNode(current);
      current.classList.toggle("product-none", !product);
      if (!product) {
        current.textContent = NO_PRODUCT;
        current.removeAttribute("title");
      } else {
        current.appendChild(el("span", "product-name", product.name));
        if (product.unresolved) current.appendChild(el("span", "product-unresolved", "（商品表里没有唯一对应）"));
        current.title = product.unresolved ? `按「${product.id}」查询` :
          `商品ID ${product.id}` + (product.category ? ` · ${product.category}` : "");
      }
      if (clear) clear.hidden = !product;
      if (opts.onRender) opts.onRender(product);
    }

    function setActive(index) {
      state.active = index;
      const nodes = list.querySelectorAll('[role="option"]:not([aria-disabled="true"])');
      nodes.forEach((node, i) => node.setAttribute("aria-selected", String(i === index)));
      if (index >= 0 && nodes[index]) {
        input.setAttribute("aria-activedescendant", nodes[index].id);
        nodes[index].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      state.open = true;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      clearTimeout(state.timer);
      state.timer = null;
      state.seq++; // an answer on its way is no longer wanted
      busy(false);
      state.enterPending = false;
      state.open = false;
      state.items = [];
      state.active = -1;
      list.hidden = true;
      clearNode(list);
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function message(text) {
      clearNode(list);
      const item = el("li", "product-empty", text);
      item.setAttribute("role", "option");
      item.setAttribute("aria-disabled", "true");
      item.setAttribute("aria-selected", "false");
      item.id = `${list.id}-none`;
      list.appendChild(item);
      state.items = [];
      setActive(-1);
    }

    function show(items, query) {
      state.items = items;
      clearNode(list);
      if (!items.length) {
        message(query ? `没有找到「${query}」相关的商品` : "商品表里还没有商品");
        say(query ? "没有找到商品" : "商品表里还没有商品");
        return;
      }
      items.forEach((product, index) => {
        const item = el("li", "product-option");
        item.id = `${list.id}-${index}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.productId = product.id;
        item.appendChild(el("span", "product-option-name", product.name));
        item.appendChild(el("span", "product-option-meta", [product.category, product.id].filter(Boolean).join(" · ")));
        item.addEventListener("mousedown", (event) => event.preventDefault()); // the focus stays in the box
        item.addEventListener("click", () => choose(product));
        list.appendChild(item);
      });
      setActive(-1);
      say(`找到 ${items.length} 个商品，按上下键选择，回车确定`);
    }

    async function search(query) {
      clearTimeout(state.timer);
      state.timer = null;
      busy(true);
      const seq = ++state.seq;
      let items;
      try {
        items = await searchProducts(apiOf(), query);
      } catch (err) {
        if (seq !== state.seq || !state.open) return;
        busy(false);
        state.enterPending = false;
        message(err.status === 401 ? "需要 API Key 才能搜索商品" : "商品搜索失败，请稍后再试");
        say("商品搜索失败");
        return;
      }
      if (seq !== state.seq || !state.open) return; // a newer search, or the list was closed meanwhile
      busy(false);
      show(items, query);
      if (state.enterPending) {
        state.enterPending = false;
        if (items.length) choose(items[0]);
      }
    }

    /* A search is on its way (true) or done (false): the list says so with aria-busy. */
    function busy(on) {
      state.searching = on;
      if (on) list.setAttribute("aria-busy", "true");
      else list.removeAttribute("aria-busy");
    }

    /* The text changed: the options shown are for older text (arrows and Enter wait for the new ones). */
    function scheduleSearch() {
      state.items = [];
      setActive(-1);
      busy(true);
      clearTimeout(state.timer);
      state.timer = setTimeout(() => search(input.value.trim()), 150);
    }

    function openAndSearch() {
      open();
      search(input.value.trim());
    }

    function choose(product) {
      state.turn++;
      close();
      input.value = "";
      state.product = product;
      render();
      say(`已选择商品：${product.name}`);
      if (opts.onChange) opts.onChange(product);
      if (opts.onChosen) opts.onChosen(product);
    }

    input.addEventListener("input", () => {
      open();
      scheduleSearch();
    });
    input.addEventListener("click", () => { if (!state.open) openAndSearch(); });
    input.addEventListener("keydown", (event) => {
      if (event.isComposing || event.keyCode === 229) return; // the input method is still composing
      const count = state.items.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!state.open) {
          openAndSearch();
          return;
        }
        if (!count) return;
        const step = event.key === "ArrowDown" ? 1 : -1;
        const from = state.active < 0 ? (step > 0 ? -1 : count) : state.active;
        setActive((from + step + count) % count);
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && !event.altKey && !event.shiftKey) {
        if (!state.open) return;
        event.preventDefault();
        event.stopPropagation();
        if (state.searching) { // typed faster than the search: the first match for what is typed, when it comes
          state.enterPending = true;
          if (state.timer) search(input.value.trim());
          return;
        }
        if (count) choose(state.items[state.active >= 0 ? state.active : 0]);
      } else if (event.key === "Escape") {
        if (state.open) {
          close();
        } else if (input.value) {
          input.value = "";
        } else {
          return; // the page's own Esc
        }
        event.preventDefault();
        event.stopPropagation();
      } else if (event.key === "Tab") {
        close();
      }
    });
    (root || input.parentNode).addEventListener("focusout", (event) => {
      const next = event.relatedTarget;
      if (!next || !(root || input.parentNode).contains(next)) close();
    });
    if (clear) {
      clear.addEventListener("click", () => {
        const had = state.product;
        clearProduct(false);
        if (had) say("已清除商品");
        input.focus();
      });
    }

    function clearProduct(silent) {
      state.turn++; // a reference still being looked up no longer applies
      close();
      input.value = "";
      const had = state.product;
      state.product = null;
      render();
      if (had && !silent && opts.onChange) opts.onChange(null);
    }

    function setProduct(product, silent) {
      const next = productOf(product);
      if (!next) {
        clearProduct(silent);
        return;
      }
      next.unresolved = !!product.unresolved;
      state.turn++;
      state.product = next;
      render();
      if (!silent && opts.onChange) opts.onChange(next);
    }

    close();
    render();

    return {
      /* The product in focus ({id, name, category, link, unresolved?}) or null. */
      get: () => state.product,
      /* What to send as `product`: its id (or the reference, when unresolved), "" when none. */
      value: () => (state.product ? state.product.id : ""),
      set: (product, how) => setProduct(product, !!(how && how.silent)),
      clear: (how) => clearProduct(!!(how && how.silent)),
      /* Put in focus what a reference (id, link or name) means, resolved to the sheet's product when it can be;
       * a later choice or reference wins over one still being looked up. Resolves to the product in focus. */
      async setRef(ref, how) {
        const silent = !!(how && how.silent);
        if (ref === null || ref === undefined || !String(ref).trim()) {
          clearProduct(silent);
          return null;
        }
        const turn = ++state.turn;
        const product = await resolveProduct(apiOf(), ref);
        if (turn === state.turn) setProduct(product, silent);
        return state.product;
      },
      close,
    };
  }

  // ---- the shop (店铺) ----------------------------------------------------------------------------------

  /* The 店铺 switcher of the agents' page and the sidebar: `select` lists the shops a server hosts (the page has
   * none when it hosts only the default one). The choice is remembered under `storageKey`; `preset` (a ?shop= in
   * the page's address) wins over it; a shop no longer hosted falls back to the default one. api() is the chosen
   * shop's API root under `base` (the default shop's API, or <base>/shops/<shop>). */
  function shopSwitcher(select, storageKey, preset, base) {
    const root = base || "/api/v1";
    const hosted = (name) => !!select && [...select.options].some((option) => option.value === name);
    if (select) {
      let saved = "";
      try { saved = localStorage.getItem(storageKey) || ""; } catch (err) { /* storage blocked */ }
      const wanted = preset && hosted(preset) ? preset : saved;
      if (hosted(wanted)) select.value = wanted;
      select.addEventListener("change", () => {
        try { localStorage.setItem(storageKey, select.value); } catch (err) { /* storage blocked */ }
      });
    }
    return {
      api: () => (select && select.value ? `${root}/shops/${encodeURIComponent(select.value)}` : root),
      label: () => (select ? select.selectedOptions[0].textContent : ""),
    };
  }

  window.Huashu = Object.freeze({
    KEY_STORAGE, TOAST_PLACES, NO_PRODUCT, el, clearNode, svgIcon, flash, toaster, parseJSON, stageNames, checkedStage,
    stageBadge, percent, markUnfilled, savedApiKey, saveApiKey, apiHeaders, writeClipboard, productPicker,
    resolveProduct, oneSegmentPerClause, shopSwitcher,
  });
})();
