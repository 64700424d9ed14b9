"""Runs the SIAK simulator with uvicorn: ``python -m services.siak_sim``."""

from __future__ import annotations

import os

import uvicorn

from services.siak_sim.app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090


def _port_from_env() -> int:
    raw = os.environ.get("SIAK_SIM_PORT", str(DEFAULT_PORT))
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise SystemExit(f"SIAK_SIM_PORT must be a TCP port number, got {raw!r}")
    return port


def main() -> None:
    host = os.environ.get("SIAK_SIM_HOST", DEFAULT_HOST)
    uvicorn.run(create_app(), host=host, port=_port_from_env())


if __name__ == "__main__":
    main()
