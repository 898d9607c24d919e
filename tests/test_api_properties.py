"""Properties of adding a session through the API and the form, with arbitrary field values.

Every request gets 201/303, or a 4xx whose message names the field; never a 500. A refused
request stores nothing.
"""

import json
from datetime import date, timedelta

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from app.models import Session
from tests.conftest import NOTES, login
from tests.test_parsers_properties import AWKWARD, MUTATION, SAMPLE_FILES, SAMPLES, TEXT, mutate
from tests.test_routes_api import token_for

FIELDS = ("text", "session_date", "family_ref", "change_goals", "setting", "visibility",
          "practitioner", "names", "file")
EXAMPLES = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Form text: anything a browser can send (no lone surrogates), plus awkward pieces.
FORM_TEXT = st.lists(st.one_of(AWKWARD.filter(lambda s: "\ud800" not in s and "\udfff" not in s),
                               st.text(alphabet=st.characters(exclude_categories=("Cs",)),
                                       max_size=20)),
                     max_size=8).map("".join)
TODAY = date.today()
DATES = st.one_of(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)).map(date.isoformat),
    st.just(TODAY.isoformat()), st.just((TODAY + timedelta(days=1)).isoformat()),
    st.sampled_from(["", "yesterday", "2026-02-30", "14/03/2026", "0000-00-00", "2026-1-5",
                     " 2026-01-05 ", "2026-01-05T10:00", "9" * 400]),
    FORM_TEXT,
)
FAMILY_REFS = st.one_of(st.sampled_from(["FAM-0142", "F/12_a.b#3", "Jodie Smith", "Mrs Jones", "",
                                         " ", "x" * 41, "FAM\n1", "FAM\x001", "-FAM"]), FORM_TEXT)
NAMED_GOALS = ("Sarah and Tom " * 40)[:500]  # under 500 characters, over once redacted
GOALS = st.one_of(st.sampled_from(["school on time", "", "g" * 500, "g" * 501, "a\x00b\x1b",
                                   "\u202eevil", NAMED_GOALS]), FORM_TEXT)
SETTINGS = st.one_of(st.sampled_from(["home visit", "office", "video", "phone", "HOME VISIT", ""]),
                     FORM_TEXT)
VISIBILITIES = st.one_of(st.sampled_from(["private", "shared", "trainers", "public", ""]), FORM_TEXT)
NOTES_TEXT = st.one_of(st.just(NOTES), FORM_TEXT, st.tuples(st.just(NOTES), FORM_TEXT).map("".join))
PRACTITIONERS = st.one_of(st.sampled_from(["", "SW", "sw", "Nobody", "x" * 300]), FORM_TEXT)


VALID = {"text": NOTES, "session_date": "2026-01-05", "family_ref": "FAM-9",
         "change_goals": "school on time", "setting": "office", "visibility": "private",
         "practitioner": "", "names": "Kayden"}
ARBITRARY = {"text": NOTES_TEXT, "session_date": DATES, "family_ref": FAMILY_REFS,
             "change_goals": GOALS, "setting": SETTINGS, "visibility": VISIBILITIES,
             "practitioner": PRACTITIONERS, "names": FORM_TEXT}


def form_fields(*, without: tuple[str, ...] = ()) -> st.SearchStrategy[tuple[set[str], dict[str, str]]]:
    """(the fields given arbitrary values, all the fields): the rest keep valid values."""
    names = [k for k in VALID if k not in without]
    return st.sets(st.sampled_from(names), max_size=3).flatmap(lambda broken: st.tuples(
        st.just(broken),
        st.fixed_dictionaries({k: ARBITRARY[k] if k in broken else st.just(VALID[k]) for k in names})))


def session_count(db) -> int:  # noqa: ANN001
    db.expire_all()
    return db.exec(select(func.count()).select_from(Session)).one()


def check_api_answer(r, before: int, after: int, broken: set[str] | None = None) -> None:  # noqa: ANN001
    """201 with as many new sessions as listed, or a 4xx JSON message naming a broken field."""
    assert r.status_code < 500, r.text
    body = r.json()
    if r.status_code == 201:
        assert after == before + len(body) and body
        return
    assert 400 <= r.status_code < 500 and after == before, r.text
    detail = body["detail"]
    if isinstance(detail, str):
        assert detail.strip() and "\n" not in detail
        return
    for error in detail:
        assert set(error) <= {"loc", "msg", "type"}, error  # the input is never echoed back
        assert error["msg"].strip() and "Traceback" not in error["msg"]
        loc = error["loc"]
        assert loc == [] or loc[-1] in FIELDS or isinstance(loc[-1], int), error
        if broken is not None and loc and loc[-1] in FIELDS:
            assert loc[-1] in broken | {"text", "file"}, (error, broken)


def test_api_json_with_any_fields(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    json_values = {**ARBITRARY, "practitioner": st.one_of(st.none(), PRACTITIONERS),
                   "names": st.one_of(st.lists(FORM_TEXT, max_size=4), FORM_TEXT, st.integers())}

    @EXAMPLES
    @given(st.sets(st.sampled_from(list(VALID)), max_size=3).flatmap(lambda broken: st.tuples(
        st.just(broken), st.fixed_dictionaries(
            {k: json_values[k] if k in broken else st.just(VALID[k]) for k in VALID if k != "names"}))),
           st.sets(st.sampled_from(FIELDS), max_size=1), st.integers(min_value=0, max_value=9))
    def post(given_fields, dropped, mangle):
        broken, fields = given_fields
        body = json.dumps({k: v for k, v in fields.items() if k not in dropped}).encode()
        if mangle == 0:  # now and then, invalid JSON
            body = body[: len(body) // 2] + b"\xff" + body[len(body) // 2:]
        before = session_count(db)
        r = client.post("/api/sessions", content=body,
                        headers={**auth, "Content-Type": "application/json"})
        check_api_answer(r, before, session_count(db), broken | dropped)

    post()


def test_api_json_with_surrogates_and_wrong_types(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    base = {"text": NOTES, "session_date": "2026-01-05", "family_ref": "FAM-9",
            "change_goals": "school on time"}
    for change in ({"text": "SW: hi \ud800\nMum: ok"}, {"text": 5}, {"text": ["SW: hi"]},
                   {"names": "Sarah"}, {"session_date": None}, {"setting": {"a": 1}}):
        before = session_count(db)
        r = client.post("/api/sessions", content=json.dumps({**base, **change}).encode(),
                        headers={**auth, "Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        check_api_answer(r, before, session_count(db))
    for body in (b"", b"{", b"[]", b"null", b'"text"', b"\xff\xfe{}", b"{}" * 1000):
        r = client.post("/api/sessions", content=body, headers={**auth, "Content-Type": "application/json"})
        check_api_answer(r, 0, 0)


def test_the_api_never_echoes_the_input_in_errors(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    secret = "Mum: my private words about Kayden"
    r = client.post("/api/sessions", json={"text": secret, "session_date": "not a date"}, headers=auth)
    assert r.status_code == 422 and "private words" not in r.text
    r = client.post("/api/sessions", content=b'{"text": "' + secret.encode() + b'"',
                    headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 422 and "private words" not in r.text


FILE_DATA = st.one_of(
    st.binary(max_size=300),
    TEXT.map(lambda t: t.encode("utf-8", "replace")),
    st.tuples(st.sampled_from(SAMPLE_FILES), st.lists(MUTATION, max_size=4)).map(
        lambda s: mutate((SAMPLES / s[0]).read_bytes(), s[1])),
)
FILE_NAMES = st.one_of(
    st.sampled_from(SAMPLE_FILES + ["notes", ".txt", "a.PDF", "x.DOCX", "über notes.txt",
                                    "../../etc/passwd.txt", "n" * 300 + ".csv", "C:\\notes.vtt"]),
    FORM_TEXT.map(lambda t: t + ".txt"),
)


def test_api_multipart_with_any_file_and_fields(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")

    @EXAMPLES
    @given(FILE_NAMES, FILE_DATA, form_fields(without=("text",)))
    def post(name, data, given_fields):
        broken, fields = given_fields
        before = session_count(db)
        r = client.post("/api/sessions", data=fields, files={"file": (name, data, "text/plain")},
                        headers=auth)
        check_api_answer(r, before, session_count(db), broken)
        if r.status_code == 201:
            assert all(len(s["title"]) <= 200 and "\n" not in s["title"] for s in r.json())

    post()


def field_errors(r) -> dict[str, str]:  # noqa: ANN001
    """The error messages beside the fields of a form page."""
    page = BeautifulSoup(r.text, "html.parser")
    return {e["id"].removesuffix("-error"): e.get_text(" ", strip=True)
            for e in page.select("[id$='-error']")}


def test_web_form_with_any_fields(client, make_user, db):
    make_user("pat")
    csrf = login(client, "pat")

    @EXAMPLES
    @given(form_fields(), st.one_of(st.none(), st.tuples(FILE_NAMES, FILE_DATA)), st.booleans())
    def post(given_fields, upload, htmx):
        broken, fields = given_fields
        before = session_count(db)
        r = client.post("/sessions", data={"csrf_token": csrf, **fields}, follow_redirects=False,
                        files={"file": upload} if upload else None,
                        headers={"HX-Request": "true"} if htmx else {})
        after = session_count(db)
        assert r.status_code < 500, r.text
        if r.status_code in (200, 303):
            assert after > before and (r.headers.get("HX-Redirect") or r.headers["location"])
            return
        assert after == before
        if r.status_code == 400:  # the multipart body itself is refused, e.g. a 5,000-character file name
            assert "Traceback" not in r.text and BeautifulSoup(r.text, "html.parser").select_one("main p")
            return
        assert r.status_code == 422
        errors = field_errors(r)
        assert errors and set(errors) <= broken | {"text", "file"}, (errors, broken)
        assert all(m and "Traceback" not in m for m in errors.values())

    post()


def test_change_goals_too_long_once_redacted_are_refused(client, make_user, db):
    # Placeholders are longer than short names: this once stored the session, then answered 500.
    make_user("pat")
    auth = token_for(client, db, "pat")
    r = client.post("/api/sessions", json={**VALID, "names": [], "change_goals": NAMED_GOALS}, headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "change_goals"]
    assert "placeholders" in r.text and session_count(db) == 0
    csrf = login(client, "pat")
    r = client.post("/sessions", data={"csrf_token": csrf, **VALID, "change_goals": NAMED_GOALS,
                                       "session_date": TODAY.isoformat()})
    assert r.status_code == 422 and "placeholders" in field_errors(r)["change_goals"]
    assert session_count(db) == 0


def test_control_characters_in_the_change_goal_and_file_name_are_not_stored(client, make_user, db):
    make_user("pat")
    auth = token_for(client, db, "pat")
    fields = {k: v for k, v in VALID.items() if k != "text"} | {"change_goals": "school\x00 on time\x1b"}
    parts = [(f'name="{k}"'.encode(), v.encode()) for k, v in fields.items()]
    parts.append((b'name="file"; filename="a\x00b\x1bc.txt"', b"SW: hi\nMum: ok"))
    body = b"".join(b"--B0UND\r\nContent-Disposition: form-data; " + head + b"\r\n\r\n" + value + b"\r\n"
                    for head, value in parts) + b"--B0UND--\r\n"
    r = client.post("/api/sessions", content=body,
                    headers={**auth, "Content-Type": "multipart/form-data; boundary=B0UND"})
    assert r.status_code == 201, r.text
    [created] = r.json()
    assert created["change_goals"] == "school on time" and created["title"] == "abc.txt"
