"""/editor/learning: the buyer messages agents' choices proposed as examples, for editors to accept or reject,
and the learned examples, which editors can remove. Routes of the editor blueprint (its login and CSRF guards)."""

from __future__ import annotations

from flask import g, redirect, request, url_for

from .blueprint import EDITOR_BLUEPRINTS, bp, page, served, service

MODE_NAMES = {"off": "关闭", "review": "审核后学习", "auto": "自动学习（可疑的等审核）"}
ACTION_NAMES = {"copied": "复制", "sent": "发送"}
REASON_NAMES = {"review": "等待审核", "low_score": "这条消息和所选场景不太像", "conflict": "同一条消息被选过别的场景"}
DECISIONS = {"accept": ("learned", "learn"), "reject": ("rejected", "unlearn"), "remove": ("rejected", "unlearn")}


def _learner():
    return served().learning


def _grouped(candidates, situations) -> list[dict]:
    groups: dict[str, dict] = {}
    for c in candidates:
        situation = situations.get(c.situation)
        group = groups.setdefault(c.situation, {"id": c.situation, "name": situation.name if situation else c.situation,
                                                "items": []})
        group["items"].append({"id": c.id, "message": c.message, "action": ACTION_NAMES.get(c.action, c.action),
                               "reason": REASON_NAMES.get(c.reason or "", ""), "created_at": c.created_at,
                               "decided_by": c.decided_by})
    return sorted(groups.values(), key=lambda g: (-len(g["items"]), g["name"]))


@bp.app_context_processor
def _waiting_count() -> dict:
    """The navigation says how many candidates wait (editor pages only)."""
    if request.blueprint not in EDITOR_BLUEPRINTS or g.get("editor") is None:
        return {}
    try:
        return {"learning_waiting": _learner().store.count("pending")}
    except Exception:  # the count is a hint; never break a page over it
        return {}


@bp.get("/learning")
def learning_page():
    learner = _learner()
    situations = service().corpus.situations
    pending, learned = learner.store.candidates("pending"), learner.store.candidates("learned")
    return page("editor_learning.html", active="learning", mode=learner.mode, mode_name=MODE_NAMES[learner.mode],
                pending=_grouped(pending, situations), learned=_grouped(learned, situations),
                pending_count=len(pending), learned_count=len(learned),
                done=request.args.get("done", type=int), verb=request.args.get("verb", ""))


@bp.post("/learning")
def learning_decide():
    decision = request.form.get("decision", "")
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    if decision not in DECISIONS or not ids:
        return redirect(url_for(".learning_page", done=0))
    status, action = DECISIONS[decision]
    learner = _learner()
    chosen = {c.id: c for c in learner.store.candidates("learned" if decision == "remove" else "pending")}
    count = learner.store.decide([i for i in ids if i in chosen], status, g.editor)
    if count:
        messages = [chosen[i].message for i in ids if i in chosen]
        summary = (f"{'采纳' if decision == 'accept' else '移除' if decision == 'remove' else '拒绝'} {count} 条学习例句："
                   + "；".join(m[:20] for m in messages[:5]) + ("…" if len(messages) > 5 else ""))
        service().history.record(g.editor, action, ",".join(sorted({chosen[i].situation for i in ids if i in chosen})),
                                 summary, {"replies": {}, "situations": {}}, {"replies": {}, "situations": {}})
        learner.refresh(served().engine, force=True)
    return redirect(url_for(".learning_page", done=count, verb=decision))
