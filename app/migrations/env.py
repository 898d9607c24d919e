"""Alembic's entry point: runs the migrations on the connection app.migrations hands it."""

from alembic import context
from sqlmodel import SQLModel

from app import models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
