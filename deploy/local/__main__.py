"""`python -m deploy.local up|down|run|status`: the local stack's command line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from deploy.local.processes import StartError
from deploy.local.stack import Stack, StackSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "run", "status"])
    args = parser.parse_args(argv)
    try:
        stack = Stack(StackSettings.from_environment())
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "down":
        stack.down()
        print("stack stopped")
        return 0
    if args.command == "status":
        for name, running in stack.status().items():
            print(f"{name:14} {'running' if running else 'stopped'}")
        return 0
    try:
        started = stack.up()
    except StartError as error:
        print(f"error: {error}", file=sys.stderr)
        if args.command == "run":
            stack.down()
        return 1
    print(f"started: {', '.join(started) or 'nothing (all were running)'}")
    _print_urls(stack)
    if args.command == "run":
        _wait_for_interrupt()
        print("\nstopping ...")
        stack.down()
        print("stack stopped")
    return 0


def _print_urls(stack: Stack) -> None:
    env = stack.environment()
    print(f"  status page   {env['GATE_URL']}/")
    print(f"  queue_gate    {env['GATE_URL']}/docs")
    print(f"  siak_monitor  {env['MONITOR_URL']}/docs")
    print(f"  SIAK (sim)    {env['SIAK_SIM_URL']}/docs")
    print(f"  Kafka         {env['KAFKA_BOOTSTRAP_SERVERS']}")
    print(f"  PostgreSQL    {env['DATABASE_URL']}")
    print(f"  credentials   {stack.settings.state_dir / 'env'}")


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print("running; press Ctrl-C to stop")
    stop.wait()


if __name__ == "__main__":
    sys.exit(main())
