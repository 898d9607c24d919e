"""Take the README's screenshots of the demo: a practitioner's progress page, the session page
and the supervision feedback.

    python docs/screenshots.py        # writes docs/progress.png, session.png and feedback.png

Starts the demo app on a free localhost port with a throwaway database and drives Debian's
Chromium (/usr/bin/chromium) with Playwright.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from app.config import Settings
    from app.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(demo=True, db_path=Path(tmp) / "demo.db", port=port,
                            model_dir=Path(tmp) / "models")
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(base + "/login")
            page.get_by_label("Username").fill("practitioner1")
            page.get_by_label("Password").fill("demo")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(base + "/progress")  # a practitioner's home page
            page.screenshot(path=str(ROOT / "docs" / "progress.png"))
            page.goto(base + "/sessions")
            page.locator("tbody tr a").first.click()
            page.locator("#transcript li.utt a.chip").nth(1).click()
            page.locator("form.correct").wait_for()
            page.screenshot(path=str(ROOT / "docs" / "session.png"))
            page.goto(page.url.split("#")[0] + "/feedback")
            page.screenshot(path=str(ROOT / "docs" / "feedback.png"), full_page=True)
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)
    print("wrote docs/progress.png, docs/session.png and docs/feedback.png")


if __name__ == "__main__":
    main()
