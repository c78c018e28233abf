"""Running uvicorn for `ntmcert serve` (one process, or a supervisor and its workers)."""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

# the application served: the decision service with the officers' web app mounted on it (named, not
# imported: the web layer sits above the service)
APP = "ntmcert.web:app_from_env"


class NoDelayConfig(uvicorn.Config):
    """uvicorn's socket shared by several workers is made with protocol 0, so asyncio does not set
    TCP_NODELAY on the connections the workers accept, and Nagle's algorithm against delayed ACKs
    added about 40 ms to every response (measured). Set on the listening socket, Linux passes it
    on to each accepted connection."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def run_server(host: str, port: int, workers: int) -> None:
    config = NoDelayConfig(APP, factory=True, host=host, port=port, workers=workers, access_log=False,
                           log_level="warning")
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        uvicorn.Server(config).run()
