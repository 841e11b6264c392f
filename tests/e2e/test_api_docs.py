"""The API documentation: every operation has a real summary; ``/schema`` works offline with the product's assets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.e2e.conftest import Api
from tests.web.browser import SHOTS, launched_chromium, served
from workflow.schema.db import make_engine
from workflow.schema.migrate import upgrade

pytestmark = pytest.mark.e2e
METHODS = {"get", "post", "put", "patch", "delete"}
# A sentence: a capital first, at least three words, a full stop last; never a function name turned into words.
SENTENCE = re.compile(r"^[A-Z][^\n]*\s\S+\s[^\n]*\.$")
ASSETS = re.compile(r'(?:src|href)="([^"]+)"')


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary_that_is_a_sentence_and_its_own_description(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    operations = dict(_operations(schema))
    assert len(operations) > 40
    bad = {
        name: op.get("summary")
        for name, op in operations.items()
        if not SENTENCE.match(op.get("summary") or "") or "asynccallable" in (op.get("summary") or "").lower()
    }
    assert bad == {}, bad
    wrapped = [name for name, op in operations.items() if "Wrap a given callable" in (op.get("description") or "")]
    assert wrapped == [], wrapped  # a description is the handler's docstring, not the thread-pool wrapper's
    assert len({op["summary"] for op in operations.values()}) == len(operations)  # none repeats another


def test_the_docs_page_and_its_assets_come_from_the_product(api: Api) -> None:
    page = api.client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text and "<style" not in page.text  # no inline script or style
    assets = ASSETS.findall(page.text)
    assert {"/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css", "/static/swagger/docs.js"} <= set(
        assets
    )
    for asset in assets:
        assert asset.startswith("/"), f"{asset} is not the product's own"
        res = api.client.get(asset)
        assert res.status_code == 200 and res.content, asset
    assert api.client.get("/schema/openapi.json").json()["info"]["title"] == "Uppföljning"


def test_the_vendored_swagger_ui_carries_its_version_and_licence() -> None:
    folder = Path(__file__).resolve().parents[2] / "api" / "static" / "swagger"
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert "SmartBear" in (folder / "NOTICE").read_text()
    assert "5.36.0" in (folder / "README.md").read_text()


@pytest.fixture
def docs_site(engine: Engine, backend: str, tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'docs.db'}"
    fresh = make_engine(url)
    upgrade(fresh)
    fresh.dispose()
    with served(url) as base:
        yield base


@pytest.mark.only_on("sqlite")  # the page does not touch the database: deselected, not skipped, on PostgreSQL
def test_the_docs_page_lists_the_operations_in_chromium_with_every_outside_request_blocked(docs_site: str) -> None:
    outside: list[str] = []
    problems: list[str] = []

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with launched_chromium() as browser:
        page = browser.new_page()
        page.route("**/*", only_loopback)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{docs_site}/schema")
        page.wait_for_selector(".opblock-summary", timeout=30_000)
        listed = page.locator(".opblock-summary-path").all_inner_texts()
        text = page.locator("#swagger-ui").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "api-docs.png"))
    assert len(listed) > 40
    assert "/cases" in [p.replace("\u200b", "") for p in listed]
    assert "List the caller's organisation's cases, with filters and sorting." in text
    assert "Asynccallable" not in text
    assert outside == []  # nothing was even asked of the outside world
    assert problems == []  # no CSP refusal, no script error
