"""The conversation library: bad files are skipped, reload and install keep the last good set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.flows.library import FlowLibrary
from bot.flows.loader import content_hash, load_flow_text
from tests.flows.synthetic import make_flow_text

HERE = Path(__file__).parent
GOOD = HERE / "good"
BROKEN = HERE / "broken"


@pytest.fixture
def conversations(tmp_path: Path) -> Path:
    directory = tmp_path / "conversations"
    shutil.copytree(GOOD, directory)
    return directory


def test_loads_every_good_file(conversations: Path) -> None:
    library, problems = FlowLibrary.load(conversations)
    assert problems == []
    assert library.ids() == ["check_in", "energy_audit"]
    assert library.directory == conversations
    flow = library.get("energy_audit")
    assert flow is not None and flow.source == str(conversations / "energy_audit.yaml")
    assert flow.content_hash == content_hash((conversations / "energy_audit.yaml").read_bytes())
    assert len(flow.content_hash) == 16
    # check_in is not listed: it only runs when called
    assert [f.id for f in library.listed()] == ["energy_audit"]
    assert library.get("nope") is None


def test_listed_is_sorted_by_title(tmp_path: Path) -> None:
    for i, title in [(1, "Zebra"), (2, "apple"), (3, "Mango")]:
        text = make_flow_text(i).replace(f'"Synthetic conversation {i}"', title)
        (tmp_path / f"synthetic_{i}.yaml").write_text(text)
    library, problems = FlowLibrary.load(tmp_path)
    assert problems == []
    assert [f.title.for_language(None)[0] for f in library.listed()] == ["apple", "Mango", "Zebra"]


def test_one_bad_file_does_not_stop_the_others(conversations: Path) -> None:
    shutil.copy(BROKEN / "missing_target.yaml", conversations)
    (conversations / "notes.txt").write_text("not a conversation")
    library, problems = FlowLibrary.load(conversations)
    assert library.ids() == ["check_in", "energy_audit"]
    assert [(Path(p.source).name, p.line, p.col) for p in problems] == [
        ("missing_target.yaml", 12, 15)]


def test_a_caller_of_a_broken_conversation_is_held_back_with_a_reason(
        conversations: Path) -> None:
    (conversations / "check_in.yaml").write_text("id: check_in\ntitle: [\n")
    library, problems = FlowLibrary.load(conversations)
    assert library.ids() == []
    messages = {Path(p.source).name: p for p in problems}
    assert "YAML syntax error" in messages["check_in.yaml"].message
    held = messages["energy_audit.yaml"]
    assert "this calls 'check_in', which has errors" in held.message
    assert (held.line, held.col) == (62, 19)


def test_call_cycles_are_refused(tmp_path: Path) -> None:
    for name, callee in [("first", "second"), ("second", "third"), ("third", "first")]:
        (tmp_path / f"{name}.yaml").write_text(
            f"id: {name}\ntitle: {name}\ndescription: d\nsteps:\n"
            f"  - id: go\n    type: call\n    conversation: {callee}\n")
    (tmp_path / "fine.yaml").write_text(
        "id: fine\ntitle: Fine\ndescription: d\nsteps:\n  - id: bye\n    type: end\n")
    library, problems = FlowLibrary.load(tmp_path)
    assert library.ids() == ["fine"]
    assert sorted((Path(p.source).name, p.line, p.col) for p in problems) == [
        ("first.yaml", 7, 19), ("second.yaml", 7, 19), ("third.yaml", 7, 19)]
    first = next(p for p in problems if p.source.endswith("first.yaml"))
    assert "first -> second -> third -> first" in first.message


def test_a_call_to_a_missing_conversation_is_refused(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "unknown_call.yaml", tmp_path)
    library, problems = FlowLibrary.load(tmp_path)
    assert library.ids() == []
    assert [(p.line, p.col, p.message) for p in problems] == [
        (7, 19, "there is no conversation 'onbaording'")]


def test_reload_keeps_the_last_good_set_when_any_file_is_broken(conversations: Path) -> None:
    library, _ = FlowLibrary.load(conversations)
    before = library.get("energy_audit")
    path = conversations / "energy_audit.yaml"
    path.write_text(path.read_text().replace("goto: goodbye", "goto: godbye"))
    (conversations / "extra.yaml").write_text(
        "id: extra\ntitle: Extra\ndescription: d\nsteps:\n  - id: bye\n    type: end\n")
    problems = library.reload()
    assert [(Path(p.source).name, p.message) for p in problems] == [
        ("energy_audit.yaml", "there is no step 'godbye'")]
    assert library.get("energy_audit") is before
    assert library.ids() == ["check_in", "energy_audit"]  # extra waits for a clean reload
    path.write_text(path.read_text().replace("goto: godbye", "goto: goodbye"))
    assert library.reload() == []
    assert library.ids() == ["check_in", "energy_audit", "extra"]
    assert library.get("energy_audit") is not before


def test_reload_drops_a_deleted_file(conversations: Path) -> None:
    library, _ = FlowLibrary.load(conversations)
    shutil.copy(GOOD / "check_in.yaml", conversations / "spare.yaml")
    (conversations / "spare.yaml").write_text(
        (GOOD / "check_in.yaml").read_text().replace("id: check_in", "id: spare"))
    assert library.reload() == []
    assert "spare" in library
    (conversations / "spare.yaml").unlink()
    assert library.reload() == []
    assert "spare" not in library


def test_install_refuses_a_broken_text_and_changes_nothing(conversations: Path) -> None:
    library, _ = FlowLibrary.load(conversations)
    old_text = library.text_of("check_in")
    before = library.get("check_in")
    broken = old_text.replace("{when}", "{wehn}")
    problems = library.install("check_in", broken)
    assert [(p.source, p.line, p.col) for p in problems] == [("check_in.yaml", 12, 33)]
    assert "did you mean 'when'?" in (problems[0].hint or "")
    assert library.text_of("check_in") == old_text
    assert library.get("check_in") is before
    assert sorted(p.name for p in conversations.iterdir()) == [
        "check_in.yaml", "energy_audit.yaml"]  # no temporary file left behind


def test_install_refuses_an_id_that_does_not_match(conversations: Path) -> None:
    library, _ = FlowLibrary.load(conversations)
    text = library.text_of("check_in")
    problems = library.install("other", text)
    assert "does not match the file name 'other'" in problems[0].message
    assert not (conversations / "other.yaml").exists()
    assert library.install("Bad Name", text)[0].message.startswith("'Bad Name' is not a valid")


def test_install_writes_a_good_text_and_swaps_it_in(conversations: Path) -> None:
    library, _ = FlowLibrary.load(conversations)
    text = library.text_of("check_in").replace("short check-in", "quick check-in")
    assert library.install("check_in", text) == []
    assert (conversations / "check_in.yaml").read_text() == text
    flow = library.get("check_in")
    assert flow is not None
    assert "quick check-in" in flow.steps[0].prompt.for_language("en")[0]
    assert flow.content_hash == content_hash(text.encode())
    assert sorted(p.name for p in conversations.iterdir()) == [
        "check_in.yaml", "energy_audit.yaml"]
    # a new conversation can call one already installed
    new = make_flow_text(7).replace("    next: end\n  - id: not_now",
                                    "  - id: book\n    type: call\n    conversation: check_in\n"
                                    "    next: end\n  - id: not_now")
    assert load_flow_text(new, "x", expected_id="synthetic_7")[1] == []
    assert library.install("synthetic_7", new) == []
    assert "synthetic_7" in library.ids()
    assert (conversations / "synthetic_7.yaml").read_text() == new


def test_install_refuses_a_call_loop(conversations: Path) -> None:
    library, _ = FlowLibrary.load(conversations)
    text = library.text_of("check_in") + (
        "  - id: again\n    type: call\n    conversation: energy_audit\n")
    problems = library.install("check_in", text)
    assert problems and "loop of calls" in problems[0].message
    assert library.text_of("check_in") == (GOOD / "check_in.yaml").read_text()


def test_text_of_an_unknown_conversation_is_a_key_error(conversations: Path) -> None:
    library, _ = FlowLibrary.load(conversations)
    with pytest.raises(KeyError):
        library.text_of("nope")


def test_a_missing_directory_is_reported(tmp_path: Path) -> None:
    library, problems = FlowLibrary.load(tmp_path / "nowhere")
    assert library.ids() == [] and "does not exist" in problems[0].message


def test_bundled_directory_is_the_source_checkout_conversations() -> None:
    directory = FlowLibrary.bundled_directory()
    assert directory.name == "conversations"
    assert directory == Path(__file__).parents[2] / "conversations"


def test_synthetic_conversations_are_valid() -> None:
    for i in (0, 1, 199):
        flow, problems = load_flow_text(make_flow_text(i), f"synthetic_{i}.yaml",
                                        expected_id=f"synthetic_{i}")
        assert problems == [] and flow is not None
        assert len(flow.steps) >= 15
