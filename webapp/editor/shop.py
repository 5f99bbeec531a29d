"""/editor/shop (店铺信息): the shop's facts as a form, saved like replies (validated, recorded, revertible).
A plain form post: it works without scripts, and a refused save shows the page again with what was typed."""

from __future__ import annotations

from flask import g, redirect, request, url_for

from suggest.authoring.refusals import Conflict, Invalid
from suggest.corpus.profile import CAMPAIGN_FIELDS, OTHER_SECTION

from .blueprint import bp, page, service

NEW_CAMPAIGN_ROWS = 1  # empty rows offered for a new campaign
NEW_OTHER_ROWS = 2  # empty rows offered for the shop's own placeholders


def _posted(form: dict) -> dict:
    """The form the page posted, in the shape `ShopFacts.form()` returns, so it can be shown again."""
    posted = request.form
    sections = [{"name": s["name"], "facts": [{**f, "value": posted.get(f"fact:{f['name']}", "")} for f in s["facts"]]}
                for s in form["sections"]]
    others = [{"name": n.strip(), "value": v} for n, v in zip(posted.getlist("other_name"), posted.getlist("other_value"))
              if n.strip() or v.strip()]
    campaigns = []
    for i in range(int(posted.get("campaign_rows", "0") or 0)):
        row = {name: posted.get(f"campaign-{i}-{name}", "") for name in CAMPAIGN_FIELDS}
        if posted.get(f"campaign-{i}-remove") != "1" and any(v.strip() for v in row.values()):
            campaigns.append(row)
    return {**form, "sections": sections, "others": others, "campaigns": campaigns}


def _render(form: dict, status: int = 200, errors: list[dict] | None = None, saved: bool = False):
    errors = errors or []
    by_field = {e["field"]: e["message"] for e in errors}
    campaign_rows = form["campaigns"] + [{name: "" for name in CAMPAIGN_FIELDS}] * NEW_CAMPAIGN_ROWS
    other_rows = form["others"] + [{"name": "", "value": ""}] * NEW_OTHER_ROWS
    unsuggested = form["unsuggested"]
    return page("editor_shop.html", status, active="shop", form=form, errors=errors, by_field=by_field,
                campaign_rows=campaign_rows, other_rows=other_rows, other_section=OTHER_SECTION, saved=saved,
                never=[u for u in unsuggested if not u["timing"]], waiting=[u for u in unsuggested if u["timing"]],
                situations=service().corpus.situations)


@bp.get("/shop")
def shop_page():
    return _render(service().shop.form(), saved=request.args.get("saved") == "1")


@bp.post("/shop")
def shop_save():
    svc = service()
    current = svc.shop.form()
    posted = _posted(current)
    try:
        svc.shop.save(posted, g.editor, request.form.get("version"))
    except Invalid as exc:
        return _render({**posted, "version": request.form.get("version")}, 422, exc.problems)
    except Conflict as exc:
        message = {"field": "", "message": exc.message + "。下面是你填写的内容，刷新页面会看到最新内容。"}
        return _render({**posted, "version": request.form.get("version")}, 409, [message])
    return redirect(url_for(".shop_page", saved=1))
