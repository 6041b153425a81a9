"""Crisis safety: recognise crisis language in every message and point to real help.

Nothing here imports a chat platform. `CrisisDetector.check()` never raises; see
docs/safety.md for the levels, categories and the lexicon format.
"""

from bot.safety.detector import FAIL_CLOSED, Assessment, CrisisDetector, Level, validate_lexicon
from bot.safety.lexicon import LexiconError

__all__ = ["FAIL_CLOSED", "Assessment", "CrisisDetector", "Level", "LexiconError",
           "validate_lexicon"]
