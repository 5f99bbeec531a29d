/* 话术编辑台: the editors' pages. Plain JS, no build step; shared helpers from common.js.
 * Every piece of data goes into the page with textContent: reply texts are never parsed as HTML.
 * Every state-changing request carries the CSRF token from <meta name="csrf-token"> in X-CSRF-Token. */
(() => {
  "use strict";

  // Shared helpers (common.js, loaded before this file).
  const {el, clearNode, toaster, parseJSON, stageNames} = window.Huashu;

  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const PAGE = document.body.dataset.page || "";
  // The editor's root: /editor for the default shop, /shops/<name>/editor for a shop (said by the page).
  const BASE = document.body.dataset.editorBase || "/editor";
  const STAGE_NAMES = stageNames();
  const PLACEHOLDER = /\{([^{}\s]{1,16})\}/g;
  const NEW_SITUATION = "__new__";

  // ---- small helpers ----------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  const toast = toaster($("toast"), 2000, 3200, window.Huashu.TOAST_PLACES); // never over 保存 or another button

  function lines(text) {
    const out = [];
    for (const line of String(text || "").split("\n")) {
      const item = line.trim();
      if (item && !out.includes(item)) out.push(item);
    }
    return out;
  }

  function tagsOf(text) {
    return lines(String(text || "").replace(/[,，、;；]/g, "\n"));
  }

  function stageBadge(stage) {
    return window.Huashu.stageBadge(stage, STAGE_NAMES);
  }

  /* Text with some words highlighted (offending words from the compliance lint), built from text nodes. */
  function highlighted(text, words) {
    const frag = document.createDocumentFragment();
    const wanted = (words || []).filter(Boolean);
    if (!wanted.length) { frag.appendChild(document.createTextNode(text)); return frag; }
    const lower = text.toLowerCase();
    let i = 0;
    while (i < text.length) {
      let best = -1, bestWord = "";
      for (const word of wanted) {
        const at = lower.indexOf(word.toLowerCase(), i);
        if (at >= 0 && (best < 0 || at < best)) { best = at; bestWord = word; }
      }
      if (best < 0) break;
      if (best > i) frag.appendChild(document.createTextNode(text.slice(i, best)));
      frag.appendChild(el("mark", "word", text.slice(best, best + bestWord.length)));
      i = best + bestWord.length;
    }
    if (i < text.length) frag.appendChild(document.createTextNode(text.slice(i)));
    return frag;
  }

  async function api(method, url, body, isForm) {
    const headers = {"X-CSRF-Token": CSRF, "Accept": "application/json"};
    const options = {method, headers, credentials: "same-origin"};
    if (body !== undefined) {
      if (isForm) options.body = body;
      else { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (err) {
      return {ok: false, status: 0, data: {error: {code: "network", message: "连接不上服务，请检查网络后重试"}}};
    }
    const data = await response.json().catch(() => ({}));
    if (response.status === 401) {
      const next = location.pathname + location.search;
      location.href = BASE + "/login?next=" + encodeURIComponent(next);
    }
    return {ok: response.ok, status: response.status, data};
  }

  function errorText(result) {
    const error = result.data && result.data.error;
    return error ? error.message : `请求失败（HTTP ${result.status}）`;
  }

  // ---- navigation (narrow screens) -------------------------------------------------------------------

  const toggle = document.querySelector(".nav-toggle");
  const nav = $("editor-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // The 店铺 menu (team leads): Esc, or a click elsewhere, closes it as any menu closes.
  const shopMenu = document.querySelector(".shop-menu");
  if (shopMenu) {
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && shopMenu.open) {
        shopMenu.open = false;
        shopMenu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (shopMenu.open && !shopMenu.contains(event.target)) shopMenu.open = false;
    });
  }

  // ---- the replies page ------------------------------------------------------------------------------

  function initReplies() {
    const profile = parseJSON(document.body.dataset.profile, {});
    const maxReply = Number(document.body.dataset.maxReply) || 500;
    const f = {
      q: $("f-q"), situation: $("f-situation"), stage: $("f-stage"), tag: $("f-tag"), status: $("f-status"),
      flagged: $("f-flagged"),
    };
    const r = {
      form: $("reply-form"), situation: $("r-situation"), stage: $("r-stage"), text: $("r-text"),
      examples: $("r-examples"), tags: $("r-tags"), shortcut: $("r-shortcut"), id: $("r-id"),
      newBox: $("new-situation"), sName: $("s-name"), sStage: $("s-stage"), sId: $("s-id"), sDescription: $("s-description"),
    };
    const list = $("reply-list");
    const checks = $("checks");
    const conflictBox = $("conflict");
    const tryBox = $("try-result");
    const tryInput = $("try-message");
    const buttons = {
      save: $("save"), anyway: $("save-anyway"), retire: $("retire"), restore: $("restore"), del: $("delete"),
      cancel: $("cancel"), history: $("reply-history"),
    };
    const state = {meta: null, replies: [], current: null, tried: false, checkSeq: 0, trySeq: 0, saving: false};

    // -- meta and list --

    function fillSituationSelect(select, withAll, withNew) {
      const keep = select.value;
      clearNode(select);
      if (withAll) select.appendChild(el("option", "", "全部场景")).value = "";
      else select.appendChild(el("option", "", "请选择场景…")).value = "";
      const groups = {};
      for (const s of state.meta.situations) (groups[s.stage] = groups[s.stage] || []).push(s);
      for (const stage of Object.keys(STAGE_NAMES)) {
        if (!groups[stage]) continue;
        const group = el("optgroup");
        group.label = STAGE_NAMES[stage];
        for (const s of groups[stage]) {
          const option = el("option", "", withAll ? `${s.name}（${s.replies}）` : s.name);
          option.value = s.id;
          group.appendChild(option);
        }
        select.appendChild(group);
      }
      if (withNew) select.appendChild(el("option", "", "＋ 新建场景…")).value = NEW_SITUATION;
      select.value = keep;
      if (select.value !== keep) select.value = "";
    }

    async function loadMeta() {
      const result = await api("GET", BASE + "/api/meta");
      if (!result.ok) { toast(errorText(result), "warn"); return; }
      state.meta = result.data;
      fillSituationSelect(f.situation, true, false);
      fillSituationSelect(r.situation, false, true);
      const keepTag = f.tag.value;
      clearNode(f.tag);
      f.tag.appendChild(el("option", "", "全部标签")).value = "";
      const datalist = $("tag-list");
      clearNode(datalist);
      for (const tag of state.meta.tags) {
        f.tag.appendChild(el("option", "", tag)).value = tag;
        datalist.appendChild(el("option")).value = tag;
      }
      f.tag.value = keepTag;
    }

    function filterQuery() {
      const params = new URLSearchParams();
      if (f.q.value.trim()) params.set("q", f.q.value.trim());
      for (const key of ["situation", "stage", "tag", "status"]) if (f[key].value && f[key].value !== "all") params.set(key, f[key].value);
      if (f.flagged.checked) params.set("flagged", "1");
      return params;
    }

    async function loadList() {
      const result = await api("GET", BASE + "/api/replies?" + filterQuery().toString());
      if (!result.ok) { toast(errorText(result), "warn"); return; }
      state.replies = result.data.replies;
      $("count").textContent = result.data.count === result.data.total ? String(result.data.total)
        : `${result.data.count} / ${result.data.total}`;
      renderList();
    }

    function renderList() {
      clearNode(list);
      if (!state.replies.length) {
        list.appendChild(el("li", "rows-empty", "没有符合条件的话术"));
        return;
      }
      // The server lists replies by situation (stage order, then name): one heading per situation, its id secondary.
      let group = null;
      for (const reply of state.replies) {
        if (reply.situation !== group) {
          group = reply.situation;
          const head = el("li", "rows-group");
          head.dataset.situation = reply.situation;
          head.appendChild(el("span", "sit-name", reply.situation_name || reply.situation));
          if (reply.situation_name && reply.situation_name !== reply.situation) head.appendChild(el("span", "sit-id mono", reply.situation));
          list.appendChild(head);
        }
        const item = el("li");
        const row = el("button", "row" + (reply.retired ? " is-retired" : ""));
        row.type = "button";
        row.dataset.id = reply.id;
        if (state.current && state.current.id === reply.id) row.setAttribute("aria-current", "true");
        row.appendChild(el("p", "row-text", reply.text));
        const meta = el("div", "row-meta");
        meta.appendChild(stageBadge(reply.stage));
        meta.appendChild(el("span", "", reply.situation_name));
        if (reply.shortcut) meta.appendChild(el("span", "tag tag-code", "/" + reply.shortcut));
        if (reply.retired) meta.appendChild(el("span", "badge badge-retired", "已停用"));
        if (reply.compliance === "block") meta.appendChild(el("span", "badge badge-block", "违规用语"));
        else if (reply.compliance === "warn") meta.appendChild(el("span", "badge badge-warn", "合规提醒"));
        meta.appendChild(el("span", "mono row-id", reply.id));
        row.appendChild(meta);
        row.addEventListener("click", () => openReply(reply.id, true));
        item.appendChild(row);
        list.appendChild(item);
      }
    }

    function markCurrent() {
      for (const row of list.querySelectorAll(".row")) {
        if (state.current && row.dataset.id === state.current.id) row.setAttribute("aria-current", "true");
        else row.removeAttribute("aria-current");
      }
    }

    // -- the form --

    function setUrl(params) {
      const url = new URL(location.href);
      url.search = params ? new URLSearchParams(params).toString() : "";
      history.replaceState(null, "", url.pathname + url.search);
    }

    function fillForm(reply) {
      r.situation.value = reply.situation || "";
      r.stage.value = reply.follows_situation_stage === false ? reply.stage : "";
      r.text.value = reply.text || "";
      r.examples.value = (reply.examples || []).join("\n");
      r.tags.value = (reply.tags || []).join(", ");
      r.shortcut.value = reply.shortcut || "";
      r.id.value = reply.id || "";
      r.newBox.hidden = true;
    }

    function showMode() {
      const current = state.current;
      $("form-title").textContent = current ? "编辑话术" : "新建话术";
      $("form-id").textContent = current ? current.id : "";
      const badge = $("form-state");
      badge.hidden = !(current && current.retired);
      badge.className = "badge badge-retired";
      badge.textContent = "已停用";
      r.id.disabled = !!current;
      r.id.closest(".field").hidden = !!current;  // the id is shown in the heading and never changes
      buttons.retire.hidden = !current || current.retired;
      buttons.restore.hidden = !current || !current.retired;
      buttons.del.hidden = !current;
      buttons.cancel.textContent = current ? "新建" : "清空";
      buttons.history.hidden = !current;
      if (current) buttons.history.href = BASE + "/history?target=" + encodeURIComponent(current.id);
      buttons.anyway.hidden = true;
      markCurrent();
    }

    async function openReply(id, scroll) {
      const result = await api("GET", BASE + "/api/replies/" + encodeURIComponent(id));
      if (!result.ok) { toast(errorText(result), "warn"); return; }
      state.current = result.data.reply;
      state.tried = false;
      fillForm(state.current);
      conflictBox.hidden = true;
      clearNode(checks);
      clearInvalid();
      showMode();
      updateCounters();
      scheduleCheck();
      scheduleTry();
      setUrl({id});
      if (scroll && window.matchMedia("(max-width: 960px)").matches) r.form.scrollIntoView({behavior: "smooth", block: "start"});
    }

    function newReply(prefill) {
      state.current = null;
      state.tried = false;
      fillForm({situation: (prefill && prefill.situation) || f.situation.value || "", examples: (prefill && prefill.examples) || []});
      conflictBox.hidden = true;
      clearNode(checks);
      clearInvalid();
      showMode();
      updateCounters();
      setUrl(null);
      scheduleTry();
    }

    function draft() {
      const out = {
        situation: r.situation.value === NEW_SITUATION ? "" : r.situation.value,
        stage: r.stage.value || null,
        text: r.text.value,
        examples: lines(r.examples.value),
        tags: tagsOf(r.tags.value),
        shortcut: r.shortcut.value.trim() || null,
      };
      if (!state.current && r.id.value.trim()) out.id = r.id.value.trim();
      if (r.situation.value === NEW_SITUATION) out.situation_name = r.sName.value.trim();
      return out;
    }

    function newSituation() {
      if (r.situation.value !== NEW_SITUATION) return null;
      return {name: r.sName.value.trim(), stage: r.sStage.value, id: r.sId.value.trim(), description: r.sDescription.value.trim()};
    }

    function hasContent() {
      return r.text.value.trim() || r.examples.value.trim();
    }

    function updateCounters() {
      const n = r.text.value.length;
      const counter = $("text-counter");
      counter.textContent = `${n} / ${maxReply}`;
      counter.classList.toggle("counter-full", n > maxReply);
      $("examples-counter").textContent = `${lines(r.examples.value).length} 句`;
      const preview = $("text-preview");
      const text = r.text.value.trim();
      if (text && PLACEHOLDER.test(text)) {
        PLACEHOLDER.lastIndex = 0;
        clearNode(preview);
        let last = 0;
        text.replace(PLACEHOLDER, (match, name, offset) => {
          preview.appendChild(document.createTextNode(text.slice(last, offset)));
          if (Object.prototype.hasOwnProperty.call(profile, name)) preview.appendChild(document.createTextNode(profile[name]));
          else preview.appendChild(el("mark", "unfilled", match));
          last = offset + match.length;
          return match;
        });
        preview.appendChild(document.createTextNode(text.slice(last)));
        preview.hidden = false;
      } else {
        preview.hidden = true;
      }
      PLACEHOLDER.lastIndex = 0;
    }

    const FIELD_INPUT = {text: "text", examples: "examples", tags: "tags", shortcut: "shortcut", id: "id",
      situation: "situation", stage: "stage", "situation.name": "sName", "situation.id": "sId",
      "situation.stage": "sStage", "situation.description": "sDescription"};

    function clearInvalid() {
      for (const input of r.form.querySelectorAll(".invalid")) input.classList.remove("invalid");
    }

    function renderChecks(check, opts) {
      opts = opts || {};
      clearNode(checks);
      clearInvalid();
      const problems = (opts.problems || (check && check.problems) || []);
      if (problems.length && (state.tried || opts.force)) {
        const box = el("div", "alert alert-block");
        box.appendChild(el("p", "", opts.title || "需要修改后才能保存："));
        const ul = el("ul");
        for (const p of problems) {
          ul.appendChild(el("li", "", p.message));
          const input = r[FIELD_INPUT[p.field]];
          if (input) input.classList.add("invalid");
        }
        box.appendChild(ul);
        checks.appendChild(box);
      }
      if (!check) return;
      const blocking = check.blocking || [];
      if (blocking.length) {
        const box = el("div", "alert alert-block");
        const head = el("p");
        head.appendChild(el("strong", "", "含有不允许的用语，不能保存："));
        box.appendChild(head);
        const ul = el("ul");
        for (const finding of blocking) {
          const li = el("li");
          li.appendChild(el("mark", "word", finding.word));
          li.appendChild(document.createTextNode(` ${finding.category}——${finding.message}`));
          ul.appendChild(li);
        }
        box.appendChild(ul);
        const excerpt = el("p", "small");
        excerpt.appendChild(document.createTextNode("话术中："));
        excerpt.appendChild(highlighted(r.text.value, blocking.map((b) => b.word)));
        box.appendChild(excerpt);
        checks.appendChild(box);
        r.text.classList.add("invalid");
      }
      const warnings = check.warnings || [];
      if (warnings.length) {
        const box = el("div", "alert alert-warn");
        const head = el("p");
        head.appendChild(el("strong", "", opts.confirming ? "请确认以下提醒，确认无误可以“仍然保存”：" : "提醒（保存时需要确认）："));
        box.appendChild(head);
        const ul = el("ul");
        for (const w of warnings) {
          const li = el("li");
          if (w.kind === "compliance") {
            li.appendChild(el("mark", "word", w.word));
            li.appendChild(document.createTextNode(` ${w.category}——${w.message.split("——").slice(1).join("——") || w.message}`));
          } else if (w.kind === "duplicate") {
            li.appendChild(document.createTextNode(`与 `));
            const link = el("a", "", w.id);
            link.href = BASE + "/?id=" + encodeURIComponent(w.id);
            link.addEventListener("click", (event) => { event.preventDefault(); openReply(w.id, true); });
            li.appendChild(link);
            li.appendChild(document.createTextNode(` 几乎相同（相似度 ${Number(w.similarity).toFixed(2)}）：`));
            const dup = (check.duplicates || []).find((d) => d.id === w.id);
            if (dup) li.appendChild(el("span", "muted", dup.text));
          } else {
            li.textContent = w.message;
          }
          ul.appendChild(li);
        }
        box.appendChild(ul);
        checks.appendChild(box);
      }
      const notes = check.notes || [];
      if (notes.length) {
        const box = el("div", "alert alert-note");
        const ul = el("ul");
        for (const n of notes) ul.appendChild(el("li", "", n.message));
        box.appendChild(ul);
        checks.appendChild(box);
      }
    }

    async function runCheck() {
      if (!hasContent()) { if (!state.tried) clearNode(checks); return; }
      const seq = ++state.checkSeq;
      const result = await api("POST", BASE + "/api/check",
        {reply: draft(), reply_id: state.current ? state.current.id : null, new_situation: newSituation()});
      if (seq !== state.checkSeq || !result.ok) return;
      renderChecks(result.data);
    }
    const scheduleCheck = debounce(runCheck, 450);

    // -- saving --

    async function save(confirm) {
      if (state.saving) return;
      state.tried = true;
      state.saving = true;
      buttons.save.classList.add("busy");
      buttons.anyway.hidden = true;
      const body = {reply: draft(), new_situation: newSituation(), confirm: !!confirm};
      let result;
      if (state.current) {
        body.version = state.current.version;
        result = await api("PUT", BASE + "/api/replies/" + encodeURIComponent(state.current.id), body);
      } else {
        result = await api("POST", BASE + "/api/replies", body);
      }
      state.saving = false;
      buttons.save.classList.remove("busy");
      handleSaveResult(result, body);
    }

    async function handleSaveResult(result, body) {
      const data = result.data || {};
      if (result.ok) {
        conflictBox.hidden = true;
        const unchanged = data.change && data.change.action === "unchanged";
        toast(unchanged ? "没有改动" : "已保存，客服的推荐已更新");
        state.tried = false;
        await loadMeta();
        await loadList();
        if (data.reply) await openReply(data.reply.id, false);
        if (data.notes && data.notes.length) renderChecks({notes: data.notes});
        return;
      }
      const error = data.error || {};
      if (result.status === 409) { renderConflict(data, body); return; }
      if (error.code === "needs_confirmation") {
        renderChecks(data.check, {confirming: true});
        buttons.anyway.hidden = false;
        buttons.anyway.focus();
        return;
      }
      if (error.code === "blocked") { renderChecks(data.check); toast("含有不允许的用语，未保存", "warn"); return; }
      if (error.code === "invalid") { renderChecks(null, {problems: data.problems, force: true}); return; }
      toast(errorText(result), "warn");
    }

    function versionCard(title, reply, note) {
      const card = el("div", "version");
      card.appendChild(el("h3", "", title));
      if (!reply) { card.appendChild(el("p", "muted", note || "已被删除")); return card; }
      card.appendChild(el("p", "", reply.text || ""));
      const examples = Array.isArray(reply.examples) ? reply.examples : lines(reply.examples);
      card.appendChild(el("p", "small", "例句：" + examples.join(" / ")));
      const tags = Array.isArray(reply.tags) ? reply.tags : tagsOf(reply.tags);
      if (tags.length || reply.shortcut) card.appendChild(el("p", "small", `标签：${tags.join("、") || "无"}　快捷编码：${reply.shortcut || "无"}`));
      if (note) card.appendChild(el("p", "small", note));
      return card;
    }

    function renderConflict(data, body) {
      clearNode(conflictBox);
      conflictBox.hidden = false;
      conflictBox.appendChild(el("p", "conflict-title", (data.error && data.error.message) || "内容冲突"));
      const by = data.changed_by;
      const versions = el("div", "versions");
      versions.appendChild(versionCard("对方的版本（已保存）", data.theirs,
        by ? `${by.editor} 于 ${by.at.replace("T", " ").replace("Z", " UTC")} 保存` : ""));
      versions.appendChild(versionCard("你的版本（未保存）", data.yours || body.reply));
      conflictBox.appendChild(versions);
      const actions = el("div", "form-actions");
      if (data.theirs) {
        const overwrite = el("button", "btn btn-warn", "用我的版本覆盖");
        overwrite.type = "button";
        overwrite.addEventListener("click", () => {
          state.current = data.theirs;
          conflictBox.hidden = true;
          save(false);
        });
        const load = el("button", "btn", "放弃我的修改，载入对方版本");
        load.type = "button";
        load.addEventListener("click", () => {
          state.current = data.theirs;
          fillForm(data.theirs);
          conflictBox.hidden = true;
          showMode();
          updateCounters();
          scheduleCheck();
          loadList();
        });
        actions.appendChild(overwrite);
        actions.appendChild(load);
      } else {
        const asNew = el("button", "btn btn-primary", "另存为新话术");
        asNew.type = "button";
        asNew.addEventListener("click", () => {
          state.current = null;
          conflictBox.hidden = true;
          showMode();
          r.id.value = "";
          loadMeta().then(loadList);
        });
        actions.appendChild(asNew);
      }
      conflictBox.appendChild(actions);
      conflictBox.scrollIntoView({behavior: "smooth", block: "nearest"});
    }

    async function setRetired(retired) {
      if (!state.current) return;
      const result = await api("POST", `${BASE}/api/replies/${encodeURIComponent(state.current.id)}/retire`,
        {version: state.current.version, retired});
      if (result.status === 409) { renderConflict(result.data, {reply: draft()}); return; }
      if (!result.ok) { toast(errorText(result), "warn"); return; }
      toast(retired ? "已停用：客服不会再看到这条话术" : "已恢复使用");
      await loadList();
      await openReply(state.current.id, false);
    }

    async function remove() {
      if (!state.current) return;
      if (!window.confirm(`删除话术 ${state.current.id}？\n删除后客服不再看到它；可以在“历史”里撤销。只想暂时不用的话，请选择“停用”。`)) return;
      const result = await api("DELETE", `${BASE}/api/replies/${encodeURIComponent(state.current.id)}?version=${encodeURIComponent(state.current.version)}`);
      if (result.status === 409) { renderConflict(result.data, {reply: draft()}); return; }
      if (!result.ok) { toast(errorText(result), "warn"); return; }
      toast("已删除（可在历史中撤销）");
      newReply();
      await loadMeta();
      await loadList();
    }

    // -- try it --

    function renderTry(data) {
      clearNode(tryBox);
      const d = data.draft;
      const summary = el("div", "try-summary");
      if (d) {
        const verdict = {likely: "很可能被推荐", possible: "可能被推荐", unlikely: "不太可能被推荐"}[d.verdict];
        summary.appendChild(el("span", `verdict verdict-${d.verdict}`, verdict));
        summary.appendChild(el("span", "", `草稿预计排第 ${d.position} 位 · 与例句“${d.nearest}”相似度 ${d.similarity.toFixed(2)}`));
      } else if (data.abstained) {
        summary.appendChild(el("span", "verdict verdict-unlikely", "引擎目前没有推荐"));
      } else {
        summary.appendChild(el("span", "muted", "当前推荐（填写草稿后会显示它的位置）"));
      }
      tryBox.appendChild(summary);
      if (d && d.verdict === "unlikely") {
        tryBox.appendChild(el("p", "small muted", "提示：把这句买家消息或类似说法加进例句，草稿就更容易被推荐。"));
      }
      const items = data.merged || [];
      if (!items.length) {
        tryBox.appendChild(el("p", "muted", "没有推荐：客服会看到“没有合适的话术”。"));
        return;
      }
      const ol = el("ol", "try-list");
      for (const item of items) {
        const li = el("li", "try-item" + (item.is_draft ? " is-draft" : "") + (item.is_original ? " is-original" : ""));
        li.appendChild(el("span", "reply-num", item.rank));
        const body = el("div");
        body.appendChild(el("p", "try-text", item.text));
        const meta = el("div", "try-meta");
        if (item.is_draft) meta.appendChild(el("span", "badge badge-new", "草稿"));
        if (item.is_original) meta.appendChild(el("span", "badge badge-retired", "修改前"));
        if (item.situation_name) meta.appendChild(el("span", "", item.situation_name));
        if (item.id && !item.is_draft) meta.appendChild(el("span", "mono", item.id));
        if (item.nearest) meta.appendChild(el("span", "", `最接近：${item.nearest}`));
        body.appendChild(meta);
        li.appendChild(body);
        li.appendChild(el("span", "try-sim", item.similarity.toFixed(2)));
        ol.appendChild(li);
      }
      tryBox.appendChild(ol);
      if (data.elapsed_ms !== undefined) tryBox.appendChild(el("p", "small muted", `用时 ${Math.round(data.elapsed_ms)} 毫秒；右侧数字是相似度。`));
    }

    async function runTry() {
      const message = tryInput.value.trim();
      if (!message) return;
      const seq = ++state.trySeq;
      const body = {message, reply_id: state.current ? state.current.id : null};
      if (hasContent()) body.draft = draft();
      tryBox.setAttribute("aria-busy", "true");
      const result = await api("POST", BASE + "/api/try", body);
      if (seq !== state.trySeq) return;
      tryBox.removeAttribute("aria-busy");
      if (!result.ok) { clearNode(tryBox); tryBox.appendChild(el("p", "alert alert-block", errorText(result))); return; }
      renderTry(result.data);
    }
    const scheduleTry = debounce(runTry, 350);

    // -- events --

    for (const input of [f.situation, f.stage, f.tag, f.status, f.flagged]) input.addEventListener("change", loadList);
    f.q.addEventListener("input", debounce(loadList, 250));
    $("new-reply").addEventListener("click", () => { newReply(); r.text.focus(); });
    buttons.cancel.addEventListener("click", () => newReply());
    r.form.addEventListener("submit", (event) => { event.preventDefault(); save(false); });
    buttons.anyway.addEventListener("click", () => save(true));
    buttons.retire.addEventListener("click", () => setRetired(true));
    buttons.restore.addEventListener("click", () => setRetired(false));
    buttons.del.addEventListener("click", remove);
    r.situation.addEventListener("change", () => {
      r.newBox.hidden = r.situation.value !== NEW_SITUATION;
      if (!r.newBox.hidden) r.sName.focus();
    });
    for (const input of [r.situation, r.stage, r.text, r.examples, r.tags, r.shortcut, r.id, r.sName, r.sStage, r.sId, r.sDescription]) {
      input.addEventListener("input", () => { updateCounters(); scheduleCheck(); scheduleTry(); buttons.anyway.hidden = true; });
    }
    for (const chip of document.querySelectorAll(".chip[data-insert]")) {
      chip.addEventListener("click", () => {
        const insert = chip.dataset.insert;
        const start = r.text.selectionStart ?? r.text.value.length;
        const end = r.text.selectionEnd ?? start;
        r.text.value = r.text.value.slice(0, start) + insert + r.text.value.slice(end);
        r.text.focus();
        r.text.setSelectionRange(start + insert.length, start + insert.length);
        r.text.dispatchEvent(new Event("input"));
      });
    }
    tryInput.addEventListener("input", scheduleTry);
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "s") { event.preventDefault(); save(false); }
    });

    // -- start --

    (async () => {
      const params = new URLSearchParams(location.search);
      await loadMeta();
      if (params.get("situation")) f.situation.value = params.get("situation");
      await loadList();
      if (params.get("id")) await openReply(params.get("id"), false);
      else newReply({examples: lines(params.get("examples") || ""), situation: params.get("situation") || ""});
      if (params.get("new")) { r.text.focus(); setUrl(null); }
    })();
  }

  // ---- the situations page ---------------------------------------------------------------------------

  function initSituations() {
    const list = $("situation-list");
    const s = {form: $("situation-form"), name: $("sf-name"), stage: $("sf-stage"), id: $("sf-id"), description: $("sf-description"),
               examples: $("sf-examples")};
    const exampleLines = () => s.examples.value.split("\n").map((line) => line.trim()).filter(Boolean);
    const countExamples = () => {
      const n = exampleLines().length;
      $("sf-examples-count").textContent = `${n} 条意图例句` + (n < 20 ? "（建议 20 条以上，长短、说法各不相同）" : "");
    };
    s.examples.addEventListener("input", countExamples);
    const checksBox = $("s-checks");
    const conflictBox = $("s-conflict");
    const state = {situations: [], current: null};

    async function load() {
      const result = await api("GET", BASE + "/api/situations");
      if (!result.ok) { toast(errorText(result), "warn"); return; }
      state.situations = result.data.situations;
      $("count").textContent = String(state.situations.length);
      clearNode(list);
      for (const item of state.situations) {
        const li = el("li");
        const row = el("button", "row");
        row.type = "button";
        if (state.current && state.current.id === item.id) row.setAttribute("aria-current", "true");
        const head = el("div", "row-meta");
        head.appendChild(el("span", "row-title", item.name));
        head.appendChild(stageBadge(item.stage));
        head.appendChild(el("span", "sit-id mono", item.id));
        head.appendChild(el("span", "", `${item.active} 条在用` + (item.replies > item.active ? ` · ${item.replies - item.active} 条停用` : "")));
        row.appendChild(head);
        if (item.description) row.appendChild(el("p", "row-sub", item.description));
        row.addEventListener("click", () => open(item));
        li.appendChild(row);
        list.appendChild(li);
      }
    }

    function open(item) {
      state.current = item;
      s.name.value = item ? item.name : "";
      s.stage.value = item ? item.stage : "presale";
      s.id.value = item ? item.id : "";
      s.id.disabled = !!item;
      s.description.value = item ? item.description : "";
      s.examples.value = item ? (item.examples || []).join("\n") : "";
      countExamples();
      $("sform-title").textContent = item ? "编辑场景" : "新建场景";
      $("sform-id").textContent = item ? item.id : "";
      $("s-delete").hidden = !item;
      $("s-delete").disabled = !!(item && item.replies);
      $("s-delete").title = item && item.replies ? "场景下还有话术，不能删除" : "";
      const replies = $("s-replies");
      replies.hidden = !item;
      if (item) replies.href = BASE + "/?situation=" + encodeURIComponent(item.id);
      clearNode(checksBox);
      conflictBox.hidden = true;
      for (const row of list.querySelectorAll(".row")) row.removeAttribute("aria-current");
      load();
    }

    function showProblems(data) {
      clearNode(checksBox);
      const box = el("div", "alert alert-block");
      box.appendChild(el("p", "", (data.error && data.error.message) || "未保存"));
      const ul = el("ul");
      for (const p of data.problems || []) ul.appendChild(el("li", "", p.message));
      box.appendChild(ul);
      checksBox.appendChild(box);
    }

    function showConflict(data) {
      clearNode(conflictBox);
      conflictBox.hidden = false;
      conflictBox.appendChild(el("p", "conflict-title", (data.error && data.error.message) || "内容冲突"));
      const versions = el("div", "versions");
      const theirs = el("div", "version");
      theirs.appendChild(el("h3", "", "对方的版本（已保存）"));
      theirs.appendChild(el("p", "", data.theirs ? `${data.theirs.name} · ${STAGE_NAMES[data.theirs.stage]}\n${data.theirs.description || ""}` : "已被删除"));
      const yours = el("div", "version");
      yours.appendChild(el("h3", "", "你的版本（未保存）"));
      yours.appendChild(el("p", "", `${s.name.value} · ${STAGE_NAMES[s.stage.value]}\n${s.description.value}`));
      versions.appendChild(theirs);
      versions.appendChild(yours);
      conflictBox.appendChild(versions);
      if (data.theirs) {
        const overwrite = el("button", "btn btn-warn", "用我的版本覆盖");
        overwrite.type = "button";
        overwrite.addEventListener("click", () => { state.current = data.theirs; conflictBox.hidden = true; save(); });
        conflictBox.appendChild(overwrite);
      }
    }

    async function save() {
      const body = {situation: {name: s.name.value.trim(), stage: s.stage.value, description: s.description.value.trim(),
                                examples: exampleLines()}};
      let result;
      if (state.current) {
        body.version = state.current.version;
        result = await api("PUT", BASE + "/api/situations/" + encodeURIComponent(state.current.id), body);
      } else {
        body.situation.id = s.id.value.trim();
        result = await api("POST", BASE + "/api/situations", body);
      }
      if (result.ok) {
        toast("已保存");
        open(result.data.situation);
        return;
      }
      if (result.status === 409) { showConflict(result.data); return; }
      if (result.data && result.data.problems) { showProblems(result.data); return; }
      toast(errorText(result), "warn");
    }

    async function remove() {
      if (!state.current) return;
      if (!window.confirm(`删除场景“${state.current.name}”？可以在“历史”里撤销。`)) return;
      const result = await api("DELETE", `${BASE}/api/situations/${encodeURIComponent(state.current.id)}?version=${encodeURIComponent(state.current.version)}`);
      if (result.status === 409) { showConflict(result.data); return; }
      if (!result.ok) { if (result.data && result.data.problems) showProblems(result.data); else toast(errorText(result), "warn"); return; }
      toast("已删除（可在历史中撤销）");
      open(null);
    }

    s.form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
    $("s-delete").addEventListener("click", remove);
    $("s-cancel").addEventListener("click", () => open(null));
    $("new-situation-btn").addEventListener("click", () => { open(null); s.name.focus(); });
    open(null);
  }

  // ---- the history page ------------------------------------------------------------------------------

  function initHistory() {
    for (const button of document.querySelectorAll("button.revert")) {
      button.addEventListener("click", async () => {
        const id = button.dataset.change;
        if (!window.confirm(`撤销第 ${id} 号修改？会新增一条记录，把相关内容恢复到那次修改之前。`)) return;
        button.disabled = true;
        let result = await api("POST", `${BASE}/api/history/${id}/revert`, {});
        if (result.status === 409) {
          const drifted = (result.data.drifted || []).map((d) => d.id).join("、");
          if (window.confirm(`${drifted} 在这次修改之后又被改过。仍然撤销会覆盖那些后来的修改，确定吗？`)) {
            result = await api("POST", `${BASE}/api/history/${id}/revert`, {force: true});
          } else { button.disabled = false; return; }
        }
        if (!result.ok) {
          button.disabled = false;
          toast(errorText(result), "warn");
          return;
        }
        toast("已撤销");
        setTimeout(() => location.reload(), 600);
      });
    }
  }

  // ---- the import page -------------------------------------------------------------------------------

  function initImport() {
    const form = $("import-form");
    const file = $("import-file");
    const previewBox = $("preview");
    const commit = $("import-commit");
    const state = {token: null, kind: "corpus", overrides: {}, busy: false};
    const STATUS = {add: "新增", change: "修改", unchanged: "无变化", reject: "拒绝"};
    const VERDICT_CLASS = {error: "alert-block", reject: "alert-block", nothing: "alert-note", ready: "alert-ok", done: "alert-ok"};

    file.addEventListener("change", () => {
      $("import-file-name").textContent = file.files.length ? file.files[0].name : "选择文件…";
      previewBox.hidden = true;
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!file.files.length) { toast("请先选择文件", "warn"); return; }
      const data = new FormData();
      data.append("file", file.files[0]);
      const button = $("import-preview");
      button.classList.add("busy");
      const result = await api("POST", BASE + "/api/import/preview", data, true);
      button.classList.remove("busy");
      if (!result.ok) { toast(errorText(result), "warn"); return; }
      state.token = result.data.token;
      state.overrides = {};
      renderPreview(result.data.preview, true);
    });

    function setVerdict(kind, message) {
      const box = $("preview-verdict");
      box.className = `alert import-verdict ${VERDICT_CLASS[kind] || "alert-note"}`;
      box.dataset.kind = kind;
      box.textContent = message;
    }

    function situationLabel(name, id) {
      const frag = document.createDocumentFragment();
      frag.appendChild(el("span", "sit-name", name || id || "—"));
      if (id && name && name !== id) frag.appendChild(el("span", "sit-id mono", id));
      return frag;
    }

    function diffList(diffs) {
      const list = el("dl", "row-diff");
      for (const d of diffs) {
        list.appendChild(el("dt", "", d.label));
        const dd = el("dd", d.field === "text" ? "stack" : "");
        if (d.removed.length || d.added.length) {
          for (const item of d.kept || []) dd.appendChild(el("span", "diff-same", item));
          for (const item of d.removed) dd.appendChild(el("span", "diff-del", item));
          for (const item of d.added) dd.appendChild(el("span", "diff-ins", item));
        } else {
          dd.appendChild(el("span", "diff-del", d.before || "（空）"));
          if (d.field !== "text") dd.appendChild(el("span", "diff-arrow", "→"));
          dd.appendChild(el("span", "diff-ins", d.after || "（空）"));
        }
        list.appendChild(dd);
      }
      return list;
    }

    function confidenceCell(g) {
      const td = el("td", "conf-cell");
      if (g.chosen) { td.appendChild(el("span", "small muted", "你选的")); return td; }
      const pct = window.Huashu.percent(g.confidence);
      const wrap = el("span", "confidence" + (g.new || pct < 50 ? " conf-low" : ""));
      const bar = el("span", "confidence-bar");
      const fill = el("span", "confidence-fill");
      fill.style.width = pct + "%";
      bar.appendChild(fill);
      wrap.appendChild(bar);
      wrap.appendChild(el("span", "", pct + "%"));
      td.appendChild(wrap);
      if (g.new) td.appendChild(el("span", "small muted", "没有足够接近的场景"));
      return td;
    }

    function groupSelect(g, situations) {
      const select = el("select", "input group-select");
      select.setAttribute("aria-label", `分组“${g.label}”归入的场景`);
      select.dataset.group = g.group;
      const names = Object.fromEntries(situations.map((s) => [s.id, s]));
      const listed = new Set();
      const option = (value, text) => { const o = el("option", "", text); o.value = value; return o; };
      if (g.new) select.appendChild(option("", `新建场景“${g.name}”`));
      const best = el("optgroup");
      best.label = "最接近的场景";
      const current = !g.new ? [{id: g.situation, name: g.name, confidence: g.chosen ? null : g.confidence}] : [];
      for (const alt of current.concat(g.alternatives)) {
        if (listed.has(alt.id) || !names[alt.id]) continue;
        listed.add(alt.id);
        const pct = alt.confidence === null || alt.confidence === undefined ? "" : ` · ${window.Huashu.percent(alt.confidence)}%`;
        best.appendChild(option(alt.id, `${names[alt.id].name}（${alt.id}）${pct}`));
      }
      if (best.children.length) select.appendChild(best);
      const all = el("optgroup");
      all.label = "全部场景";
      for (const s of situations) {
        if (listed.has(s.id)) continue;
        all.appendChild(option(s.id, `${s.name}（${s.id}）· ${s.stage_name || STAGE_NAMES[s.stage] || s.stage}`));
      }
      if (all.children.length) select.appendChild(all);
      select.value = g.new ? "" : g.situation;
      select.addEventListener("change", () => regroup(g.group, select.value));
      return select;
    }

    function renderGroups(p) {
      const box = $("preview-groups");
      const body = $("group-rows");
      clearNode(body);
      box.hidden = p.kind !== "qianniu" || !p.groups || !p.groups.length;
      if (box.hidden) return;
      for (const g of p.groups) {
        const tr = el("tr", g.new ? "group-new" : "");
        tr.dataset.group = g.group;
        const name = el("td", "group-name");
        name.appendChild(el("strong", "", g.label));
        tr.appendChild(name);
        tr.appendChild(el("td", "num", g.phrases));
        const target = el("td", "group-target");
        target.appendChild(groupSelect(g, p.situations));
        const meta = el("div", "group-meta small");
        if (g.new) meta.appendChild(el("span", "status-tag status-new", "新场景"));
        meta.appendChild(stageBadge(g.stage));
        if (g.new) meta.appendChild(el("span", "muted", `将新建“${g.name}”（${g.situation}），没有买家例句`));
        target.appendChild(meta);
        tr.appendChild(target);
        tr.appendChild(confidenceCell(g));
        const samples = el("td", "group-samples");
        const ul = el("ul", "samples");
        for (const text of g.samples) ul.appendChild(el("li", "", text));
        samples.appendChild(ul);
        tr.appendChild(samples);
        body.appendChild(tr);
      }
    }

    function renderPreview(p, scroll) {
      state.kind = p.kind || "corpus";
      state.overrides = Object.assign({}, p.overrides || state.overrides);
      previewBox.hidden = false;
      previewBox.dataset.kind = state.kind;
      $("preview-file").textContent = p.file;
      const counts = $("preview-counts");
      clearNode(counts);
      const chips = [["add", "新增"], ["change", "修改"], ["unchanged", state.kind === "qianniu" ? "已在话术库" : "无变化"],
                     ["reject", "拒绝"], ["new_situations", "新场景"], ["removed", "删除"]];
      for (const [key, label] of chips) {
        if (p.verdict.kind === "error") break;  // nothing was read: no counts to show
        if (!p.counts[key] && key !== "add" && !(key === "change" && state.kind === "corpus")) continue;
        const chip = el("span", `stat-chip stat-${key}`);
        chip.appendChild(el("strong", "", p.counts[key]));
        chip.appendChild(document.createTextNode(label));
        counts.appendChild(chip);
      }
      setVerdict(p.verdict.kind, p.verdict.message);
      const notes = $("preview-errors");
      clearNode(notes);
      if (p.errors.length) {
        const box = el("div", "alert alert-block");
        const ul = el("ul", "plain-list");
        for (const e of p.errors) ul.appendChild(el("li", "", e));
        box.appendChild(ul);
        notes.appendChild(box);
      }
      if (p.kept && p.kept.length) {
        notes.appendChild(el("p", "alert alert-note kept-note",
          `文件里没有 ${p.kept.join("、")} 列：已有话术的这些内容保持不变。`));
      }
      if (p.new_situations.length && state.kind !== "qianniu") {
        notes.appendChild(el("p", "alert alert-note", "将新建场景：" + p.new_situations.map((s) => `${s.name}（${s.id}，${STAGE_NAMES[s.stage] || s.stage}）`).join("、")));
      }
      renderGroups(p);
      const rows = $("preview-rows");
      clearNode(rows);
      const shown = p.rows.filter((row) => row.status !== "unchanged");
      for (const row of shown) {
        const tr = el("tr", "st-" + row.status);
        tr.appendChild(el("td", "num", row.line));
        const status = el("td");
        status.appendChild(el("span", `status-tag status-${row.status}`, STATUS[row.status]));
        tr.appendChild(status);
        const id = el("td", "mono", row.id || "—");
        if (row.generated_id && row.id) id.appendChild(el("span", "small muted", "自动编号"));
        tr.appendChild(id);
        const situation = el("td", "sit-cell");
        situation.appendChild(situationLabel(row.situation_name, row.situation));
        tr.appendChild(situation);
        tr.appendChild(el("td", "pv-text", row.text));
        const note = el("td");
        if (row.reasons.length) {
          const ul = el("ul", "reasons");
          for (const reason of row.reasons) ul.appendChild(el("li", "", reason));
          note.appendChild(ul);
        }
        if (row.removals && row.removals.length) {
          const ul = el("ul", "removals");
          for (const removal of row.removals) ul.appendChild(el("li", "", removal));
          note.appendChild(ul);
        }
        if (row.diffs && row.diffs.length) note.appendChild(diffList(row.diffs));
        else if (row.changed_names.length) note.appendChild(el("span", "small", "改动：" + row.changed_names.join("、")));
        if (row.warnings.length) {
          const ul = el("ul", "warns");
          for (const warning of row.warnings) ul.appendChild(el("li", "", warning));
          note.appendChild(ul);
        }
        tr.appendChild(note);
        rows.appendChild(tr);
      }
      $("preview-table").hidden = !shown.length;
      $("rows-title").hidden = !shown.length || state.kind !== "qianniu";
      const canCommit = p.ok && (p.counts.add + p.counts.change > 0);
      commit.disabled = !canCommit;
      $("commit-note").textContent = canCommit ? (state.kind === "qianniu" && p.groups.length
        ? "导入按上面每个分组选定的场景进行。" : "") : "";
      if (scroll) previewBox.scrollIntoView({behavior: "smooth", block: "start"});
    }

    async function regroup(group, situation) {
      if (!state.token) return;
      if (situation) state.overrides[group] = situation;
      else delete state.overrides[group];
      state.busy = true;
      commit.disabled = true;
      previewBox.classList.add("busy");
      const result = await api("POST", BASE + "/api/import/regroup", {token: state.token, overrides: state.overrides});
      previewBox.classList.remove("busy");
      state.busy = false;
      if (!result.ok) { toast(errorText(result), "warn"); return; }
      renderPreview(result.data.preview, false);
      toast("已更新分组的场景");
    }

    commit.addEventListener("click", async () => {
      if (!state.token || state.busy) return;
      commit.disabled = true;
      const body = {token: state.token};
      if (state.kind === "qianniu") body.overrides = state.overrides;
      const result = await api("POST", BASE + "/api/import/commit", body);
      if (!result.ok) {
        toast(errorText(result), "warn");
        $("commit-note").textContent = errorText(result);
        return;
      }
      const c = result.data.counts;
      const done = state.kind === "qianniu" ? `已导入：新增 ${c.add} 条话术` : `已导入：新增 ${c.add} 条，修改 ${c.change} 条`;
      toast(done);
      setVerdict("done", `${done}（第 ${result.data.change.id} 号修改，可在“历史”中撤销）。`);
      $("commit-note").textContent = "";
      for (const select of previewBox.querySelectorAll("select.group-select")) select.disabled = true;
      state.token = null;
    });
  }

  if (PAGE === "replies") initReplies();
  else if (PAGE === "situations") initSituations();
  else if (PAGE === "history") initHistory();
  else if (PAGE === "import") initImport();
})();
