"""Moving the corpus in and out: the import page and its JSON steps (preview, a 千牛 sheet's regrouping,
commit: all or nothing), and the exports (.jsonl, .csv, .xlsx, 千牛 sheets). Uploads wait under a token in
<var>/imports for a day; the preview and the commit are the editing service's."""

from __future__ import annotations

import io
import json
import secrets
import tempfile
import time
from datetime import datetime
from pathlib import Path

from flask import current_app, g, jsonify, request, send_file

from suggest.authoring.wording import zh_problem
from suggest.corpus.profile import PER_CONVERSATION

from ..errors import ApiError
from .blueprint import body, bp, page, service, settings

IMPORT_SUFFIXES = (".jsonl", ".csv", ".xlsx")
EXPORTS = {
    "jsonl": ("huashu-corpus-{date}.jsonl", "application/x-ndjson"),
    "csv": ("huashu-corpus-{date}.csv", "text/csv"),
    "xlsx": ("huashu-corpus-{date}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "qianniu.xlsx": ("千牛快捷短语-{date}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "qianniu.csv": ("千牛快捷短语-{date}.csv", "text/csv"),
}


@bp.get("/import")
def import_page():
    svc = service()
    from suggest.corpus.spreadsheet import qianniu_rows

    export = qianniu_rows(svc.corpus, svc.engine.profile.values())
    # Shop-wide placeholders without a value belong in shop.yaml; the per-buyer ones ({买家昵称}, {订单号},
    # {物流单号}) never do: the chat tool or the agent fills them in each conversation.
    unfilled, per_buyer = [], []
    for rid, names in export.unfilled.items():
        shop = [n for n in names if n not in PER_CONVERSATION]
        buyer = [n for n in names if n in PER_CONVERSATION]
        if shop:
            unfilled.append({"id": rid, "names": shop, "text": svc.corpus.replies[rid].text})
        if buyer:
            per_buyer.append({"id": rid, "names": buyer, "text": svc.corpus.replies[rid].text})
    return page("editor_import.html", active="import", qianniu_count=export.count, unfilled=unfilled,
                per_buyer=per_buyer, per_conversation=PER_CONVERSATION, skipped=export.skipped_retired,
                max_upload=current_app.config["EDITOR_MAX_UPLOAD_BYTES"] // (1024 * 1024))


@bp.get("/export/<kind>")
def export(kind: str):
    if kind not in EXPORTS:
        return page("editor_notice.html", status=404, title="没有这种导出格式", message="请从“导入导出”页选择格式")
    svc = service()
    name, mimetype = EXPORTS[kind]
    date = datetime.now().strftime("%Y%m%d")
    suffix = "." + kind.rsplit(".", 1)[-1]
    folder = Path(tempfile.mkdtemp(prefix="huashu-export-"))
    path = folder / f"export{suffix}"
    if kind.startswith("qianniu"):
        from suggest.corpus.spreadsheet import write_qianniu

        write_qianniu(svc.corpus, svc.engine.profile.values(), path)
    else:
        from suggest.corpus.interchange import export_corpus

        export_corpus(svc.corpus, path)
    data = path.read_bytes()
    path.unlink()
    folder.rmdir()
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=name.format(date=date))
    response.headers["Cache-Control"] = "no-store"
    return response


def imports_dir() -> Path:
    """Where uploads wait for their commit (the products' import keeps its own there too); what a day old is
    left of an abandoned preview is cleared on the way."""
    folder = settings().data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 24 * 3600
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    return folder


def _preview_json(preview) -> dict:
    """A preview (a corpus file's or a 千牛 sheet's) as the import page shows it: every message in Chinese."""
    data = preview.to_dict()
    data["errors"] = [zh_problem(e) for e in data["errors"]]
    for row in data["rows"]:
        row["reasons"] = [zh_problem(r) for r in row["reasons"]]
        row["warnings"] = [zh_problem(w) for w in row["warnings"]]
    return data


def _overrides(data: dict) -> dict[str, str] | None:
    """The editor's choice of situation per 分组 ({分组: situation id}); an empty choice keeps the assigned one."""
    value = data.get("overrides")
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ApiError("invalid_overrides", "overrides 必须是 {分组: 场景编号}")
    return {k: v for k, v in value.items() if v}


def _upload(token: str) -> tuple[Path, Path, dict]:
    """The uploaded file behind a preview token (its path, its metadata's path, the metadata)."""
    if not token or not all(c in "0123456789abcdef" for c in token) or len(token) != 32:
        raise ApiError("invalid_token", "导入令牌无效：请重新选择文件预览")
    folder = imports_dir()
    meta_path = folder / f"{token}.json"
    if not meta_path.is_file():
        raise ApiError("not_found", "预览已过期：请重新选择文件")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("editor") != g.editor:
        raise ApiError("forbidden", "这个预览属于另一位编辑")
    return folder / f"{token}{meta['suffix']}", meta_path, meta


@bp.post("/api/import/preview")
def api_import_preview():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError("missing_file", "请选择要导入的文件（.jsonl、.csv 或 .xlsx）")
    display = Path(upload.filename).name
    suffix = Path(display).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise ApiError("unsupported_format", f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .jsonl、.csv 或 .xlsx")
    token = secrets.token_hex(16)
    folder = imports_dir()
    path = folder / f"{token}{suffix}"
    upload.save(path)
    svc = service()
    preview = svc.import_preview(path, display)
    data = _preview_json(preview)
    meta = {"editor": g.editor, "name": display, "suffix": suffix, "base": preview.base_hash, "kind": data["kind"]}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return jsonify({"token": token, "preview": data})


@bp.post("/api/import/regroup")
def api_import_regroup():
    """A 千牛 sheet's preview again, with the editor's choice of situation for some 分组."""
    data = body()
    path, _, meta = _upload(str(data.get("token") or ""))
    preview = service().import_preview(path, meta["name"], _overrides(data) or {})
    return jsonify({"token": data["token"], "preview": _preview_json(preview)})


@bp.post("/api/import/commit")
def api_import_commit():
    data = body()
    path, meta_path, meta = _upload(str(data.get("token") or ""))
    preview, change = service().import_commit(path, g.editor, meta["name"], expected_base=meta.get("base") or None,
                                              overrides=_overrides(data))
    path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
    return jsonify({"change": change.to_dict(), "counts": preview.counts(), "kind": meta.get("kind", "corpus")})


@bp.get("/api/qianniu")
def api_qianniu():
    from suggest.corpus.spreadsheet import qianniu_rows

    svc = service()
    export = qianniu_rows(svc.corpus, svc.engine.profile.values())
    return jsonify({"count": export.count, "skipped_retired": export.skipped_retired,
                    "unfilled": [{"id": rid, "placeholders": names} for rid, names in export.unfilled.items()]})
