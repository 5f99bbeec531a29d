"""The OpenAPI document (/api/v1/openapi.json) and a readable page rendered from it (/api/docs), no CDN."""

from __future__ import annotations

import json
import re

from flask import Blueprint, current_app, jsonify
from markupsafe import Markup, escape

from . import page

bp = Blueprint("docs", __name__)

METHOD_ORDER = ("get", "post", "put", "patch", "delete")
_CODE = re.compile(r"`([^`]+)`")


@bp.app_template_filter("inline_code")
def inline_code(text: str) -> Markup:
    """Escape, then show `backticked` words as code (the only markup the descriptions use)."""
    return Markup(_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))


@bp.get("/api/v1/openapi.json")
def openapi_json():
    return jsonify(current_app.extensions["openapi"])


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_label(schema: dict) -> dict:
    """{'text': 'array of', 'ref': 'ScoredReply'} style labels for the page (links to schema anchors)."""
    if "$ref" in schema:
        return {"text": "", "ref": _ref_name(schema["$ref"])}
    kind = schema.get("type", "any")
    if kind == "array":
        inner = type_label(schema.get("items", {}))
        return {"text": "array of " + inner["text"], "ref": inner.get("ref")}
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        inner = type_label(schema["additionalProperties"])
        return {"text": f"object of {inner['text']}".strip(), "ref": inner.get("ref")}
    if isinstance(kind, list):
        return {"text": " | ".join(kind), "ref": None}
    return {"text": kind, "ref": None}


def constraints(schema: dict) -> list[str]:
    out = []
    if "enum" in schema:
        out.append("one of: " + ", ".join("null" if v is None else str(v) for v in schema["enum"]))
    for key, label in (("minLength", "min length"), ("maxLength", "max length"), ("minimum", "min"),
                       ("maximum", "max"), ("minItems", "min items"), ("maxItems", "max items"),
                       ("maxProperties", "max entries"), ("format", "format")):
        if key in schema:
            out.append(f"{label} {schema[key]}")
    items = schema.get("items") or (schema.get("additionalProperties")
                                    if isinstance(schema.get("additionalProperties"), dict) else None)
    if isinstance(items, dict) and "$ref" not in items:
        out += [f"each: {c}" for c in constraints(items)]
    return out


def property_rows(schema: dict, prefix: str = "") -> list[dict]:
    """One row per property; the properties of inline nested objects follow as 'outer.inner' rows."""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        rows.append({"name": prefix + name, "type": type_label(prop), "required": name in required,
                     "constraints": constraints(prop), "description": prop.get("description", "")})
        if prop.get("type") == "object" and "properties" in prop:
            rows += property_rows(prop, f"{prefix}{name}.")
    return rows


def _pretty(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _media_examples(media: dict, schemas: dict) -> list[dict]:
    examples = []
    if "example" in media:
        examples.append({"summary": "", "json": _pretty(media["example"])})
    for name, item in (media.get("examples") or {}).items():
        examples.append({"summary": item.get("summary", name), "json": _pretty(item["value"])})
    if not examples and "$ref" in media.get("schema", {}):
        target = schemas.get(_ref_name(media["schema"]["$ref"]), {})
        if "example" in target:
            examples.append({"summary": "", "json": _pretty(target["example"])})
    return examples


def operations(spec: dict) -> list[dict]:
    schemas = spec["components"]["schemas"]
    shared = spec["components"].get("responses", {})
    ops = []
    for path, item in spec["paths"].items():
        for method in METHOD_ORDER:
            op = item.get(method)
            if not op:
                continue
            body = None
            if "requestBody" in op:
                media = op["requestBody"]["content"]["application/json"]
                schema = media["schema"]
                resolved = schemas[_ref_name(schema["$ref"])] if "$ref" in schema else schema
                body = {"type": type_label(schema), "rows": property_rows(resolved),
                        "examples": _media_examples(media, schemas)}
            responses = []
            for status, response in op["responses"].items():
                if "$ref" in response:
                    response = shared[_ref_name(response["$ref"])]
                media = response.get("content", {}).get("application/json", {})
                responses.append({"status": status, "description": response.get("description", ""),
                                  "type": type_label(media["schema"]) if media.get("schema") else None,
                                  "examples": _media_examples(media, schemas) if status < "400" else [],
                                  "codes": list((media.get("examples") or {}).keys())})
            ops.append({"id": op.get("operationId", f"{method}-{path}"), "method": method.upper(), "path": path,
                        "summary": op.get("summary", ""), "description": op.get("description", ""),
                        "tags": op.get("tags", []), "parameters": op.get("parameters", []), "body": body,
                        "responses": responses, "open": op.get("security") == []})
    return ops


@bp.get("/api/docs")
def docs_page():
    spec = current_app.extensions["openapi"]
    schemas = [{"name": name, "description": schema.get("description", ""), "type": schema.get("type", ""),
                "rows": property_rows(schema), "enum": schema.get("enum"),
                "example": _pretty(schema["example"]) if "example" in schema else None}
               for name, schema in spec["components"]["schemas"].items()]
    return page("docs.html", spec=spec, info=spec["info"], operations=operations(spec), schemas=schemas,
                security=spec["components"]["securitySchemes"])
