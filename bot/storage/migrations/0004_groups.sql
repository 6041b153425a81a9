-- Groups: accountability channels, their members and check-ins, accountability partners and
-- peer coaches. Text a member wrote (check-ins, what they want help with) is theirs: it is
-- exported and deleted with their data, and reaches a channel only when they choose to post.

-- A channel a moderator turned into an accountability channel. `zone` is the channel's
-- timezone (weeks run Monday to Sunday there); `read_messages` is the separate opt-in for the
-- crisis check on the channel's ordinary messages.
CREATE TABLE group_channels (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    cadence TEXT NOT NULL CHECK (cadence IN ('daily', 'weekdays', 'days', 'weekly')),
    days TEXT NOT NULL DEFAULT '',
    local_time TEXT NOT NULL,
    zone TEXT NOT NULL,
    prompt_key TEXT NOT NULL,
    summary INTEGER NOT NULL DEFAULT 1,
    read_messages INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (platform, channel_id)
);
CREATE INDEX group_channels_by_guild ON group_channels (platform, guild_id);

-- What the scheduler tick does for a channel, and when next (UTC, sortable ISO text).
CREATE TABLE group_jobs (
    group_id INTEGER NOT NULL REFERENCES group_channels(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('prompt', 'summary', 'reminder')),
    next_due TEXT NOT NULL,
    PRIMARY KEY (group_id, kind)
);
CREATE INDEX group_jobs_due ON group_jobs (next_due);

-- Members who joined a channel. `listed`: agreed to be named in the weekly summary;
-- `reminders`: wants one gentle DM when they have not checked in that week; `skip_until`:
-- a vacation (no reminders, the week is not counted) until this day (channel time).
CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES group_channels(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    listed INTEGER NOT NULL DEFAULT 0,
    reminders INTEGER NOT NULL DEFAULT 0,
    skip_until TEXT,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_by_member ON group_members (member_id);

-- Check-ins: private unless `shared` (the member pressed Post). `week` is the Monday of the
-- channel's week.
CREATE TABLE group_checkins (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES group_channels(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    week TEXT NOT NULL,
    text TEXT NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL CHECK (source IN ('channel', 'dm')),
    at TEXT NOT NULL
);
CREATE INDEX group_checkins_by_group ON group_checkins (group_id, week);
CREATE INDEX group_checkins_by_member ON group_checkins (member_id);

-- Goals a member chose to share with a channel: only these (once done) appear in summaries.
CREATE TABLE group_shared_goals (
    group_id INTEGER NOT NULL REFERENCES group_channels(id) ON DELETE CASCADE,
    goal_id INTEGER NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    shared_at TEXT NOT NULL,
    PRIMARY KEY (group_id, goal_id)
);

-- Channel messages the bot posted for a member (a shared check-in, a summary naming them),
-- ids only, so they can be removed when the member deletes their data.
CREATE TABLE group_posts (
    id INTEGER PRIMARY KEY,
    group_id INTEGER REFERENCES group_channels(id) ON DELETE SET NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('checkin', 'summary')),
    platform TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX group_posts_by_member ON group_posts (member_id);

-- Accountability partners: who is looking, and the pairs the bot proposed.
CREATE TABLE partner_pool (
    guild_id TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    timezone TEXT NOT NULL,
    focus TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, member_id)
);

CREATE TABLE partner_pairs (
    id INTEGER PRIMARY KEY,
    guild_id TEXT NOT NULL,
    a_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    b_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    a_accepted INTEGER NOT NULL DEFAULT 0,
    b_accepted INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'declined', 'ended')),
    last_nudge_a TEXT,
    last_nudge_b TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX partner_pairs_a ON partner_pairs (a_id, status);
CREATE INDEX partner_pairs_b ON partner_pairs (b_id, status);

-- A member who blocked another is never matched with them again (partners or peers).
CREATE TABLE member_blocks (
    blocker_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

-- Peer coaches, per server ('' is the terminal's one local community).
CREATE TABLE peer_coaches (
    guild_id TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    focus TEXT NOT NULL,
    lived_experience TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
    adult_confirmed_at TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, member_id)
);

-- A member's request for a peer coach. `topic` stays private to them; `shared` is the only
-- thing a peer coach is shown, and only once the member picks that coach.
CREATE TABLE peer_requests (
    id INTEGER PRIMARY KEY,
    guild_id TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    shared TEXT,
    adult_confirmed_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'matched', 'closed')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX peer_requests_by_member ON peer_requests (member_id, status);

CREATE TABLE peer_matches (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES peer_requests(id) ON DELETE CASCADE,
    coach_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('offered', 'active', 'declined', 'ended')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX peer_matches_by_coach ON peer_matches (coach_id, status);
CREATE INDEX peer_matches_by_request ON peer_matches (request_id);
