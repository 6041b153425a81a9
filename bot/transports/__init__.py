"""Transports: the only code that knows which platform a member is on."""
