"""Learning from corrections, scripted: correct 200 codes in a demo database, retrain, and
print the new model's figures beside the old.

The demo sessions have no reference coding, so the reviewer's answers come from the team's
own coded corpus: a quarter of `fixtures/corpus` (every 4th dialogue) is kept out of the
starting model and added to the demo team as sessions, coded by that model. A supervisor
then works through their utterances from the least confident up, and corrects each one whose
automatic code differs from the team's human code, until 200 codes are corrected. Then
`build_candidate` (as `mifi train --from-db`) trains on the rest of the corpus plus the
reviewed sessions and compares both models on held-out reviewed sessions.

Everything happens in a temporary folder (database and model folder).

    python benchmarks/learn_from_corrections.py [--corrections 200] [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session as DbSession
from sqlmodel import select

from app import learning, store
from app.coding import CodedSession, CodedTurn
from app.config import Settings
from app.db import init_db, make_engine
from app.demo import ensure_demo
from app.models import Role, Session, User, UtteranceRecord, Visibility
from app.scheme import load_scheme
from app.scoring import score_session
from app.transcript import Turn
from classifiers.coder import Coder, Utterance
from classifiers.corpus import CORPUS_DIR, corpus_files, read_dialogue
from classifiers.evaluation import model_against
from classifiers.training import corpus_set, in_context, train


def team_coded_session(coder: Coder, path: Path, scheme) -> tuple[CodedSession, dict]:  # noqa: ANN001
    """A corpus dialogue coded by the coder, keeping the corpus's utterances; and its gold codes."""
    gold = read_dialogue(path)
    coded = coder.classify(in_context(gold))
    turns: list[CodedTurn] = []
    answers = {}
    for u, c in zip(gold, coded):
        if not turns or turns[-1].turn.turn_id != str(u.turn):
            turns.append(CodedTurn(Turn(u.speaker, "", u.role, True, str(u.turn)), []))
        t = turns[-1]
        start = len(t.turn.text) + (1 if t.turn.text else 0)
        t.turn.text = f"{t.turn.text} {u.text}" if t.turn.text else u.text
        t.utterances.append(Utterance(u.text, start, start + len(u.text), c.code, c.subtype,
                                      c.confidence, c.source, c.explanation))
        answers[(str(u.turn), len(t.utterances) - 1)] = (u.code, u.subtype)
    scores = score_session([(t.turn.role, t.utterances) for t in turns], scheme)
    return CodedSession(path.stem, turns, scores, "csv"), answers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corrections", type=int, default=200)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="mifi-learn-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    say = lambda m: print(f"[{time.perf_counter() - started:6.1f}s] {m}", file=sys.stderr)  # noqa: E731
    try:
        files = corpus_files(CORPUS_DIR)
        new = files[3::4]
        base = work / "corpus-base"
        base.mkdir(exist_ok=True)
        for p in files:
            if p not in new:
                shutil.copy2(p, base / p.name)
        settings = Settings(db_path=work / "mifi-demo.db", demo=True, model_dir=work / "models",
                            train_folds=args.folds)
        say(f"training the starting model on {len(files) - len(new)} corpus dialogues "
            f"({len(new)} kept out as the team's new sessions)")
        start_meta = train(corpus_set(base), work / "start" / "mifi-model.npz", folds=args.folds,
                           progress=lambda m: None)
        engine = make_engine(settings.url)
        init_db(engine)
        scheme = load_scheme(settings.scheme)
        with DbSession(engine) as db:
            learning.adopt(db, settings, work / "start" / "mifi-model.npz", by="benchmark")
        coder = Coder.load(learning.model_for_coding(settings))
        assert coder.model_version == start_meta["version"]
        say("creating the demo team (20 demo sessions)")
        ensure_demo(engine, coder=coder, scheme_id=settings.scheme)
        with DbSession(engine) as db:
            people = list(db.exec(select(User).where(User.role == Role.practitioner).order_by(User.id)))
            supervisor = db.exec(select(User).where(User.role == Role.supervisor)).first()
            answers: dict[int, dict] = {}
            for i, p in enumerate(new):
                coded, gold = team_coded_session(coder, p, scheme)
                meta = store.SessionMeta(session_date=date.today() - timedelta(days=len(new) - i),
                                         family_ref=f"DEMO-C{i:03d}", visibility=Visibility.shared)
                s = store.store_session(db, owner=people[i % len(people)], coded=coded, meta=meta,
                                        scheme=scheme, model={"name": coder.model_name,
                                                              "version": coder.model_version},
                                        title=f"Team-coded {p.stem}", demo=True)
                answers[s.id] = gold
            say(f"added {len(new)} team-coded sessions; the supervisor corrects the least "
                f"confident automatic codes that differ from the team's codes")
            rows = db.exec(select(UtteranceRecord).where(UtteranceRecord.session_id.in_(list(answers)))).all()
            turn_label = {t.id: t.label for t in db.exec(select(store.TurnRecord).where(
                store.TurnRecord.session_id.in_(list(answers))))}
            wrong = []
            for u in rows:
                code, subtype = answers[u.session_id][(turn_label[u.turn_id], u.position)]
                if code != u.auto_code:
                    wrong.append((u.confidence, u.id, u, code, subtype))
            wrong.sort(key=lambda w: (w[0], w[1]))
            chosen = wrong[:args.corrections]
            by_session: dict[int, list] = {}
            for w in chosen:
                by_session.setdefault(w[2].session_id, []).append(w)
            for sid, items in by_session.items():
                stored = store.load_session(db, session=db.get(Session, sid), scheme=scheme)
                for _, uid, _, code, subtype in items:
                    _, u = stored.utterance(uid)
                    store.correct_utterance(db, stored=stored, utterance=u, user=supervisor,
                                            code=code, subtype=subtype, scheme=scheme,
                                            reason="the team's own coding")
            auto_wrong = len(wrong)
            say(f"corrected {len(chosen)} codes in {len(by_session)} sessions "
                f"(of {auto_wrong} automatic codes that differ from the team's, in {len(rows)} utterances)")
            say("building a candidate from the corpus plus the reviewed sessions")
            row = learning.build_candidate(db, settings, built_by="benchmark", corpus=base,
                                           progress=lambda m: say("  " + m))
            print(f"learn from corrections: {len(chosen)} codes corrected by hand, "
                  f"{len(learning.reviewed_session_ids(db))} reviewed sessions")
            print(learning.comparison_table(row))
            # Benchmark only: the held-out sessions' complete human coding is known (they are
            # corpus dialogues), so both models can also be measured against all of it.
            held = json.loads(row.training_json)["held_out"]
            gold_dir = work / "held-out-gold"
            gold_dir.mkdir(exist_ok=True)
            for sid in held:
                title = db.get(Session, sid).title
                if title.startswith("Team-coded "):
                    shutil.copy2(CORPUS_DIR / f"{title.removeprefix('Team-coded ')}.csv", gold_dir)
            if any(gold_dir.iterdir()):
                old = model_against(gold_dir, coder)
                new_model = model_against(gold_dir, Coder.load(settings.models_dir / row.path))
                print(f"against the team's complete coding of the {len(list(gold_dir.iterdir()))} "
                      "held-out team-coded sessions:")
                for role in ("practitioner", "client"):
                    a, b = old[role], new_model[role]
                    for key in ("macro_f1", "accuracy", "kappa"):
                        label = f"{role} {key.replace('_', ' ').replace('f1', 'F1')}"
                        print(f"{label:34}{getattr(a, key):>18.3f}  {getattr(b, key):>18.3f}")
            if row.promotable:
                learning.promote(db, settings, row, by="benchmark")
                print(f"promoted {row.version}; the app and mifi code now use it")
            else:
                print(f"kept {row.baseline_version}")
        say("done")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
