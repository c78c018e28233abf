"""The decision API through an HTTP client against the app (SQLite, and PostgreSQL when
NTMCERT_TEST_DATABASE_URL is set): results byte-identical to the CLI, the log, auth, problems."""

from __future__ import annotations

import json

from ntmcert.cli.main import app as cli_app
from ntmcert.evaluation.verdict import dumps
from ntmcert.service import flows
from ntmcert.service.auth import KeyStore
from ntmcert.service.models import seed_example
from typer.testing import CliRunner

from .conftest import SEED, SEED_PACK, seed_yaml

YAML = {"Content-Type": "application/yaml"}
MODEL_PACK = "tra-vinh/model-ntm-2021-2025"


def cli(*args: str) -> str:
    result = CliRunner().invoke(cli_app, [str(a) for a in args])
    assert result.exit_code in (0, 1, 3), result.output
    return result.stdout


def evaluate_yaml(client, **params):
    return client.post("/v1/evaluations", content=seed_yaml(), headers=YAML, params={"pack": SEED_PACK, **params})


def result_bytes(response_text: str) -> str:
    """The result member of a decision response, as the exact text the server put there."""
    start = response_text.index('"result": ') + len('"result": ')
    return response_text[start:-1]


def test_seed_evaluation_is_logged_and_byte_identical_to_the_cli(client):
    expected = cli("evaluate", SEED, "--pack", SEED_PACK, "--format", "json")
    r = evaluate_yaml(client)
    assert r.status_code == 201, r.text
    body = r.json()
    assert result_bytes(r.text) == expected and dumps(body["result"]) == expected
    assert body["result"]["verdict"] == "incomplete" and body["hypothetical"] is False
    assert r.headers["location"] == f"/v1/decisions/{body['decision_id']}"
    stored = client.get(r.headers["location"]).json()
    assert dumps(stored["result"]) == expected
    assert stored["packs"][0]["id"] == SEED_PACK and len(stored["packs"][0]["sha256"]) == 64
    assert stored["factset_sha256"] == body["result"]["factset_sha256"]
    assert stored["request_id"] == body["request_id"] == r.headers["x-request-id"]
    assert stored["prev_hash"] == "0" * 64 and stored["seq"] == 1
    assert stored["ntmcert_version"] and stored["engine"].startswith(body["result"]["engine"]["name"])


def test_json_envelope_equals_yaml_body_and_derives_prerequisites(client):
    yaml_r = evaluate_yaml(client, derive_prerequisites="true")
    json_r = client.post("/v1/evaluations", json={"factset": seed_example(), "packs": [SEED_PACK],
                                                  "derive_prerequisites": True, "lang": "en"})
    assert json_r.status_code == 201, json_r.text
    assert result_bytes(json_r.text) == result_bytes(yaml_r.text) == cli(
        "evaluate", SEED, "--pack", SEED_PACK, "--derive-prerequisites", "--format", "json")
    assert json_r.json()["seq"] == yaml_r.json()["seq"] + 1


def test_no_pack_evaluates_every_fitting_pack_as_the_cli(client):
    r = client.post("/v1/evaluations", content=seed_yaml(), headers=YAML)
    assert r.status_code == 201, r.text
    assert result_bytes(r.text) == cli("evaluate", SEED, "--format", "json")


def test_review_and_what_if_match_the_cli_and_what_if_logs_nothing(client):
    r = client.post("/v1/reviews", json={"factset": seed_example(), "pack": MODEL_PACK})
    assert r.status_code == 201, r.text
    assert result_bytes(r.text) == cli("review", SEED, "--pack", MODEL_PACK, "--format", "json")
    assert r.json()["kind"] == "review" and r.json()["result"]["schema"] == "ntmcert/review/v1"
    change = "officials_digital_trained={count: 20, of: 20}"
    w = client.post("/v1/what-if", json={"factset": seed_example(), "packs": [SEED_PACK], "set": [change]})
    assert w.status_code == 200, w.text
    assert w.json()["hypothetical"] is True and "decision_id" not in w.json()
    assert dumps(w.json()["result"]) == cli("evaluate", SEED, "--pack", SEED_PACK, "--set", change, "--format", "json")
    wy = client.post("/v1/what-if", content=seed_yaml(), headers=YAML, params={"pack": SEED_PACK, "set": change})
    assert wy.json()["result"] == w.json()["result"]
    assert [d["kind"] for d in client.get("/v1/decisions").json()["items"]] == ["review"]


def test_reports_are_the_cli_reports_of_the_stored_decision(client):
    decision = evaluate_yaml(client).json()["decision_id"]
    for fmt in ("md", "html"):
        for lang in ("vi", "en"):
            r = client.get(f"/v1/decisions/{decision}/report", params={"format": fmt, "lang": lang})
            assert r.status_code == 200
            assert r.text == cli("evaluate", SEED, "--pack", SEED_PACK, "--format", fmt, "--lang", lang)
    review = client.post("/v1/reviews", json={"factset": seed_example(), "pack": MODEL_PACK}).json()["decision_id"]
    r = client.get(f"/v1/decisions/{review}/report", params={"format": "md", "lang": "en"})
    assert r.text == cli("review", SEED, "--pack", MODEL_PACK, "--format", "md", "--lang", "en")


def test_packs_list_and_show_as_the_cli(client):
    listed = client.get("/v1/packs").json()
    assert SEED_PACK in {p["id"] for p in listed} and len(listed) == len(cli("packs").splitlines())
    r = client.get(f"/v1/packs/{SEED_PACK}")
    assert r.text == cli("packs", "show", SEED_PACK, "--format", "json")
    missing = client.get("/v1/packs/no/such-pack")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_decision_list_filters_and_pages(client):
    for _ in range(3):
        evaluate_yaml(client)
    client.post("/v1/reviews", json={"factset": seed_example(), "pack": MODEL_PACK})
    everything = client.get("/v1/decisions").json()
    assert [d["seq"] for d in everything["items"]] == [1, 2, 3, 4] and everything["next_after"] is None
    page = client.get("/v1/decisions", params={"limit": 2}).json()
    assert [d["seq"] for d in page["items"]] == [1, 2] and page["next_after"] == 2
    rest = client.get("/v1/decisions", params={"limit": 2, "after": 2}).json()
    assert [d["seq"] for d in rest["items"]] == [3, 4]
    for outcome in ("incomplete", "keep", "revoke"):
        found = client.get("/v1/decisions", params={"verdict": outcome}).json()["items"]
        assert [d["seq"] for d in found] == [d["seq"] for d in everything["items"] if d["outcome"] == outcome]
    assert {d["outcome"] for d in everything["items"][:3]} == {"incomplete"}
    assert len(client.get("/v1/decisions", params={"pack": SEED_PACK}).json()["items"]) == 3
    assert len(client.get("/v1/decisions", params={"commune": "Thạnh Phú"}).json()["items"]) == 4
    assert client.get("/v1/decisions", params={"commune": "Nowhere"}).json()["items"] == []
    first = everything["items"][0]["created_at"]
    assert len(client.get("/v1/decisions", params={"from": first, "to": "9999"}).json()["items"]) == 4
    assert client.get("/v1/decisions", params={"to": first}).json()["items"] == []


def test_idempotency_key_returns_the_first_decision(client):
    first = client.post(
        "/v1/evaluations", content=seed_yaml(), headers={**YAML, "Idempotency-Key": "req-42"},
        params={"pack": SEED_PACK})
    again = client.post("/v1/evaluations", content=seed_yaml(), headers={**YAML, "Idempotency-Key": "req-42"},
                        params={"pack": SEED_PACK})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["decision_id"] == first.json()["decision_id"] and again.json()["replayed"] is True
    assert len(client.get("/v1/decisions").json()["items"]) == 1
    other = client.post("/v1/evaluations", content=seed_yaml(), headers={**YAML, "Idempotency-Key": "req-42"},
                        params={"pack": "vn/smart-commune-pilot"})
    assert other.status_code == 409 and other.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_auth_401_403_and_revocation(app, keys, db):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        assert c.get("/healthz").status_code == 200 and c.get("/openapi.json").status_code == 200
        none = c.get("/v1/packs")
        assert none.status_code == 401 and none.json()["errors"][0]["code"] == "auth_missing"
        assert none.headers["www-authenticate"].startswith("Bearer")
        wrong = c.get("/v1/packs", headers={"Authorization": "Bearer ntm_000000000000_" + "x" * 43})
        assert wrong.status_code == 401 and wrong.json()["errors"][0]["code"] == "auth_invalid"
        read = {"Authorization": f"Bearer {keys['read']}"}
        assert c.get("/v1/packs", headers=read).status_code == 200
        denied = c.post("/v1/evaluations", content=seed_yaml(), headers={**read, **YAML})
        assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "auth_scope"
        assert c.get("/metrics", headers={"Authorization": f"Bearer {keys['evaluate']}"}).status_code == 403
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        assert c.get("/metrics", headers=admin).status_code == 200
        key_id = keys["read"].split("_")[1]
        app.state.keys.revoke(key_id)
        assert c.get("/v1/packs", headers=read).status_code == 401
    stored = {k.key_id: k.secret_hash for k in KeyStore(db).list()}
    assert stored[key_id].startswith("$argon2id$") and keys["read"] not in json.dumps(stored)


def test_bad_input_is_a_located_problem_and_nothing_is_logged(client):
    bad = seed_yaml().replace(b"count: 1362", b"count: 99999")
    r = client.post("/v1/evaluations", content=bad, headers=YAML, params={"pack": SEED_PACK})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["schema"] == "ntmcert/errors/v1" and problem["status"] == 422
    err = problem["errors"][0]
    line = seed_yaml().decode().splitlines().index(next(x for x in seed_yaml().decode().splitlines()
                                                        if "count: 1362" in x)) + 1
    assert err["location"]["file"] == "request" and err["location"]["line"] == line
    assert err["location"]["key_path"].startswith("facts.commune_records_online")
    r = client.post("/v1/evaluations", json={"factset": seed_example(), "packs": ["no/such"], "extra": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "request_unknown_field"
    r = client.post("/v1/evaluations", json={"factset": seed_example(), "packs": ["no/such"]})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "pack_not_found"
    r = client.post("/v1/evaluations", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["errors"][0]["location"]["line"] == 1
    r = client.post("/v1/evaluations", content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = client.post("/v1/evaluations", content=b"\xff\xfe", headers=YAML)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "body_not_utf8"
    r = client.post("/v1/evaluations", content=b"a: " + b"x" * 300_000, headers=YAML)
    assert r.status_code == 413 and r.json()["errors"][0]["code"] == "body_too_large"
    assert client.get("/v1/decisions").json()["items"] == []
    assert client.get("/v1/decisions/nope").status_code == 404


def test_an_internal_error_shows_no_trace(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail /etc/passwd")

    monkeypatch.setattr(flows, "decide", broken)
    r = evaluate_yaml(client)
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    assert r.json()["request_id"] == r.headers["x-request-id"]


def test_health_readiness_and_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["database"] and ready["packs"] >= 8
    evaluate_yaml(client)
    evaluate_yaml(client)
    text = client.get("/metrics").text
    assert 'ntmcert_decisions_total{kind="evaluation",outcome="incomplete"} 2' in text
    assert 'ntmcert_http_requests_total{method="POST",route="/v1/evaluations",status="201"} 2' in text
    assert 'ntmcert_http_request_duration_seconds_count{method="POST",route="/v1/evaluations"} 2' in text


def test_openapi_has_every_operation_and_seed_examples(client):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    ops = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    for op in [("GET", "/v1/packs"), ("GET", "/v1/packs/{pack_id}"), ("POST", "/v1/evaluations"),
               ("POST", "/v1/reviews"), ("POST", "/v1/what-if"), ("POST", "/v1/batches"),
               ("GET", "/v1/batches/{batch_id}"), ("GET", "/v1/batches/{batch_id}/result"),
               ("GET", "/v1/decisions/{decision_id}"), ("GET", "/v1/decisions"),
               ("GET", "/v1/decisions/{decision_id}/report"), ("GET", "/healthz"), ("GET", "/readyz"),
               ("GET", "/metrics")]:
        assert op in ops, op
    example = doc["paths"]["/v1/evaluations"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert example["factset"]["commune"]["name"] == "Thạnh Phú"


def test_the_packaged_seed_example_is_the_seed(catalogue):
    from ntmcert.inputs.factset import load_factset
    from ntmcert.service import _core
    from ntmcert.service.models import EXAMPLES

    packaged = _core.load_json_document((EXAMPLES / "thanh-phu-2024.json").read_text(encoding="utf-8"), "example")
    assert _core.parse_factset(packaged, None).sha256 == load_factset(SEED, catalogue=catalogue).sha256
