"""Run the fake as its own process: ``python -m tests.fakediscord --port 0 --print-port``.

Prints ``PORT <n>`` on stdout once it accepts connections; the default bot's token is
at ``GET /_fake/state``. Stops on SIGINT / SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from .server import FakeDiscord


async def _main(args: argparse.Namespace) -> None:
    fake = FakeDiscord(
        args.host,
        args.port,
        global_limit=args.global_limit,
        token=args.token,
        heartbeat_interval=args.heartbeat_interval,
    )
    await fake.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    if args.print_port:
        print(f"PORT {fake.port}", flush=True)
    else:
        print(f"fakediscord listening on {fake.url}", file=sys.stderr, flush=True)
    try:
        await stop.wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakediscord")
    parser.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "localhost"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--print-port", action="store_true", help="print 'PORT <n>' on stdout when ready"
    )
    parser.add_argument(
        "--global-limit",
        type=int,
        default=50,
        help="requests per second per bot token (0 = unlimited)",
    )
    parser.add_argument("--token", default=None, help="token of the default bot")
    parser.add_argument("--heartbeat-interval", type=int, default=41250)
    asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
