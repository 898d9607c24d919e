"""The supervisor's team page: latest scores as a heatmap with a table beside it, who has had
no session coded lately, sessions awaiting review, and the supervision notes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import team
from app.access import Action
from app.charts import heatmap
from app.deps import CurrentUser, SchemeDep, SessionDep, authorized
from app.web import render

router = APIRouter(include_in_schema=False)


@router.get("/team", dependencies=[authorized(Action.team_view)])
async def team_page(request: Request, db: SessionDep, user: CurrentUser, scheme: SchemeDep) -> Response:
    """Your team at a glance, for supervision."""
    data = team.overview(db, supervisor=user, scheme=scheme)
    chart = heatmap(
        "team-heatmap", "Latest scores of each practitioner against the thresholds",
        "One row per practitioner, one column per score, from their latest shared session; "
        "each cell gives the value and its band (✓ good, ~ fair, ✗ below fair). "
        "The table beside it has the same figures.",
        [r.practitioner.display_name for r in data.rows], [s.name for s in data.scores],
        [[(_short(r.latest[s.id][0], s.display), r.latest[s.id][1]) for s in data.scores]
         for r in data.rows])
    return render(request, "team.html", {"t": data, "heatmap": chart})


def _short(value: float | None, display: str) -> str:
    if value is None:
        return "–"
    if display == "percent":
        return f"{value:.0f}%"
    if display == "count":
        return f"{value:.0f}"
    return f"{value:.2f}" if display == "ratio" else f"{value:.1f}"
