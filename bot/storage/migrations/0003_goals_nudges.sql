-- Goals' history and check-ins; nudge schedules, their occurrences, and notices for members.

-- Every change to a goal, with its time: created, edited (old and new values), status changes,
-- what the member learned when they finished it.
CREATE TABLE goal_events (
    id INTEGER PRIMARY KEY,
    goal_id INTEGER NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'edited', 'status', 'learned', 'area')),
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX goal_events_by_goal ON goal_events (goal_id, at);
CREATE INDEX goal_events_by_member ON goal_events (member_id);

CREATE TABLE checkins (
    id INTEGER PRIMARY KEY,
    goal_id INTEGER NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    progress INTEGER NOT NULL CHECK (progress BETWEEN 0 AND 10),
    note TEXT,
    helped TEXT,
    source TEXT NOT NULL DEFAULT 'command'
);
CREATE INDEX checkins_by_goal ON checkins (goal_id, at);
CREATE INDEX checkins_by_member ON checkins (member_id, at);

-- One nudge schedule per member. next_due is the next occurrence in UTC (ISO text, sortable),
-- NULL when paused or stopped; the tick finds due schedules through the partial index. `zone`
-- is the timezone next_due was computed in: when the member changes theirs, the tick
-- computes it again.
CREATE TABLE nudge_schedules (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL UNIQUE REFERENCES members(id) ON DELETE CASCADE,
    cadence TEXT NOT NULL CHECK (cadence IN ('daily', 'weekdays', 'days', 'weekly')),
    days TEXT NOT NULL DEFAULT '',
    local_time TEXT NOT NULL,
    zone TEXT NOT NULL,
    goals TEXT NOT NULL DEFAULT 'all',
    quiet_start TEXT,
    quiet_end TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'stopped')),
    next_due TEXT,
    sent_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX nudge_schedules_due ON nudge_schedules (next_due) WHERE status = 'active';

-- One row per occurrence that reached the tick: `occurrence` is the scheduled time (UTC) and
-- with the schedule id makes the nonce; `due_at` is when it should go out (a snooze or a
-- retry moves it, never the recurrence).
CREATE TABLE nudge_occurrences (
    id INTEGER PRIMARY KEY,
    schedule_id INTEGER NOT NULL REFERENCES nudge_schedules(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    occurrence TEXT NOT NULL,
    goal_id INTEGER REFERENCES goals(id) ON DELETE SET NULL,
    state TEXT NOT NULL CHECK (state IN ('due', 'in_flight', 'sent', 'answered', 'skipped',
                                         'dropped', 'unreachable', 'failed', 'stopped')),
    due_at TEXT NOT NULL,
    snoozes INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    nonce TEXT NOT NULL,
    answer TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (schedule_id, occurrence)
);
CREATE INDEX nudge_occurrences_waiting ON nudge_occurrences (due_at)
    WHERE state IN ('due', 'in_flight');
CREATE INDEX nudge_occurrences_by_member ON nudge_occurrences (member_id, updated_at);

-- Things to tell a member the next time they write (missed nudges, closed DMs).
CREATE TABLE member_notices (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    only_in_server INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (member_id, kind)
);
