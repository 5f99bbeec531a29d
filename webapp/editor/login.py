"""/editor/login and /editor/logout: the login form (CSRF-checked, throttled per account and address)."""

from __future__ import annotations

from flask import current_app, g, redirect, request, url_for

from . import auth
from .blueprint import bp, editor_base, page


def _safe_next(target: str | None) -> str:
    if target and target.startswith(editor_base() + "/") and "\\" not in target:
        return target
    return url_for(".replies_page")


ADDRESS_FACTOR = 4  # failed logins allowed from one address, in multiples of the per-account limit


@bp.route("/login", methods=["GET", "POST"])
def login():
    configured = bool(auth.accounts().editors())
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.editor:
            return redirect(next_url)
        return page("editor_login.html", configured=configured, next_url=next_url, error=None, name="")
    name = (request.form.get("name") or "").strip()
    if not auth.same_origin() or not auth.csrf_ok():
        return page("editor_login.html", status=400, configured=configured, next_url=next_url, name=name,
                    error="页面已过期（安全令牌无效），请重新输入后登录")
    limit = int(current_app.config["EDITOR_LOGIN_ATTEMPTS"])
    # Per account from this address, and (more loosely) per address: an attack from one place slows that place,
    # while the account's owner logs in from anywhere else.
    shop = g.get("shop") or ""
    limits = {f"account:{shop}/{name}|{request.remote_addr}": limit,
              f"addr:{request.remote_addr}": limit * ADDRESS_FACTOR}
    wait = auth.logins().attempt(limits, auth.LOCKOUT_SECONDS)
    if wait:
        return page("editor_login.html", status=429, configured=configured, next_url=next_url, name=name,
                    error=f"登录失败次数过多，请 {max(1, wait // 60)} 分钟后再试")
    if not auth.accounts().verify(name, request.form.get("password") or ""):
        return page("editor_login.html", status=401, configured=configured, next_url=next_url, name=name,
                    error="用户名或密码不对")
    auth.logins().succeeded(list(limits))
    auth.log_in(name)
    return redirect(next_url)


@bp.post("/logout")
def logout():
    auth.log_out()
    return redirect(url_for(".login"))
