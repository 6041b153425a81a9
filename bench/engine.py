"""How long one answer takes through the router and engine, with a real SQLite file.

Figures: `median_ms_per_answer`, `p99_ms_per_answer` (goal: median under 1 ms on two cores),
`validate_s_200_files` (goal: under 2 s), and the baseline measured in the same run: one bare
durable write (BEGIN IMMEDIATE, UPDATE, COMMIT) on the same file, which every answer must pay.

    python bench/engine.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import Coach  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.flows.validate import run as validate  # noqa: E402
from bot.messages import Inbound, Speaker  # noqa: E402
from tests.flows.synthetic import make_flow_text  # noqa: E402

log = logging.getLogger("bench.engine")
MEMBERS = 20
ROUNDS = 60  # answers per member


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def answers(workdir: Path) -> tuple[list[float], list[float]]:
    config = replace(Config(), database=str(workdir / "bench.sqlite3"),
                     conversations_dir=str(ROOT / "conversations"))
    coach = await Coach.open(config, seed=1)
    timings: list[float] = []
    try:
        for m in range(MEMBERS):
            speaker = Speaker("bench", str(m), f"Member {m}")
            handle = coach.handle
            await handle(Inbound(speaker, text="/coach start wheel_of_life"))
            done = 0
            while done < ROUNDS:
                # Scores and words, as a member would answer; restart when the talk ends.
                for text in ("7", "6", "8", "5", "4", "7", "6", "5"):
                    started = time.perf_counter()
                    await handle(Inbound(speaker, text=text))
                    timings.append((time.perf_counter() - started) * 1000)
                    done += 1
                await handle(Inbound(speaker, text="stop"))
                await handle(Inbound(speaker, text="/coach start wheel_of_life"))
        baseline: list[float] = []
        for i in range(2000):
            started = time.perf_counter()
            async with coach.db.transaction() as conn:
                await conn.execute("UPDATE sessions SET updated_at = ? WHERE id = 1", (str(i),))
            baseline.append((time.perf_counter() - started) * 1000)
    finally:
        await coach.close()
    return timings, baseline


def validation(workdir: Path) -> float:
    directory = workdir / "flows"
    directory.mkdir()
    for i in range(200):
        text = make_flow_text(i)
        flow_id = next(line.split(":", 1)[1].strip() for line in text.splitlines()
                       if line.startswith("id:"))
        (directory / f"{flow_id}.yaml").write_text(text)

    class Null:
        def write(self, _: str) -> int:
            return 0

        def flush(self) -> None:
            pass

    started = time.perf_counter()
    status = validate([str(directory)], directory, Null(), Null())  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    if status != 0:
        log.warning("synthetic files did not validate cleanly (status %s)", status)
    return elapsed


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    logging.getLogger("bot").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        timings, baseline = asyncio.run(answers(workdir))
        validate_s = validation(workdir)
    median = statistics.median(timings)
    base = statistics.median(baseline)
    figures = {
        "answers": len(timings),
        "median_ms_per_answer": round(median, 3),
        "p99_ms_per_answer": round(percentile(timings, 0.99), 3),
        "baseline_median_ms_per_durable_write": round(base, 3),
        "ratio_vs_durable_write": round(median / base, 2) if base else None,
        "validate_s_200_files": round(validate_s, 3),
    }
    log.info("median answer %.3f ms (goal < 1 ms), 200 files validated in %.2f s (goal < 2 s)",
             median, validate_s)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
