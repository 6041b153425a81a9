"""Reading the labelled corpus and scoring the detector on it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bot.safety.detector import CrisisDetector

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Example:
    crisis: bool
    group: str  # category for crisis lines, topic for ordinary ones
    level: str  # concern | urgent for crisis lines, "-" otherwise
    lang: str
    text: str
    where: str


def read(name: str, folder: Path = CORPUS) -> list[Example]:
    out: list[Example] = []
    path = folder / name
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        expect, group, level, lang, text = line.split("\t")
        out.append(Example(expect == "crisis", group, level, lang, text, f"{name}:{n}"))
    return out


@dataclass
class Score:
    table: list[tuple[str, str, int, int, float]]  # side, group, right, total, rate
    recall: float
    fp_rate: float
    category_agreement: float
    urgent_recall: float
    missed: list[str]
    false_alarms: list[str]
    wrong_level: list[str]


def score(detector: CrisisDetector, examples: list[Example]) -> Score:
    right: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[tuple[str, str], int] = defaultdict(int)
    missed: list[str] = []
    false_alarms: list[str] = []
    wrong_level: list[str] = []
    same_category = crisis_hits = urgent_total = urgent_hits = 0
    for ex in examples:
        got = detector.check(ex.text)
        side = "crisis" if ex.crisis else "ordinary"
        key = (side, ex.group)
        total[key] += 1
        if ex.crisis:
            if got.crisis:
                right[key] += 1
                crisis_hits += 1
                same_category += got.category == ex.group
            else:
                missed.append(f"{ex.where} [{ex.group}] {ex.text!r} -> {got.level}")
            if ex.level == "urgent":
                urgent_total += 1
                if got.level == "urgent":
                    urgent_hits += 1
                else:
                    wrong_level.append(f"{ex.where} {ex.text!r} -> {got.level}/{got.category}")
        elif not got.crisis:
            right[key] += 1
        else:
            false_alarms.append(f"{ex.where} [{ex.group}] {ex.text!r} -> {got.level}/{got.category}")
    table = [(side, group, right[(side, group)], n, right[(side, group)] / n)
             for (side, group), n in sorted(total.items())]
    crisis_n = sum(n for (side, _), n in total.items() if side == "crisis")
    ordinary_n = sum(n for (side, _), n in total.items() if side == "ordinary")
    ok_n = sum(v for (side, _), v in right.items() if side == "ordinary")
    return Score(
        table=table,
        recall=crisis_hits / crisis_n if crisis_n else 1.0,
        fp_rate=(ordinary_n - ok_n) / ordinary_n if ordinary_n else 0.0,
        category_agreement=same_category / crisis_hits if crisis_hits else 1.0,
        urgent_recall=urgent_hits / urgent_total if urgent_total else 1.0,
        missed=missed, false_alarms=false_alarms, wrong_level=wrong_level,
    )


def report(title: str, s: Score) -> str:
    lines = [f"\n{title}", f"{'side':9} {'group':22} {'right':>5} / {'n':<4} rate"]
    for side, group, ok, n, rate in s.table:
        lines.append(f"{side:9} {group:22} {ok:5} / {n:<4} {rate:6.1%}")
    lines.append(f"recall {s.recall:.1%}  false positives {s.fp_rate:.1%}  "
                 f"category agreement {s.category_agreement:.1%}  "
                 f"urgent found as urgent {s.urgent_recall:.1%}")
    return "\n".join(lines)
