"""The review workspace's HTTP API (Starlette's TestClient): token, limits, saves, conflicts."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from review_fixtures import DOC_ID, GLOSSARY, XSS, StoreDouble, make_run

with warnings.catch_warnings():  # Starlette 1.10 would rather have httpx2
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient

from pipeline.errors import UserError
from pipeline.review import access_token, is_loopback, open_workspace
from pipeline.review.app import CSP, MAX_BODY, create_app
from pipeline.risk import VOUCHED_RISK, load_model

TOKEN = "test-token-0123456789"
HEADERS = {"X-Tmpipe-Token": TOKEN}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    run, _ = make_run(tmp_path_factory.mktemp("run"))
    return run


@pytest.fixture
def store(run_dir) -> StoreDouble:
    return StoreDouble(run_dir)


@pytest.fixture
def client(run_dir, store) -> TestClient:
    workspace = open_workspace(run_dir, run_dir / "unused.sqlite", GLOSSARY, "ann", store=store)
    return TestClient(create_app(workspace, TOKEN))


def test_every_request_needs_the_token(client) -> None:
    for path in ("/", "/api/units", "/api/units/1", "/static/app.js", "/api/concordance?q=x",
                 "/nowhere"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert client.get(path, headers={"X-Tmpipe-Token": "wrong-token-xx"}).status_code == 403
    assert client.get("/", params={"token": TOKEN}).status_code == 200
    assert client.get("/static/app.js", headers=HEADERS).status_code == 200


def test_state_changes_need_the_token_in_a_header(client, store) -> None:
    body = {"target": "Changed.", "state": "translated", "version": 1}
    page = client.get("/", params={"token": TOKEN})  # sets the cookie
    assert "tmpipe_token" in page.cookies
    assert client.post("/api/units/1", json=body).status_code == 403  # cookie only
    assert client.post(f"/api/units/1?token={TOKEN}", json=body).status_code == 403
    assert store.units[1].version == 1
    assert client.post("/api/units/1", json=body, headers=HEADERS).status_code == 200


def test_page_has_strict_csp_and_only_local_assets(client) -> None:
    response = client.get("/", params={"token": TOKEN})
    assert response.headers["content-security-policy"] == CSP
    assert "unsafe-inline" not in CSP and "default-src 'none'" in CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    page = response.text
    assert "http://" not in page and "https://" not in page and "<style" not in page
    assert 'src="/static/app.js"' in page and "<script>" not in page
    script = client.get("/static/app.js", headers=HEADERS).text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "eval(" not in script and "http" not in script.replace("HTMLInputElement", "")\
        .replace("HTMLTextAreaElement", "").replace("HTMLSelectElement", "")


def test_listing_has_every_unit_with_state_origin_and_flags(client) -> None:
    data = client.get("/api/units", headers=HEADERS).json()
    assert data["doc_id"] == DOC_ID and data["reviewer"] == "ann"
    assert [u["n"] for u in data["units"]] == list(range(1, len(data["units"]) + 1))
    first = data["units"][0]
    assert {"n", "source", "target", "state", "origin", "flags", "version"} <= set(first)
    assert first["state"] == "draft" and first["editable"]
    hostile = [u for u in data["units"] if any(x in u["target"] for x in XSS)]
    assert len(hostile) == 3  # the texts come back as data, unchanged
    assert "term-violation" not in data["checks"]
    assert data["risk_high"] == load_model().high and data["has_risk"]
    for unit in data["units"]:
        assert isinstance(unit["risk"], float) and isinstance(unit["risk_reasons"], list)
        assert bool(unit["risk_reasons"]) <= (unit["risk"] >= data["risk_high"])


def test_confirm_reruns_qa_and_glossary_at_once(client, store) -> None:
    units = client.get("/api/units", headers=HEADERS).json()["units"]
    four = next(u for u in units if "24" in u["source"])
    assert not [f for f in four["flags"] if f["severity"] == "error"]
    dropped = four["target"].replace("24 ", "")
    response = client.post(f"/api/units/{four['n']}", headers=HEADERS,
                           json={"target": dropped, "state": "translated", "version": 1})
    assert response.status_code == 200
    unit = response.json()["unit"]
    assert unit["state"] == "translated" and unit["changed_by"] == "ann"
    numbers = [f for f in unit["flags"] if f["check"] == "numbers"]
    assert numbers and numbers[0]["severity"] == "error" and "24" in numbers[0]["message"]
    assert store.units[four["n"]].target == dropped
    assert store.log[four["n"]][-1]["replaced"] == four["target"]
    # A required rendering removed: the glossary's verdict, as in `tmpipe run`.
    one = units[0]
    response = client.post("/api/units/1", headers=HEADERS, json={
        "target": "The opening of the Summit.", "state": "approved", "version": 1})
    flags = response.json()["unit"]["flags"]
    assert [f["message"] for f in flags if f["check"] == "term-violation"] == [
        '世界互联网大会乌镇峰会: expected "World Internet Conference Wuzhen Summit"']
    assert one["flags"] == []
    assert one["risk"] > VOUCHED_RISK  # the run's estimate, until a person decides
    assert response.json()["unit"]["risk"] == VOUCHED_RISK


def test_stale_save_is_a_conflict_showing_both_texts(client, store) -> None:
    first = client.post("/api/units/2", headers=HEADERS,
                        json={"target": "Reviewer one's text.", "state": "translated",
                              "version": 1})
    assert first.status_code == 200
    second = client.post("/api/units/2", headers=HEADERS,
                         json={"target": "Reviewer two's text.", "state": "translated",
                               "version": 1})
    assert second.status_code == 409
    body = second.json()
    assert body["yours"] == "Reviewer two's text."
    assert body["theirs"]["target"] == "Reviewer one's text."
    assert body["theirs"]["version"] == 2
    assert store.units[2].target == "Reviewer one's text."  # nothing overwritten
    third = client.post("/api/units/2", headers=HEADERS,
                        json={"target": "Reviewer two's text.", "state": "translated",
                              "version": 2})
    assert third.status_code == 200 and store.units[2].version == 3


@pytest.mark.parametrize("body, content_type", [
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'{"target": 5, "state": "translated", "version": 1}', "application/json"),
    (b'{"target": "x", "state": "done", "version": 1}', "application/json"),
    (b'{"target": "x", "state": "translated", "version": "1"}', "application/json"),
    (b'{"target": "x", "state": "translated", "version": true}', "application/json"),
    (b'{"target": "x", "state": "translated", "version": 1}', "text/plain"),
    (b"\xff\xfe", "application/json"),
])
def test_malformed_bodies_are_400(client, store, body, content_type) -> None:
    response = client.post("/api/units/1", content=body,
                           headers={**HEADERS, "Content-Type": content_type})
    assert response.status_code == 400
    assert "error" in response.json()
    assert store.units[1].version == 1


def test_oversized_bodies_and_unknown_units(client) -> None:
    huge = b'{"target": "' + b"a" * MAX_BODY + b'", "state": "translated", "version": 1}'
    response = client.post("/api/units/1", content=huge,
                           headers={**HEADERS, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert client.get("/api/units/999", headers=HEADERS).status_code == 404
    assert client.post("/api/units/999", headers=HEADERS, json={
        "target": "x", "state": "translated", "version": 1}).status_code == 404


def test_detail_panel_terms_matches_mt_and_history(client) -> None:
    client.post("/api/units/3", headers=HEADERS,
                json={"target": "A community of common destiny in cyberspace.",
                      "state": "translated", "version": 1})
    detail = client.get("/api/units/3", headers=HEADERS).json()
    term = next(t for t in detail["terms"] if t["source"] == "网络空间命运共同体")
    assert term["target"] == "community with a shared future in cyberspace"
    assert "community of common destiny in cyberspace" in term["forbidden"]
    assert term["status"] == "forbidden"
    assert detail["mt"].endswith("community with a shared future in cyberspace.")
    assert detail["history"][0]["changed_by"] == "ann"
    assert detail["matches"] == []
    match = client.get("/api/units/1", headers=HEADERS).json()["matches"][0]
    assert match["source"].startswith("今年是")  # the double's fuzzy match
    assert ["-", "今年是"] in match["diff"] and ["=", "世界互联网大会乌镇峰会"] in match["diff"]


def test_concordance_and_its_limits(client) -> None:
    hits = client.get("/api/concordance", params={"q": "乌镇峰会", "side": "source"},
                      headers=HEADERS).json()["hits"]
    assert len(hits) == 2
    assert client.get("/api/concordance", params={"q": "", "side": "source"},
                      headers=HEADERS).status_code == 400
    assert client.get("/api/concordance", params={"q": "x", "side": "both"},
                      headers=HEADERS).status_code == 400
    assert client.get("/api/concordance", params={"q": "x" * 201},
                      headers=HEADERS).status_code == 400


def test_export_rebuilds_through_the_store(client, store, run_dir) -> None:
    response = client.post("/api/export", headers=HEADERS, json={"xliff": True})
    assert response.status_code == 200
    assert store.rebuilt == [run_dir]
    assert str(run_dir / f"{DOC_ID}.xlf") in response.json()["written"]
    assert client.post("/api/export", headers=HEADERS, json={"xliff": "yes"}).status_code == 400


def test_a_segment_the_memory_filled_gets_a_unit_of_its_own(run_dir, store) -> None:
    filled = store.units.pop(6)  # as if the run had taken it from another unit
    workspace = open_workspace(run_dir, run_dir / "unused.sqlite", GLOSSARY, "bob", store=store)
    client = TestClient(create_app(workspace, TOKEN))
    row = client.get("/api/units", headers=HEADERS).json()["units"][5]
    assert (row["n"], row["version"], row["state"], row["editable"]) == (6, 0, "", True)
    edit = {"target": "A person's text.", "state": "translated", "version": 0}
    unit = client.post("/api/units/6", headers=HEADERS, json=edit).json()["unit"]
    added = store.units[max(store.units)]
    assert (added.tuid, added.target, added.origin, added.changed_by) == (
        filled.tuid, "A person's text.", "human", "bob")
    assert unit["version"] == added.version and unit["origin"] == "human"
    assert client.post("/api/units/6", headers=HEADERS, json=edit).status_code == 409
    # A record of the same segment that the run did not use is not this run's unit.
    store.units[filled.id] = replace(filled, target="Another run's text.", mt_target="")
    store.units.pop(added.id)
    row = client.get("/api/units", headers=HEADERS).json()["units"][5]
    assert row["version"] == 0 and row["target"] == filled.target


def test_edits_are_checked_as_tmpipe_run_checks_them(client, run_dir) -> None:
    """The workspace's flags for an edited text equal those of the run's own QA code."""
    from review_fixtures import GLOSSARY as glossary_path

    from pipeline.glossary import load_glossary
    from pipeline.qa import run_checks
    from pipeline.review.workspace import _rows, read_report
    from pipeline.translate import flag_term_violations

    edits = {4: "The kilo sentence 24 six.", 5: "GSMA chief Hoffman flew to Shanghai  today .",
             7: "Two strings: 两个 and the the same"}
    for n, text in edits.items():
        client.post(f"/api/units/{n}", headers=HEADERS,
                    json={"target": text, "state": "translated", "version": 1})
    shown = {u["n"]: u["flags"] for u in client.get("/api/units", headers=HEADERS).json()[
        "units"]}
    rows = _rows(read_report(run_dir), load_glossary(glossary_path))
    units = [row.unit for row in rows]
    for unit in units:
        unit.flags = [f for f in unit.flags if f.check in ("engine", "echo", "tm-difference")]
        unit.target = edits.get(unit.number, unit.target)
        if unit.number in edits:
            unit.flags = []
        if unit.terms:
            flag_term_violations(unit)
    run_checks(units)
    for unit in units:
        expected = [{"check": f.check, "severity": f.severity, "message": f.message}
                    for f in unit.flags]
        assert shown[unit.number] == expected, unit.number
    assert any(f["check"] == "numbers" for f in shown[4])
    assert {f["check"] for f in shown[5]} >= {"punctuation", "term-violation"}
    assert {f["check"] for f in shown[7]} >= {"untranslated", "repetition"}


def test_tokens_and_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert len(access_token("127.0.0.1", None)) >= 32
    assert access_token("127.0.0.1", None) != access_token("127.0.0.1", None)
    with pytest.raises(UserError, match="--token"):
        access_token("0.0.0.0", None)
    for bad in ("", "   ", "short", " padded-token "):
        with pytest.raises(UserError):
            access_token("0.0.0.0", bad)
    assert access_token("0.0.0.0", "chosen-by-me") == "chosen-by-me"
    with pytest.raises(ValueError):
        create_app(None, "")  # type: ignore[arg-type]
