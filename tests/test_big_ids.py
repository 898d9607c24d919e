"""Numbers too big for the database, in a URL or a filter, are answered (404 or a clear
message), never a server error."""

import pytest

from tests.conftest import login
from tests.test_access import app_routes

HUGE = "99999999999999999999"


@pytest.mark.parametrize("role", ["practitioner", "admin"])
def test_every_route_answers_an_id_too_big_for_the_database(app, client, make_user, role):
    make_user("someone", role=role, team="" if role == "admin" else "North team")
    csrf = login(client, "someone")
    tried = 0
    for method, path, _ in app_routes(app):
        if "_id}" not in path:
            continue
        url = path.format(session_id=HUGE, utterance_id=HUGE, user_id=HUGE, token_id=HUGE, version_id=HUGE)
        if method == "GET":
            r = client.get(url)
        elif method == "DELETE":
            r = client.delete(url, headers={"X-CSRF-Token": csrf})
        else:
            r = client.post(url, data={"csrf_token": csrf}, headers={"X-CSRF-Token": csrf})
        assert r.status_code in (404, 422), f"{method} {url}: {r.status_code}"
        tried += 1
    assert tried > 10


def test_the_audit_filters_answer_numbers_too_big_for_the_database(client, make_user):
    make_user("root", role="admin", team="")
    login(client, "root")
    r = client.get(f"/admin/audit?session={HUGE}")
    assert r.status_code == 422 and "No session has that number" in r.text
    assert client.get(f"/admin/audit?page={HUGE}").status_code == 200
