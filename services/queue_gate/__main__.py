"""`python -m services.queue_gate`: run the gate with settings from the environment."""

import logging
import sys

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from services.queue_gate import workers
from services.queue_gate.bootstrap import create_app
from services.queue_gate.entrypoints.serving import (
    SERVER_OPTIONS,
    forwarded_options,
    settle_heap,
)
from services.queue_gate.settings import GateSettings, describe_invalid_settings

INVALID_CONFIGURATION = 2
APP_FACTORY = "services.queue_gate.__main__:app_from_environment"
"""Imported by each worker process (uvicorn starts workers from an import string)."""


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def app_from_environment() -> FastAPI:
    """The app of one worker process: each reads the settings, and opens its own pool,
    group commit and Kafka clients, as a replica of its own."""
    _configure_logging()
    app = create_app(GateSettings())
    settle_heap()
    return app


def main() -> None:
    _configure_logging()
    try:
        settings = GateSettings()
    except ValidationError as error:
        print(describe_invalid_settings(error), file=sys.stderr)
        sys.exit(INVALID_CONFIGURATION)
    if settings.workers == 1:
        app = create_app(settings)
        settle_heap()
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            **SERVER_OPTIONS,
            **forwarded_options(settings.forwarded_allow_ips),
        )
        return
    sys.exit(_serve_with_workers(settings))


def _serve_with_workers(settings: GateSettings) -> int:
    """Serve with `settings.workers` processes (`services.queue_gate.workers`)."""
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        **SERVER_OPTIONS,
        **forwarded_options(settings.forwarded_allow_ips),
    )
    return workers.serve(config, settings.workers)


if __name__ == "__main__":
    main()
