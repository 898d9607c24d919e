"""Learning from corrections: export of reviewed sessions, candidate builds, promotion only
when not worse, the model folder and `mifi train --from-db`. Small corpora keep it quick."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session as DbSession
from sqlmodel import select

from app import learning, store
from app.config import Settings
from app.models import ModelVersion, UtteranceRecord
from app.parsers import read_text
from app.scheme import load_scheme
from classifiers import artifact
from classifiers.corpus import read_dialogue
from classifiers.training import concat, corpus_set, train
from tests.conftest import NOTES

ROOT = Path(__file__).resolve().parent.parent
OTHER_NOTES = """SW: How has the week been with the new routine?
Dad: Better. I've started walking him to school myself.
SW: You've made that happen.
Dad: I don't want to go back to shouting in the mornings.
SW: What would help keep it going?
Dad: I'll ask my sister to have the baby on Mondays.
"""


@pytest.fixture
def learn_settings(tmp_path: Path, small_corpus: Path) -> Settings:
    return Settings(database_url="sqlite://", model_dir=tmp_path / "models", train_corpus=small_corpus,
                    train_folds=2, promote_tolerance=1.0)


def _sessions(db, make_user, coder, n: int = 4) -> list:  # noqa: ANN001
    owner = make_user("pat")
    scheme = load_scheme("miti-4.2.1")
    out = []
    for i in range(n):
        out += store.code_and_store(db, owner=owner, transcripts=[read_text(NOTES if i % 2 else OTHER_NOTES)],
                                    meta=store.SessionMeta(session_date=date(2026, 3, 1 + i)),
                                    scheme=scheme, coder=coder, title=f"s{i}")
    return out


def _correct(db, session, user, index: int = 0) -> UtteranceRecord:  # noqa: ANN001
    scheme = load_scheme("miti-4.2.1")
    stored = store.load_session(db, session=session, scheme=scheme)
    u = [u for t in stored.turns for u in t.utterances if t.record.role == "practitioner"][index]
    new = "GI" if u.auto_code != "GI" else "NC"
    store.correct_utterance(db, stored=stored, utterance=u, user=user, code=new, scheme=scheme,
                            reason="is information")
    return u


def _review_all(db, sessions, user) -> None:  # noqa: ANN001
    for s in sessions:
        _correct(db, s, user)


def test_reviewed_sessions_are_those_corrected_or_with_shared_feedback(db, make_user, coder):
    s1, s2, s3 = _sessions(db, make_user, coder, 3)
    sup = make_user("sup", role="supervisor")
    u = _correct(db, s1, sup)
    store.save_feedback(db, session=s2, user=sup, sections={"strengths": "x"}, share=True)
    store.save_feedback(db, session=s3, user=sup, sections={"strengths": "x"}, share=False)
    assert learning.reviewed_session_ids(db) == [s1.id, s2.id]
    d1, d2 = learning.reviewed_dialogues(db)
    assert d1.dialogue_id == f"session-{s1.id}" and sum(d1.corrected) == 1 and not any(d2.corrected)
    fixed = d1.utterances[d1.corrected.index(True)]
    assert fixed.text == u.text.strip() and fixed.code == u.human_code and fixed.note == "is information"
    autos = db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id == s2.id)).all()
    assert sorted(x.code for x in d2.utterances) == sorted(a.auto_code for a in autos)


def test_a_confirmed_code_makes_a_session_reviewed(db, make_user, coder):
    (s,) = _sessions(db, make_user, coder, 1)
    scheme = load_scheme("miti-4.2.1")
    stored = store.load_session(db, session=s, scheme=scheme)
    u = stored.turns[0].utterances[0]
    store.correct_utterance(db, stored=stored, utterance=u, user=stored.owner, code=u.auto_code,
                            subtype=u.auto_subtype, scheme=scheme)
    assert learning.reviewed_session_ids(db) == [s.id]


def test_export_writes_corpus_files_that_training_reads(db, make_user, coder, tmp_path):
    sessions = _sessions(db, make_user, coder, 2)
    _review_all(db, sessions, make_user("sup", role="supervisor"))
    paths = learning.export_corpus(db, tmp_path / "export")
    assert [p.stem for p in paths] == [f"session-{s.id}" for s in sessions]
    rows = read_dialogue(paths[0])  # validates the format
    assert rows[0].turn == 0 and {r.role for r in rows} == {"practitioner", "client"}
    data = corpus_set(tmp_path / "export")
    direct = learning.training_set(learning.reviewed_dialogues(db))
    assert direct.labels == data.labels and direct.groups == data.groups
    both = concat(corpus_set(ROOT / "fixtures" / "corpus"), direct)
    assert len(set(both.groups)) == len(set(corpus_set(ROOT / "fixtures" / "corpus").groups)) + 2


def test_held_out_split_is_stable_and_never_holds_out_seen_sessions():
    ids = list(range(1, 41))
    train_ids, held = learning.split_held_out(ids)
    assert held and set(held).isdisjoint(train_ids) and sorted(train_ids + held) == ids
    assert set(held) <= set(learning.split_held_out(ids + [41, 42])[1])  # stable as sessions are added
    _, held_seen = learning.split_held_out(ids, seen=set(held))
    assert set(held_seen).isdisjoint(held)
    assert learning.split_held_out([7, 8], seen={7, 8}) == ([7, 8], [])
    assert learning.split_held_out([5])[1] == []


def test_not_worse_allows_within_tolerance_and_refuses_worse():
    current = {"practitioner": {"macro_f1": 0.70}, "client": {"macro_f1": 0.72}}
    ok, _ = learning.not_worse({"practitioner": {"macro_f1": 0.695}, "client": {"macro_f1": 0.80}},
                               current, 0.01)
    assert ok
    ok, why = learning.not_worse({"practitioner": {"macro_f1": 0.75}, "client": {"macro_f1": 0.60}},
                                 current, 0.01)
    assert not ok and "client macro F1 0.600" in why


def _bad_trainer(data, out, folds, progress):  # noqa: ANN001, ANN202
    """A deliberately bad model: trained with every label moved to another utterance."""
    labels = data.labels[7:] + data.labels[:7]
    shuffled = type(data)(data.records, labels, data.groups, data.source, data.sha256)
    return train(shuffled, out, folds=1, progress=progress)


def test_a_worse_candidate_is_listed_but_never_promoted(db, make_user, coder, learn_settings):
    sessions = _sessions(db, make_user, coder, 4)
    _review_all(db, sessions, make_user("sup", role="supervisor"))
    settings = learn_settings.model_copy(update={"promote_tolerance": 0.01})
    row = learning.build_candidate(db, settings, built_by="test", trainer=_bad_trainer)
    assert not row.promotable and row.decision.startswith("Worse")
    assert row.baseline_version == coder.model_version
    figures = json.loads(row.figures_json)
    assert figures["candidate"]["practitioner"]["macro_f1"] < figures["current"]["practitioner"]["macro_f1"]
    with pytest.raises(learning.LearningError, match="may not be promoted"):
        learning.promote(db, settings, row, by="test")
    assert learning.active_version(db) is None
    assert learning.active_model_path(settings.models_dir) is None


def test_a_candidate_is_built_compared_listed_and_promoted(db, make_user, coder, learn_settings,
                                                           monkeypatch):
    monkeypatch.delenv("MIFI_MODEL", raising=False)
    sessions = _sessions(db, make_user, coder, 4)
    _review_all(db, sessions, make_user("sup", role="supervisor"))
    messages: list[str] = []
    row = learning.build_candidate(db, learn_settings, built_by="admin", progress=messages.append)
    training = json.loads(row.training_json)
    assert len(training["held_out"]) >= 1 and set(training["held_out"]).isdisjoint(training["sessions"])
    assert training["corpus_dialogues"] == 3
    figures = json.loads(row.figures_json)
    for side in ("candidate", "current"):
        assert set(figures[side]) == {"practitioner", "client"}
        assert 0 <= figures[side]["practitioner"]["macro_f1"] <= 1
    assert row.promotable and not row.active and any("built" in m for m in messages)
    assert (learn_settings.models_dir / row.path).is_file()
    assert [v.version for v in learning.versions(db)] == [row.version]
    assert row.version in learning.comparison_table(row)

    learning.promote(db, learn_settings, row, by="admin")
    assert learning.active_version(db).version == row.version and row.promoted_by == "admin"
    path = learning.model_for_coding(learn_settings)
    assert path == (learn_settings.models_dir / row.path).resolve()
    assert learning.current_version(db, learn_settings) == row.version
    with pytest.raises(learning.LearningError, match="already"):
        learning.promote(db, learn_settings, row, by="admin")

    # a session coded now records the version that coded it
    from classifiers.coder import Coder

    new_coder = Coder.load(path)
    (s,) = store.code_and_store(db, owner=make_user("pat2"),
                                transcripts=[read_text(NOTES)], scheme=load_scheme("miti-4.2.1"),
                                meta=store.SessionMeta(session_date=date(2026, 4, 1)), coder=new_coder)
    assert (s.model_name, s.model_version) == (artifact.MODEL_NAME, row.version)
    assert all(u.source.startswith("rule:") or u.source == f"model:{row.version}"
               for u in db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id == s.id)))

    # explicit settings still win over the active version
    pinned = learn_settings.model_copy(update={"model_path": Path("/x/m.npz")})
    assert learning.model_for_coding(pinned) == Path("/x/m.npz")
    monkeypatch.setenv("MIFI_MODEL", "/y/m.npz")
    assert learning.model_for_coding(learn_settings) is None


def test_promotion_is_refused_when_the_current_model_changed(db, make_user, coder, learn_settings):
    sessions = _sessions(db, make_user, coder, 4)
    _review_all(db, sessions, make_user("sup", role="supervisor"))
    row = learning.build_candidate(db, learn_settings, built_by="t", trainer=_quick_trainer)
    row.baseline_version = "20000101.000000"
    with pytest.raises(learning.LearningError, match="build a new candidate"):
        learning.promote(db, learn_settings, row, by="t")


def test_a_promotion_that_cannot_be_committed_leaves_the_active_model(db, make_user, coder,
                                                                      learn_settings):
    from sqlalchemy.exc import IntegrityError

    sessions = _sessions(db, make_user, coder, 4)
    _review_all(db, sessions, make_user("sup", role="supervisor"))
    row = learning.build_candidate(db, learn_settings, built_by="t", trainer=_quick_trainer)
    assert row.promotable and learning.model_for_coding(learn_settings) is None  # the shipped model
    db.add(ModelVersion(version=row.version, path="elsewhere.npz"))  # a duplicate: the commit fails
    with db.no_autoflush, pytest.raises(IntegrityError):
        learning.promote(db, learn_settings, row, by="t")
    db.rollback()
    assert learning.model_for_coding(learn_settings) is None  # the folder points back too
    assert learning.active_version(db) is None


def _quick_trainer(data, out, folds, progress):  # noqa: ANN001, ANN202
    return train(data, out, folds=1, progress=progress)


def test_no_reviewed_sessions_means_no_candidate(db, learn_settings):
    with pytest.raises(learning.LearningError, match="no reviewed sessions"):
        learning.build_candidate(db, learn_settings, built_by="t")


def test_models_dir_sits_beside_the_database(tmp_path):
    assert Settings(db_path=tmp_path / "mifi-demo.db").models_dir == tmp_path / "mifi-demo-models"
    assert Settings(db_path=tmp_path / "a.db", model_dir=tmp_path / "m").models_dir == tmp_path / "m"


def test_mifi_train_from_db_builds_and_promotes(tmp_path, small_corpus, coder, monkeypatch, capsys):
    from app import cli, users
    from app.db import init_db, make_engine

    monkeypatch.delenv("MIFI_MODEL", raising=False)
    monkeypatch.delenv("MIFI_MODEL_DIR", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MIFI_PROMOTE_TOLERANCE", "1")
    db_path = tmp_path / "team.db"
    engine = make_engine(f"sqlite:///{db_path}")
    init_db(engine)
    with DbSession(engine) as db:
        owner = users.create_user(db, username="pat", password="a long test password", team="T")
        db.commit()
        scheme = load_scheme("miti-4.2.1")
        sessions = [s for i in range(4) for s in store.code_and_store(
            db, owner=owner, transcripts=[read_text(NOTES if i % 2 else OTHER_NOTES)], scheme=scheme,
            meta=store.SessionMeta(session_date=date(2026, 3, 1 + i)), coder=coder)]
        _review_all(db, sessions, owner)
    engine.dispose()
    assert cli.main(["train", "--from-db", "--db", str(db_path), "--base-corpus", str(small_corpus),
                     "--folds", "1"]) == 0
    out = capsys.readouterr().out
    assert "(candidate)" in out and "promoted" in out
    models = tmp_path / "team-models"
    assert learning.active_model_path(models) is not None
    with DbSession(make_engine(f"sqlite:///{db_path}")) as db:
        (row,) = learning.versions(db)
        assert row.active and row.built_by.startswith("command line")
        from app.models import AuditEvent

        promoted = db.exec(select(AuditEvent).where(AuditEvent.action == "model.promote")).one()
        assert (promoted.username, promoted.detail) == ("(command line)", row.version)

    # mifi code now codes with the active version of that database's model folder
    monkeypatch.setenv("MIFI_DB_PATH", str(db_path))
    notes = tmp_path / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    assert cli.main(["code", str(notes), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"]["version"] == row.version


def test_mifi_train_from_db_without_reviewed_sessions_fails_cleanly(tmp_path, capsys, monkeypatch):
    from app import cli

    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert cli.main(["train", "--from-db", "--db", str(tmp_path / "empty.db")]) == 2
    assert "no reviewed sessions" in capsys.readouterr().err
    assert cli.main(["train", "--no-promote"]) == 2
