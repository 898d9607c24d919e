"""The coded transcript and score card for people at a terminal (rich tables)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from app.coding import CodedSession
from app.scheme import Scheme
from app.scoring import ScoreValue

CODE_STYLES = {
    "Q": "cyan", "SR": "green", "CR": "bold green", "AF": "magenta", "SEEK": "magenta",
    "EMPHASIZE": "magenta", "GI": "blue", "PERSUADE": "yellow",
    "PERSUADE_WITH_PERMISSION": "yellow", "CONFRONT": "bold red", "NC": "dim",
    "CHANGE": "bold green", "SUSTAIN": "red", "NEUTRAL": "dim",
}
BAND_STYLES = {"good": "bold green", "fair": "yellow", "below fair": "red", "": ""}


def format_value(s: ScoreValue) -> str:
    if s.value is None:
        return "n/a"
    if s.display == "percent":
        return f"{s.value:.0f}%"
    if s.display == "ratio":
        return f"{s.value:.2f}:1"
    if s.display == "count":
        return f"{s.value:.0f}"
    return f"{s.value:.1f}"


def _threshold(s: ScoreValue, v: float | None) -> str:
    if v is None:
        return ""
    return format_value(ScoreValue(s.id, s.name, v, s.display))


def transcript_table(session: CodedSession) -> Table:
    table = Table(title=f"Session {session.session_id}: coded transcript", show_lines=False,
                  expand=False, title_justify="left")
    table.add_column("Turn", justify="right", no_wrap=True)
    table.add_column("Speaker", no_wrap=True)
    table.add_column("Utterance", ratio=1)
    table.add_column("Code", no_wrap=True)
    table.add_column("Conf.", justify="right", no_wrap=True)
    for i, ct in enumerate(session.turns):
        t = ct.turn
        label = t.turn_id or str(i)
        if not t.coded:
            table.add_row(label, "", Text(t.text, style="italic dim"), "not coded", "")
            continue
        speaker = f"{t.speaker} ({t.role[0].upper()})" if t.role else t.speaker
        for j, u in enumerate(ct.utterances):
            code = u.code + (f" {u.subtype}" if u.subtype and u.code == "Q" else "")
            table.add_row(label if j == 0 else "", speaker if j == 0 else "", u.text,
                          Text(code, style=CODE_STYLES.get(u.code, "")), f"{u.confidence:.2f}")
    return table


def score_card(session: CodedSession, scheme: Scheme) -> Table:
    sc = session.scores
    table = Table(title=f"Score card ({scheme.name})", title_justify="left")
    table.add_column("Score")
    table.add_column("Value", justify="right")
    table.add_column("Fair", justify="right")
    table.add_column("Good", justify="right")
    table.add_column("Against thresholds")
    for s in sc.scores:
        name = s.name + (" (estimate)" if s.estimated else "")
        table.add_row(name, format_value(s), _threshold(s, s.fair), _threshold(s, s.good),
                      Text(s.band or "-", style=BAND_STYLES[s.band]))
    counts = ", ".join(f"{k} {v}" for k, v in sc.counts.items() if v)
    table.caption = (f"{sc.volleys} practitioner volleys. Counts (once per volley): "
                     f"{counts or 'none'}. Global ratings are estimated from the codes"
                     f"{'' if sc.globals_estimated else ' (replaced by human ratings)'}; "
                     "% open questions is a MITI 3.1.1 measure. "
                     "Thresholds are expert opinion, not validated norms.")
    table.caption_justify = "left"
    return table


def render(sessions: Sequence[CodedSession], scheme: Scheme, console: Console) -> None:
    for s in sessions:
        console.print(Group(transcript_table(s), score_card(s, scheme)))
        console.print()


def agreement_tables(results: dict) -> list[Table]:
    """Per-role tables: per-code P/R/F1, kappa, confusion matrix and calibration."""
    tables = []
    for role, r in results.items():
        t = Table(title=f"{role}: {r.n} utterances, accuracy {r.accuracy:.3f}, "
                        f"Cohen's kappa {r.kappa:.3f}, macro F1 {r.macro_f1:.3f}"
                        + (f", ECE {r.calibration['ece']:.3f}" if r.calibration else ""),
                  title_justify="left")
        t.add_column("Code")
        for col in ("Precision", "Recall", "F1", "Support"):
            t.add_column(col, justify="right")
        for code, s in r.per_code.items():
            t.add_row(code, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
        tables.append(t)
        m = Table(title=f"{role}: confusion (rows: reference, columns: predicted)", title_justify="left")
        m.add_column("")
        for code in r.labels:
            m.add_column(code[:8], justify="right")
        for code, row in zip(r.labels, r.confusion):
            m.add_row(code, *[str(v) if v else "." for v in row])
        tables.append(m)
    return tables
