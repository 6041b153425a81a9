"""Discord glue for accountability channels, partners and peer coaches.

The commands, buttons and modals come from the registry like every other command (a check-in
prompt's button opens `/group checkin`'s form as a modal; Post and Keep private are command
buttons). What only Discord can do lives here:

- `/group setup` asks whether the bot can post in a channel: View Channel and Send Messages
  (it posts plain text, so Embed Links is not needed), named exactly when missing.
- The crisis check on a group channel's ordinary messages, where moderators turned it on
  (needs the message content intent): the author gets a private answer, never one in the
  channel, and their reminders pause.
- A member leaving a server (needs the server members intent) and the bot leaving one: what
  they had there ends, and the people on the other side are told kindly.
- Removing the channel posts the bot made for a member who deletes their data.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.delivery import DeliveryResult
from bot.groups import ChannelCheck, groups_of, guild_left, member_left
from bot.messages import Speaker
from bot.privacy.erase import PostRef, privacy_of

if TYPE_CHECKING:
    from bot.transports.discord.client import CoachBot

log = logging.getLogger(__name__)

PLATFORM = "discord"


def reads_messages(bot: CoachBot) -> bool:
    return bool(bot.intents.guild_messages and bot.intents.message_content)


async def check_channel(bot: CoachBot, guild_id: str, channel_id: str, read: bool
                        ) -> ChannelCheck:
    guild = bot.get_guild(int(guild_id))
    channel = guild.get_channel(int(channel_id)) if guild is not None else None
    if guild is None or not isinstance(channel, discord.TextChannel):
        return ChannelCheck(found=False)
    perms = channel.permissions_for(guild.me)
    missing = [name for name, ok in (("View Channel", perms.view_channel),
                                     ("Send Messages", perms.send_messages)) if not ok]
    # Reading a channel's messages needs nothing more than View Channel (they arrive over
    # the gateway; history is never read), plus the message content intent.
    return ChannelCheck(True, channel.name, tuple(missing), reads_messages(bot))


async def on_channel_message(bot: CoachBot, message: discord.Message) -> None:
    """The crisis check on an accountability channel that opted in; silent otherwise."""
    if message.guild is None or message.author.bot or not message.content:
        return
    if bot.answer_mentions and bot.user is not None and bot.user in message.mentions:
        return  # answered privately by the mention handler, crisis check included
    coach = bot.coach
    group = await groups_of(coach).group_in(PLATFORM, str(message.channel.id))
    if group is None or not group.read_messages:
        return
    assessment = coach.crisis.assess([message.content])
    if not assessment.crisis:
        return
    author = message.author
    async with bot.lock_for(author.id):
        member = await coach.members.ensure(Speaker(PLATFORM, str(author.id),
                                                    author.display_name), coach.clock.now())
        outs = await coach.crisis.respond(member, assessment, str(message.guild.id))
        result = DeliveryResult.FAILED
        if bot.delivery is not None:
            result = await bot.delivery.send(member, outs)
    log.info("crisis language in a group channel answered privately group=%s member=%s "
             "level=%s result=%s", group.id, member.id, assessment.level, result)
    if result is DeliveryResult.SENT:
        return
    from bot.transports.discord.client import CRISIS_IN_CHANNEL
    await bot.line_in_channel(message.channel, CRISIS_IN_CHANNEL)


async def remove_posts(bot: CoachBot, posts: list[PostRef]) -> int:
    removed = 0
    for post in posts:
        if post.platform != PLATFORM:
            continue
        try:
            await bot.pacer.wait()
            await bot.http.delete_message(int(post.channel_id), int(post.message_id))
            removed += 1
        except discord.NotFound:
            removed += 1  # already gone
        except discord.HTTPException as exc:
            log.warning("post not removed channel=%s status=%s", post.channel_id, exc.status)
    return removed


def setup(bot: CoachBot) -> None:
    """Plug the groups feature into the client (called from `setup_hook`)."""
    coach = bot.coach
    try:
        groups = groups_of(coach)
    except RuntimeError:
        return

    async def channel_check(guild_id: str, channel_id: str, read: bool) -> ChannelCheck:
        return await check_channel(bot, guild_id, channel_id, read)

    async def on_message(message: discord.Message) -> None:
        try:
            await on_channel_message(bot, message)
        except Exception:
            log.exception("group channel message failed channel=%s", message.channel.id)

    async def on_raw_member_remove(payload: discord.RawMemberRemoveEvent) -> None:
        if bot.user is not None and payload.user.id == bot.user.id:
            return
        await member_left(coach, PLATFORM, str(payload.guild_id), str(payload.user.id))

    async def on_guild_remove(guild: discord.Guild) -> None:
        await guild_left(coach, PLATFORM, str(guild.id))

    async def remove(posts: list[PostRef]) -> int:
        return await remove_posts(bot, posts)

    groups.channel_check = channel_check
    if bot.intents.guild_messages:  # without it only DMs arrive, and they are not for groups
        bot.add_listener(on_message, "on_message")
    bot.add_listener(on_raw_member_remove, "on_raw_member_remove")
    bot.add_listener(on_guild_remove, "on_guild_remove")
    privacy = privacy_of(coach)
    if privacy.remove_posts is None:
        privacy.remove_posts = remove
