"""The `mifi` command line: code a session, train the model."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mifi", description="MI Fidelity: code Motivational "
                                "Interviewing sessions against MITI 4.2.1.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("code", help="code a transcript or notes file and score it",
                       description="Code a session (.txt notes, .docx, .vtt, .srt, .csv; '-' reads "
                       "typed notes from standard input) and print the coded transcript and scores.")
    c.add_argument("path", help="the file to code, or - for standard input")
    c.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="table for people (default), json (the documented contract), csv (one row per utterance)")
    c.add_argument("--out", type=Path, help="write to this file instead of standard output")
    c.add_argument("--scheme", default="miti-4.2.1", help="coding scheme id or YAML file (default: miti-4.2.1)")
    c.add_argument("--practitioner", metavar="LABEL", help="the speaker label of the practitioner "
                   "(default: inferred from labels such as SW or Worker, else the first speaker)")
    c.add_argument("--max-size", type=float, default=5.0, metavar="MB",
                   help="refuse files larger than this many megabytes (default: 5)")
    c.add_argument("--model", type=Path, help="model artifact to use (default: the active model "
                   "version if one was promoted, else the shipped model)")
    c.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="processes for a large file (default: the CPUs free, up to 2; 1 = one)")
    c.add_argument("--redact", action="store_true", help="replace names, phone numbers, emails, "
                   "postcodes, NHS numbers, dates of birth and addresses with placeholders before coding "
                   "(off by default here; always on in the web app unless MIFI_REDACT=0)")
    c.add_argument("--name", action="append", default=[], metavar="NAME",
                   help="with --redact: a name to remove as well (repeatable)")

    t = sub.add_parser("train", help="train the model from the coded corpus",
                       description="Cross-validate (grouped by dialogue) and train the model from "
                       "coded dialogues, then save the artifact with its metadata.")
    src = t.add_mutually_exclusive_group()
    src.add_argument("--corpus", type=Path, help="folder of coded dialogue CSVs in the corpus format, "
                     "such as corrections exported from the app (default: fixtures/corpus)")
    src.add_argument("--annomi", type=Path, metavar="CSV", help="train from AnnoMI's CSV instead "
                     "(one label per turn; cross-validation grouped by transcript)")
    src.add_argument("--from-db", action="store_true", help="build a candidate from the corpus plus "
                     "the reviewed sessions in the database, compare it with the current model on "
                     "held-out sessions, and promote it if it is not worse")
    t.add_argument("--base-corpus", type=Path, metavar="DIR", help="a corpus folder that joins "
                   "every training fold and the final model, while cross-validation measures on "
                   "the --annomi or --corpus data only; with --from-db: the corpus to start from "
                   "(default: fixtures/corpus)")
    t.add_argument("--no-promote", action="store_true", help="with --from-db: list the candidate "
                   "but keep the current model")
    t.add_argument("--db", type=Path, metavar="PATH", help="with --from-db: SQLite database file")
    t.add_argument("--demo", action="store_true", help="with --from-db: use the demo database")
    t.add_argument("--out", type=Path, help="artifact path (default: the shipped model file)")
    t.add_argument("--folds", type=int, default=5, help="cross-validation folds; 1 skips it (default: 5)")

    e = sub.add_parser("evaluate", help="measure codes against a labelled file",
                       description="Per-code precision, recall and F1, Cohen's kappa, the confusion "
                       "matrix and calibration of the model on a labelled file or folder in the "
                       "corpus format; with --against, agreement between two codings of the same "
                       "dialogues instead.")
    e.add_argument("path", type=Path, help="labelled dialogue CSV, or a folder of them")
    e.add_argument("--against", type=Path, metavar="REFERENCE",
                   help="compare with this coding of the same dialogues instead of the model")
    e.add_argument("--format", choices=["table", "json"], default="table")
    e.add_argument("--model", type=Path, help="model artifact to use (default: the shipped model)")

    sub.add_parser("schemes", help="list the coding schemes and check they load")

    s = sub.add_parser("serve", help="run the web app",
                       description="Serve the web app (default http://127.0.0.1:8000). The database "
                       "is DATABASE_URL if set, else --db, else mifi.db (mifi-demo.db with --demo) "
                       "in the per-user data folder.")
    s.add_argument("--demo", action="store_true", help="create and serve the fictional demo team "
                   "(password 'demo', accepted only in demo mode)")
    s.add_argument("--host", help="address to listen on (default: 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (default: 8000)")
    s.add_argument("--db", type=Path, metavar="PATH", help="SQLite database file")

    u = sub.add_parser("users", help="manage accounts: add, list, passwd, token",
                       description="Manage web app accounts in the database that `mifi serve` uses "
                       "(same DATABASE_URL / --db rules).")
    u.add_argument("--db", type=Path, metavar="PATH", help="SQLite database file")
    u.add_argument("--demo", action="store_true", help="use the demo database")
    pg = sub.add_parser("purge", help="remove the raw text of sessions older than the retention period",
                        description="Remove the turn and utterance text (and feedback quotations) of "
                        "sessions stored more than MIFI_RETENTION_DAYS (default 365) days ago; codes and "
                        "scores stay. Same DATABASE_URL / --db rules as `mifi serve`.")
    pg.add_argument("--db", type=Path, metavar="PATH", help="SQLite database file")
    pg.add_argument("--demo", action="store_true", help="use the demo database")
    pg.add_argument("--days", type=int, metavar="N", help="keep text this many days (default: MIFI_RETENTION_DAYS)")
    pg.add_argument("--dry-run", action="store_true", help="list what would be purged, change nothing")
    d = sub.add_parser("db", help="bring the database schema up to date, or show its revision",
                       description="`upgrade` applies the schema migrations (run it once before starting "
                       "several workers against one database); `current` prints the revision the "
                       "database is at. Same DATABASE_URL / --db rules as `mifi serve`.")
    d.add_argument("action", choices=["upgrade", "current"])
    d.add_argument("--db", type=Path, metavar="PATH", help="SQLite database file")
    d.add_argument("--demo", action="store_true", help="use the demo database")
    us = u.add_subparsers(dest="action", required=True, metavar="ACTION")
    ua = us.add_parser("add", help="add a user (asks for the password)")
    ua.add_argument("username")
    ua.add_argument("--role", default="practitioner",
                    choices=["practitioner", "supervisor", "trainer", "admin"])
    ua.add_argument("--name", default="", help="full name")
    ua.add_argument("--team", default="", help="team name (created if new)")
    ua.add_argument("--locality", default="")
    ua.add_argument("--discipline", default="")
    us.add_parser("list", help="list users")
    up = us.add_parser("passwd", help="set a user's password (asks for it)")
    up.add_argument("username")
    ut = us.add_parser("token", help="create a personal API token and print it once")
    ut.add_argument("username")
    ut.add_argument("--name", default="command line", help="what the token is for")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="mifi: warning: %(message)s")
    handlers = {"code": _code, "train": _train, "evaluate": _evaluate, "schemes": _schemes,
                "serve": _serve, "users": _users, "purge": _purge, "db": _db}
    return handlers[args.command](args)


def _fail(message: str) -> int:
    print(f"mifi: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _code(args: argparse.Namespace) -> int:
    from app import batch

    # A large file: start a worker process first of all, so that its start-up (importing the
    # pipeline, loading the model) overlaps ours; it codes the later sessions (app.batch).
    path = None if args.path == "-" else Path(args.path)
    if path is not None and not path.is_file():
        return _fail(f"{args.path}: no such file")
    max_bytes = int(args.max_size * 1_000_000)
    worker: batch.Worker | None = None
    if path is not None and batch.worth_a_worker(min(path.stat().st_size, max_bytes + 1), args.jobs):
        worker = batch.Worker(args.scheme, args.model)

    from app.parsers import read_text, read_transcripts
    from app.scheme import SchemeError, load_scheme
    from app.transcript import TranscriptError

    try:
        scheme = load_scheme(args.scheme)
        if path is None:  # a character is at least a byte: more than max_bytes is too many
            transcripts = [read_text(sys.stdin.read(max_bytes + 1), practitioner=args.practitioner,
                                     max_bytes=max_bytes)]
        else:
            transcripts = read_transcripts(path, max_bytes=max_bytes, practitioner=args.practitioner)
    except (TranscriptError, SchemeError) as e:
        if worker is not None:
            worker.stop()
        return _fail(str(e))
    if args.redact:
        from app.redaction import redact

        transcripts = [redact(t, names=args.name) for t in transcripts]
    cut = batch.split_point(transcripts) if worker is not None else 0
    if worker is not None and cut:
        worker.code(transcripts[cut:])
    elif worker is not None:
        worker.stop()
    from app.coding import code_transcripts
    from classifiers.coder import Coder

    coder = Coder.load(args.model or _active_model())
    sessions = code_transcripts(transcripts[:cut] if cut else transcripts, scheme, coder)
    if cut:
        theirs = worker.result()  # type: ignore[union-attr]
        # (None: the worker failed, so its share is coded here after all.)
        sessions += theirs if theirs is not None else code_transcripts(transcripts[cut:], scheme, coder)
    if args.format == "json":
        from app.exports import to_json

        model = {"name": coder.model_name, "version": coder.model_version}
        # Indented for a person reading the terminal; compact (and faster) into a file.
        _emit(to_json(sessions, scheme, model, indent=None if args.out else 1), args.out)
    elif args.format == "csv":
        from app.exports import to_csv

        _emit(to_csv(sessions), args.out)
    else:
        from rich.console import Console

        from app.terminal import render

        if args.out:
            with args.out.open("w", encoding="utf-8") as f:
                render(sessions, scheme, Console(file=f, width=120, no_color=True))
        else:
            render(sessions, scheme, Console())
    return 0


def _active_model() -> Path | None:
    from app.config import Settings
    from app.active_model import model_for_coding

    return model_for_coding(Settings())


def _emit(text: str, out: Path | None) -> None:
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _train(args: argparse.Namespace) -> int:
    from classifiers.corpus import CORPUS_DIR, CorpusError
    from classifiers.training import annomi_set, corpus_set, train

    if args.from_db:
        return _train_from_db(args)
    if args.no_promote or args.db or args.demo:
        return _fail("--no-promote, --db and --demo go with --from-db")
    if args.base_corpus and not (args.annomi or args.corpus):
        return _fail("--base-corpus goes with --annomi, --corpus or --from-db")
    if args.base_corpus and not args.base_corpus.is_dir():
        return _fail(f"{args.base_corpus}: no such folder")
    try:
        base = corpus_set(args.base_corpus) if args.base_corpus else None
        if args.annomi:
            if not args.annomi.is_file():
                return _fail(f"{args.annomi}: no such file")
            data = annomi_set(args.annomi)
        else:
            corpus = args.corpus or CORPUS_DIR
            if not corpus.is_dir():
                return _fail(f"{corpus}: no such folder")
            data = corpus_set(corpus)
        meta = train(data, args.out, folds=args.folds, progress=lambda m: print(m, file=sys.stderr),
                     base=base)
    except (CorpusError, ValueError, UnicodeDecodeError) as e:
        return _fail(str(e))
    data_meta = meta["training_data"]
    print(f"model {meta['name']} {meta['version']}: {data_meta['dialogues']} dialogues, "
          f"{data_meta['utterances']} utterances ({data_meta['source']})")
    if "base" in data_meta:
        b = data_meta["base"]
        print(f"  plus {b['dialogues']} dialogues, {b['utterances']} utterances in every fold "
              f"({b['source']})")
    for role, cv in meta["cross_validation"].items():
        extra = (f", main behaviour macro F1 {cv['main_behaviour_macro_f1']}"
                 if "main_behaviour_macro_f1" in cv else "")
        print(f"  {role}: cross-validated macro F1 {cv['macro_f1']}, accuracy {cv['accuracy']}, "
              f"kappa {cv['kappa']}, ECE {cv['ece']}{extra}")
    return 0


def _train_from_db(args: argparse.Namespace) -> int:
    import getpass

    from sqlmodel import Session as DbSession

    from app import audit, learning
    from app.db import init_db, make_engine
    from classifiers.corpus import CorpusError

    if args.out:
        return _fail("--out does not go with --from-db (versions live in the model folder)")
    if args.base_corpus and not args.base_corpus.is_dir():
        return _fail(f"{args.base_corpus}: no such folder")
    settings = _web_settings(args)
    engine = make_engine(settings.url)
    init_db(engine)
    try:
        who = f"command line ({getpass.getuser()})"
    except (OSError, KeyError):
        who = "command line"
    with DbSession(engine) as db:
        try:
            row = learning.build_candidate(db, settings, built_by=who, folds=args.folds,
                                           corpus=args.base_corpus,
                                           progress=lambda m: print(m, file=sys.stderr))
        except (learning.LearningError, CorpusError, ValueError) as e:
            return _fail(str(e))
        print(learning.comparison_table(row))
        if args.no_promote or not row.promotable:
            print(f"kept the current model {row.baseline_version}")
            return 0
        audit.record(db, audit.COMMAND_LINE, audit.Event.model_promote, detail=row.version)
        try:
            learning.promote(db, settings, row, by=who)  # commits the event with the change
        except learning.LearningError as e:
            db.rollback()
            return _fail(str(e))
        print(f"promoted {row.version}: {settings.models_dir / row.path}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from classifiers import evaluation
    from classifiers.coder import Coder
    from classifiers.corpus import CorpusError

    for p in (args.path, args.against):
        if p is not None and not p.exists():
            return _fail(f"{p}: no such file or folder")
    try:
        if args.against:
            results = evaluation.against(args.path, args.against)
        else:
            results = evaluation.model_against(args.path, Coder.load(args.model))
    except (CorpusError, ValueError) as e:
        return _fail(str(e))
    if args.format == "json":
        print(json.dumps({role: r.to_dict() for role, r in results.items()}, indent=1))
    else:
        from rich.console import Console

        from app.terminal import agreement_tables

        Console().print(*agreement_tables(results))
    return 0


def _schemes(args: argparse.Namespace) -> int:
    from app.scheme import SchemeError, available_schemes, load_scheme

    status = 0
    for name in available_schemes():
        try:
            s = load_scheme(name)
            print(f"{name}: {s.name} ({len(s.codes)} codes, {len(s.summary_scores)} scores)")
        except SchemeError as e:
            print(f"mifi: error: {e}", file=sys.stderr)
            status = EXIT_BAD_INPUT
    return status


def _web_settings(args: argparse.Namespace):  # noqa: ANN202
    from app.config import Settings

    overrides = {k: v for k, v in {"demo": args.demo or None, "db_path": args.db,
                                   "host": getattr(args, "host", None),
                                   "port": getattr(args, "port", None)}.items() if v is not None}
    return Settings(**overrides)


def _serve(args: argparse.Namespace) -> int:
    from app.web import serve

    settings = _web_settings(args)
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for h in root.handlers:
        h.setFormatter(logging.Formatter("mifi: %(message)s"))
    logging.getLogger("alembic").setLevel(logging.WARNING)  # not each migration step
    print(f"mifi: serving http://{settings.host}:{settings.port}"
          f"{' (demo team, password demo)' if settings.demo else ''}", file=sys.stderr)
    serve(settings)
    return 0


def _purge(args: argparse.Namespace) -> int:
    from sqlmodel import Session as DbSession

    from app import store
    from app.db import init_db, make_engine

    settings = _web_settings(args)
    days = args.days if args.days is not None else settings.retention_days
    if days < 1:
        return _fail("--days must be at least 1")
    engine = make_engine(settings.url)
    init_db(engine)
    with DbSession(engine) as db:
        found = store.purge_text(db, days=days, dry_run=args.dry_run)
        for s in found:
            print(f"{s.id}\t{s.created_at:%Y-%m-%d}\t{s.family_ref}")
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} the text of {len(found)} session{'' if len(found) == 1 else 's'} older than {days} days",
          file=sys.stderr)
    return 0


def _db(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from app import migrations
    from app.db import make_engine

    settings = _web_settings(args)
    engine = make_engine(settings.url)
    try:
        if args.action == "upgrade":
            before = migrations.current(engine)
            after = migrations.upgrade(engine)
            print(f"database at revision {after}" + ("" if before == after else f" (was {before or 'empty'})"))
        else:
            at = migrations.current(engine)
            print(f"{at or 'none'} (newest: {migrations.head()})")
    except OperationalError as e:
        return _fail(f"cannot reach the database: {e.orig.__class__.__name__}")
    finally:
        engine.dispose()
    return 0


def _users(args: argparse.Namespace) -> int:
    from app.users_cli import run

    return run(args, _web_settings(args), fail=_fail)


def command() -> None:
    """The `mifi` command. After `mifi code` has written and flushed its output, it ends at
    once instead of letting the interpreter tear down the pipeline's many objects one by one
    (about a tenth of a second, as mypy does too); other commands exit normally."""
    rc = main()
    if sys.argv[1:2] == ["code"]:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    sys.exit(rc)


if __name__ == "__main__":
    command()
