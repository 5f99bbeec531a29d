"""The JSON API through Flask's test client, on the real engine over the fixture corpus.

Every response checked here is also validated against the OpenAPI document the server publishes, for the
operation and status it came from: the document cannot drift from what the server does.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_spec

from suggest.settings import load_settings
from webapp import create_app
from suggest.usage.privacy import mask

FIXTURE_SITUATIONS = {"bargain", "free_shipping", "express_choice", "return_exchange", "keep_item",
                      "urge_shipping", "delivery_time", "greeting"}


# ---- fixtures and helpers -----------------------------------------------------------------------------------

@pytest.fixture
def make_app(engine, tmp_path):
    """An app on the shared engine with its own home (feedback DB, api_keys.txt) and optional settings."""

    def make(**overrides):
        home = tmp_path / "apphome"
        home.mkdir(exist_ok=True)
        settings = load_settings(home, env={}).replace(**overrides)
        return create_app(settings, engine=engine)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def spec(engine, tmp_path_factory):
    """The document as a server on the shared engine serves it."""
    app = create_app(load_settings(tmp_path_factory.mktemp("spec"), env={}), engine=engine)
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _schema_for(spec: dict, schema: dict) -> dict:
    """A standalone JSON Schema (2020-12) whose $refs resolve inside the OpenAPI document's components."""
    return {**schema, "components": spec["components"]}


def check(spec: dict, response, path: str, method: str = "post") -> dict:
    """Assert `response` is documented for (path, method, status) and its body matches the schema; return it."""
    operation = spec["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method.upper()} {path} answered {status}, which is not documented"
    documented = operation["responses"][status]
    assert response.mimetype == "application/json", response.data[:200]
    body = response.get_json()
    schema = documented["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator(_schema_for(spec, schema)).validate(body)
    return body


def error_of(response) -> dict:
    assert response.mimetype == "application/json", response.data[:200]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    return body["error"]


# ---- suggest ------------------------------------------------------------------------------------------------

def test_suggest_returns_grouped_suggestions(client, spec):
    response = client.post("/api/v1/suggest", json={"message": "能便宜点吗"})
    assert response.status_code == 200
    body = check(spec, response, "/api/v1/suggest")
    assert body["message"] == "能便宜点吗" and body["abstained"] is False
    assert body["stage"] is None and body["stage_source"] is None
    assert body["suggestions"][0]["situation"] == "bargain"
    assert body["segments"][0]["situations"][0]["name"] == "议价"
    assert "议价".encode() in response.data  # Chinese is sent as UTF-8, not \u escapes


def test_suggest_matches_the_engine(client, engine):
    body = client.post("/api/v1/suggest", json={"message": "能便宜点吗，发什么快递", "k": 4}).get_json()
    assert body == engine.suggest("能便宜点吗，发什么快递", k=4).to_dict()
    assert len(body["segments"]) == 2 and len(body["suggestions"]) == 4


def test_suggest_fills_placeholders_from_profile_and_variables(client, spec):
    body = client.post("/api/v1/suggest", json={"message": "真的不能少吗", "k": 5}).get_json()
    texts = {r["id"]: r["text"] for r in body["suggestions"]}
    assert "小测" in texts["bargain-02"]  # {客服名} from the fixture shop profile
    response = client.post("/api/v1/suggest", json={"message": "真的不能少吗", "k": 5, "stage": "presale",
                                                    "variables": {"客服名": "阿花"}})
    body = check(spec, response, "/api/v1/suggest")
    assert (body["stage"], body["stage_source"]) == ("presale", "given")
    assert "阿花" in {r["id"]: r["text"] for r in body["suggestions"]}["bargain-02"]


def test_suggest_fills_the_shop_facts_and_the_callers_variables(client):
    body = client.post("/api/v1/suggest", json={"message": "包邮吗"}).get_json()
    first = body["suggestions"][0]
    assert first["id"] == "free_shipping-01" and "满99元就包邮" in first["text"]
    assert first["unfilled"] == ["买家昵称"] and "{买家昵称}" in first["text"]  # per buyer, the caller's to give
    body = client.post("/api/v1/suggest", json={"message": "包邮吗", "variables": {"满包邮金额": "59元"}}).get_json()
    assert "满59元就包邮" in body["suggestions"][0]["text"]


def test_suggest_abstains_on_nonsense(client, spec):
    body = check(spec, client.post("/api/v1/suggest", json={"message": "asdfgh"}), "/api/v1/suggest")
    assert body["abstained"] is True and body["suggestions"] == []


def test_shortcut_lookup(client, spec, engine):
    body = check(spec, client.post("/api/v1/suggest", json={"message": "/yj"}), "/api/v1/suggest")
    assert [r["id"] for r in body["suggestions"]] == ["bargain-01", "bargain-02"]
    assert body["abstained"] is False and len(body["segments"]) == 1
    assert body["segments"][0]["situations"][0]["id"] == "bargain"
    assert body["suggestions"] == [r.to_dict() for r in engine.by_shortcut("yj", 9)]
    full_width = client.post("/api/v1/suggest", json={"message": "／by"}).get_json()
    assert [r["id"] for r in full_width["suggestions"]] == ["free_shipping-01"]
    limited = client.post("/api/v1/suggest", json={"message": "/yj", "k": 1}).get_json()
    assert len(limited["suggestions"]) == 1
    none = check(spec, client.post("/api/v1/suggest", json={"message": "/zzzz"}), "/api/v1/suggest")
    assert none["abstained"] is True and none["suggestions"] == [] and none["segments"][0]["abstained"] is True


def test_context_sets_the_stage_unless_given(client, spec, engine):
    inferred = check(spec, client.post("/api/v1/suggest", json={"message": "多久能到", "context": ["", "我要退货"]}),
                     "/api/v1/suggest")
    expected = engine.suggest("多久能到", context=["", "我要退货"]).to_dict()
    assert inferred == expected and (inferred["stage"], inferred["stage_source"]) == ("aftersale", "inferred")
    given = client.post("/api/v1/suggest", json={"message": "多久能到", "stage": "order", "context": ["我要退货"]})
    assert (given.get_json()["stage"], given.get_json()["stage_source"]) == ("order", "given")
    plain = client.post("/api/v1/suggest", json={"message": "多久能到"}).get_json()
    assert (plain["stage"], plain["stage_source"]) == (None, None)


def test_context_is_checked(client, spec, engine):
    limit = engine.settings.max_message_chars
    cases = [
        ({"context": "我刚拍了"}, "invalid_type", "context"),
        ({"context": ["a"] * 21}, "too_many", "context"),
        ({"context": ["ok", 3]}, "invalid_type", "context[1]"),
        ({"context": ["x" * (limit + 1)]}, "too_long", "context[0]"),
    ]
    for extra, code, field in cases:
        response = client.post("/api/v1/suggest", json={"message": "什么时候发货", **extra})
        assert response.status_code == 422, extra
        error = check(spec, response, "/api/v1/suggest")["error"]
        assert (error["code"], error["field"]) == (code, field)


# ---- batch --------------------------------------------------------------------------------------------------

def test_batch(client, spec, engine):
    response = client.post("/api/v1/suggest/batch", json={"messages": ["能便宜点吗", "发什么快递", "/yj"], "k": 2})
    body = check(spec, response, "/api/v1/suggest/batch")
    assert len(body["results"]) == 3
    assert body["results"][0] == engine.suggest("能便宜点吗", k=2).to_dict()
    assert [r["id"] for r in body["results"][2]["suggestions"]] == ["bargain-01", "bargain-02"]


def test_batch_limits(client, spec, engine):
    limit = engine.settings.batch_max
    ok = client.post("/api/v1/suggest/batch", json={"messages": ["在吗"] * limit})
    assert ok.status_code == 200 and len(ok.get_json()["results"]) == limit
    cases = [
        ({"messages": ["在吗"] * (limit + 1)}, "too_many", "messages"),
        ({"messages": []}, "empty", "messages"),
        ({}, "missing_field", "messages"),
        ({"messages": "在吗"}, "invalid_type", "messages"),
        ({"messages": ["在吗", ""]}, "empty", "messages[1]"),
        ({"messages": ["在吗", None]}, "missing_field", "messages[1]"),
        ({"messages": ["在吗"], "k": 0}, "out_of_range", "k"),
    ]
    for body, code, field in cases:
        response = client.post("/api/v1/suggest/batch", json=body)
        assert response.status_code == 422, body
        error = check(spec, response, "/api/v1/suggest/batch")["error"]
        assert (error["code"], error["field"]) == (code, field), body


# ---- errors -------------------------------------------------------------------------------------------------

BAD_BODIES = [
    # (raw body, status, code, field)
    (b"{not json", 400, "malformed_json", None),
    (b"", 400, "malformed_json", None),
    ('["能便宜点吗"]'.encode(), 400, "invalid_body", None),
    ('"能便宜点吗"'.encode(), 400, "invalid_body", None),
    (b"\xff\xfe\x00", 400, "malformed_json", None),
    (b"{}", 422, "missing_field", "message"),
    (b'{"message": null}', 422, "missing_field", "message"),
    (b'{"message": 5}', 422, "invalid_type", "message"),
    ('{"message": ["能便宜点吗"]}'.encode(), 422, "invalid_type", "message"),
    (b'{"message": ""}', 422, "empty", "message"),
    (b'{"message": "   \\n "}', 422, "empty", "message"),
    (b'{"message": "hi", "k": "3"}', 422, "invalid_type", "k"),
    (b'{"message": "hi", "k": 2.5}', 422, "invalid_type", "k"),
    (b'{"message": "hi", "k": true}', 422, "invalid_type", "k"),
    (b'{"message": "hi", "k": NaN}', 422, "invalid_type", "k"),
    (b'{"message": "hi", "k": 0}', 422, "out_of_range", "k"),
    (b'{"message": "hi", "k": 51}', 422, "out_of_range", "k"),
    (b'{"message": "hi", "stage": "later"}', 422, "invalid_choice", "stage"),
    (b'{"message": "hi", "stage": "general"}', 422, "invalid_choice", "stage"),
    (b'{"message": "hi", "stage": 1}', 422, "invalid_type", "stage"),
    (b'{"message": "hi", "context": {"a": "b"}}', 422, "invalid_type", "context"),
    (b'{"message": "hi", "variables": ["x"]}', 422, "invalid_type", "variables"),
    (b'{"message": "hi", "variables": {"\\u5ba2\\u670d\\u540d": 3}}', 422, "invalid_type", "variables.客服名"),
    (b'{"mesage": "hi"}', 422, "unknown_field", "mesage"),
]


@pytest.mark.parametrize("raw,status,code,field", BAD_BODIES)
def test_bad_bodies_get_json_errors(client, spec, raw, status, code, field):
    response = client.post("/api/v1/suggest", data=raw, content_type="application/json")
    assert response.status_code == status, response.get_json()
    error = check(spec, response, "/api/v1/suggest")["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


def test_too_long_message_is_422(client, spec, engine):
    limit = engine.settings.max_message_chars
    assert client.post("/api/v1/suggest", json={"message": "便" * limit}).status_code == 200
    response = client.post("/api/v1/suggest", json={"message": "便" * (limit + 1)})
    assert response.status_code == 422
    error = check(spec, response, "/api/v1/suggest")["error"]
    assert (error["code"], error["field"]) == ("too_long", "message") and str(limit) in error["message"]


def test_body_too_large_is_413(make_app, spec):
    app = make_app(max_body_bytes=1024)
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    client = app.test_client()
    response = client.post("/api/v1/suggest", json={"message": "便" * 600})  # ~1.8 kB of UTF-8
    assert response.status_code == 413
    assert check(spec, response, "/api/v1/suggest")["error"]["code"] == "payload_too_large"
    feedback = client.post("/api/v1/feedback", data=b"{" + b" " * 2000 + b"}", content_type="application/json")
    assert feedback.status_code == 413 and error_of(feedback)["code"] == "payload_too_large"


def test_unknown_paths_and_methods_are_json(client, spec):
    for path in ("/api/v1/nope", "/api/v2/suggest", "/api/", "/api/v1/replies/"):
        response = client.get(path)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found", path
    response = client.get("/api/v1/suggest")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert check(spec, response, "/api/v1/suggest")["error"]["code"] == "method_not_allowed"
    for method, path in (("delete", "/api/v1/feedback"), ("post", "/api/v1/situations"),
                         ("put", "/api/v1/replies/bargain-01"), ("get", "/api/v1/suggest/batch")):
        response = client.open(path, method=method.upper())
        assert response.status_code == 405, (method, path)
        assert error_of(response)["code"] == "method_not_allowed"


def test_unexpected_errors_are_json_500(app, client, monkeypatch):
    engine = app.extensions["engine"]

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "suggest", broken)
    response = client.post("/api/v1/suggest", json={"message": "能便宜点吗"})
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error" and "boom" not in response.get_data(as_text=True)


def test_lone_surrogates_and_odd_unicode_are_not_500(client):
    answers = {b'{"message": "\\ud800"}': 422, '{"message": "能便宜点吗\u200b🙂"}'.encode(): 200,
               b'{"message": "\\u0000"}': 200, b'{"message": "hi", "context": ["\\udfff"]}': 422,
               b'{"message": "hi", "variables": {"a": "\\ud83d"}}': 422}
    for raw, status in answers.items():  # text that can be text is answered; a lone surrogate is named
        response = client.post("/api/v1/suggest", data=raw, content_type="application/json")
        assert response.status_code == status, raw
        assert response.mimetype == "application/json"
        if status == 422:
            assert error_of(response)["code"] == "invalid_text"
    response = client.post("/api/v1/suggest", data=b'{"message": "\\ud800"}', content_type="application/json")
    assert error_of(response)["code"] == "invalid_text"


# ---- the document and the server agree ----------------------------------------------------------------------

def test_null_is_the_same_as_leaving_an_optional_field_out(client, spec):
    plain = client.post("/api/v1/suggest", json={"message": "能便宜点吗"}).get_json()
    nulls = client.post("/api/v1/suggest", json={"message": "能便宜点吗", "k": None, "stage": None, "context": None,
                                                 "variables": None, "product": None})
    assert nulls.status_code == 200 and check(spec, nulls, "/api/v1/suggest") == plain
    batch = client.post("/api/v1/suggest/batch", json={"messages": ["能便宜点吗"], "k": None, "stage": None,
                                                       "variables": None})
    assert check(spec, batch, "/api/v1/suggest/batch")["results"] == [plain]
    dismissed = client.post("/api/v1/feedback", json={"message": "在吗", "action": "dismissed_all", "reply_id": None})
    assert dismissed.status_code == 201 and check(spec, dismissed, "/api/v1/feedback")["action"] == "dismissed_all"


def test_k_may_be_a_whole_number_written_with_a_decimal_point(client, spec):
    response = client.post("/api/v1/suggest", json={"message": "能便宜点吗，发什么快递", "k": 2.0})
    assert response.status_code == 200
    assert check(spec, response, "/api/v1/suggest") == client.post(
        "/api/v1/suggest", json={"message": "能便宜点吗，发什么快递", "k": 2}).get_json()
    assert len(response.get_json()["suggestions"]) == 2
    batch = client.post("/api/v1/suggest/batch", json={"messages": ["能便宜点吗"], "k": 1.0})
    assert len(check(spec, batch, "/api/v1/suggest/batch")["results"][0]["suggestions"]) == 1


def test_blank_texts_are_refused_by_the_server_and_the_document_alike(client, spec):
    feedback = _request_schema(spec, "/api/v1/feedback")
    for reply_id in (" ", "\u3000", "\t\n"):
        body = {"message": "能便宜点吗", "reply_id": reply_id, "action": "copied"}
        response = client.post("/api/v1/feedback", json=body)
        assert response.status_code == 422, reply_id
        assert (check(spec, response, "/api/v1/feedback")["error"]["code"], feedback.is_valid(body)) == ("empty", False)
    suggest = _request_schema(spec, "/api/v1/suggest")
    for body in ({"message": "\u3000 "}, {"message": "在吗", "product": " "}):
        response = client.post("/api/v1/suggest", json=body)
        assert response.status_code == 422 and error_of(response)["code"] == "empty" and not suggest.is_valid(body)


def test_not_blank_means_what_the_engine_strips_in_every_regex_dialect():
    """The document's pattern for "not only spaces" is read by Python's re (the server, jsonschema), ECMA-262
    engines and Rust's regex (schemathesis): spelt out as a class, it means str.strip()'s spaces in all of them."""
    import re

    from webapp.contract.fields import NOT_BLANK

    pattern = re.compile(NOT_BLANK)
    for code in [*range(0x3400), *range(0xFE00, 0x10000), 0x1F600, 0x10FFFF]:
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        assert bool(pattern.search(char)) == bool(char.strip()), hex(code)
    assert "\\s" not in NOT_BLANK and "\\S" not in NOT_BLANK


def _request_schema(spec: dict, path: str) -> jsonschema.Draft202012Validator:
    ref = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return jsonschema.Draft202012Validator(_schema_for(spec, spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]))


def _bodies(limit: int, batch_max: int) -> list[tuple[str, dict]]:
    """Bodies at and past every documented limit, for each endpoint that takes one."""
    long, many = "便" * limit, {str(i): "x" for i in range(51)}
    suggest = [{"message": "hi"}, {"message": long}, {"message": long + "便"}, {"message": "\u0000"}, {"message": ""},
               {"message": " "}, {"message": None}, {"message": 5}, {}, {"mesage": "hi"},
               {"message": "hi", "k": 2.0}, {"message": "hi", "k": 2.5}, {"message": "hi", "k": "3"},
               {"message": "hi", "k": True}, {"message": "hi", "k": 0}, {"message": "hi", "k": 50},
               {"message": "hi", "k": 51}, {"message": "hi", "k": 1e3}, {"message": "hi", "k": None},
               {"message": "hi", "stage": "order"}, {"message": "hi", "stage": "general"},
               {"message": "hi", "stage": 1}, {"message": "hi", "stage": None},
               {"message": "hi", "context": ["", long]}, {"message": "hi", "context": [long + "便"]},
               {"message": "hi", "context": ["a"] * 20}, {"message": "hi", "context": ["a"] * 21},
               {"message": "hi", "context": "a"}, {"message": "hi", "context": [1]}, {"message": "hi", "context": None},
               {"message": "hi", "variables": {"a": "b" * 200}}, {"message": "hi", "variables": {"a": "b" * 201}},
               {"message": "hi", "variables": {"a": 1}}, {"message": "hi", "variables": ["a"]},
               {"message": "hi", "variables": many}, {"message": "hi", "variables": None},
               {"message": "hi", "product": "C001"}, {"message": "hi", "product": ""},
               {"message": "hi", "product": "x" * 201}, {"message": "hi", "product": None}]
    batch = [{"messages": ["hi"]}, {"messages": ["hi"] * batch_max}, {"messages": ["hi"] * (batch_max + 1)},
             {"messages": []}, {"messages": ["hi", " "]}, {"messages": ["hi", None]}, {"messages": "hi"}, {},
             {"messages": ["hi"], "k": 3.0}, {"messages": ["hi"], "k": 0}, {"messages": ["hi"], "context": []},
             {"messages": ["hi"], "stage": None, "variables": None, "k": None}]
    feedback = [{"message": "hi", "reply_id": "bargain-01", "action": "copied"},
                {"message": "hi", "reply_id": "nope", "action": "sent"},
                {"message": "hi", "action": "dismissed_all"}, {"message": "hi", "action": "dismissed_all", "reply_id": None},
                {"message": "hi", "action": "dismissed_all", "reply_id": "bargain-01"},
                {"message": "hi", "action": "copied"}, {"message": "hi", "action": "copied", "reply_id": None},
                {"message": "hi", "action": "liked", "reply_id": "bargain-01"}, {"message": "hi", "reply_id": "x"},
                {"message": "hi", "action": "copied", "reply_id": 7}, {"message": "hi", "action": "copied", "reply_id": ""},
                {"message": "hi", "action": "copied", "reply_id": "x" * 201},
                {"message": " ", "action": "copied", "reply_id": "bargain-01"}]
    return ([("/api/v1/suggest", b) for b in suggest] + [("/api/v1/suggest/batch", b) for b in batch]
            + [("/api/v1/feedback", b) for b in feedback])


def test_each_request_schema_refuses_exactly_what_the_server_refuses(client, spec, engine):
    """The fuzzer found the document and the server disagreeing (null, k 2.0, a blank reply_id): for bodies at
    and past every limit, the served schema and the server give the same verdict."""
    for path, body in _bodies(engine.settings.max_message_chars, engine.settings.batch_max):
        response = client.post(path, json=body)
        assert response.status_code in (200, 201, 404, 422), (path, body, response.get_json())
        check(spec, response, path)
        served = response.status_code != 422  # a 404 is an unknown id: a well-formed body
        assert _request_schema(spec, path).is_valid(body) == served, (path, body, response.get_json())


# ---- catalog ------------------------------------------------------------------------------------------------

def test_situations(client, spec):
    body = check(spec, client.get("/api/v1/situations"), "/api/v1/situations", "get")
    assert {s["id"] for s in body["situations"]} == FIXTURE_SITUATIONS
    bargain = next(s for s in body["situations"] if s["id"] == "bargain")
    assert bargain == {"id": "bargain", "name": "议价", "stage": "presale", "stage_name": "售前",
                       "description": "买家要求便宜、打折"}


def test_reply(client, spec):
    body = check(spec, client.get("/api/v1/replies/bargain-02"), "/api/v1/replies/{reply_id}", "get")
    assert body["text"] == "价格实在改不了啦，{客服名}去帮您跟主管申请个小礼品好吗？"
    assert body["filled"] == "价格实在改不了啦，小测去帮您跟主管申请个小礼品好吗？"
    assert body["situation_name"] == "议价" and body["shortcut"] == "yj2" and body["unfilled"] == []
    response = client.get("/api/v1/replies/nope")
    assert response.status_code == 404
    assert check(spec, response, "/api/v1/replies/{reply_id}", "get")["error"]["code"] == "not_found"


# ---- health -------------------------------------------------------------------------------------------------

def test_health_and_readiness(client, spec):
    assert check(spec, client.get("/healthz"), "/healthz", "get") == {"status": "ok"}
    assert check(spec, client.get("/readyz"), "/readyz", "get")["status"] == "ready"


def test_not_ready_without_engine(engine, tmp_path, spec):
    app = create_app(load_settings(tmp_path, env={}), test_config={"LOAD_ENGINE": "never"})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert check(spec, response, "/readyz", "get")["status"] == "loading"
    response = client.post("/api/v1/suggest", json={"message": "能便宜点吗"})
    assert response.status_code == 503
    assert check(spec, response, "/api/v1/suggest")["error"]["code"] == "not_ready"
    assert client.get("/").status_code == 200  # the page still loads and shows "模型加载中"


# ---- feedback -----------------------------------------------------------------------------------------------

def _rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT message, reply_id, situation, action FROM feedback ORDER BY id").fetchall()


def test_feedback_is_stored_masked(app, client, spec):
    message = "能便宜点吗？我电话13812345678，订单号 2023111512345678901，地址改成杭州市西湖区文三路100号3栋2单元501室"
    response = client.post("/api/v1/feedback", json={"message": message, "reply_id": "bargain-01",
                                                     "action": "copied"})
    assert response.status_code == 201
    body = check(spec, response, "/api/v1/feedback")
    assert body["reply_id"] == "bargain-01" and body["action"] == "copied" and body["id"] >= 1
    for action in ("sent", "dismissed"):
        assert client.post("/api/v1/feedback", json={"message": "在吗", "reply_id": "greeting-01",
                                                     "action": action}).status_code == 201
    path = app.extensions["settings"].data_dir / "feedback.sqlite3"
    assert path.is_file()
    rows = _rows(path)
    assert [r[1:] for r in rows] == [("bargain-01", "bargain", "copied"), ("greeting-01", "greeting", "sent"),
                                     ("greeting-01", "greeting", "dismissed")]
    stored = rows[0][0]
    assert stored.startswith("能便宜点吗？")
    for secret in ("13812345678", "2023111512345678901", "文三路", "100号", "3栋", "2单元", "501室", "西湖区"):
        assert secret not in stored, stored
    assert "[手机号]" in stored and "[订单号]" in stored and "[地址]" in stored


def test_feedback_errors(client, spec):
    cases = [
        ({"message": "能便宜点吗", "reply_id": "nope", "action": "copied"}, 404, "not_found", "reply_id"),
        ({"message": "能便宜点吗", "reply_id": "bargain-01", "action": "liked"}, 422, "invalid_choice", "action"),
        ({"message": "能便宜点吗", "reply_id": "bargain-01"}, 422, "missing_field", "action"),
        ({"message": "", "reply_id": "bargain-01", "action": "copied"}, 422, "empty", "message"),
        ({"message": "能便宜点吗", "reply_id": 7, "action": "copied"}, 422, "invalid_type", "reply_id"),
        ({"message": "能便宜点吗", "reply_id": "bargain-01", "action": "copied", "x": 1}, 422, "unknown_field", "x"),
    ]
    for body, status, code, field in cases:
        response = client.post("/api/v1/feedback", json=body)
        assert response.status_code == status, body
        error = check(spec, response, "/api/v1/feedback")["error"]
        assert (error["code"], error["field"]) == (code, field), body


@pytest.mark.parametrize("text,expected", [
    ("手机13812345678", "手机[手机号]"),
    ("电话 +86 138-1234-5678 谢谢", "电话 [手机号] 谢谢"),
    ("单号 773012345678901 查一下", "单号 [订单号] 查一下"),
    ("订单2023111512345678901", "订单[订单号]"),
    ("寄到浙江省杭州市西湖区文三路100号", "寄到[地址]"),
    ("我住阳光小区3栋2单元502", "我住[地址]"),
    ("地址改成北京市朝阳区建国路88号SOHO现代城5号楼2单元1203室，谢谢", "地址改成[地址]，谢谢"),
    ("能便宜点吗", "能便宜点吗"),
    ("今天几号发货？买了3件", "今天几号发货？买了3件"),
    ("订单尾号1234", "订单尾号1234"),
    ("这个市场区别大吗", "这个市场区别大吗"),
])
def test_mask(text, expected):
    assert mask(text) == expected


def test_feedback_default_path_under_home(engine, home):
    app = create_app(load_settings(home, env={}), engine=engine)
    response = app.test_client().post("/api/v1/feedback", json={"message": "在吗", "reply_id": "greeting-01",
                                                                "action": "sent"})
    assert response.status_code == 201
    assert _rows(home / "var" / "feedback.sqlite3") == [("在吗", "greeting-01", "greeting", "sent")]


def test_app_takes_its_settings_from_the_engine(engine, tmp_path):
    app = create_app(engine=engine, test_config={"FEEDBACK_DB": tmp_path / "feedback.sqlite3"})
    assert app.extensions["settings"] is engine.settings and app.extensions["engine"] is engine
    assert app.config["MAX_CONTENT_LENGTH"] == engine.settings.max_body_bytes
    assert app.config["API_KEYS_FILE"] == engine.settings.home / "api_keys.txt"


# ---- API keys -----------------------------------------------------------------------------------------------

def test_api_keys_required_when_configured(engine, home, spec):
    (home / "api_keys.txt").write_text("# keys for the shop's tools\nsecret-one\n  secret-two  # the CRM\n\n",
                                       encoding="utf-8")
    client = create_app(load_settings(home, env={}), engine=engine).test_client()
    body = {"message": "能便宜点吗"}
    for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}, {"X-API-Key": "secret-one "},
                    {"X-API-Key": "# keys for the shop's tools"}, {"X-API-Key": "clé"}):
        response = client.post("/api/v1/suggest", json=body, headers=headers)
        assert response.status_code == 401, headers
        assert check(spec, response, "/api/v1/suggest")["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/situations").status_code == 401
    assert client.get("/api/v1/nope").status_code == 401  # no probing of paths without a key
    for key in ("secret-one", "secret-two"):
        assert client.post("/api/v1/suggest", json=body, headers={"X-API-Key": key}).status_code == 200
    # pages, documentation and health checks stay open
    for path in ("/", "/api/docs", "/api/v1/openapi.json", "/healthz", "/readyz"):
        assert client.get(path).status_code == 200, path


def test_api_key_file_is_reread_and_fails_closed(engine, home):
    client = create_app(load_settings(home, env={}), engine=engine).test_client()
    body = {"message": "能便宜点吗"}
    assert client.post("/api/v1/suggest", json=body).status_code == 200  # no file: open
    keys = home / "api_keys.txt"
    keys.write_text("# no keys yet\n", encoding="utf-8")
    assert client.post("/api/v1/suggest", json=body, headers={"X-API-Key": "anything"}).status_code == 401
    keys.write_text("k1\nk2-longer\n", encoding="utf-8")
    assert client.post("/api/v1/suggest", json=body, headers={"X-API-Key": "k2-longer"}).status_code == 200
    keys.unlink()
    assert client.post("/api/v1/suggest", json=body).status_code == 200


# ---- CORS ---------------------------------------------------------------------------------------------------

def test_cors_only_for_listed_origins(make_app):
    client = make_app(cors_origins="https://shop.example.com, http://localhost:3000/").test_client()
    body = {"message": "能便宜点吗"}
    allowed = client.post("/api/v1/suggest", json=body, headers={"Origin": "https://shop.example.com"})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Origin" in allowed.headers["Vary"]
    local = client.get("/api/v1/situations", headers={"Origin": "http://localhost:3000"})
    assert local.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    refused = client.post("/api/v1/suggest", json=body, headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    errors = client.post("/api/v1/suggest", json={}, headers={"Origin": "https://shop.example.com"})
    assert errors.status_code == 422 and errors.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"

    preflight = {"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, x-api-key"}
    response = client.options("/api/v1/suggest", headers=preflight)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "X-API-Key" in response.headers["Access-Control-Allow-Headers"]
    response = client.options("/api/v1/suggest", headers={**preflight, "Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


def test_no_cors_by_default(client):
    response = client.post("/api/v1/suggest", json={"message": "在吗"}, headers={"Origin": "https://shop.example.com"})
    assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response.headers
    assert client.get("/api/v1/situations", headers={"Origin": "https://shop.example.com"}).status_code == 200


def test_preflight_needs_no_key(make_app):
    app = make_app(cors_origins="https://shop.example.com")
    (app.extensions["settings"].home / "api_keys.txt").write_text("k\n", encoding="utf-8")
    client = app.test_client()
    response = client.options("/api/v1/suggest", headers={"Origin": "https://shop.example.com",
                                                          "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"]
    unauthorized = client.post("/api/v1/suggest", json={"message": "在吗"},
                               headers={"Origin": "https://shop.example.com"})
    assert unauthorized.status_code == 401  # the browser can read the 401 (CORS headers present)
    assert unauthorized.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"


# ---- OpenAPI and docs ---------------------------------------------------------------------------------------

def test_openapi_document_is_valid_and_complete(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate_spec(document)
    assert document["openapi"].startswith("3.")
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule in ("/healthz", "/readyz"):
            path = re.sub(r"<(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((path, method.lower()))
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == documented
    # every schema's own examples are valid against it
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            jsonschema.Draft202012Validator(_schema_for(document, schema)).validate(example)
    limit = app.extensions["settings"].batch_max
    assert document["components"]["schemas"]["BatchRequest"]["properties"]["messages"]["maxItems"] == limit


def test_request_examples_in_the_document_work(client, spec):
    for path in ("/api/v1/suggest", "/api/v1/suggest/batch", "/api/v1/feedback"):
        media = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        examples = spec["components"]["schemas"][media["schema"]["$ref"].rsplit("/", 1)[-1]]["examples"]
        assert examples
        for example in examples:
            response = client.post(path, json=example)
            assert response.status_code in (200, 201), (path, example, response.get_json())
            check(spec, response, path)


def test_docs_page_lists_everything_without_external_resources(client, spec):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for path in spec["paths"]:
        assert path in html
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    assert "too_long" in html and "X-API-Key" in html
    for page in (html, client.get("/").get_data(as_text=True)):
        assert 'src="http' not in page and "href=\"http" not in page and "//cdn" not in page
        assert "@import" not in page and "fonts.googleapis" not in page


def test_agent_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'lang="zh-CN"' in html and 'id="message"' in html and "/static/app.js" in html
    for name in ("app.js", "app.css", "favicon.svg"):
        assert client.get(f"/static/{name}").status_code == 200
    script = client.get("/static/app.js").get_data(as_text=True)
    assert "innerHTML" not in script and "http://" not in script.replace('"http://www.w3.org/2000/svg"', "")
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "url(" not in css and "@import" not in css
    assert 'data-max-chars="2000"' in html and "<script>" not in html  # no inline script
    for path in ("/", "/api/docs"):
        csp = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp


def test_dismissing_every_suggestion_is_logged_for_the_editors(tmp_path, engine):
    from suggest.usage.feedback import FeedbackStore
    from suggest.settings import load_settings
    from webapp import create_app

    app = create_app(load_settings(tmp_path, env={}), engine=engine)
    client = app.test_client()
    ok = client.post("/api/v1/feedback", json={"message": "有没有儿童款 电话13812345678", "action": "dismissed_all"})
    assert ok.status_code == 201 and ok.get_json()["action"] == "dismissed_all"
    bad = client.post("/api/v1/feedback", json={"message": "x", "action": "dismissed_all", "reply_id": "bargain-01"})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "reply_id"
    missing = client.post("/api/v1/feedback", json={"message": "x", "action": "copied"})
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "reply_id"
    client.post("/api/v1/suggest", json={"message": "给我讲个笑话"})
    events = FeedbackStore(tmp_path / "var" / "feedback.sqlite3").events()
    kinds = {kind for _, kind, _ in events}
    assert {"abstained", "dismissed_all"} <= kinds
    assert all("13812345678" not in str(e) for e in events)


def test_deeply_nested_json_is_a_400_not_a_500(client):
    response = client.post("/api/v1/suggest", data="[" * 30000 + "]" * 30000, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_json"


def test_another_site_cannot_post_feedback_as_a_simple_request(client):
    # what a form or fetch(..., {mode: "no-cors"}) on any website could send without a preflight
    plain = client.post("/api/v1/feedback", data='{"message": "包邮吗", "reply_id": "free_shipping-01", "action": "sent"}',
                        content_type="text/plain")
    assert plain.status_code == 415 and plain.get_json()["error"]["code"] == "unsupported_media_type"
    foreign = client.post("/api/v1/feedback", json={"message": "包邮吗", "reply_id": "free_shipping-01", "action": "sent"},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and foreign.get_json()["error"]["code"] == "cross_origin"
    own = client.post("/api/v1/feedback", json={"message": "包邮吗", "reply_id": "free_shipping-01", "action": "sent"},
                      headers={"Origin": "http://localhost"})
    assert own.status_code == 201
