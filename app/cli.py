"""The `mifi` command line: code a session, train the model."""

from __future__ import annotations

import argparse
import logging
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
    c.add_argument("--model", type=Path, help="model artifact to use (default: the shipped model)")

    t = sub.add_parser("train", help="train the model from the coded corpus",
                       description="Cross-validate (grouped by dialogue) and train the model from "
                       "coded dialogues, then save the artifact with its metadata.")
    t.add_argument("--corpus", type=Path, help="folder of coded dialogue CSVs (default: fixtures/corpus)")
    t.add_argument("--out", type=Path, help="artifact path (default: the shipped model file)")
    t.add_argument("--folds", type=int, default=5, help="cross-validation folds; 1 skips it (default: 5)")

    sub.add_parser("schemes", help="list the coding schemes and check they load")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="mifi: warning: %(message)s")
    handlers = {"code": _code, "train": _train, "schemes": _schemes}
    return handlers[args.command](args)


def _fail(message: str) -> int:
    print(f"mifi: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _code(args: argparse.Namespace) -> int:
    from app.coding import code_transcripts
    from app.parsers import read_text, read_transcripts
    from app.scheme import SchemeError, load_scheme
    from app.transcript import TranscriptError
    from classifiers.coder import Coder

    try:
        scheme = load_scheme(args.scheme)
        if args.path == "-":
            transcripts = [read_text(sys.stdin.read(), practitioner=args.practitioner)]
        else:
            path = Path(args.path)
            if not path.is_file():
                return _fail(f"{args.path}: no such file")
            transcripts = read_transcripts(path, max_bytes=int(args.max_size * 1_000_000),
                                           practitioner=args.practitioner)
    except (TranscriptError, SchemeError) as e:
        return _fail(str(e))
    coder = Coder.load(args.model)
    sessions = code_transcripts(transcripts, scheme, coder)
    if args.format == "json":
        from app.exports import to_json

        _emit(to_json(sessions, scheme, {"name": coder.model_name, "version": coder.model_version}),
              args.out)
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


def _emit(text: str, out: Path | None) -> None:
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _train(args: argparse.Namespace) -> int:
    from classifiers.corpus import CORPUS_DIR, CorpusError
    from classifiers.training import train

    corpus = args.corpus or CORPUS_DIR
    if not corpus.is_dir():
        return _fail(f"{corpus}: no such folder")
    try:
        meta = train(corpus, args.out, folds=args.folds,
                     progress=lambda m: print(m, file=sys.stderr))
    except (CorpusError, ValueError) as e:
        return _fail(str(e))
    data = meta["training_data"]
    print(f"model {meta['name']} {meta['version']}: {data['dialogues']} dialogues, "
          f"{data['utterances']} utterances")
    for role, cv in meta["cross_validation"].items():
        print(f"  {role}: cross-validated macro F1 {cv['macro_f1']}, accuracy {cv['accuracy']}")
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


if __name__ == "__main__":
    sys.exit(main())
