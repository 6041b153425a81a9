"""How fast is the crisis check? `python bench/crisis.py` (no arguments, well under 2 minutes).

Times `CrisisDetector.check` per message over the labelled corpus (both sides, repeated) and,
in the same run, a naive baseline: lowercase the message and look for every phrase of a plain
phrase list as a substring. Progress goes to stderr; the last stdout line is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.safety.detector import CrisisDetector  # noqa: E402

CORPUS = ROOT / "tests" / "safety" / "corpus"
ROUNDS = 40

# The naive baseline: the kind of lowercase substring scan a first attempt might use.
NAIVE_PHRASES = [
    "kill myself", "want to die", "wanna die", "suicide", "suicidal", "end my life", "end it all",
    "kms", "unalive", "self harm", "self-harm", "cut myself", "hurt myself", "overdose",
    "took all my pills", "better off without me", "no reason to live", "not worth living",
    "goodbye forever", "suicide note", "don't want to live", "dont want to live",
    "don't want to be here", "hang myself", "jump off", "sewerslide", "ctb", "quiero morir",
    "me quiero matar", "suicidarme", "je veux mourir", "me suicider", "ich will sterben",
    "nicht mehr leben", "umbringen", "quero morrer", "me matar", "he hits me", "not safe at home",
    "wants to kill himself", "wants to kill herself", "is suicidal",
]


def messages() -> list[str]:
    out: list[str] = []
    for path in sorted(CORPUS.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                out.append(line.split("\t")[4])
    return out


def naive(text: str) -> bool:
    low = text.lower()
    return any(p in low for p in NAIVE_PHRASES)


def per_message_us(fn, msgs: list[str], rounds: int) -> list[float]:
    timings: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for m in msgs:
            t0 = clock()
            fn(m)
            timings.append((clock() - t0) / 1000)
    return timings


def main() -> int:
    t0 = time.perf_counter()
    detector = CrisisDetector.load()
    load_s = time.perf_counter() - t0
    msgs = messages()
    print(f"loaded lexicon in {load_s:.2f}s; {len(msgs)} corpus messages x {ROUNDS} rounds",
          file=sys.stderr)
    per_message_us(detector.check, msgs, 2)  # warm the token cache, as a running bot would
    ours = sorted(per_message_us(detector.check, msgs, ROUNDS))
    base = sorted(per_message_us(naive, msgs, ROUNDS))
    cold = CrisisDetector.load()
    cold_t = sorted(per_message_us(cold.check, msgs, 1))

    def pct(xs: list[float], q: float) -> float:
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    result = {
        "messages": len(ours),
        "median_us_per_message": round(statistics.median(ours), 2),
        "p99_us_per_message": round(pct(ours, 0.99), 2),
        "mean_us_per_message": round(statistics.fmean(ours), 2),
        "first_pass_median_us_per_message": round(statistics.median(cold_t), 2),
        "naive_substring_median_us_per_message": round(statistics.median(base), 2),
        "ratio_vs_naive_substring": round(statistics.median(ours) / statistics.median(base), 2),
        "naive_phrases": len(NAIVE_PHRASES),
        "lexicon_load_seconds": round(load_s, 3),
    }
    print(f"median {result['median_us_per_message']} us, p99 {result['p99_us_per_message']} us, "
          f"naive median {result['naive_substring_median_us_per_message']} us", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
