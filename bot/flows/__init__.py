"""Coaching conversations: the YAML format moderators write, its validator and the engine."""
