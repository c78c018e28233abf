"""Alembic migrations of the service database (applied at start and by `ntmcert db upgrade`)."""
