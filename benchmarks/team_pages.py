"""Time the supervisor's team page and the trainer's page with generated data.

50 practitioners (4 disciplines, 2 localities) and 5,000 sessions over a year, scores only
(no transcripts), bulk-inserted into a throwaway SQLite file; then each page is fetched
through the app (login cookie, full middleware) and timed. Target: under 300 ms each.

    python benchmarks/team_pages.py [--practitioners 50] [--sessions 5000] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session as DbSession  # noqa: E402
from sqlmodel import select  # noqa: E402

from app import users  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import init_db, make_engine  # noqa: E402
from app.deps import LOGIN_COOKIE  # noqa: E402
from app.models import Role, Session, Team, User  # noqa: E402
from app.security import hash_password  # noqa: E402
from app.web import create_app  # noqa: E402

DISCIPLINES = ["Children's social worker", "Adult mental health practitioner",
               "Substance misuse worker", "Domestic abuse practitioner"]
LOCALITIES = ["North locality", "South locality"]


def summary(rng: random.Random, skill: float) -> str:
    q = rng.randint(5, 25)
    sr, cr = rng.randint(2, 20), rng.randint(0, int(12 * skill) + 1)
    refl = sr + cr
    tech, rel = min(5, max(1, rng.gauss(2 + 2.5 * skill, 0.6))), min(5, max(1, rng.gauss(2.5 + 2 * skill, 0.6)))
    return json.dumps({
        "counts": {"Q": q, "SR": sr, "CR": cr}, "volleys": q + refl,
        "reflection_to_question": refl / q, "percent_complex_reflections": 100 * cr / max(refl, 1),
        "mi_adherent": rng.randint(0, 10), "mi_non_adherent": rng.randint(0, int(6 * (1 - skill)) + 1),
        "technical_global_estimate": tech, "relational_global_estimate": rel,
        "percent_open_questions": rng.uniform(20, 90), "global_ratings_estimates": {}})


def generate(url: str, practitioners: int, sessions: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    init_db(engine)
    today = date.today()
    with DbSession(engine) as db:
        team = Team(name="Generated team")
        db.add(team)
        db.flush()
        pw = hash_password("benchmark password")
        people = [{"username": f"p{i:03d}", "full_name": f"Practitioner {i:03d}", "role": Role.practitioner,
                   "team_id": team.id, "password_hash": pw, "discipline": DISCIPLINES[i % 4],
                   "locality": LOCALITIES[i % 2]} for i in range(practitioners)]
        people += [{"username": "sup", "full_name": "Supervisor", "role": Role.supervisor, "team_id": team.id,
                    "password_hash": pw, "discipline": "", "locality": ""},
                   {"username": "tess", "full_name": "Trainer", "role": Role.trainer, "team_id": None,
                    "password_hash": pw, "discipline": "", "locality": ""}]
        db.execute(insert(User), people)
        ids = list(db.exec(select(User.id).where(User.role == Role.practitioner).order_by(User.id)))
        skill = {i: rng.random() for i in ids}
        rows = []
        for n in range(sessions):
            owner = ids[n % len(ids)]
            day = today - timedelta(days=rng.randint(0, 364))
            rows.append({"owner_id": owner, "team_id": team.id, "session_date": day,
                         "family_ref": f"GEN-{n:05d}", "change_goals": "", "setting": "home visit",
                         "visibility": rng.choice(["shared", "shared", "trainer", "private"]),
                         "title": "generated", "source": "notes", "scheme_id": "miti-4.2.1",
                         "summary_json": summary(rng, min(1.0, skill[owner] + (365 - (today - day).days) / 730))})
        db.execute(insert(Session), rows)
        db.commit()
    engine.dispose()


def timed(client: TestClient, path: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--practitioners", type=int, default=50)
    ap.add_argument("--sessions", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        t = time.perf_counter()
        generate(url, args.practitioners, args.sessions)
        print(f"generated {args.practitioners} practitioners and {args.sessions} sessions "
              f"in {time.perf_counter() - t:.1f} s")
        for cache in (0, 64):
            print("without the page cache (every request computes the page):" if not cache else
                  "with the page cache (the trainer's page is kept until the data change):")
            app = create_app(Settings(database_url=url, demo=False, page_cache=cache))
            with TestClient(app) as client:
                for username, path in (("sup", "/team"), ("tess", "/trainer"), ("tess", "/trainer/export.csv")):
                    with DbSession(app.state.engine) as db:
                        raw = users.issue_token(db, user=users.get_user(db, username=username), kind="login")
                        db.commit()
                    client.cookies.set(LOGIN_COOKIE, raw)
                    times = timed(client, path, args.runs)
                    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
                    verdict = "ok" if statistics.median(times) < 300 else "OVER the 300 ms target"
                    print(f"  {path:<20} first {times[0]:6.0f} ms  median {statistics.median(times):6.0f} ms  "
                          f"p95 {p95:6.0f} ms  ({args.runs} runs; {verdict})")


if __name__ == "__main__":
    main()
