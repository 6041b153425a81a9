"""Realistic generated conversations, for measuring how fast files are validated."""

from __future__ import annotations

AREAS = ("health", "career", "relationships", "finances", "fun", "growth")


def make_flow_text(i: int) -> str:
    """A valid ~15-step conversation `synthetic_<i>` with branches, variables and a choice."""
    options = "\n".join(f'      - {{value: {a}, label: "{a.title()} ({i})"}}' for a in AREAS)
    return f"""\
id: synthetic_{i}
title: "Synthetic conversation {i}"
description: "A generated GROW-style conversation used to time validation."
summary: "Thank you for your time today, {{member}}."
steps:
  - id: agree
    type: yes_no
    prompt:
      en: "Hi {{member}}. Shall we spend ten minutes on one goal?"
      es: "Hola {{member}}. ¿Dedicamos diez minutos a una meta?"
    next:
      - if: "agree == false"
        goto: not_now
      - else: area
  - id: area
    type: choice
    prompt: "Which part of life is this about?"
    options:
{options}
  - id: wish
    type: text
    prompt:
      - "What would you like to be different in {{area}}?"
      - "What do you wish for in {{area}}?"
    help: "One sentence is plenty."
  - id: heard
    type: reflect
    of: wish
  - id: outcome
    type: text
    prompt: "If {{wish}} came true, how would you know?"
  - id: reality
    type: text
    prompt: "What is happening now with {{wish}}?"
    optional: true
  - id: confidence
    type: scale
    min: 1
    max: 10
    prompt: "How sure are you that you can get there, 1 to 10?"
    next:
      - if: "confidence <= 4 and area in ['health', 'career']"
        goto: strength
      - if: "confidence <= 4"
        goto: support
      - else: options
  - id: strength
    type: text
    prompt: "Think of a time you were at your best. What did you do well?"
    next: options
  - id: support
    type: yes_no
    prompt: "Is there someone who could help you with {{wish}}?"
  - id: options
    type: text
    prompt: "What could you do about {{wish}}? Name a few ideas."
  - id: obstacle
    type: text
    prompt: "What might get in the way?"
  - id: plan
    type: text
    prompt: "If {{obstacle}} happens, what will you do?"
  - id: when
    type: time
    prompt: "What time of day will you start? (HH:MM)"
  - id: make_goal
    type: goal
    goal:
      what: "{{wish}}"
      measure: "{{outcome}}"
      plan: "If {{obstacle}}, then I will {{plan}}"
      area: "{{area}}"
    next: end
  - id: not_now
    type: end
    prompt: "That is fine, {{member}}. Come back any time."
"""
