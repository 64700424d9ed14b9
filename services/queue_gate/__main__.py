"""`python -m services.queue_gate`: run the gate with settings from the environment."""

import logging

import uvicorn

from services.queue_gate.bootstrap import create_app
from services.queue_gate.entrypoints.serving import SERVER_OPTIONS
from services.queue_gate.settings import GateSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = GateSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, **SERVER_OPTIONS)


if __name__ == "__main__":
    main()
