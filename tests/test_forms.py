from datetime import date

from app.forms import NewSessionForm

TODAY = date(2026, 3, 20)


def valid(**kw) -> NewSessionForm:
    fields = {"session_date": "2026-03-14", "family_ref": "FAM-0142",
              "change_goals": "school on time", "setting": "home visit", "visibility": "shared"}
    return NewSessionForm(**{**fields, **kw})


def test_valid_form_gives_metadata():
    meta = valid().meta(TODAY)
    assert meta.session_date == date(2026, 3, 14) and meta.family_ref == "FAM-0142"
    assert meta.visibility == "shared" and meta.setting == "home visit"


def test_each_bad_field_gets_its_own_message():
    form = valid(session_date="14/03/2026", family_ref="", change_goals=" ", setting="pub",
                 visibility="everyone")
    assert form.meta(TODAY) is None
    assert set(form.errors) == {"session_date", "family_ref", "change_goals", "setting", "visibility"}


def test_future_dates_and_names_as_references_are_refused():
    form = valid(session_date="2026-04-01", family_ref="Jodie Smith")
    assert form.meta(TODAY) is None
    assert "past" in form.errors["session_date"]
    assert "name" in form.errors["family_ref"]
