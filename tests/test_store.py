import json
from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from app import store
from app.coding import code_transcripts
from app.models import Correction, Session, UtteranceRecord, Visibility
from app.parsers import read_text
from app.scheme import load_scheme
from tests.conftest import NOTES

SCHEME = load_scheme()


def meta(visibility: str = "shared") -> store.SessionMeta:
    return store.SessionMeta(date(2026, 3, 14), "FAM-1", "school on time", visibility=Visibility(visibility))


def stored_session(db, coder, owner, visibility="shared") -> store.StoredSession:  # noqa: ANN001
    coded = code_transcripts([read_text(NOTES)], SCHEME, coder)[0]
    s = store.store_session(db, owner=owner, coded=coded, meta=meta(visibility), scheme=SCHEME,
                            model={"name": "m", "version": "1"})
    return store.load_session(db, session=s, scheme=SCHEME)


def test_store_keeps_every_turn_and_utterance_with_its_automatic_code(db, coder, make_user):
    owner = make_user("pat")
    coded = code_transcripts([read_text(NOTES)], SCHEME, coder)[0]
    s = store.store_session(db, owner=owner, coded=coded, meta=meta(), scheme=SCHEME,
                            model={"name": "m", "version": "1"})
    loaded = store.load_session(db, session=s, scheme=SCHEME)
    assert [t.record.text for t in loaded.turns] == [ct.turn.text for ct in coded.turns]
    assert [[u.auto_code for u in t.utterances] for t in loaded.turns] == \
        [[u.code for u in ct.utterances] for ct in coded.turns]
    assert loaded.scores.counts == coded.scores.counts


def test_store_is_one_transaction(db, coder, make_user, monkeypatch):
    owner = make_user("pat")
    coded = code_transcripts([read_text(NOTES)], SCHEME, coder)[0]
    coded.turns[3].utterances[0].code = None  # breaks the NOT NULL column mid-way
    with pytest.raises(IntegrityError):
        store.store_session(db, owner=owner, coded=coded, meta=meta(), scheme=SCHEME, model={})
    assert db.exec(select(func.count()).select_from(Session)).one() == 0
    assert db.exec(select(func.count()).select_from(UtteranceRecord)).one() == 0


def test_correction_keeps_the_automatic_code_and_rescores(db, coder, make_user):
    owner = make_user("pat")
    stored = stored_session(db, coder, owner)
    turn, u = next((t.record, u) for t in stored.turns for u in t.utterances if u.auto_code == "Q")
    before = stored.scores.counts["SR"] + stored.scores.counts["CR"]
    store.correct_utterance(db, stored=stored, utterance=u, user=owner, code="CR",
                            reason="reflects the feeling", scheme=SCHEME)
    again = store.load_session(db, session=stored.session, scheme=SCHEME)
    _, fixed = again.utterance(u.id)
    assert (fixed.auto_code, fixed.code, fixed.corrected_by_id) == ("Q", "CR", owner.id)
    assert fixed.corrected_at is not None and fixed.correction_reason == "reflects the feeling"
    assert again.scores.counts["SR"] + again.scores.counts["CR"] >= before
    assert again.session.revision == 1
    history = db.exec(select(Correction)).one()
    assert (history.previous_code, history.code, history.user_id) == ("Q", "CR", owner.id)


def test_corrections_from_two_workers_both_count_in_the_stored_summary(db, engine, coder, make_user):
    from sqlmodel import Session as DbSession

    from app.exports import summary

    owner = make_user("pat")
    sid = stored_session(db, coder, owner).session.id
    db.close()
    with DbSession(engine) as a, DbSession(engine) as b:  # two workers, each with its own view
        in_a = store.load_session(a, session=a.get(Session, sid), scheme=SCHEME)
        in_b = store.load_session(b, session=b.get(Session, sid), scheme=SCHEME)
        questions = [u.id for t in in_a.turns for u in t.utterances if u.auto_code == "Q"]
        first, second = questions[0], questions[1]
        store.correct_utterance(b, stored=in_b, utterance=in_b.utterance(second)[1],
                                user=b.get(type(owner), owner.id), code="CR", scheme=SCHEME)
        store.correct_utterance(a, stored=in_a, utterance=in_a.utterance(first)[1],
                                user=a.get(type(owner), owner.id), code="CR", scheme=SCHEME)
    with DbSession(engine) as check:
        s = check.get(Session, sid)
        now = store.load_session(check, session=s, scheme=SCHEME)
        assert {now.utterance(first)[1].code, now.utterance(second)[1].code} == {"CR"}
        assert json.loads(s.summary_json) == json.loads(json.dumps(summary(now.scores)))
        assert s.revision == 2


def test_choosing_the_automatic_code_again_undoes_the_correction(db, coder, make_user):
    owner = make_user("pat")
    stored = stored_session(db, coder, owner)
    u = stored.turns[0].utterances[-1]
    store.correct_utterance(db, stored=stored, utterance=u, user=owner, code="GI", scheme=SCHEME)
    store.correct_utterance(db, stored=stored, utterance=u, user=owner, code=u.auto_code,
                            subtype=u.auto_subtype, scheme=SCHEME)
    assert not u.corrected and u.code == u.auto_code


def test_all_four_human_ratings_replace_the_estimates(db, coder, make_user):
    owner = make_user("pat")
    stored = stored_session(db, coder, owner)
    assert stored.scores.globals_estimated
    store.set_ratings(db, stored=stored, user=owner, ratings={"empathy": 5, "partnership": 5},
                      scheme=SCHEME)
    assert stored.scores.globals_estimated  # two of four: still estimates
    store.set_ratings(db, stored=stored, user=owner, scheme=SCHEME, ratings={
        "cultivating_change_talk": 2, "softening_sustain_talk": 4})
    again = store.load_session(db, session=stored.session, scheme=SCHEME)
    assert not again.scores.globals_estimated
    assert again.scores.value("relational_global") == 5.0
    assert again.scores.value("technical_global") == 3.0


def test_who_sees_what(db, coder, make_user):
    pat, kim = make_user("pat"), make_user("kim")
    sup = make_user("sup", role="supervisor")
    other_sup = make_user("osup", role="supervisor", team="South team")
    trainer = make_user("tess", role="trainer")
    shared = stored_session(db, coder, pat, "shared").session
    private = stored_session(db, coder, pat, "private").session
    assert {s.id for s in store.visible_sessions(db, user=pat)} == {shared.id, private.id}
    assert store.visible_sessions(db, user=kim) == []
    assert [s.id for s in store.visible_sessions(db, user=sup)] == [shared.id]
    assert store.get_visible(db, user=sup, session_id=private.id) is None
    assert store.get_visible(db, user=other_sup, session_id=shared.id) is None
    assert store.get_visible(db, user=trainer, session_id=shared.id) is None
    assert store.count_visible(db, user=pat) == 2


def test_correction_choices_depend_on_the_speaker(db):
    assert store.parse_choice("Q:open", "practitioner") == ("Q", "open")
    assert store.parse_choice("CHANGE", "client") == ("CHANGE", "")
    assert store.parse_choice("CHANGE", "practitioner") is None
    assert store.parse_choice("DROP TABLE", "client") is None


def test_two_workers_rating_at_once_both_bump_the_revision(db, engine, coder, make_user):
    from sqlmodel import Session as DbSession

    owner = make_user("pat")
    sid = stored_session(db, coder, owner).session.id
    start = db.get(Session, sid).revision
    with DbSession(engine) as a, DbSession(engine) as b:  # two workers, each with the page loaded
        seen = [store.load_session(x, session=x.get(Session, sid), scheme=SCHEME) for x in (a, b)]
        for x, stored, rating in ((a, seen[0], "partnership"), (b, seen[1], "empathy")):
            store.set_ratings(x, stored=stored, user=x.get(type(owner), owner.id),
                              ratings={rating: 4}, scheme=SCHEME)
    db.expire_all()
    assert db.get(Session, sid).revision == start + 2  # neither bump is lost: no stale cached page
