"""Browser fixtures: Debian's Chromium driven by Playwright, axe-core injected from its npm package."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]


@pytest.fixture(scope="session")
def _browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    playwright_sync = pytest.importorskip("playwright.sync_api", reason="playwright is installed by `make test`")
    pw = playwright_sync.sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture
def browser_page(_browser, live_server):
    """A fresh browser context (own cookies) on the live server. CSP is bypassed only so axe can be
    injected; tests that check CSP itself do it with plain HTTP requests."""
    context = _browser.new_context(base_url=live_server, bypass_csp=True, locale="fr-FR")
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(_browser, live_server):
    """Factory for extra pages with their own cookies (several people in one test)."""
    contexts = []

    def make(locale: str = "fr-FR"):
        context = _browser.new_context(base_url=live_server, bypass_csp=True, locale=locale)
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


def run_axe(page) -> list[dict]:
    """WCAG 2.1 A/AA violations on the current page, per axe-core."""
    if not AXE_JS.exists():
        pytest.skip("axe-core missing: `make test` installs it with npm into tests/browser/node_modules")
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})")
    return result["violations"]


@pytest.fixture
def axe_violations():
    def check(page) -> list[dict]:
        return run_axe(page)
    return check


def describe(violations: list[dict]) -> str:
    return json.dumps([{"id": v["id"], "help": v["help"], "nodes": [n["html"][:200] for n in v["nodes"][:5]]}
                       for v in violations], indent=1, ensure_ascii=False)
