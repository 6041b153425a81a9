"""coachbot: professional coaching conversations for online communities. Coaching, not therapy."""

__version__ = "0.1.0"
