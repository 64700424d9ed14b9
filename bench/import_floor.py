"""`python -m bench.import_floor MODULE...`: the memory a Python process holds once it has imported
these modules and done nothing else; printed as JSON. The floors under siak_monitor's memory."""

from __future__ import annotations

import gc
import importlib
import json
import sys
from pathlib import Path

LAYERS: dict[str, tuple[str, ...]] = {
    "Python with asyncio and TLS": ("asyncio", "ssl"),
    "+ pydantic, aiokafka, prometheus_client": (
        "asyncio",
        "ssl",
        "pydantic",
        "aiokafka",
        "prometheus_client",
    ),
    "+ FastAPI and uvicorn": (
        "asyncio",
        "ssl",
        "pydantic",
        "aiokafka",
        "prometheus_client",
        "fastapi",
        "uvicorn",
    ),
    "siak_monitor's modules": ("services.siak_monitor.__main__",),
}
"""Each a process of its own: what is imported, from the bare runtime to the whole monitor."""


def proportional_set_size() -> int:
    """This process's PSS in bytes, read as bench.procs reads another's."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def main(modules: list[str]) -> None:
    for module in modules:
        importlib.import_module(module)
    gc.collect()
    print(json.dumps({"modules": len(sys.modules), "pss_bytes": proportional_set_size()}))


if __name__ == "__main__":
    main(sys.argv[1:])
