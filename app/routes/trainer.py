"""The trainer's page: team-wide consistency across teams (pseudonymous aggregates, no
transcript text), and a CSV of session-level scores."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app import audit, consistency
from app.access import Action
from app.audit import Event
from app.charts import Series, line_chart
from app.deps import ActorDep, CurrentUser, SchemeDep, SessionDep, authorized
from app.web import render

router = APIRouter(include_in_schema=False)


def _month(m: str) -> date:
    return date(int(m[:4]), int(m[5:7]), 15)


def _charts(d: consistency.Distribution) -> dict[str, object]:
    sc = d.score
    thresholds = (f" Fair from {sc.fair:g}, good from {sc.good:g}." if sc.good is not None else "")
    out = {}
    for kind, groups in (("discipline", d.by_discipline), ("locality", d.by_locality)):
        series = [Series(g, [(_month(m), c.median) for m, c in sorted(cells.items())])
                  for g, cells in groups.items()]
        out[kind] = line_chart(
            f"chart-{sc.id}-{kind}", f"{sc.name}: median per {kind}, by month",
            f"One line per {kind} ({', '.join(groups) or 'none'}), the median of each month's sessions."
            + thresholds + " The table beside it has the medians, quartiles and counts.",
            series, fair=sc.fair, good=sc.good, lower_is_better=sc.lower_is_better)
    spread = [(_month(m), c.q3 - c.q1) for m, c in d.spread.items()]
    out["spread"] = line_chart(
        f"chart-{sc.id}-spread", f"{sc.name}: spread between practitioners, by month",
        "The interquartile range of practitioners' monthly averages: a falling line means the "
        "team is converging. The table beside it has the figures.",
        [Series("Spread", spread)])
    return out


@router.get("/trainer", dependencies=[authorized(Action.trainer_view)])
async def trainer_page(request: Request, db: SessionDep, user: CurrentUser, scheme: SchemeDep) -> Response:
    """Team-wide consistency, across teams."""
    cache = request.app.state.page_cache  # the same for every trainer until the data change
    key = ("trainer", consistency.data_version(db), user.id, getattr(request.state, "csrf", ""))
    if (body := cache.get(key)) is not None:
        return HTMLResponse(body, headers={"Vary": "HX-Request"})
    data = consistency.rows(db, scheme=scheme)
    dists = consistency.distributions(data, scheme=scheme)
    response = render(request, "trainer.html", {
        "dists": dists, "charts": {d.score.id: _charts(d) for d in dists},
        "agreement": consistency.code_agreement(db), "n_sessions": len(data),
        "n_practitioners": len({r.owner_id for r in data})})
    cache.put(key, response.body)
    return response


@router.get("/trainer/export.csv", dependencies=[authorized(Action.trainer_view)])
async def trainer_export(db: SessionDep, actor: ActorDep, scheme: SchemeDep) -> Response:
    """Session-level scores with pseudonymous ids and no text (safe against formula injection)."""
    audit.record(db, actor, Event.trainer_export, detail="pseudonymous scores", commit=True)
    body = consistency.export_csv(consistency.rows(db, scheme=scheme), scheme=scheme,
                                  salt=consistency.salt_for(db))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="session-scores.csv"'})
