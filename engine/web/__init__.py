"""The officers' web app (issue #12) on the decision service: sign-in, the evaluation form with
live statuses, the report and what-if, batches, history with sign-offs, the province view.

It sits one layer above the service: `create_app` is the service's app with the web app mounted
(same process, same database); `ntmcert serve` runs `app_from_env`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from ntmcert.service.db import Database
    from ntmcert.service.settings import Settings


def install(app: FastAPI) -> None:
    """Mount the web app's pages and static files on the service's app."""
    from fastapi.staticfiles import StaticFiles

    from . import routes_auth, routes_batch, routes_decisions, routes_evaluate, routes_province
    from .accounts import Accounts
    from .common import HERE, install_handlers

    app.state.web_accounts = Accounts(app.state.db)
    install_handlers(app)
    for module in (routes_auth, routes_evaluate, routes_decisions, routes_batch, routes_province):
        app.include_router(module.router)
    app.mount("/web/static", StaticFiles(directory=HERE / "static"), name="web-static")
    app.include_router(routes_auth.not_found)  # last: any other /web/ address is a page, not JSON


def create_app(settings: Settings, *, db: Database | None = None) -> FastAPI:
    from ntmcert.service.app import create_app as create_service_app

    app = create_service_app(settings, db=db)
    install(app)
    return app


def app_from_env() -> FastAPI:
    """The factory uvicorn's workers call (`ntmcert serve` sets the environment)."""
    from ntmcert.service.settings import Settings

    return create_app(Settings.from_env())
