from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety.detector import CrisisDetector, LexiconError, validate_lexicon


def write(tmp_path: Path, text: str, name: str = "slang.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_lexicon_is_valid() -> None:
    assert validate_lexicon([]) == []


def test_moderators_can_add_their_communitys_slang(tmp_path: Path) -> None:
    before = CrisisDetector.load()
    assert not before.check("gonna yeet into the void fr").crisis
    path = write(tmp_path, """
language: en
crisis:
  suicidal_ideation:
    concern:
      - "yeet into the void"
""")
    after = CrisisDetector.load([path])
    assert after.check("gonna yeet into the void fr").crisis
    assert after.check("I'm gonna YEET INTO THE VOOOID").crisis


def test_a_folder_of_moderator_files_is_read(tmp_path: Path) -> None:
    write(tmp_path, "language: en\nexceptions:\n  - \"kms kart\"\n", "games.yaml")
    assert not CrisisDetector.load([tmp_path]).check("kms kart tournament tonight").crisis


def test_errors_name_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, """language: en
crisis:
  suicidal_ideaton:
    concern:
      - "end it all"
  self_harm:
    severe:
      - "cut myself"
    concern:
      - ""
      - "scratch myself raw"
      - "scratch myself raw"
      - "(unclosed group"
      - "<nosuchset> myself"
watch:
  distress:
    - fine
phrasez: []
""")
    problems = validate_lexicon([path])
    text = "\n".join(str(p) for p in problems)
    assert f"{path}:3:3: unknown category 'suicidal_ideaton' (did you mean 'suicidal_ideation'?)" \
        in text
    assert f"{path}:7:5: unknown key 'severe'" in text
    assert f"{path}:10:9: empty phrase" in text
    assert f"{path}:12:9: duplicate entry 'scratch myself raw'" in text
    assert f"{path}:13:9: a '(' is never closed" in text
    assert f"{path}:14:9: unknown set <nosuchset>" in text
    assert f"{path}:18:1: unknown key 'phrasez'" in text
    with pytest.raises(LexiconError) as err:
        CrisisDetector.load([path])
    assert err.value.problems == problems


def test_yes_no_words_must_be_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, "language: en\nnegators: [no]\n")
    [problem] = validate_lexicon([path])
    assert (problem.line, problem.col) == (2, 12)
    assert 'put it in quotes: "no"' in str(problem)


def test_a_filler_word_cannot_silently_empty_a_choice(tmp_path: Path) -> None:
    path = write(tmp_path, """language: en
crisis:
  hopelessness:
    concern:
      - "(just|) give up on everything forever"
""")
    [problem] = validate_lexicon([path])
    assert "'just' is a filler word" in str(problem)
    assert (problem.line, problem.col) == (5, 9)


def test_unknown_context_in_unless_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, """language: en
crisis:
  self_harm:
    concern:
      - {phrase: "scratch myself raw", unless: [acident]}
""")
    [problem] = validate_lexicon([path])
    assert "unknown context 'acident'" in str(problem)
    assert "did you mean 'accident'?" in str(problem)


def test_tokens_not_substrings(detector: CrisisDetector) -> None:
    assert "kill" not in " ".join(detector.tokens("my skills"))
    assert detector.tokens("therapist") == ["therapist"]
