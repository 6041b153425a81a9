-- Discord transport and moderator tools: conversation history, per-server settings,
-- which servers a member used the bot in (for moderator alerts), and small key/values.

-- Every change to a conversation file, with who made it and when, so it can be undone.
CREATE TABLE conversation_changes (
    id INTEGER PRIMARY KEY,
    flow_id TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('upload', 'rollback', 'reload')),
    previous_text TEXT,
    new_text TEXT,
    by_platform TEXT NOT NULL,
    by_user_id TEXT NOT NULL,
    by_name TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE INDEX conversation_changes_by_flow ON conversation_changes (flow_id, id);

-- Per-server settings a moderator chooses.
CREATE TABLE server_settings (
    guild_id TEXT PRIMARY KEY,
    moderator_role TEXT,
    alert_channel_id TEXT,
    default_country TEXT,
    updated_at TEXT NOT NULL
);

-- Servers where a member used the bot: moderator alerts go only to those servers.
CREATE TABLE member_servers (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    guild_id TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (member_id, guild_id)
);

-- Small named values the transport keeps (for example the hash of the synced commands).
CREATE TABLE transport_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
