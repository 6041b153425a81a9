"""The Discord bot: a plain `commands.Bot` that turns Discord events into `Inbound`s for the
coach and its `Outbound`s back into messages.

- DMs: free text goes to the coach; the reply goes back in the same DM.
- Slash commands: built from the registry; answered within Discord's 3 seconds by
  deferring first (ephemeral in servers: nothing private appears in a channel).
- Buttons and selects: `DynamicItem`s (see `components`), checked against the presser.
- A server message that mentions the bot (only when the bot is given guild messages) is
  answered by DM; if the author's DMs are closed, a crisis answer becomes one short,
  neutral line pointing to /resources that repeats nothing of what they wrote.

Every failure gives the member a clear message and is logged with ids only.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Coach
from bot.commands import Command
from bot.delivery import DeliveryResult
from bot.messages import AnswerRef, CommandCall, Inbound, Outbound, Speaker, Tone
from bot.server_settings import settings_of
from bot.transports.discord import appcommands, components, groups, moderation
from bot.transports.discord.delivery import DiscordDelivery, Pacer, stopped
from bot.transports.discord.render import NO_MENTIONS, Piece, is_crisis, render

log = logging.getLogger(__name__)

PLATFORM = "discord"
COMMANDS_HASH_KEY = "discord_commands_hash:{app}"
SORRY = ("Sorry, something went wrong on my side, so that didn't go through. Please try "
         "again in a moment. Everything you told me before is safe.")
STALE = ("That question has already been answered, or the conversation has moved on, so I "
         "left everything as it was. Type /coach resume to see where we are.")
CRISIS_IN_CHANNEL = ("I tried to answer privately but couldn't send a direct message. "
                     "Anyone can type /resources to see free, confidential help, any time; "
                     "the answer shows only to you.")
NO_DMS = ("I couldn't send you a direct message (your privacy settings may block DMs from "
          "server members). Use /coach start here and I'll answer only you.")
EXPIRED = ("That confirmation has expired, so nothing was done. Please run the command again "
           "if you still want to.")
MENTION = re.compile(r"<@!?\d+>")
REPLY_RETRY_SECONDS = 2.0
# Commands whose file is about the member: asked for in a server, it goes to their DMs.
DM_FILES = frozenset({("mydata", "export")})
SENT_TO_DMS = "I sent the file to your direct messages; only you can see it there."
FILE_HERE = ("I couldn't send the file to your direct messages (your privacy settings may "
             "block DMs from server members), so here it is instead. Only you can see it.")


def intents(*, guild_messages: bool = False, message_content: bool = False,
            members: bool = False) -> discord.Intents:
    """Only what the bot needs: servers (for roles and channels) and DM messages.

    DM content needs no privileged intent. `guild_messages` (not privileged either) lets
    the bot see messages that mention it in servers; Discord includes their content.
    `message_content` (privileged) lets it read accountability channels that opted in to
    the crisis check; `members` (privileged) tells it when a member leaves a server.
    """
    found = discord.Intents.none()
    found.guilds = True
    found.dm_messages = True
    found.guild_messages = guild_messages or message_content
    found.message_content = message_content
    found.members = members
    return found


def _speaker(user: discord.abc.User, locale: str | None = None) -> Speaker:
    return Speaker(PLATFORM, str(user.id), user.display_name, locale)


def _is_bot_dm(interaction: discord.Interaction) -> bool:
    """A DM between the member and the bot (private), not a DM or group chat between people
    where a user-installed command runs (there every reply must be ephemeral)."""
    if interaction.guild_id is not None:
        return False
    context = interaction.context
    if context.dm_channel:
        return True
    if context.private_channel or context.guild:
        return False
    return isinstance(interaction.channel, discord.DMChannel) and (
        interaction.channel.recipient is None
        or interaction.channel.recipient.id == interaction.user.id)


class CoachBot(commands.Bot):
    def __init__(self, coach: Coach, *, answer_mentions: bool = False, sync: bool | None = None,
                 rate_per_second: float | None = None, schedule: bool = False,
                 **kwargs: Any) -> None:
        kwargs.setdefault("intents", intents(guild_messages=answer_mentions,
                                             message_content=coach.config.discord.message_content,
                                             members=coach.config.discord.member_events))
        kwargs.setdefault("command_prefix", commands.when_mentioned)
        kwargs.setdefault("help_command", None)
        kwargs.setdefault("chunk_guilds_at_startup", False)
        kwargs.setdefault("member_cache_flags", discord.MemberCacheFlags.none())
        kwargs.setdefault("allowed_mentions", NO_MENTIONS)
        super().__init__(**kwargs)
        self.coach = coach
        self.answer_mentions = answer_mentions
        self.sync_commands = coach.config.discord.sync_commands if sync is None else sync
        self.pacer = Pacer(rate_per_second or coach.config.nudges.rate_per_second)
        self.delivery: DiscordDelivery | None = None
        self.known_dm_channels: dict[int, int] = {}
        self.known_servers: set[tuple[int, int]] = set()
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = \
            weakref.WeakValueDictionary()
        self.synced = asyncio.Event()
        self.schedule = schedule  # run the nudge scheduler (check-ins, group prompts, retention)
        self.scheduler: Any = None

    # -- start -----------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        coach = self.coach
        self.add_dynamic_items(*components.ITEMS)
        await settings_of(coach).load()
        self.delivery = DiscordDelivery(self, self.pacer)
        coach.delivery = self.delivery
        coach.crisis.alert = self._alert
        moderation.register_data_rights(self)
        groups.setup(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        self.install_commands()
        if self.sync_commands:
            await self.sync_if_changed()
        self.synced.set()
        if self.schedule:
            from bot.nudges.commands import start_scheduler
            self.scheduler = await start_scheduler(coach)

    async def close(self) -> None:
        """Stop the scheduler first (sends already started finish; claimed check-ins not yet
        sent stay recorded and go out after the restart), then disconnect."""
        if self.scheduler is not None:
            scheduler, self.scheduler = self.scheduler, None
            try:
                await scheduler.stop()
            except Exception as exc:
                log.warning("scheduler did not stop cleanly: %s", type(exc).__name__)
        await super().close()

    def install_commands(self) -> None:
        """(Re)build the slash commands from the registry."""
        self.tree.clear_commands(guild=None)
        for command in appcommands.build(self.coach.registry.all(), self.run_command,
                                         appcommands.autocompletes(self)):
            self.tree.add_command(command)

    async def sync_if_changed(self) -> bool:
        """One bulk update, only when the definitions differ from the last sync."""
        digest = appcommands.definitions_hash(self.tree)
        key = COMMANDS_HASH_KEY.format(app=self.application_id)
        stored = await self.coach.db.fetchval(
            "SELECT value FROM transport_state WHERE key = ?", (key,))
        if stored == digest:
            log.info("slash commands unchanged; not syncing")
            return False
        await self.tree.sync()
        await self.coach.db.execute(
            "INSERT INTO transport_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, digest))
        log.info("slash commands synced (%d top-level)", len(self.tree.get_commands()))
        return True

    def lock_for(self, user_id: int) -> asyncio.Lock:
        """One message at a time per member, so answers keep their order."""
        lock = self._locks.get(user_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user_id] = lock
        return lock

    def is_moderator(self, interaction: discord.Interaction) -> bool:
        return moderation.is_moderator(self, interaction)

    async def _alert(self, member: Any, assessment: Any) -> None:
        await moderation.alert_moderators(self, member, assessment)

    # -- messages --------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.guild is None and isinstance(message.channel, discord.DMChannel):
            await self.handle_dm(message)
        elif self.answer_mentions and self.user is not None and \
                self.user in message.mentions:
            await self.handle_mention(message)

    async def handle_dm(self, message: discord.Message) -> None:
        author = message.author
        async with self.lock_for(author.id):
            inbound = Inbound(_speaker(author), text=message.content, private=True,
                              channel_id=str(message.channel.id))
            outs = await self._core(inbound, author.id)
            await self._remember_dm_channel(author.id, message.channel.id)
            await self.send_replies(message.channel, outs, author.id)

    async def handle_mention(self, message: discord.Message) -> None:
        author = message.author
        assert message.guild is not None
        async with self.lock_for(author.id):
            text = MENTION.sub("", message.content).strip()
            inbound = Inbound(_speaker(author), text=text, private=False,
                              guild_id=str(message.guild.id),
                              channel_id=str(message.channel.id))
            outs = await self._core(inbound, author.id)
            await moderation.remember_server(self, author.id, message.guild.id)
            member = await self.coach.members.find(PLATFORM, str(author.id))
            result = DeliveryResult.FAILED
            if member is not None and self.delivery is not None:
                result = await self.delivery.send(member, outs)
            if result == DeliveryResult.SENT:
                return
            line = CRISIS_IN_CHANNEL if is_crisis(outs) else NO_DMS
            log.info("mention answered in channel guild=%s channel=%s user=%s crisis=%s",
                     message.guild.id, message.channel.id, author.id, is_crisis(outs))
            await self.line_in_channel(message.channel, line)

    async def line_in_channel(self, channel: discord.abc.Messageable, line: str) -> None:
        """One short line of ours in a server channel (a private answer could not be sent);
        if even that fails, it is logged and nothing more is tried."""
        try:
            self.pacer.note()
            await channel.send(line, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("channel line failed channel=%s status=%s",
                        getattr(channel, "id", None), exc.status)

    async def _core(self, inbound: Inbound, user_id: int) -> list[Outbound]:
        try:
            return await self.coach.handle(inbound)
        except Exception:
            log.exception("coach failed user=%s", user_id)
            return [Outbound(SORRY, tone=Tone.ERROR)]

    async def _remember_dm_channel(self, user_id: int, channel_id: int) -> None:
        if self.known_dm_channels.get(user_id) == channel_id:
            return
        try:
            member = await self.coach.members.find(PLATFORM, str(user_id))
            if member is None:
                return
            changes: dict[str, Any] = {}
            if member.dm_channel_id != str(channel_id):
                changes["dm_channel_id"] = str(channel_id)
            if member.unreachable_since is not None:  # they wrote to us: DMs work again
                changes["unreachable_since"] = None
            if changes:
                await self.coach.members.update(member.id, **changes)
            self.known_dm_channels[user_id] = channel_id
        except Exception as exc:
            log.warning("dm channel not stored user=%s: %s", user_id, type(exc).__name__)

    async def send_replies(self, channel: discord.abc.Messageable, outs: Sequence[Outbound],
                           user_id: int) -> None:
        """Send the coach's answer. The member's words are already saved, so a reply lost to
        a server error would leave them answering a question they never saw: one more try
        after a short pause for errors Discord reports on its side (5xx)."""
        for piece in render(outs, user_id):
            for attempt in (1, 2):
                try:
                    self.pacer.note()
                    await channel.send(**stopped(piece).kwargs())  # type: ignore[arg-type]
                    break
                except discord.Forbidden as exc:
                    log.info("reply refused user=%s code=%s", user_id, exc.code)
                    return
                except discord.HTTPException as exc:
                    log.warning("reply failed user=%s status=%s code=%s attempt=%s", user_id,
                                exc.status, exc.code, attempt)
                    if exc.status < 500 or attempt == 2:
                        return
                    await asyncio.sleep(REPLY_RETRY_SECONDS)

    # -- interactions ----------------------------------------------------------------------

    def _inbound(self, interaction: discord.Interaction, *, private: bool,
                 command: CommandCall | None = None, answer: AnswerRef | None = None,
                 text: str = "") -> Inbound:
        return Inbound(_speaker(interaction.user, str(interaction.locale)), text=text,
                       private=private,
                       guild_id=str(interaction.guild_id) if interaction.guild_id else None,
                       channel_id=str(interaction.channel_id) if interaction.channel_id else None,
                       command=command, answer=answer,
                       is_moderator=self.is_moderator(interaction))

    async def run_command(self, interaction: discord.Interaction, command: Command,
                          values: dict[str, Any]) -> None:
        """A slash command: defer (privately in servers), ask the coach, follow up."""
        in_dm = _is_bot_dm(interaction)
        ephemeral = not in_dm
        if command.form:
            if command.moderator and not self.is_moderator(interaction):
                await interaction.response.send_message(
                    f"{command.name} is for moderators (people with Manage Server or the "
                    "moderator role).", ephemeral=True)
                return
            from bot.transports.discord.forms import FormModal
            await interaction.response.send_modal(FormModal(self, command, values, ephemeral))
            return
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        try:
            args = await moderation.convert_args(values)
        except moderation.UploadProblem as exc:
            await self.follow_up(interaction, [Outbound(str(exc), tone=Tone.ERROR)], ephemeral)
            return
        await self.command_call(interaction, CommandCall(command.path, args), ephemeral,
                                in_dm)

    async def command_call(self, interaction: discord.Interaction, call: CommandCall,
                           ephemeral: bool, in_dm: bool) -> None:
        user = interaction.user
        async with self.lock_for(user.id):
            inbound = self._inbound(interaction, private=in_dm, command=call)
            outs = await self._core(inbound, user.id)
            await self._after_interaction(interaction, in_dm)
            if not in_dm and call.path in DM_FILES:
                outs = await self._files_by_dm(user.id, outs)
            await self.follow_up(interaction, outs, ephemeral)

    async def _files_by_dm(self, user_id: int, outs: list[Outbound]) -> list[Outbound]:
        """The files go to the member's DMs (through the delivery port) and the private
        reply in the server says so; if their DMs are closed, the files stay in it."""
        files = [o for o in outs if o.attachment is not None]
        if not files or self.delivery is None:
            return outs
        result = DeliveryResult.FAILED
        try:
            member = await self.coach.members.find(PLATFORM, str(user_id))
            if member is not None:
                result = await self.delivery.send(member, files)
        except Exception as exc:
            log.warning("file not sent by DM user=%s: %s", user_id, type(exc).__name__)
        if result == DeliveryResult.SENT:
            return [*(o for o in outs if o.attachment is None), Outbound(SENT_TO_DMS)]
        return [Outbound(FILE_HERE), *outs]

    async def _after_interaction(self, interaction: discord.Interaction, in_dm: bool) -> None:
        try:
            if in_dm and interaction.channel_id is not None:
                await self._remember_dm_channel(interaction.user.id, interaction.channel_id)
            await moderation.remember_server(self, interaction.user.id, interaction.guild_id)
        except Exception as exc:
            log.warning("interaction bookkeeping failed user=%s: %s", interaction.user.id,
                        type(exc).__name__)

    async def follow_up(self, interaction: discord.Interaction, outs: Sequence[Outbound],
                        ephemeral: bool) -> None:
        pieces: list[Piece] = render(outs, interaction.user.id) or [Piece("Done.")]
        for piece in pieces:
            try:
                await interaction.followup.send(**stopped(piece).kwargs(),  # type: ignore[arg-type]
                                                ephemeral=ephemeral)
            except discord.HTTPException as exc:
                log.warning("follow-up failed interaction=%s status=%s code=%s",
                            interaction.id, exc.status, exc.code)
                return

    async def answer_pressed(self, interaction: discord.Interaction, ref: AnswerRef,
                             label: str) -> None:
        """A button or select answered a question."""
        user = interaction.user
        in_dm = _is_bot_dm(interaction)
        async with self.lock_for(user.id):
            if not await self._current(user.id, ref):
                await interaction.response.send_message(STALE, ephemeral=True)
                return
            await self._acknowledge(interaction, label)
            inbound = self._inbound(interaction, private=True, answer=ref, text=ref.value)
            outs = await self._core(inbound, user.id)
            await self._after_interaction(interaction, in_dm)
            await self.follow_up(interaction, outs, ephemeral=not in_dm)

    async def _current(self, user_id: int, ref: AnswerRef) -> bool:
        """Is this the question the member's conversation is waiting on right now?"""
        try:
            session = await self.coach.engine.sessions.get(ref.session_id)
            member = await self.coach.members.find(PLATFORM, str(user_id))
        except Exception as exc:
            log.warning("session lookup failed user=%s: %s", user_id, type(exc).__name__)
            return True  # let the coach decide and answer
        if session is None or member is None or session.member_id != member.id:
            return False
        if session.status != "active":
            return False
        current = session.state.get("phase") if session.step_id == "end" else session.step_id
        return current == ref.step_id

    async def _acknowledge(self, interaction: discord.Interaction, label: str | None) -> None:
        """Answer the press at once: the buttons are disabled, the pick highlighted."""
        message = interaction.message
        view = components.disabled_copy(message, label) if message is not None else None
        if view is not None:
            view.stop()
            await interaction.response.edit_message(view=view)
        else:
            await interaction.response.defer()

    async def confirm_pressed(self, interaction: discord.Interaction, token: str,
                              confirmed: bool) -> None:
        user = interaction.user
        in_dm = _is_bot_dm(interaction)
        async with self.lock_for(user.id):
            await self._acknowledge(interaction, "Confirm" if confirmed else "Cancel")
            if confirmed:
                outs = await self._confirm(interaction, token, in_dm)
            else:
                member = await self.coach.members.find(PLATFORM, str(user.id))
                if member is not None and self.coach.router is not None:
                    self.coach.router.cancel(member.id)
                outs = [Outbound("Cancelled. Nothing was changed.")]
            await self.follow_up(interaction, outs, ephemeral=not in_dm)

    async def _confirm(self, interaction: discord.Interaction, token: str, in_dm: bool
                       ) -> list[Outbound]:
        user = interaction.user
        try:
            if await self.coach.members.find(PLATFORM, str(user.id)) is None:
                return [Outbound(EXPIRED)]  # e.g. pressed again after deleting their data
            assert self.coach.router is not None
            outs = await self.coach.router.confirm(self._inbound(interaction, private=in_dm),
                                                   token)
            if await self.coach.members.find(PLATFORM, str(user.id)) is None:
                self.forget(user.id)
            return outs
        except Exception:
            log.exception("confirm failed user=%s", user.id)
            return [Outbound(SORRY, tone=Tone.ERROR)]

    def forget(self, user_id: int) -> None:
        """Drop what this process remembers of a member whose data was deleted, so that
        they start fresh if they come back."""
        self.known_dm_channels.pop(user_id, None)
        self.known_servers = {k for k in self.known_servers if k[0] != user_id}

    async def _on_tree_error(self, interaction: discord.Interaction,
                             error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        log.error("command failed interaction=%s user=%s: %s", interaction.id,
                  interaction.user.id, type(original).__name__,
                  exc_info=(type(original), original, original.__traceback__))
        try:
            if interaction.response.is_done():
                await interaction.followup.send(SORRY, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(SORRY, ephemeral=True,
                                                        allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            pass

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        log.exception("event handler failed: %s", event_method)
