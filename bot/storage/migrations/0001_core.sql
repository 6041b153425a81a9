-- Members, conversation sessions, goals and crisis events: what the coach needs to resume.
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    external_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    locale TEXT,
    language TEXT,
    country TEXT,
    timezone TEXT,
    onboarded INTEGER NOT NULL DEFAULT 0,
    alert_consent INTEGER NOT NULL DEFAULT 0,
    dm_channel_id TEXT,
    unreachable_since TEXT,
    crisis_paused_at TEXT,
    crisis_pause_until TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    UNIQUE (platform, external_id)
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    flow_id TEXT NOT NULL,
    flow_hash TEXT NOT NULL,
    step_id TEXT NOT NULL,
    answers TEXT NOT NULL DEFAULT '{}',
    stack TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL CHECK (status IN
        ('active', 'paused', 'crisis', 'finished', 'stopped', 'abandoned')),
    language TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX sessions_by_member ON sessions (member_id, status);
CREATE INDEX sessions_by_flow ON sessions (flow_id, status);

CREATE TABLE goals (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    what TEXT NOT NULL,
    why TEXT,
    measure TEXT,
    plan TEXT,
    due_date TEXT,
    area TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'done', 'paused', 'dropped')),
    session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (member_id, number)
);

-- Only level, category and time: crisis message text is never stored.
CREATE TABLE crisis_events (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    level TEXT NOT NULL,
    category TEXT,
    at TEXT NOT NULL
);
CREATE INDEX crisis_events_by_member ON crisis_events (member_id, at);
