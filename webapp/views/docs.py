"""The OpenAPI document (/api/v1/openapi.json, built by webapp/contract) and a readable page rendered from it
(/api/docs), with nothing from a CDN."""

from __future__ import annotations

import json
import re

from flask import Blueprint, jsonify
from markupsafe import Markup, escape

from ..contract import document
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
    """This document"""
    return jsonify(document())


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _branches(schema: dict) -> tuple[dict, bool]:
    """An optional field's schema without its `null` branch, and whether null is allowed."""
    options = schema.get("anyOf")
    if not options:
        return schema, False
    others = [option for option in options if option.get("type") != "null"]
    if len(others) == len(options):
        return schema, False
    return (others[0] if len(others) == 1 else {"anyOf": others}), True


def type_label(schema: dict) -> dict:
    """{'text': 'array of', 'ref': 'ScoredReply', 'suffix': ' | null'} style labels (refs link to the schemas)."""
    inner, nullable = _branches(schema)
    suffix = " | null" if nullable else ""
    if inner is not schema:
        return {**type_label(inner), "suffix": suffix}
    if "$ref" in schema:
        return {"text": "", "ref": _ref_name(schema["$ref"]), "suffix": ""}
    if "anyOf" in schema:
        return {"text": " | ".join(type_label(option)["text"] or type_label(option)["ref"] or "any"
                                   for option in schema["anyOf"]), "ref": None, "suffix": ""}
    kind = schema.get("type", "any")
    if kind == "array":
        inner_label = type_label(schema.get("items", {}))
        return {"text": "array of " + inner_label["text"], "ref": inner_label.get("ref"), "suffix": ""}
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        inner_label = type_label(schema["additionalProperties"])
        return {"text": f"object of {inner_label['text']}".strip(), "ref": inner_label.get("ref"), "suffix": ""}
    if isinstance(kind, list):
        return {"text": " | ".join(kind), "ref": None, "suffix": ""}
    return {"text": kind, "ref": None, "suffix": ""}


def constraints(schema: dict) -> list[str]:
    schema, _ = _branches(schema)
    out = []
    if "enum" in schema:
        out.append("one of: " + ", ".join("null" if v is None else str(v) for v in schema["enum"]))
    for key, label in (("minLength", "min length"), ("maxLength", "max length"), ("pattern", "pattern"),
                       ("minimum", "min"), ("maximum", "max"), ("minItems", "min items"), ("maxItems", "max items"),
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


def _examples(schema: dict, schemas: dict) -> list[str]:
    """The examples a schema (or the schema it refers to) gives, as indented JSON."""
    if "$ref" in schema:
        schema = schemas.get(_ref_name(schema["$ref"]), {})
    return [_pretty(example) for example in schema.get("examples", [])]


def operations(spec: dict) -> list[dict]:
    schemas = spec["components"]["schemas"]
    ops = []
    for path, item in spec["paths"].items():
        for method in METHOD_ORDER:
            op = item.get(method)
            if not op:
                continue
            body = None
            if "requestBody" in op:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                resolved = schemas[_ref_name(schema["$ref"])] if "$ref" in schema else schema
                body = {"type": type_label(schema), "rows": property_rows(resolved),
                        "examples": _examples(schema, schemas)}
            responses = []
            for status, response in sorted(op["responses"].items()):
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                responses.append({"status": status, "description": response.get("description", ""),
                                  "type": type_label(schema) if schema else None,
                                  "examples": _examples(schema, schemas) if schema and status < "400" else []})
            ops.append({"id": op.get("operationId", f"{method}-{path}"), "method": method.upper(), "path": path,
                        "summary": op.get("summary", ""), "description": op.get("description", ""),
                        "tags": op.get("tags", []), "parameters": op.get("parameters", []), "body": body,
                        "responses": responses, "open": op.get("security") == []})
    return ops


@bp.get("/api/docs")
def docs_page():
    spec = document()
    schemas = [{"name": name, "description": schema.get("description", ""), "type": schema.get("type", ""),
                "rows": property_rows(schema), "enum": schema.get("enum"), "examples": _examples(schema, {})}
               for name, schema in spec["components"]["schemas"].items()]
    return page("docs.html", spec=spec, info=spec["info"], operations=operations(spec), schemas=schemas,
                security=spec["components"].get("securitySchemes", {}))
