"""Transcript tests for the bundled conversations, run through the real terminal chat.

Each test pipes a realistic member's answers into `python -m bot chat --flow ID` (a real
subprocess on a fresh SQLite file) and checks what that member would notice: the key
questions come in order, their own words come back to them, the if-then plan is echoed, the
branches go where they should, and the goal lands in the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONVERSATIONS = REPO / "conversations"


def chat(tmp_path: Path, flow: str, answers: list[str]) -> str:
    """Run one conversation with these answers, one per line; return what the bot said."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACHBOT_")}
    env["COACHBOT_SEED"] = "1"  # prompt variants picked reproducibly
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--conversations", str(CONVERSATIONS),
         "--db", str(tmp_path / "c.sqlite3"), "--flow", flow, "--user", "Sam"],
        input="\n".join(answers) + "\n", capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def in_order(transcript: str, *parts: str) -> None:
    """Each part appears in the transcript, after the one before it."""
    at = 0
    for part in parts:
        found = transcript.find(part, at)
        assert found >= 0, f"{part!r} not found after position {at} in:\n{transcript}"
        at = found + len(part)


def rows(tmp_path: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    with sqlite3.connect(tmp_path / "c.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, args).fetchall()


def goals(tmp_path: Path) -> list[sqlite3.Row]:
    return rows(tmp_path, "SELECT * FROM goals ORDER BY number")


def answers_of(tmp_path: Path) -> dict[str, object]:
    (row,) = rows(tmp_path, "SELECT answers FROM sessions ORDER BY id DESC LIMIT 1")
    return json.loads(row["answers"])


# -- onboarding ------------------------------------------------------------------------------


def test_onboarding_explains_asks_consent_and_sets_up_the_member(tmp_path: Path) -> None:
    out = chat(tmp_path, "onboarding", [
        "yes",                           # go on
        "feeling stuck at work",         # what coaching could help with
        "no",                            # that is not quite it ...
        "finding work I care about",     # ... in their own words
        "yes",
        "Europe/Pari",                   # a typo gets a suggestion, not a dead end
        "Europe/Paris",
        "France",
        "yes",                           # a moderator may be told
        "1",                             # a goal or problem to move forward
    ])
    in_order(out,
             "Coaching is not therapy", "/resources",
             "you set the agenda",
             "Would you like to go on?",
             "stop", "pause", "skip", "back", "help",
             "So you'd like help with: feeling stuck at work",
             "How would you put it?",
             "So you'd like help with: finding work I care about",
             "What timezone are you in?",
             "Did you mean Europe/Paris",
             "Which country do you live in?", "a helpline near you",
             "never share what you wrote", "stays off unless you say yes",
             "What would you like to work on first?",
             "/coach start grow", "/coach list")
    (member,) = rows(tmp_path, "SELECT timezone, country, alert_consent FROM members")
    assert (member["timezone"], member["country"], member["alert_consent"]) == (
        "Europe/Paris", "FR", 1)


def test_onboarding_settings_can_be_skipped_and_stay_off(tmp_path: Path) -> None:
    out = chat(tmp_path, "onboarding", [
        "yes", "more time for friends", "yes",
        "skip", "skip", "skip",          # timezone, country, alert consent
        "I'm not sure yet",              # answered by label
    ])
    in_order(out, "What timezone are you in?", "Which country do you live in?",
             "Would you like me to do that?", "What would you like to work on first?",
             "/coach start wheel_of_life", "/coach list")
    (member,) = rows(tmp_path, "SELECT timezone, country, alert_consent FROM members")
    assert (member["timezone"], member["country"], member["alert_consent"]) == (None, None, 0)


def test_onboarding_no_to_consent_ends_kindly(tmp_path: Path) -> None:
    out = chat(tmp_path, "onboarding", ["no"])
    in_order(out, "Would you like to go on?", "That's okay, Sam", "/resources")
    assert "timezone" not in out
    assert "What would you like coaching to help you with" not in out
    assert rows(tmp_path, "SELECT status FROM sessions")[0]["status"] == "finished"


# -- GROW ------------------------------------------------------------------------------------

GROW_START = [
    "a plan to start running again",           # goal
    "yes",                                     # reflect fits
    "I want more energy for my kids",          # why
    "I run twice a week",                      # measure
    "I haven't run since the winter",          # reality
    "skip",                                    # tried (optional)
    "run before work",                         # option 1
    "join a running club",                     # option 2
    "skip",                                    # option 3 (optional)
    "run before work",                         # will
    "Tuesday morning",                         # when
    "feeling too tired",                       # obstacle
]


def test_grow_confident_member_goes_straight_to_an_if_then_plan(tmp_path: Path) -> None:
    out = chat(tmp_path, "grow", [
        *GROW_START,
        "8",                                   # confidence
        "my alarm goes off on Tuesday",        # cue
        "put on my shoes and jog for 10 minutes",
        "yes",                                 # the plan fits
        "yes",                                 # save it as a goal
        "yes",                                 # a check-in
        "/goal list",                          # the goal is there afterwards
    ])
    in_order(out,
             "So you'd like to leave with: a plan to start running again",
             "How will you know you got there?",
             "What have you tried so far?",
             "You came up with: run before work, and join a running club",
             "When will you do it?",
             "What might get in the way?",
             "from 1 (not sure at all) to 10",
             "You said you'd do it Tuesday morning",
             "If my alarm goes off on Tuesday, then I will ...",
             "Your plan: If my alarm goes off on Tuesday, then I will put on my shoes and jog "
             "for 10 minutes. Does that fit?",
             "Saved as a goal",
             "/nudge set",
             "You wanted: a plan to start running again",
             "Your goals:", "1. a plan to start running again")
    assert "What helped you then?" not in out
    (goal,) = goals(tmp_path)
    assert goal["what"] == "a plan to start running again"
    assert goal["why"] == "I want more energy for my kids"
    assert goal["measure"] == "I run twice a week"
    assert goal["plan"] == ("If my alarm goes off on Tuesday, then I will put on my shoes and "
                            "jog for 10 minutes")


def test_grow_low_confidence_looks_at_strengths_before_the_plan(tmp_path: Path) -> None:
    out = chat(tmp_path, "grow", [
        *GROW_START,
        "3",                                   # low confidence
        "my sister cheered me on",             # what helped before
        "start with a 10 minute walk",         # what would make it more likely
        "I get home on Tuesday",
        "walk round the block",
        "no",                                  # not quite: restate the action
        "walk round the block with my sister",
        "yes",
        "no",                                  # no goal this time
        "no",                                  # no check-in
    ])
    in_order(out,
             "A 3 tells us something useful", "What helped you then?",
             "What would make your step a bit more likely to happen?",
             "Let's turn this into a clear plan",
             "Your plan: If I get home on Tuesday, then I will walk round the block.",
             "How would you say the 'then I will' part?",
             "Your plan: If I get home on Tuesday, then I will walk round the block with my "
             "sister.",
             "Nothing is saved as a goal",
             "That's fine.")
    assert goals(tmp_path) == []
    assert "/nudge set" not in out


# -- Wheel of Life ---------------------------------------------------------------------------


def test_wheel_of_life_scores_eight_areas_and_plans_a_step(tmp_path: Path) -> None:
    out = chat(tmp_path, "wheel_of_life", [
        "see where to focus",
        "7", "5", "4", "6", "5", "3", "8", "6",   # relationships .. environment
        "Health",                                # the area, by its label
        "I sleep well and walk every day",
        "yes",
        "I'd go to bed by 11 most nights",
        "it is 10:30 pm",
        "put my phone in the kitchen",
        "yes", "yes", "no",
    ])
    in_order(out,
             "Relationships:", "Spirituality:", "Health:", "Career:", "Money:",
             "Fun and rest:", "Personal growth:", "Your surroundings:",
             "relationships 7, spirituality 5, health 4, career 6, money 5, fun and rest 3, "
             "personal growth 8, surroundings 6",
             "one or two points",
             "Imagine this part of your life, health, is a 10 out of 10",
             "So a 10 would look like this: I sleep well and walk every day",
             "up just one point",
             "Your plan: If it is 10:30 pm, then I will put my phone in the kitchen.",
             "Saved as a goal")
    answers = answers_of(tmp_path)
    assert {k: answers[k] for k in answers if k.startswith("score_")} == {
        "score_relationships": 7, "score_spirituality": 5, "score_health": 4,
        "score_career": 6, "score_finances": 5, "score_fun": 3, "score_growth": 8,
        "score_environment": 6}
    (goal,) = goals(tmp_path)
    assert goal["area"] == "health"
    assert goal["plan"] == "If it is 10:30 pm, then I will put my phone in the kitchen"
    assert goal["measure"] == "I'd go to bed by 11 most nights"


# -- strengths -------------------------------------------------------------------------------


def test_strengths_names_their_own_strength_and_plans_a_new_use(tmp_path: Path) -> None:
    out = chat(tmp_path, "strengths", [
        "feel more confident",
        "when I calmed everyone down after the flood at work",
        "yes",
        "Something else",
        "staying calm",
        "yes",                                   # the hunch fits
        "skip",                                  # where else (optional)
        "I'd worry less and help more",
        "teach my nephew a breathing trick",
        "I pick him up from school on Wednesday",
        "show him the 4-4 breathing game",
        "yes", "yes", "yes",
    ])
    in_order(out,
             "What happened?",
             "Here is what I heard: when I calmed everyone down after the flood at work",
             "Which of these strengths did you use most",
             "Curiosity", "Something else",
             "What would you call that strength",
             "I wonder if staying calm is one of your signature strengths",
             "staying calm", "What would be different?",
             "new way every day for a week",
             "What is one new way you could use staying calm this week?",
             "Your plan: If I pick him up from school on Wednesday, then I will show him the "
             "4-4 breathing game.",
             "Saved as a goal", "/nudge set")
    (goal,) = goals(tmp_path)
    assert goal["what"] == "Use staying calm in a new way each day this week"
    assert goal["plan"].startswith("If I pick him up from school on Wednesday, then I will")


# -- WOOP ------------------------------------------------------------------------------------


def test_woop_asks_each_part_and_echoes_the_plan(tmp_path: Path) -> None:
    out = chat(tmp_path, "woop", [
        "finish my CV",
        "yes",
        "I could apply for the job I really want",
        "skip",                                  # picture it (optional)
        "I start scrolling on my phone",
        "around 9 pm on the couch",
        "put the phone in a drawer and open my CV for 10 minutes",
        "yes",
        "If I start scrolling, I put the phone away and open my CV",
        "yes", "no",
    ])
    in_order(out,
             "So your wish is: finish my CV",
             "what would be the very best thing about it?",
             "What is the main thing inside you that could get in the way?",
             "When does it usually happen?",
             "If I start scrolling on my phone, then I will ...",
             "Here is your plan: If I start scrolling on my phone, then I will put the phone "
             "in a drawer and open my CV for 10 minutes. Does that fit?",
             "Try typing your plan one more time",
             "Saved as a goal",
             "Your wish: finish my CV")
    (goal,) = goals(tmp_path)
    assert (goal["what"], goal["why"]) == ("finish my CV",
                                           "I could apply for the job I really want")
    assert goal["plan"] == ("If I start scrolling on my phone, then I will put the phone in a "
                            "drawer and open my CV for 10 minutes")


# -- weekly review ---------------------------------------------------------------------------


def test_weekly_review_good_week_goes_on_into_grow(tmp_path: Path) -> None:
    out = chat(tmp_path, "weekly_review", [
        "my running plan",
        "7",
        "running with a friend",
        "rain on Thursday",
        "I keep going when someone expects me",
        "yes",
        "yes",                                   # plan the next step now
        *GROW_START,
        "8",
        "my alarm goes off on Tuesday",
        "put on my shoes and jog for 10 minutes",
        "yes", "yes", "no",
    ])
    in_order(out,
             "Thinking about my running plan, how much progress did you make this week",
             "That's real progress",
             "What did you learn from this week?",
             "So what you learned is: I keep going when someone expects me",
             "Would you like to plan your next step now?",
             "Let's work on something you want to move forward",   # GROW begins
             "Your plan: If my alarm goes off on Tuesday, then I will put on my shoes",
             "Saved as a goal",
             "You looked back on: my running plan. Your progress: 7 out of 10")
    assert "Slow weeks happen" not in out
    assert len(goals(tmp_path)) == 1


def test_weekly_review_slow_week_without_planning_ends_warmly(tmp_path: Path) -> None:
    out = chat(tmp_path, "weekly_review", [
        "my week", "2",
        "a good night's sleep on Sunday",
        "too many late shifts",
        "I need rest before I can do more",
        "yes",
        "no",                                    # not planning now
        "yes",                                   # a check-in next week
    ])
    in_order(out,
             "Thank you for being honest", "Slow weeks happen",
             "So what you learned is: I need rest before I can do more",
             "Would you like to plan your next step now?",
             "next week",
             "/nudge set", "Thank you for taking time to look back, Sam",
             "Your progress: 2 out of 10")
    assert "That's real progress" not in out
    assert "move forward" not in out
    assert goals(tmp_path) == []


# -- Spanish ---------------------------------------------------------------------------------


def test_grow_speaks_spanish_to_a_member_who_chose_it(tmp_path: Path) -> None:
    chat(tmp_path, "grow", [])  # first contact creates the member; end of input pauses
    with sqlite3.connect(tmp_path / "c.sqlite3") as conn:
        conn.execute("UPDATE members SET language = 'es'")
    out = chat(tmp_path, "grow", [
        "volver a correr", "sí", "quiero más energía", "corro dos veces por semana",
        "no corro desde el invierno", "skip", "correr antes del trabajo",
        "unirme a un club", "skip", "correr antes del trabajo", "el martes",
        "el cansancio", "7", "suena la alarma del martes", "ponerme las zapatillas",
        "sí", "sí", "no",
    ])
    in_order(out,
             "Hola, Sam",
             "Entonces te gustaría irte con esto: volver a correr",
             "¿Cómo sabrás que lo lograste?",
             "Se te ocurrió: correr antes del trabajo, y unirme a un club",
             "Tu plan: Si suena la alarma del martes, entonces voy a ponerme las zapatillas.",
             "Está bien. Ya sabes dónde encontrarme.")
    assert "What would you like" not in out
