"""The reply texts product answers are written in: corpus/product_replies.yaml, or the built-in texts.

Why a file: a shop words its replies its own way (亲/亲亲, emoji, the agent's name), while the facts come from the
product sheet. Every template key lists the placeholders it may use, so a typo in a placeholder is caught when the
corpus loads (CorpusError naming file, line and field) instead of showing up in front of a buyer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ...corpus.files import _LineLoader, _Located
from ...errors import CorpusError
from ...records import STAGES, Situation

REPLIES_FILE = "product_replies.yaml"

# template key -> the placeholders it may use (shop placeholders from shop.yaml are allowed everywhere)
TEMPLATE_KEYS: dict[str, tuple[str, ...]] = {
    "value": ("商品名", "属性", "值"),
    "size": ("商品名", "尺码", "身材", "依据"),
    "size_between": ("商品名", "尺码", "身材", "依据"),
    "size_outside": ("商品名", "身材"),
    "sku_stock": ("商品名", "规格", "库存"),
    "sku_price": ("商品名", "规格", "价格"),
    "sku_missing": ("商品名", "规格", "可选"),
    "compare": ("商品1", "商品2", "对比"),
    "compare_same": ("商品1", "商品2", "属性", "值"),
    "ask_product": (),
    "unknown_product": ("品类",),
    "unknown_attribute": ("商品名", "属性"),
}
DEFAULT_TEXTS: dict[str, tuple[str, ...]] = {
    "value": ("亲，这款{商品名}的{属性}是{值}哦~",),
    "size": ("亲，按您{身材}，这款{商品名}建议拍{尺码}哦~（{依据}）",),
    "size_between": ("亲，按您{身材}，这款{商品名}介于{尺码}之间，喜欢宽松选大一码，喜欢合身选小一码哦~（{依据}）",),
    "size_outside": ("亲，按您{身材}，这款{商品名}的尺码表里没有正好对应的尺码，我帮您确认一下哦，稍等~",),
    "sku_stock": ("亲，这款{商品名}{规格}{库存}哦~",),
    "sku_price": ("亲，这款{商品名}{规格}的价格是{价格}哦~",),
    "sku_missing": ("亲，这款{商品名}没有{规格}哦，目前有{可选}~",),
    "compare": ("亲，{商品1}和{商品2}的区别：{对比}。您可以按需要选哦~",),
    "compare_same": ("亲，{商品1}和{商品2}的{属性}都是{值}哦~",),
    "ask_product": ("亲，请问您问的是哪一款呢？可以把商品链接发给我哦~",),
    "unknown_product": ("亲，您问的{品类}我帮您确认一下店里有没有哦，稍等~也可以把商品链接发给我~",),
    "unknown_attribute": ("亲，这个我帮您确认一下哦，稍等~",),
}
DEFAULT_SITUATION = Situation(id="product_question", name="商品咨询", stage="presale",
                              description="买家问商品本身的规格参数、尺码推荐、颜色尺码库存、价格和两款对比，按商品表回答")
PLACEHOLDER = re.compile(r"\{([^{}\s]{1,16})\}")


@dataclass(frozen=True)
class ProductTemplates:
    """The reply texts per template key, and the situation product answers are filed under."""

    texts: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_TEXTS))
    situation: Situation = DEFAULT_SITUATION
    source: str = ""  # the file read; "" for the built-in default


def _line(mapping: object, key: str) -> int:
    return mapping.line_of(key) if isinstance(mapping, _Located) else 1


def _situation_problems(raw: object, data: dict, path: Path) -> tuple[list[str], Situation]:
    """The `situation:` block checked field by field; the built-in situation when it is absent or wrong."""
    if raw is None:
        return [], DEFAULT_SITUATION
    if not isinstance(raw, dict):
        return [f"{path}:{_line(data, 'situation')}: field 'situation': must be a mapping (id, name, stage)"], \
            DEFAULT_SITUATION
    problems: list[str] = []
    sid, name, stage = raw.get("id"), raw.get("name"), raw.get("stage", "presale")
    if not isinstance(sid, str) or not re.match(r"^[a-z0-9][a-z0-9_\-]{0,63}$", sid):
        problems.append(f"{path}:{_line(raw, 'id')}: field 'situation.id': lowercase letters, digits, - or _ "
                        f"(got {sid!r})")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{path}:{_line(raw, 'name')}: field 'situation.name': is required")
    if stage not in STAGES:
        problems.append(f"{path}:{_line(raw, 'stage')}: field 'situation.stage': one of {', '.join(STAGES)} "
                        f"(got {stage!r})")
    for key in sorted(set(raw) - {"id", "name", "stage", "description"}):
        problems.append(f"{path}:{_line(raw, key)}: field 'situation.{key}': unknown field")
    if problems:
        return problems, DEFAULT_SITUATION
    return [], Situation(id=sid, name=name.strip(), stage=stage, description=str(raw.get("description") or "").strip())


def _texts_problems(templates: dict, path: Path) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Each `templates:` entry checked: a known key, one or more texts, only the placeholders it may use."""
    from ...corpus.profile import KNOWN_PLACEHOLDERS

    problems: list[str] = []
    texts = dict(DEFAULT_TEXTS)
    for key, value in templates.items():
        where = f"{path}:{_line(templates, key)}"
        if key not in TEMPLATE_KEYS:
            problems.append(f"{where}: field 'templates.{key}': unknown template (known: {', '.join(TEMPLATE_KEYS)})")
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(t, str) and t.strip() for t in items):
            problems.append(f"{where}: field 'templates.{key}': must be one text or a list of non-empty texts")
            continue
        for text in items:
            unknown = [p for p in PLACEHOLDER.findall(text)
                       if p not in TEMPLATE_KEYS[key] and p not in KNOWN_PLACEHOLDERS]
            if unknown:
                allowed = " ".join("{" + p + "}" for p in TEMPLATE_KEYS[key]) or "(none)"
                problems.append(f"{where}: field 'templates.{key}': unknown placeholder "
                                f"{', '.join('{' + p + '}' for p in unknown)} (allowed here: {allowed})")
        texts[key] = tuple(t.strip() for t in items)
    return problems, texts


def _template_problems(data: object, path: Path) -> tuple[list[str], dict[str, tuple[str, ...]], Situation]:
    if not isinstance(data, dict):
        return [f"{path}:1: must be a mapping with 'situation' and 'templates'"], dict(DEFAULT_TEXTS), \
            DEFAULT_SITUATION
    problems = [f"{path}:{_line(data, key)}: field '{key}': unknown field (expected situation, templates)"
                for key in sorted(set(data) - {"situation", "templates"})]
    found, situation = _situation_problems(data.get("situation"), data, path)
    problems += found
    templates = data.get("templates")
    if templates is None:
        return problems, dict(DEFAULT_TEXTS), situation
    if not isinstance(templates, dict):
        return problems + [f"{path}:{_line(data, 'templates')}: field 'templates': must map a kind to texts"], \
            dict(DEFAULT_TEXTS), situation
    found, texts = _texts_problems(templates, path)
    return problems + found, texts, situation


def load_templates(corpus_dir: Path) -> ProductTemplates:
    """corpus/product_replies.yaml validated (CorpusError naming file, line and field), or the built-in texts
    when the file is absent; a key the file leaves out keeps its built-in text."""
    path = Path(corpus_dir) / REPLIES_FILE
    if not path.is_file():
        return ProductTemplates()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except UnicodeDecodeError:
        raise CorpusError([f"{path}:1: not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CorpusError([f"{path}:{mark.line + 1 if mark else 1}: not valid YAML "
                           f"({getattr(exc, 'problem', None) or exc})"]) from None
    problems, texts, situation = _template_problems(data, path)
    if problems:
        raise CorpusError(problems)
    return ProductTemplates(texts=texts, situation=situation, source=str(path))
