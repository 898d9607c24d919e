from bs4 import BeautifulSoup


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_docs_use_local_swagger_ui_and_the_openapi_lists_the_api(client):
    page = BeautifulSoup(client.get("/docs").text, "html.parser")
    srcs = [s["src"] for s in page.select("script[src]")]
    assert any(s.startswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for s in srcs)
    spec = client.get("/openapi.json").json()
    assert {"/api/sessions", "/api/sessions/{session_id}", "/healthz"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/sessions"]) == {"get", "post"}
    body = spec["paths"]["/api/sessions"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)
