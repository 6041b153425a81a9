"""Check-in nudges on each member's own schedule, sent through one paced delivery queue."""

from bot.nudges.commands import answer_nudge, nudger_of, register, start_scheduler

__all__ = ["answer_nudge", "nudger_of", "register", "start_scheduler"]
