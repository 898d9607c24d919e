"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) against a real uvicorn server.

They skip when Chromium is missing, except in CI (the CI variable set), where that fails.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import DATABASES, NOTES, drop_postgres_schema, postgres_schema_url

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=DATABASES)
def server(request, tmp_path_factory, coder):  # noqa: ANN001, ANN201
    """The demo app under uvicorn on a free port, in a thread, on a fresh database (a SQLite
    file, or a new PostgreSQL schema, migrated as `mifi serve` does); yields its base URL."""
    import uvicorn

    from app.config import Settings
    from app.web import create_app

    port = _free_port()
    folder = tmp_path_factory.mktemp("db")
    pg_url = postgres_schema_url("browser") if request.param == "postgresql" else None
    settings = Settings(demo=True, db_path=folder / "demo.db", port=port, model_dir=folder / "models",
                        database_url=pg_url.render_as_string(hide_password=False) if pg_url else None)
    config = uvicorn.Config(create_app(settings, coder=coder), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    if pg_url:
        drop_postgres_schema(pg_url)


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, errors  # no CSP violations, no script errors


def settled(page) -> None:  # noqa: ANN001
    """Wait until htmx has finished swapping and settling new content.

    (Polled from here: the page's CSP rightly forbids the eval that wait_for_function uses.)
    """
    busy = "!!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    deadline = time.monotonic() + 15
    while page.evaluate(busy):
        assert time.monotonic() < deadline, "htmx did not settle"
        page.wait_for_timeout(20)


HOMES = {"practitioner1": "/progress", "supervisor1": "/team", "trainer1": "/trainer", "admin": "/admin"}


def sign_in(page, base: str, username: str = "practitioner1", then: str = "/sessions") -> None:  # noqa: ANN001
    """Sign in as a demo user, land on their role's home page, then go on to `then`."""
    page.goto(base + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + HOMES[username])
    if then and then != HOMES[username]:
        page.goto(base + then)


def test_practitioner_types_a_session_corrects_a_code_and_prints_feedback(page, server):
    sign_in(page, server)
    page.get_by_role("link", name="Add a session").first.click()
    page.get_by_label("Type or paste the conversation").fill(NOTES)
    preview = page.locator("#preview")
    preview.locator("ol.preview-turns li").first.wait_for()
    assert preview.locator("li.turn-practitioner").count() == 4
    assert "SW (practitioner)" in preview.locator("#preview-status").inner_text()
    page.get_by_label("Family reference").fill("FAM-0142")
    page.get_by_label("What change was the conversation about?").fill("getting him to school on time")
    page.get_by_role("button", name="Code this session").click()
    page.wait_for_url(re.compile(r"/sessions/\d+$"))

    # The codes are there, as labelled chips.
    chips = page.locator("#transcript li.utt a.chip")
    assert chips.count() >= 8
    question = page.locator("#transcript li.utt", has_text="Did he get in on time today?")
    assert question.locator(".chip-code").inner_text() == "Q"

    # One click on the chip, choose a code: the utterance and the score card change in place.
    card = page.locator("#score-card")
    reflections_before = int(card.locator("[data-count=SR] td").inner_text()) + \
        int(card.locator("[data-count=CR] td").inner_text())
    question.locator("a.chip").click()
    form = question.locator("form.correct")
    form.wait_for()
    settled(page)
    form.get_by_label("Reason").fill("reflects the feeling")
    form.get_by_role("button", name="Complex Reflection").click()
    page.locator("#transcript li.utt", has_text="Did he get in on time today?") \
        .locator(".tag-corrected").wait_for()
    fixed = page.locator("#transcript li.utt", has_text="Did he get in on time today?")
    assert fixed.locator(".chip-code").inner_text() == "CR"
    assert "automatic: Q" in fixed.locator(".tag-corrected").inner_text()
    reflections_after = int(card.locator("[data-count=SR] td").inner_text()) + \
        int(card.locator("[data-count=CR] td").inner_text())
    assert reflections_after == reflections_before + 1
    assert page.url.endswith(re.search(r"/sessions/\d+", page.url).group(0))  # no page load

    # The print view of the feedback is a one-page record without the site's chrome.
    page.get_by_role("link", name="Supervision feedback").click()
    assert page.get_by_role("heading", name="Supervision record").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("button", name="Print").is_visible()
    assert page.locator(".signatures").is_visible()
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_needs_review_filter_and_keyboard_correction(page, server):
    sign_in(page, server)
    page.locator("tbody tr a").first.click()
    total = page.locator("#transcript li.utt").count()
    page.get_by_role("link", name="Show only those that need review").click()
    page.get_by_role("link", name="Show all utterances").wait_for()
    settled(page)
    assert "review=1" in page.url
    shown = page.locator("#transcript li.utt").count()
    assert shown == page.locator("#transcript li.utt .tag-review").count() and shown < total
    # Keyboard only: focus the first chip, open it, pick a code with Enter.
    page.get_by_role("link", name="Show all utterances").click()
    page.get_by_role("link", name="Show only those that need review").wait_for()
    settled(page)
    first = page.locator("#transcript li.utt").first
    first.locator("a.chip").focus()
    page.keyboard.press("Enter")
    first.locator("form.correct").wait_for()
    settled(page)
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.press("Escape")
    first.locator("form.correct").wait_for(state="detached")


def test_human_ratings_replace_estimates(page, server):
    sign_in(page, server, "supervisor1")
    page.locator("tbody tr a").first.click()
    card = page.locator("#score-card")
    assert "estimate" in card.locator("[data-score=relational_global]").inner_text()
    card.get_by_text("Enter human global ratings").click()
    for g in ("cultivating_change_talk", "softening_sustain_talk", "partnership", "empathy"):
        card.locator(f"label[for=r-{g}-4]").click()
    card.get_by_role("button", name="Save ratings").click()
    page.locator("#score-card .notice").wait_for()
    relational = page.locator("#score-card [data-score=relational_global]")
    assert relational.locator(".value").inner_text() == "4.0"
    assert "estimate" not in relational.inner_text()


def test_each_demo_role_lands_on_its_home_page(page, server):
    sign_in(page, server, "practitioner1", then="")
    assert page.get_by_role("heading", name="Your progress", level=1).is_visible()
    goals = page.locator("#goals table tbody tr")
    assert goals.count() >= 2
    assert "later session" in goals.first.locator(".goal-status").inner_text() or \
        goals.count() >= 2
    chart = page.locator("[data-trend=reflection_to_question] svg[role=img]")
    assert chart.locator("title").text_content() == "Reflection-to-Question ratio over time"
    assert page.locator("[data-trend=reflection_to_question] table tbody tr").count() >= 5
    page.context.clear_cookies()

    sign_in(page, server, "supervisor1", then="")
    assert page.get_by_role("heading", name="Your team", level=1).is_visible()
    assert page.locator("svg#team-heatmap").is_visible()
    rows = page.locator("table.heat tbody tr")
    assert rows.count() == 4
    assert "Good" in page.locator("table.heat").inner_text() or "Fair" in page.locator("table.heat").inner_text()
    assert page.locator("ol.notes li").count() >= 4
    rows.filter(has_text="Amira Khan").get_by_role("link", name="Amira Khan").click()
    page.wait_for_url(re.compile(r"/progress/\d+$"))
    assert page.get_by_role("heading", name="Amira Khan", level=1).is_visible()
    page.get_by_text("Add a supervision note").click()
    page.get_by_label("Note", exact=True).fill("Agreed to try one summary per visit.")
    page.get_by_role("button", name="Save the note").click()
    page.wait_for_url(re.compile(r"/progress/\d+#notes$"))
    assert page.locator("ol.notes", has_text="one summary per visit").is_visible()
    page.context.clear_cookies()

    sign_in(page, server, "trainer1", then="")
    assert page.get_by_role("heading", name="Team-wide consistency", level=1).is_visible()
    assert page.locator("svg#chart-reflection_to_question-discipline").is_visible()
    assert page.locator("#corrections").is_visible()
    page.context.clear_cookies()

    sign_in(page, server, "admin", then="")
    assert page.get_by_role("heading", name="Users and teams", level=1).is_visible()
    assert page.locator("table.people tbody tr").count() >= 7


def _serious(results) -> list[str]:  # noqa: ANN001
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_every_page_has_no_serious_accessibility_violations(browser, server):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        found = _serious(axe.run(page))
        if found:
            problems[name] = found

    page.goto(server + "/login")
    check("login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    check("login with an error")
    sign_in(page, server, "supervisor1")
    check("sessions (supervisor)")
    page.locator("tbody tr a").first.click()
    session_url = page.url
    check("session")
    page.locator("#transcript li.utt a.chip").first.click()
    page.locator("form.correct").wait_for()
    check("session with the correction form open")
    page.goto(session_url + "/feedback")
    check("feedback")
    page.goto(session_url + "/feedback/edit")
    check("feedback editor")
    page.goto(server + "/account")
    check("account")
    page.goto(server + "/sessions/new")
    page.get_by_label("Type or paste the conversation").fill(NOTES)
    page.locator("#preview ol.preview-turns").wait_for()
    check("new session with preview")
    page.get_by_role("button", name="Code this session").click()
    page.locator(".error-summary").wait_for()
    check("new session with errors")
    page.goto(server + "/team")
    check("team")
    page.locator("table.heat tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/progress/\d+$"))
    check("a practitioner's progress (supervisor)")
    page.goto(server + "/sessions/999999")
    check("not found")
    page.goto(server + "/docs")
    page.locator(".swagger-ui .info").wait_for()
    check("API docs")
    page.goto(server + "/logout")  # GET is not allowed: an error page
    check("method not allowed")
    for username in ("practitioner1", "trainer1", "admin"):
        page.context.clear_cookies()
        sign_in(page, server, username, then="")
        check(f"home page of {username}")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Action").select_option("login")
    page.get_by_role("button", name="Filter").click()
    page.locator("table.audit tbody tr").first.wait_for()
    check("audit log (admin)")
    page.goto(server + "/account")
    page.get_by_role("button", name="Change password").click()
    page.locator(".error-summary").wait_for()
    check("account with a password error")
    context.close()
    assert not problems, problems


def test_a_refused_upload_is_explained_on_the_page(browser, server):
    """A file far over the upload limit is stopped by the server (413) before it is read;
    the page says why instead of silently doing nothing."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, server, then="/sessions/new")
        page.get_by_label("Family reference").fill("FAM-0142")
        page.get_by_label("What change was the conversation about?").fill("school mornings")
        page.get_by_label("Or upload a file").set_input_files(
            {"name": "huge.txt", "mimeType": "text/plain", "buffer": b"SW: Hello.\n" * 700_000})
        page.get_by_role("button", name="Code this session").click()
        alert = page.locator("#request-problem[role=alert]")
        alert.wait_for()
        assert "limit" in alert.inner_text() and "MB" in alert.inner_text()
        assert page.url.endswith("/sessions/new")  # nothing was stored, no redirect
    finally:
        context.close()
