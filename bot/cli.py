"""`coachbot`: run the bot, chat in the terminal, validate conversations, try the crisis check."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from bot.config import Config, ConfigError, load_config

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coachbot",
        description="A coaching bot for online communities. Coaching, not therapy.")
    parser.add_argument("--config", metavar="PATH",
                        help="a YAML config file (default: $COACHBOT_CONFIG, else defaults)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="connect to Discord with $COACHBOT_DISCORD_TOKEN; "
                                     "without a token, chat in the terminal")
    run.add_argument("--db", metavar="PATH", help="the SQLite file")

    chat = sub.add_parser("chat", help="talk to the coach in the terminal")
    chat.add_argument("--conversations", metavar="DIR", help="the conversations directory")
    chat.add_argument("--db", metavar="PATH", help="the SQLite file")
    chat.add_argument("--user", metavar="NAME", help="who you are (default: your login name)")
    chat.add_argument("--flow", metavar="ID", help="start this conversation at once (preview)")
    chat.add_argument("--seed", type=int, default=None,
                      help="pick prompt variants reproducibly (also $COACHBOT_SEED)")

    validate = sub.add_parser("validate", help="check conversation files; lists every error "
                                               "as path:line:col")
    validate.add_argument("paths", nargs="*", metavar="PATH",
                          help="conversation files or directories (default: the conversations "
                               "directory, plus the safety files named in the config)")
    validate.add_argument("--lexicon", nargs="+", metavar="FILE", default=[],
                          help="crisis word-list files (community slang) to check")
    validate.add_argument("--resources", metavar="FILE",
                          help="a crisis and therapy resources file to check")

    backup = sub.add_parser("backup", help="copy the database safely, also while the bot runs")
    backup.add_argument("path", metavar="PATH", help="the backup file (or a folder to put it in)")
    backup.add_argument("--db", metavar="PATH", help="the SQLite file to copy")

    sub.add_parser("check-crisis", help="read one message per line on stdin and print one "
                                        "JSON verdict per line")

    invite = sub.add_parser("invite-url", help="print the links that add the bot to a server "
                                               "or to a member's account")
    invite.add_argument("--client-id", metavar="ID",
                        help="the application id (default: read from $COACHBOT_DISCORD_TOKEN)")
    return parser


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        config = load_config(args.config, db_override=getattr(args, "db", None))
    except ConfigError as exc:
        print(f"coachbot: the configuration has errors:\n{exc}", file=sys.stderr)
        return 2
    if args.command == "invite-url":
        return _invite_url(args.client_id, config.discord_token)
    if args.command == "validate":
        return _validate(args, config)
    if args.command == "backup":
        return _backup(config.database, args.path)
    if args.command == "check-crisis":
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        from bot.safety.checkcli import run as check
        from bot.safety.detector import CrisisDetector
        try:
            detector = CrisisDetector.load([Path(p) for p in config.safety.lexicon_paths])
        except Exception as exc:
            problems = getattr(exc, "problems", [exc])
            print("coachbot: the crisis word lists have errors:", file=sys.stderr)
            for problem in problems:
                print(problem, file=sys.stderr)
            return 2
        return check(sys.stdin, sys.stdout, detector)
    if args.command == "chat" or (args.command == "run" and not config.discord_token):
        if args.command == "chat" and args.conversations:
            config = replace(config, conversations_dir=args.conversations)
        # In the terminal, routine logs would mix with the conversation.
        explicit = os.environ.get("COACHBOT_LOG_LEVEL") or (config.source and
                                                            config.log_level != "INFO")
        _setup_logging(config.log_level if explicit else "WARNING")
        if args.command == "run":
            print("No Discord token is set (COACHBOT_DISCORD_TOKEN), so here is the coach in "
                  "your terminal. Type /help for commands; press Ctrl-D to pause and leave.",
                  file=sys.stderr)
        seed = getattr(args, "seed", None)
        if seed is None and os.environ.get("COACHBOT_SEED", "").strip().isdigit():
            seed = int(os.environ["COACHBOT_SEED"])
        user = getattr(args, "user", None) or _login_name()
        return asyncio.run(_chat(config, user, getattr(args, "flow", None), seed))
    _setup_logging(config.log_level)
    from bot.transports.discord.runner import run_discord
    return run_discord(config)


def _backup(database: str, path: str) -> int:
    from bot.privacy.backup import BackupError, backup_database
    try:
        result = backup_database(database, path)
    except BackupError as exc:
        print(f"coachbot: no backup made: {exc}", file=sys.stderr)
        return 2
    print(f"Backup written to {result.path} ({result.size} bytes). It keeps everything in the "
          "database today, including what members delete later: store it safely and delete "
          "it when it expires.")
    return 0


def _invite_url(client_id: str | None, token: str | None) -> int:
    from bot.transports.discord.invite import client_id_from_token, invite_urls
    client_id = client_id or (client_id_from_token(token) if token else None)
    if not client_id or not client_id.isdigit():
        print("coachbot: give the application id with --client-id (Developer Portal, General "
              "Information), or set COACHBOT_DISCORD_TOKEN.", file=sys.stderr)
        return 2
    urls = invite_urls(client_id)
    print(f"Add to a server: {urls['server']}")
    print(f"Add to your account (user install): {urls['user']}")
    return 0


def _validate(args: argparse.Namespace, config: Config) -> int:
    """Conversations, and the safety files (word lists, resources): every problem as
    path:line:col. Exit 1 on any problem, 2 for a missing path."""
    from bot.flows.validate import run as validate_conversations
    from bot.safety.lexicon import validate_lexicon
    from bot.safety.resources import validate_resources

    safety_only = bool(args.lexicon or args.resources) and not args.paths
    lexicon = list(args.lexicon) or ([] if args.paths else list(config.safety.lexicon_paths))
    resources = args.resources or (None if args.paths else config.safety.resources_path)
    for path in [*lexicon, *([resources] if resources else [])]:
        if not Path(path).exists():
            print(f"coachbot validate: {path}: no such file or directory", file=sys.stderr)
            return 2
    status = 0 if safety_only else validate_conversations(
        args.paths, config.conversations_path, sys.stdout, sys.stderr)
    problems = []
    if lexicon:
        problems += validate_lexicon([Path(p) for p in lexicon])
    if resources:
        problems += validate_resources(Path(resources))
    for problem in problems:
        print(problem)
    if lexicon or resources:
        checked = len(lexicon) + (1 if resources else 0)
        print(f"{checked} safety file{'s' if checked != 1 else ''}, "
              f"{len(problems) or 'no'} error{'s' if len(problems) != 1 else ''}")
    if status == 2:
        return 2
    return 1 if problems or status else 0


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "you"


async def _chat(config: Config, user: str, flow_id: str | None, seed: int | None) -> int:
    from bot.app import Coach, StartupError
    from bot.transports.terminal import TerminalChat
    try:
        coach = await Coach.open(config, seed=seed)
    except StartupError as exc:
        print(f"coachbot: {exc}", file=sys.stderr)
        return 2
    try:
        for problem in coach.load_problems:
            print(f"coachbot: skipped a conversation with errors: {problem}", file=sys.stderr)
        return await TerminalChat(coach, user).run(flow_id)
    except KeyboardInterrupt:
        return 0
    finally:
        await coach.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
