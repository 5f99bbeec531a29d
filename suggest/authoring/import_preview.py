"""What importing a file would do, before anything is written: corpus files and 千牛 quick-phrase sheets alike.

Editors see the preview first and commit the same file after; the preview is also what the commit checks and
writes. A 千牛 sheet is grouped into situations by the engine (an editor may choose others), which a corpus file
is not, so its preview is built here, shaped like interchange.ImportPreview so the import page and the commit
treat both alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from ..corpus import compliance
from ..corpus.interchange import ImportPreview, compliance_problems
from ..corpus.profile import KNOWN_PLACEHOLDERS, fill, placeholders
from ..errors import CorpusError
from ..records import STAGE_NAMES, Problem
from .presentation import list_situations


@dataclass
class PhrasePreview(ImportPreview):
    """What importing a 千牛 quick-phrase sheet would do: each 分组's situation (with a confidence; an editor may choose
    another), the phrases that become replies, those already in the home, and those that cannot be imported.
    An ImportPreview (rows, counts, ok) so that the import page and commit treat both alike; the editor's import
    only adds, so nothing is ever changed or removed. `corpus` is the corpus after the import, when nothing is
    rejected."""

    groups: list = field(default_factory=list)  # quick_phrases.GroupAssignment, in the sheet's order
    samples: dict[str, list[str]] = field(default_factory=dict)  # 分组 -> its first phrases
    overrides: dict[str, str] = field(default_factory=dict)  # the editor's choices, 分组 -> situation id
    situations: list[dict] = field(default_factory=list)  # the home's situations, for the choice
    result: object = None  # quick_phrases.PhraseImport

    def verdict(self) -> dict:
        counts = self.counts()
        if self.errors or (not self.rejected and self.corpus is None):
            return {"kind": "error", "message": "文件有问题，不能导入：按下面的说明改好文件后重新预览。"}
        if self.rejected:
            return {"kind": "reject", "message": f"有 {counts['reject']} 条短语被拒绝（原因见每行的说明）：改好文件后重新预览。"
                                                 "导入要么全部写入，要么一条都不写。"}
        if not counts["add"]:
            return {"kind": "nothing", "message": "表里的快捷短语都已经在话术库里了，没有需要导入的内容。"}
        parts = [f"新增 {counts['add']} 条话术"]
        if counts["unchanged"]:
            parts.append(f"{counts['unchanged']} 条已在话术库里，保持不变")
        if counts["new_situations"]:
            parts.append(f"新建场景 {counts['new_situations']} 个")
        return {"kind": "ready", "message": f"可以导入：{'，'.join(parts)}。确认后一次性写入，客服推荐立即更新；"
                                           "可在“历史”中撤销。"}

    def group_dicts(self) -> list[dict]:
        from .quick_phrases import UNGROUPED

        names = {s["id"]: s for s in self.situations}
        situations = self.corpus.situations if self.corpus is not None else (
            self.result.corpus.situations if self.result is not None else {})
        out = []
        for g in self.groups:
            situation = situations.get(g.situation)
            stage = situation.stage if situation else "general"
            out.append({
                "group": g.group, "label": g.group or UNGROUPED, "situation": g.situation, "name": g.name,
                "stage": stage, "stage_name": STAGE_NAMES.get(stage, stage), "confidence": g.confidence, "new": g.new,
                "phrases": g.phrases, "chosen": g.group in self.overrides, "samples": self.samples.get(g.group, []),
                "alternatives": [{"id": sid, "name": names[sid]["name"] if sid in names else sid,
                                  "confidence": confidence} for sid, confidence in g.alternatives]})
        return out

    def to_dict(self) -> dict:
        return {"kind": "qianniu", "file": self.file, "ok": self.ok, "counts": self.counts(), "errors": self.errors,
                "verdict": self.verdict(), "rows": [r.to_dict() for r in self.rows], "groups": self.group_dicts(),
                "situations": [{"id": s["id"], "name": s["name"], "stage": s["stage"], "stage_name": s["stage_name"]}
                               for s in self.situations],
                "new_situations": [{"id": s.id, "name": s.name, "stage": s.stage} for s in self.new_situations],
                "removed": [], "base": self.base_hash, "kept": [], "overrides": self.overrides}


def preview_file(engine, path: Path, display_name: str | None = None, overrides: dict[str, str] | None = None,
                 *, rules: tuple[compliance.Rule, ...], compliance_of: Callable[[str, tuple[str, ...]], list[compliance.Finding]]):
    """What importing `path` would do: an interchange.ImportPreview for a corpus file (.jsonl/.csv/.xlsx), a
    PhrasePreview for a 千牛 quick-phrase sheet (分组/快捷编码/快捷短语), whose 分组 go to the situations in
    `overrides` (分组 -> situation id, the editor's choices) or to the ones the engine assigns."""
    from ..corpus.interchange import preview_import
    from ..corpus.spreadsheet import looks_like_quick_phrases

    if looks_like_quick_phrases(path):
        return _phrase_preview(engine, path, display_name, overrides, compliance_of)
    return preview_import(path, engine.corpus, rules=rules, enforce_compliance=True,
                          known_placeholders=set(KNOWN_PLACEHOLDERS) | engine.profile.names(),
                          display_name=display_name)


def _phrase_preview(engine, path: Path, display_name: str | None, overrides: dict[str, str] | None,
                    compliance_of: Callable[[str, tuple[str, ...]], list[compliance.Finding]]) -> PhrasePreview:
    from ..corpus.files import corpus_hash
    from ..corpus.interchange import RowPreview, _line_of
    from ..corpus.spreadsheet import read_quick_phrases
    from .quick_phrases import import_quick_phrases

    shown = display_name or str(path)

    def show(where: str) -> str:
        return where.replace(str(path), shown, 1)

    corpus = engine.corpus
    overrides = {str(g): sid for g, sid in (overrides or {}).items()
                 if isinstance(sid, str) and sid in corpus.situations}
    preview = PhrasePreview(file=shown, base_hash=corpus_hash(corpus), overrides=overrides,
                            situations=list_situations(corpus))
    try:
        phrases = read_quick_phrases(path)
        result = import_quick_phrases(engine, phrases, replace=False, overrides=overrides)
    except CorpusError as exc:
        preview.errors = [replace(p, where=show(p.where)) for p in exc.problems]
        return preview
    preview.groups = result.groups
    for phrase in phrases:
        samples = preview.samples.setdefault(phrase.group, [])
        if len(samples) < 3:
            samples.append(phrase.text)
    notes: dict[str, list[Problem]] = {}  # a row's notes, placed by the row
    for note in result.notes:
        notes.setdefault(note.where, []).append(replace(note, where=""))
    # the phrases in the order import_quick_phrases took them: a phrase already in the home keeps its reply
    profile = engine.profile.values()
    existing = {fill(r.text, profile)[0]: r for r in corpus.replies.values()}
    added = iter(result.added)
    allowed = set(KNOWN_PLACEHOLDERS) | set(profile)
    situations = result.corpus.situations
    for phrase in phrases:
        same = existing.get(phrase.text) or existing.get(fill(phrase.text, profile)[0])
        reply = same if same is not None else next(added, None)
        if reply is None:  # pragma: no cover - the same walk as import_quick_phrases
            continue
        reasons: list[Problem] = []
        warnings = list(notes.get(phrase.where, []))
        if same is None:
            refused, doubtful = compliance_problems(compliance_of(reply.text, reply.requires), enforce=True)
            reasons += refused
            warnings += doubtful
            reasons += [Problem("text", "unknown_placeholder", {"name": name})
                        for name in dict.fromkeys(placeholders(reply.text)) if name not in allowed]
        status = "unchanged" if same is not None else "reject" if reasons else "add"
        situation = situations.get(reply.situation)
        preview.rows.append(RowPreview(
            where=show(phrase.where), line=_line_of(phrase.where), id=reply.id, status=status, text=phrase.text,
            situation=reply.situation, situation_name=situation.name if situation else "", reasons=reasons,
            warnings=warnings, generated_id=same is None))
    preview.new_situations = [situations[g.situation] for g in result.groups if g.new]
    preview.result = result
    if not preview.rejected:
        preview.corpus = result.corpus
    return preview
