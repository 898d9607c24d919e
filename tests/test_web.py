import hashlib
import re
from pathlib import Path

from bs4 import BeautifulSoup

from app.web import STATIC_DIR, TEMPLATE_DIR, static

HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"  # htmx.org 2.0.11


def test_htmx_is_the_pinned_file_with_its_licence():
    htmx = STATIC_DIR / "vendor" / "htmx" / "htmx.min.js"
    assert hashlib.sha256(htmx.read_bytes()).hexdigest() == HTMX_SHA256
    assert "Zero-Clause BSD" in (STATIC_DIR / "vendor" / "htmx" / "LICENSE").read_text()
    assert (STATIC_DIR / "vendor" / "swagger-ui" / "LICENSE").exists()


def test_templates_and_static_files_are_found_as_package_resources():
    assert (TEMPLATE_DIR / "base.html").is_file() and (STATIC_DIR / "app.css").is_file()
    assert re.fullmatch(r"/static/app\.css\?v=[0-9a-f]{10}", static("app.css"))


def test_no_template_has_inline_script_or_event_handlers():
    for path in Path(TEMPLATE_DIR).glob("*.html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for script in soup.find_all("script"):
            assert script.get("src"), f"inline script in {path.name}"
        for tag in soup.find_all(True):
            assert not [a for a in tag.attrs if a.startswith("on") or a.startswith("hx-on")], path.name


def test_pages_and_static_files_are_served_without_external_resources(client):
    page = client.get("/login")
    soup = BeautifulSoup(page.text, "html.parser")
    urls = [t.get("src") or t.get("href") for t in soup.select("script[src], link[href]")]
    assert urls and all(u.startswith(("/static/", "data:")) for u in urls)
    for url in urls:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200


def test_security_headers_and_vary(client):
    r = client.get("/login")
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'" and csp["form-action"] == "'self'"
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert {"camera=()", "microphone=()", "geolocation=()"} <= set(r.headers["permissions-policy"].split(", "))
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
    assert r.headers["cross-origin-resource-policy"] == "same-origin"
    assert r.headers["vary"] == "HX-Request"
    assert r.headers["cache-control"] == "no-store"


def test_signed_in_pages_carry_the_headers_too(client, make_user):
    from tests.conftest import login

    make_user("pat")
    login(client, "pat")
    r = client.get("/sessions")
    assert r.status_code == 200 and "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cross-origin-opener-policy"] == "same-origin" and "permissions-policy" in r.headers


def test_unknown_pages_get_an_html_404_and_api_a_json_404(client):
    page = client.get("/nowhere")
    assert page.status_code == 404
    assert BeautifulSoup(page.text, "html.parser").h1.text == "Page not found"
    api = client.get("/api/nowhere")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_page_cache_is_bounded_and_least_recently_used_goes_first():
    from app.web import PageCache

    cache = PageCache(maxsize=2, max_bytes=10)
    cache.put(("a",), b"1")
    cache.put(("b",), b"2")
    assert cache.get(("a",)) == b"1"  # a is now the most recent
    cache.put(("c",), b"3")
    assert cache.get(("b",)) is None and cache.get(("a",)) == b"1"
    cache.put(("big",), b"x" * 11)
    assert cache.get(("big",)) is None
    off = PageCache(maxsize=0)
    off.put(("a",), b"1")
    assert off.get(("a",)) is None
