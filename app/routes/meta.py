"""Health check and the API docs (Swagger UI served from the app's own static files)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import text

from app.deps import SessionDep
from app.web import render

router = APIRouter(tags=["meta"])


@router.get("/healthz")
async def healthz(db: SessionDep) -> dict[str, str]:
    """Liveness and database check."""
    db.exec(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> Response:
    """OpenAPI docs for the JSON API."""
    csp = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
           "form-action 'self'; object-src 'none'")
    return render(request, "docs.html", {"openapi_url": request.app.openapi_url},
                  headers={"Content-Security-Policy": csp})
