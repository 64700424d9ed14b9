"""`python -m services.siak_monitor`: run the monitor with its file and environment settings."""

import logging
import os
import sys

import uvicorn
from pydantic import ValidationError

from services.siak_monitor.bootstrap import create_app
from services.siak_monitor.settings import (
    ConfigFileError,
    MonitorSettings,
    describe_invalid_settings,
    proxy_refusal,
)

INVALID_CONFIGURATION = 2


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = MonitorSettings()
    except (ValidationError, ConfigFileError) as error:
        print(describe_invalid_settings(error), file=sys.stderr)
        sys.exit(INVALID_CONFIGURATION)
    refusal = proxy_refusal(os.environ)
    if refusal:
        print(refusal, file=sys.stderr)
        sys.exit(INVALID_CONFIGURATION)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
