from tests.fakediscord.pytest_plugin import bot_identity, fake_discord  # noqa: F401
