"""`/mydata delete`: everything of one member removed in one transaction, posts included.

The database part is `DataRights.delete`: every feature's delete, then the member row, in one
transaction; with `secure_delete` on and a WAL checkpoint afterwards, the words are gone from
the database file itself.

Posts the bot made in server channels for the member (group check-ins, shared wins) live on
the platform, not only in our tables. Features that make such posts add a *post finder*:

    privacy_of(coach).post_finders.append(find_my_posts)   # async (db, member_id) -> [PostRef]

Finders run before the transaction (afterwards the rows that point to the posts are gone).
The transport sets `privacy_of(coach).remove_posts` to an async function that removes the
posts on the platform and returns how many it removed. It runs after the commit: if the
platform is unreachable, the member's data is still deleted and the member is told how many
posts could not be removed, so they can ask a moderator. Without a transport that posts
(the terminal), nothing is removed and nothing needs to be.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Coach
    from bot.storage import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PostRef:
    """A message the bot posted on a platform for a member (ids only, never text)."""

    platform: str
    channel_id: str
    message_id: str


PostFinder = Callable[["Database", int], Awaitable[list[PostRef]]]
PostRemover = Callable[[list[PostRef]], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Erasure:
    posts_found: int
    posts_removed: int

    @property
    def posts_left(self) -> int:
        return self.posts_found - self.posts_removed


@dataclass
class Privacy:
    """Hooks around a member's deletion, shared by features and transports."""

    coach: Coach
    post_finders: list[PostFinder] = field(default_factory=list)
    remove_posts: PostRemover | None = None

    async def find_posts(self, member_id: int) -> list[PostRef]:
        found: list[PostRef] = []
        for finder in self.post_finders:
            found.extend(await finder(self.coach.db, member_id))
        return list(dict.fromkeys(found))

    async def erase(self, member_id: int) -> Erasure:
        """Delete everything of one member; then remove their posts on the platform."""
        posts = await self.find_posts(member_id)
        await self.coach.datarights.delete(member_id)
        removed = 0
        if posts and self.remove_posts is not None:
            try:
                removed = min(len(posts), max(0, await self.remove_posts(posts)))
            except Exception as exc:
                log.error("posts not removed after a deletion member=%s count=%s: %s",
                          member_id, len(posts), type(exc).__name__)
        if posts:
            log.info("member posts removed member=%s removed=%s of=%s", member_id, removed,
                     len(posts))
        return Erasure(len(posts), removed)


def privacy_of(coach: Coach) -> Privacy:
    """The coach's privacy hooks, created on first use (any feature may register first)."""
    privacy = getattr(coach, "privacy", None)
    if privacy is None:
        privacy = Privacy(coach)
        coach.privacy = privacy  # type: ignore[attr-defined]
    return privacy
