"""A second net behind the rules: a small multinomial logistic regression over the tokens.

The rules (`detector.py`) say what they were written to say; this model generalises from the
labelled corpus to phrasings no rule names. It reads the detector's own normalised tokens (the
message is normalised once, for both) and the names of the concepts the rule scan found, so
"~means" or "~death_self" count the same in every language and spelling.

Features, each counted as often as it occurs:

- every token ("want", "pills", "."), and every concept the scan found ("~means");
- every pair of neighbouring tokens ("want", "die");
- every pair of concepts found one after the other, however many words lie between them
  ("~i", "~desire", "*" for "I really want"): a skip pair that reads the same in every
  language.

Classes: `none` plus the nine crisis categories. Weights live in `data/classifier.json`
(written by `python -m bot.safety.train`), quantised to integers.

Inference is one dictionary lookup per feature and one integer addition: each feature's ten
weights are packed into one Python integer, ten 32-bit fields with an offset so no field ever
goes negative, so summing the weights of all classes is a single `sum()` over integers. The
sum is unpacked once per message with `struct`; the offsets cancel in the softmax, which only
needs each class's difference from `none`.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator, Sequence
from itertools import chain, repeat
from pathlib import Path
from sys import intern

from bot.safety.lexicon import CRISIS_CATEGORIES

CLASSES = ("none", *CRISIS_CATEGORIES)
MODEL_PATH = Path(__file__).parent / "data" / "classifier.json"
SKIP = "*"  # third element of a skip pair: ("want", "die", "*")
CONCEPT = "~"  # prefix of a concept feature; tokens never contain it

_FIELD = 32
_WIDTH = 4 * len(CLASSES)  # bytes of a packed sum
_UNPACK = struct.Struct(f"<{len(CLASSES)}I").unpack
_OFFSET = 1 << 20  # per feature and field; |weight| stays below it
_LIMIT = 1 << 19
_MAX_EXP = 700.0
_MAX_FEATURES = 2700  # (features + 1) offsets and weights fit a field; longer messages are cut

Feature = str | tuple[str, ...]


def features(toks: Sequence[str], concepts: Sequence[str] = ()) -> Iterator[Feature]:
    """Every feature of a message, as training and inference both see it."""
    if concepts:
        return chain(toks, zip(toks, toks[1:], strict=False), concepts,
                     zip(concepts, concepts[1:], repeat(SKIP)))
    return chain(toks, zip(toks, toks[1:], strict=False))


def feature_name(f: Feature) -> str:
    """A feature as a JSON key: "want", "want die", "~i * ~desire", "~means"."""
    if isinstance(f, str):
        return f
    if len(f) == 2:
        return f"{f[0]} {f[1]}"
    return f"{f[0]} {SKIP} {f[1]}"


def parse_feature(name: str) -> Feature:
    """A feature from its JSON key, its words interned like the tokens they are compared with."""
    parts = [intern(part) for part in name.split(" ")]
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 3 and parts[1] == SKIP:
        return parts[0], parts[2], SKIP
    raise ValueError(f"not a feature name: {name!r}")


class Classifier:
    """The trained model: `predict` gives the probability of `none` and the likeliest crisis
    category."""

    __slots__ = ("classes", "scale", "threshold", "veto_threshold", "_get", "_bias", "_cut",
                 "_size")

    def __init__(self, weights: dict[Feature, Sequence[int]], bias: Sequence[int], scale: float,
                 threshold: float, veto_threshold: float,
                 classes: Sequence[str] = CLASSES) -> None:
        if tuple(classes) != CLASSES:
            raise ValueError(f"model classes {list(classes)} are not {list(CLASSES)}")
        if len(bias) != len(CLASSES):
            raise ValueError("model bias has the wrong length")
        if not 0.0 < threshold < 1.0 or not 0.0 <= veto_threshold <= threshold:
            raise ValueError("model thresholds must be 0 <= veto <= threshold < 1")
        self.classes = CLASSES
        self.scale = float(scale)
        self.threshold = float(threshold)
        self.veto_threshold = float(veto_threshold)
        packed: dict[Feature, int] = {}
        for f, ws in weights.items():
            if len(ws) != len(CLASSES):
                raise ValueError(f"feature {feature_name(f)!r} has {len(ws)} weights")
            packed[f] = _pack(ws)
        self._get = packed.get
        self._size = len(packed)
        self._bias = _pack(bias)
        # P(none) >= threshold for sure when every other class is this far below `none`:
        # 1 / (1 + 9 * exp(gap)) >= threshold.
        self._cut = math.log((1 - self.threshold) / self.threshold / (len(CLASSES) - 1))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Classifier:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        weights = {parse_feature(k): v for k, v in data["weights"].items()}
        return cls(weights, data["bias"], data["scale"], data["threshold"],
                   data["veto_threshold"], data["classes"])

    def __len__(self) -> int:
        return self._size

    def _fields(self, toks: Sequence[str], concepts: Sequence[str]) -> tuple[int, ...]:
        """Each class's summed weights (bias included), all shifted by the same offset."""
        if 2 * (len(toks) + len(concepts)) < _MAX_FEATURES:  # too few features to cut
            total = sum(filter(None, map(self._get, features(toks, concepts))), self._bias)
            return _UNPACK(total.to_bytes(_WIDTH, "little"))
        found = list(filter(None, map(self._get, features(toks, concepts))))
        if len(found) >= _MAX_FEATURES:  # a field holds (features + 1) offsets
            del found[_MAX_FEATURES - 1:]
        found.append(self._bias)
        return _UNPACK(sum(found).to_bytes(_WIDTH, "little"))

    def screen(self, toks: Sequence[str], concepts: Sequence[str] = ()) -> tuple[float, str] | None:
        """`predict`, but None straight away when P(none) is at least the threshold (most
        messages: the check stops after one comparison)."""
        f = self._fields(toks, concepts)
        f0 = f[0]
        rest = f[1:]
        top = max(rest)
        inv = 1.0 / self.scale
        if (top - f0) * inv < self._cut:
            return None
        p_none = 1.0 / (1.0 + sum([math.exp(min((v - f0) * inv, _MAX_EXP)) for v in rest]))
        if p_none >= self.threshold:
            return None
        return p_none, CLASSES[rest.index(top) + 1]

    def predict(self, toks: Sequence[str], concepts: Sequence[str] = ()) -> tuple[float, str]:
        """P(none), and the crisis category with the highest probability."""
        f = self._fields(toks, concepts)
        f0 = f[0]
        rest = f[1:]
        top = max(rest)
        inv = 1.0 / self.scale
        p_none = 1.0 / (1.0 + sum([math.exp(min((v - f0) * inv, _MAX_EXP)) for v in rest]))
        return p_none, CLASSES[rest.index(top) + 1]

    def probabilities(self, toks: Sequence[str], concepts: Sequence[str] = ()) -> list[float]:
        f = self._fields(toks, concepts)
        top = max(f)
        e = [math.exp((v - top) / self.scale) for v in f]
        s = sum(e)
        return [v / s for v in e]


def _pack(ws: Sequence[int]) -> int:
    out = 0
    for k, w in enumerate(ws):
        w = int(w)
        if not -_LIMIT < w < _LIMIT:
            raise ValueError(f"weight {w} out of range")
        out |= (w + _OFFSET) << (_FIELD * k)
    return out


__all__ = ["CLASSES", "MODEL_PATH", "Classifier", "feature_name", "features", "parse_feature"]
