"""The editors' pages over the corpus: replies, situations, the history of changes, and the analytics.
They are filled in by editor.js from the JSON endpoints (corpus_api.py); the history and analytics are rendered here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, request

from suggest.authoring.history import ACTIONS
from suggest.corpus.files import MAX_EXAMPLE_CHARS, MAX_REPLY_CHARS
from suggest.corpus.profile import KNOWN_PLACEHOLDERS
from suggest.records import STAGE_NAMES, STAGES

from .blueprint import bp, page, served, service


def _when(iso: str) -> str:
    """UTC ISO time as local-looking 'YYYY-MM-DD HH:MM' (UTC+8, the shops' time zone)."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return iso or ""
    return (moment.astimezone(timezone(timedelta(hours=8)))).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("editor_time")
def _editor_time(value: str) -> str:
    return _when(value)


def _page_context() -> dict:
    engine = service().engine
    placeholders = list(dict.fromkeys([*KNOWN_PLACEHOLDERS, *sorted(engine.profile.names())]))
    return {"stage_names": STAGE_NAMES, "stages": STAGES, "placeholders": placeholders,
            "profile": engine.profile.values(), "max_reply": MAX_REPLY_CHARS, "max_example": MAX_EXAMPLE_CHARS,
            "max_message": engine.settings.max_message_chars}


@bp.get("/")
def replies_page():
    return page("editor_replies.html", active="replies", **_page_context())


@bp.get("/situations")
def situations_page():
    return page("editor_situations.html", active="situations", **_page_context())


def _diff(change) -> list[dict]:
    """Per touched item: what it was and what it became, field by field (only fields that differ)."""
    rows = []
    labels = {"text": "内容", "examples": "例句", "tags": "标签", "shortcut": "快捷编码", "situation": "场景",
              "stage": "阶段", "retired": "停用", "name": "名称", "description": "说明"}
    for kind in ("situations", "replies"):
        for item_id in sorted(set(change.before.get(kind, {})) | set(change.after.get(kind, {}))):
            before = change.before.get(kind, {}).get(item_id)
            after = change.after.get(kind, {}).get(item_id)
            fields = []
            for key, label in labels.items():
                old = (before or {}).get(key)
                new = (after or {}).get(key)
                if before is not None and after is not None and old == new:
                    continue
                if old in (None, "", [], False) and new in (None, "", [], False):
                    continue
                fields.append({"label": label, "before": _show(key, old) if before else None,
                               "after": _show(key, new) if after else None})
            rows.append({"kind": "场景" if kind == "situations" else "话术", "id": item_id,
                         "state": "新建" if before is None else "删除" if after is None else "修改", "fields": fields})
    product_labels = {"name": "商品名", "link": "链接", "category": "类目", "aliases": "别名", "attributes": "属性",
                      "size_chart": "尺码表", "skus": "SKU"}
    for item_id in sorted(set(change.before.get("products", {})) | set(change.after.get("products", {}))):
        before = change.before["products"].get(item_id) if "products" in change.before else None
        after = change.after.get("products", {}).get(item_id)
        fields = [{"label": label, "before": _product_value((before or {}).get(key)) if before else None,
                   "after": _product_value((after or {}).get(key)) if after else None}
                  for key, label in product_labels.items()
                  if not (before and after and before.get(key) == after.get(key))
                  and ((before or {}).get(key) or (after or {}).get(key))]
        rows.append({"kind": "商品", "id": item_id,
                     "state": "新建" if before is None else "删除" if after is None else "修改", "fields": fields})
    if "shop" in change.before:  # the shop's facts: the file's lines that changed
        old = (change.before.get("shop") or "").splitlines()
        new = (change.after.get("shop") or "").splitlines()
        fields = [{"label": "店铺信息", "before": "\n".join(line for line in old if line not in new) or None,
                   "after": "\n".join(line for line in new if line not in old) or None}]
        rows.append({"kind": "店铺信息", "id": "shop.yaml", "state": "修改", "fields": fields})
    return rows


def _product_value(value) -> str:
    """A product field of a history state as text: attributes are [name, value] pairs, aliases a list."""
    if isinstance(value, list):
        return "\n".join(f"{k}：{v}" for k, v in value) if value and isinstance(value[0], list) else "、".join(value)
    return str(value or "")


def _show(key: str, value) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) if key == "examples" else "、".join(str(v) for v in value)
    if key == "stage":
        return STAGE_NAMES.get(value, value or "")
    if key == "retired":
        return "是" if value else "否"
    return "" if value is None else str(value)


@bp.get("/history")
def history_page():
    svc = service()
    before = request.args.get("before", type=int)
    target = (request.args.get("target") or "").strip() or None
    limit = 50
    changes = svc.history.list(limit=limit + 1, before_id=before, target=target)
    more = len(changes) > limit
    changes = changes[:limit]
    reverted: dict[int, list[int]] = {}
    for change in changes:
        if change.reverts:
            reverted.setdefault(change.reverts, []).append(change.id)
    items = [{"change": c, "diff": _diff(c), "reverted_by": reverted.get(c.id, [])} for c in changes]
    return page("editor_history.html", active="history", items=items, target=target, actions=ACTIONS,
                next_before=changes[-1].id if more and changes else None)


@bp.get("/analytics")
def analytics_page():
    from suggest.usage.analytics import build_report

    svc = service()
    days = request.args.get("days", default=30, type=int)
    if days not in (7, 30, 90, 0):
        days = 30
    store = served().feedback
    report = build_report(svc.corpus, store, svc.engine.embedder, svc.engine, days=days or None, top=10,
                          similarity=float(current_app.config["EDITOR_GROUP_SIMILARITY"]))
    return page("editor_analytics.html", active="analytics", report=report, days=days, stage_names=STAGE_NAMES)
