"""The officers' web app (issue #12) on the decision service: sign-in, the evaluation form with
live statuses, the report and what-if, batches, history with sign-offs, the province view.

`install(app)` mounts it on the service's FastAPI app (same process, same database)."""

from __future__ import annotations


def install(app) -> None:
    from fastapi.staticfiles import StaticFiles

    from . import (
        routes_auth,
        routes_batch,
        routes_decisions,
        routes_evaluate,
        routes_province,
    )
    from .accounts import Accounts
    from .common import HERE, install_handlers

    app.state.web_accounts = Accounts(app.state.db)
    install_handlers(app)
    for module in (routes_auth, routes_evaluate, routes_decisions, routes_batch, routes_province):
        app.include_router(module.router)
    app.mount("/web/static", StaticFiles(directory=HERE / "static"), name="web-static")
