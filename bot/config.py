"""One typed configuration object: defaults, then a YAML file, then the environment.

No file is valid (defaults everywhere). An unknown key or a bad value stops start-up with a
message naming the key, the file and the line. Secrets (the Discord token) never live in the
file: they come from `COACHBOT_DISCORD_TOKEN` or a file whose path the config names.
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from bot.yamlfile import Problem, YamlDocument, check_mapping, describe, load_yaml

DEFAULT_DATABASE = "coachbot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.source, p.line, p.col))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class DiscordConfig:
    token_file: str | None = None  # a file holding the token; COACHBOT_DISCORD_TOKEN wins
    api_base: str | None = None  # replaces discord.http.Route.BASE, e.g. for a rate-limit proxy
    gateway_url: str | None = None  # replaces the gateway address
    moderator_role: str | None = None  # a role name that counts as moderator (besides Manage Server)
    sync_commands: bool = True  # bulk-update slash commands at start when they changed
    # Privileged intents (turn them on in the Developer Portal too): reading the ordinary
    # messages of accountability channels that opted in to the crisis check, and noticing
    # when a member leaves a server (their group ties there end).
    message_content: bool = False
    member_events: bool = False


@dataclass(frozen=True)
class SafetyConfig:
    lexicon_paths: tuple[str, ...] = ()  # extra word-list files with community slang
    resources_path: str | None = None  # crisis and therapy resources; bundled file if unset
    pause_hours: int = 24  # nudges and group reminders pause this long after a crisis message
    community_default_country: str | None = None  # used when a member chose no country
    moderator_alerts: bool = False  # community-wide switch; members still opt in themselves


@dataclass(frozen=True)
class NudgeConfig:
    rate_per_second: float = 40.0  # proactive messages per second, below Discord's 50
    catchup_hours: int = 12  # nudges missed during downtime older than this are dropped
    tick_seconds: int = 30  # how often the scheduler looks for due nudges
    batch_size: int = 250  # nudges claimed per transaction


@dataclass(frozen=True)
class PrivacyConfig:
    retention_days: int = 180  # answers of ended conversations are deleted after this


@dataclass(frozen=True)
class Config:
    database: str = DEFAULT_DATABASE
    conversations_dir: str | None = None  # bundled conversations if unset
    log_level: str = "INFO"
    data_dir: str = "coachbot-data"  # exports and charts written by the terminal chat
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    nudges: NudgeConfig = field(default_factory=NudgeConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    # Not from the file: secrets and where the config came from.
    discord_token: str | None = field(default=None, repr=False)
    source: str | None = None

    @property
    def conversations_path(self) -> Path:
        if self.conversations_dir:
            return Path(self.conversations_dir)
        from bot.flows.library import FlowLibrary
        return FlowLibrary.bundled_directory()


_CHECKS: dict[str, Any] = {
    "log_level": lambda v: None if str(v).upper() in LOG_LEVELS
    else f"should be one of {', '.join(LOG_LEVELS)}",
    "rate_per_second": lambda v: None if 0 < v <= 50 else "should be above 0 and at most 50",
    "pause_hours": lambda v: None if v >= 0 else "should be 0 or more",
    "catchup_hours": lambda v: None if v >= 0 else "should be 0 or more",
    "tick_seconds": lambda v: None if v >= 1 else "should be at least 1",
    "batch_size": lambda v: None if 1 <= v <= 5000 else "should be from 1 to 5000",
    "retention_days": lambda v: None if v >= 1 else "should be at least 1",
}


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None  # an empty variable counts as unset


def load_config(path: str | Path | None = None, *, db_override: str | None = None) -> Config:
    """Load the config: defaults < file < environment < `--db`."""
    path = path or _env("COACHBOT_CONFIG")
    config = Config()
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError([Problem(source, 1, 1, "config file not found")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([Problem(source, 1, 1, f"cannot read the config file: {exc}")]
                              ) from None
        doc, problems = load_yaml(text, source)
        if doc is not None and doc.data is not None:
            config = _read(doc, Config, (), problems)
        if problems:
            raise ConfigError(problems)
        config = replace(config, source=source)
    env_db = _env("COACHBOT_DATABASE")
    discord = config.discord
    discord = replace(discord, api_base=_env("COACHBOT_DISCORD_API_BASE") or discord.api_base,
                      gateway_url=_env("COACHBOT_DISCORD_GATEWAY_URL") or discord.gateway_url)
    config = replace(
        config,
        database=db_override or env_db or config.database,
        log_level=(_env("COACHBOT_LOG_LEVEL") or config.log_level).upper(),
        discord=discord,
        discord_token=_token(config),
    )
    return config


def _token(config: Config) -> str | None:
    token = _env("COACHBOT_DISCORD_TOKEN")
    if token:
        return token.strip()
    if config.discord.token_file:
        try:
            text = Path(config.discord.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError([Problem(config.source or "config", 1, 1,
                                       f"cannot read discord.token_file: {exc.strerror}")]
                              ) from None
        return text or None
    return None


def _read(doc: YamlDocument, cls: type, path: tuple, problems: list[Problem]) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls) if f.name not in ("discord_token", "source")]
    what = "the config file" if not path else f"the {path[-1]!r} section"
    mapping = check_mapping(doc, path, problems, optional=names, what=what)
    if mapping is None:
        return cls()
    values: dict[str, Any] = {}
    for name in names:
        if name not in mapping:
            continue
        kind = hints[name]
        if is_dataclass(kind):
            values[name] = _read(doc, kind, (*path, name), problems)
            continue
        value = _convert(doc, (*path, name), mapping[name], kind, problems)
        if value is not _BAD:
            check = _CHECKS.get(name)
            message = check(value) if check and value is not None else None
            if message:
                problems.append(doc.problem((*path, name),
                                            f"{'.'.join(map(str, (*path, name)))} {message}"))
            else:
                values[name] = value
    return cls(**values)


_BAD = object()


def _convert(doc: YamlDocument, path: tuple, value: Any, kind: Any, problems: list[Problem]
             ) -> Any:
    key = ".".join(map(str, path))
    args = typing.get_args(kind)
    optional = type(None) in args
    if optional and value is None:
        return None
    if optional:
        kind = next(a for a in args if a is not type(None))
    origin = typing.get_origin(kind)
    if origin is tuple:
        if not isinstance(value, list):
            problems.append(doc.problem(path, f"{key} should be a list, found {describe(value)}"))
            return _BAD
        items = []
        for i, _item in enumerate(value):
            text = doc.text((*path, i), problems, what="text")
            if text is not None:
                items.append(text)
        return tuple(items)
    if kind is str:
        text = doc.text(path, problems, what=f"text for {key}")
        return _BAD if text is None else text
    if kind is bool:
        if isinstance(value, bool):
            return value
        problems.append(doc.problem(path, f"{key} should be true or false, "
                                          f"found {describe(value)}"))
        return _BAD
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                kind is int and not isinstance(value, int)):
            word = "a whole number" if kind is int else "a number"
            problems.append(doc.problem(path, f"{key} should be {word}, found {describe(value)}"))
            return _BAD
        return kind(value)
    raise TypeError(f"unsupported config type {kind!r}")  # pragma: no cover

