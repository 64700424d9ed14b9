"""`python -m services.siak_monitor`: run the monitor with settings from the environment."""

import logging

import uvicorn

from services.siak_monitor.bootstrap import create_app
from services.siak_monitor.settings import MonitorSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = MonitorSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
