"""schemathesis over /openapi.json: every operation, generated requests (valid and invalid), with
an API key; no 5xx, and every response conforms to the published schema (status code, content
type, headers, body). Example counts are bounded so the run takes about a minute."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from ntmcert.service.app import create_app
from ntmcert.service.auth import KeyStore
from ntmcert.service.db import Database
from ntmcert.service.migrate import upgrade
from ntmcert.service.settings import Settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
TOKEN: dict[str, str] = {}


def _app():
    """The app on a fresh SQLite log in a temporary folder (built at import: schemathesis
    generates the tests from the app's own OpenAPI document)."""
    folder = Path(tempfile.mkdtemp(prefix="ntmcert-schemathesis-"))
    atexit.register(shutil.rmtree, folder, True)
    url = f"sqlite:///{folder / 'ntmcert.sqlite3'}"
    db = Database(url)
    upgrade(db)
    TOKEN["admin"] = KeyStore(db).create("schemathesis", ["admin"]).token
    return create_app(Settings(database_url=url, data_dir=folder, max_upload_bytes=1024 * 1024), db=db)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi_document(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN['admin']}"}, checks=CHECKS)
