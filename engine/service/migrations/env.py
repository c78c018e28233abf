"""Alembic environment: runs on the connection the service hands over (config.attributes), or on
NTMCERT_DATABASE_URL when alembic is run by hand."""

from __future__ import annotations

import os

from alembic import context
from ntmcert.service.db import Base
from sqlalchemy import create_engine

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # several servers may start at once: one migrates, the others wait and find it done
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7411001)")
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or os.environ["NTMCERT_DATABASE_URL"])
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
