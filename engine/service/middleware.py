"""One pure ASGI middleware for every request: a request id, the body size limit, metrics.

Pure ASGI (not BaseHTTPMiddleware) because it runs on every request of a throughput target.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from .metrics import Metrics
from .problems import ApiProblem

log = logging.getLogger("ntmcert.service")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class BodyTooLarge(ApiProblem):
    def __init__(self, limit: int):
        from . import _core

        super().__init__(413, [_core.Problem("body_too_large", f"the body is larger than {limit:,} bytes",
                                             _core.Location("request"))])


class ServiceMiddleware:
    def __init__(self, app, *, metrics: Metrics, max_body: int, max_upload: int, upload_paths: tuple[str, ...]):
        self.app, self.metrics = app, metrics
        self.max_body, self.max_upload, self.upload_paths = max_body, max_upload, upload_paths

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope.get("headers") or ())
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        limit = self.max_upload if scope["path"] in self.upload_paths else self.max_body
        status_box = [500]
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = [False]

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                started[0] = True
                status_box[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode()),
                                      (b"x-content-type-options", b"nosniff")]
            await send(message)

        length = headers.get(b"content-length")
        try:
            if length is not None and length.isdigit() and int(length) > limit:
                raise BodyTooLarge(limit)
            await self.app(scope, limited_receive, send_with_id)
        except BodyTooLarge as exc:  # raised before the app read anything: answer here
            await self._answer(scope, receive, send, 413, exc.problems, request_id)
            status_box[0] = 413
        except Exception:
            log.exception("request %s failed", request_id)
            if not started[0]:
                from . import _core

                await self._answer(scope, receive, send, 500, [_core.Problem(
                    "internal_error", "an internal error occurred; quote the request id to the operator",
                    _core.Location("request"))], request_id)
            status_box[0] = 500
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(scope["method"], path, status_box[0], time.perf_counter() - start)

    @staticmethod
    async def _answer(scope, receive, send, status: int, problems, request_id: str) -> None:
        from .problems import problem_response

        response = problem_response(None, status, problems)
        response.headers["x-request-id"] = request_id
        body = json.loads(bytes(response.body))
        body["request_id"], body["instance"] = request_id, scope.get("path")
        response.body = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
        response.headers["content-length"] = str(len(response.body))
        await response(scope, receive, send)
