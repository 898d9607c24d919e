"""Shared fixtures for the web app's tests: an in-memory database, the app, signed-in clients.

With MIFI_TEST_POSTGRES_URL set (e.g. postgresql://mifi:…@127.0.0.1/mifi_test), every test
that uses the database runs twice: on in-memory SQLite and on PostgreSQL (in a schema of its
own, migrated once, emptied before each test).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool
from sqlmodel import Session as DbSession
from sqlmodel import SQLModel, create_engine

from app import users
from app.config import Settings
from app.db import database_url, init_db, make_engine
from app.deps import get_db
from app.models import Role, User
from classifiers.coder import Coder

PASSWORD = "a long test password"
NOTES = """SW: Thanks for letting me come round. How have the mornings been?
Mum: Honestly? Tiring. Everyone keeps telling me what I'm doing wrong.
SW: It feels like you're being judged from every side.
Mum: I don't want him missing school. I want something better for him.
SW: Did he get in on time today?
Mum: No. It was gone nine again.
SW: You need to get him up earlier.
Mum: I'll try doing the bags the night before.
"""


@pytest.fixture(scope="session")
def coder() -> Coder:
    return Coder.load()


POSTGRES_URL = os.environ.get("MIFI_TEST_POSTGRES_URL", "")
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def postgres_schema_url(name: str) -> URL:
    """The test PostgreSQL database, seen through a new, empty schema of its own."""
    schema = f"test_{os.getpid()}_{name}"
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return database_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})


def drop_postgres_schema(url: URL) -> None:
    schema = url.query["options"].removeprefix("-csearch_path=")
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine():  # noqa: ANN201
    """One migrated schema for the whole run (the tests empty it; see `engine`)."""
    url = postgres_schema_url("main")
    engine = make_engine(url)
    init_db(engine)
    yield engine
    engine.dispose()
    drop_postgres_schema(url)


@pytest.fixture(params=DATABASES)
def engine(request):  # noqa: ANN001, ANN201
    from app import models  # noqa: F401

    if request.param == "postgresql":
        engine = request.getfixturevalue("postgres_engine")
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        yield engine
        return
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine) -> Iterator[DbSession]:  # noqa: ANN001
    with DbSession(engine) as session:
        yield session


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="sqlite://", demo=False)


@pytest.fixture
def app(engine, coder, settings):  # noqa: ANN001, ANN201
    from app.web import create_app

    app = create_app(settings, engine=engine, coder=coder)

    def override_db() -> Iterator[DbSession]:
        with DbSession(engine) as session:
            yield session

    app.dependency_overrides[get_db] = override_db
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_user(db):  # noqa: ANN001, ANN201
    def make(username: str, role: Role | str = Role.practitioner, team: str = "North team", **kw) -> User:
        user = users.create_user(db, username=username, password=PASSWORD, role=role, team=team, **kw)
        db.commit()
        db.refresh(user)
        return user
    return make


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in (through the form, with its CSRF token) and return the CSRF token the pages carry."""
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": form},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/sessions/new")
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)


def add_session(client: TestClient, csrf: str, text: str = NOTES, **fields: str):  # noqa: ANN201
    data = {"csrf_token": csrf, "text": text, "session_date": date.today().isoformat(),
            "family_ref": "FAM-0142", "change_goals": "getting Kayden to school on time",
            "setting": "home visit", "visibility": "shared", **fields}
    return client.post("/sessions", data=data, follow_redirects=False)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three coded dialogues of the team's corpus, copied to a temporary folder."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    root = Path(__file__).resolve().parent.parent
    for p in sorted((root / "fixtures" / "corpus").glob("sg-su-0*.csv"))[:3]:
        shutil.copy2(p, folder / p.name)
    return folder
