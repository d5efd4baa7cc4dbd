"""The text gate (`companion/spoilers.py`) and the name index ingest builds for it, on invented and real text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from scriptorium.companion.chat.guard import SentenceGuard
from scriptorium.companion.ingest.bundle import resolve
from scriptorium.companion.ingest.lint import early_mentions
from scriptorium.companion.ingest.names import prose_names
from scriptorium.companion.ingest.reader import read_content
from scriptorium.companion.spoilers import HiddenNames, NameEntry, NameIndex, SentenceGate, split_sentences

INDEX = NameIndex(
    [
        NameEntry("Pepper", 0, "entity"),
        NameEntry("Carrot", 0, "entity"),
        NameEntry("Saffron", 9, "entity"),
        NameEntry("Truffel", 9, "alias"),
        NameEntry("Ah", None, "entity"),
        NameEntry("Squirrel's End", None, "entity"),
        NameEntry("The Great War", None, "title"),
        NameEntry("Hereva", 20, "entity"),
        NameEntry("Rea", None, "prose"),
        NameEntry("Great Tree", None, "prose"),
    ]
)


def test_split_sentences_joins_back_to_the_text() -> None:
    text = "  Pepper: Hi!  Carrot waves.\nSaffron: ...and you?\n\nThe end"
    pieces = split_sentences(text)
    assert "".join(s + gap for s, gap in pieces) == text
    assert [s for s, _ in pieces if s] == ["Pepper: Hi!", "Carrot waves.", "Saffron: ...and you?", "The end"]


def test_a_sentence_naming_a_later_entry_is_withheld_and_the_rest_stays() -> None:
    card = "A young witch of Chaosah. She grew up near Squirrel's End. Carrot is her cat."
    assert INDEX.gate(card, 0) == "A young witch of Chaosah. Carrot is her cat."
    assert INDEX.late_names(card, 0) == ["Squirrel's End"]


def test_possessives_aliases_and_case_of_long_names_are_caught() -> None:
    assert INDEX.gate("Pepper frowns. saffron's shop opens.", 8) == "Pepper frowns."
    assert INDEX.gate("Pepper frowns. Saffron’s shop opens.", 9) == "Pepper frowns. Saffron’s shop opens."
    assert INDEX.gate("Her familiar TRUFFEL hisses. Carrot naps.", 3) == "Carrot naps."


def test_short_names_are_whole_words_with_case() -> None:
    # "Ah" the school is hidden (unknown debut); "ah", "Ahead" and an opening "Ah!" are not that name.
    assert INDEX.gate("The temples of Ah stand tall. Pepper sighs.", 5) == "Pepper sighs."
    kept = "Ah! There you are. She said ah quietly. Ahead lies the forest."
    assert INDEX.gate(kept, 5) == kept
    assert INDEX.late_names("Ah, the witches of Ah are strict.", 5) == ["Ah"]


def test_unknown_debut_is_hidden_at_every_position() -> None:
    text = "The Great War ended everything. Pepper laughs."
    for index in (0, 50, 10_000):
        assert INDEX.gate(text, index) == "Pepper laughs."


def test_prose_names_match_only_as_written() -> None:
    # "Great Tree" is a name because it is capitalised; "a great tree" is ordinary English.
    assert INDEX.gate("Pepper climbs a great tree.", 0) == "Pepper climbs a great tree."
    assert INDEX.gate("Pepper climbs the Great Tree. Carrot waits.", 0) == "Carrot waits."


def test_debuts_open_names_at_their_page() -> None:
    text = "Saffron smiles. Hereva is vast."
    assert INDEX.gate(text, 8) == ""
    assert INDEX.gate(text, 9) == "Saffron smiles."
    assert INDEX.gate(text, 20) == text


def test_dialogue_lines_are_sentences() -> None:
    page = "Pepper: Look!\nSaffron: My potion wins\nCarrot: Meow"
    assert INDEX.gate(page, 3) == "Pepper: Look!\nCarrot: Meow"


def test_the_stream_gate_releases_whole_safe_sentences_only() -> None:
    gate = INDEX.stream(3)
    sent = ""
    for delta in ["Pepper brews ", "a potion. Later Saff", "ron wins the ", "contest. Carrot ", "sleeps."]:
        sent += gate.feed(delta)
        assert "Saff" not in sent
    sent += gate.flush()
    assert sent == "Pepper brews a potion. Carrot sleeps."
    assert gate.withheld == 1


def test_the_stream_gate_holds_an_open_sentence_until_it_ends() -> None:
    gate = SentenceGate(INDEX, 3)
    assert gate.feed("Pepper brews") == ""
    assert gate.feed(" a potion. Carrot") == "Pepper brews a potion. "
    assert gate.flush() == "Carrot"


def test_hidden_at_lists_what_a_turn_must_not_say() -> None:
    hidden = INDEX.hidden_at(9)
    assert {"Ah", "Squirrel's End", "Great War", "Hereva", "Rea"} <= hidden
    assert "Saffron" not in hidden and "Pepper" not in hidden
    assert NameIndex.hiding(["Queen Ysolde"]).gate("Mira waves. Queen Ysolde rules.", 99) == "Mira waves."


def test_prose_names_are_capitalised_runs_not_sentence_openers() -> None:
    texts = [
        "The Great War broke out between Magmah and Aquah. Chaosah tipped it.",
        "Potions explode. The potion of Flight works. She lives near Squirrel's End.",
        "Hereva is vast. Pepper met the Komonan Guard. Besides, nobody came.",
        "Everyone on Hereva knows it.",
    ]
    found = prose_names(texts, known={"pepper"})
    assert {"Great War", "Magmah", "Aquah", "Squirrel's End", "Komonan Guard", "Hereva"} <= found
    # A sentence opener is no evidence of a name, and pronouns and function words never count.
    assert not {"Potions", "Besides", "Everyone", "The", "She", "Chaosah tipped"} & found
    assert "Chaosah" not in found  # only ever opens a sentence: no evidence it is a name rather than a word


@pytest.mark.parametrize(
    ("text", "index", "expected"),
    [
        ("Pepper, Saffron and Carrot.", 9, "Pepper, Saffron and Carrot."),
        ("Pepper, Saffron and Carrot.", 8, ""),
        ("", 0, ""),
        ("No names here at all.", 0, "No names here at all."),
    ],
)
def test_gate_table(text: str, index: int, expected: str) -> None:
    assert INDEX.gate(text, index) == expected


def test_the_issue_pepper_card_at_episode_one() -> None:
    """The issue's card, against names placed as the real import places them (test_text_sweep: the served path)."""
    card = (
        "A young witch of Chaosah, the magic of chaos, raised by her three godmothers in the forest near "
        "Squirrel's End. Her chaotic potions and spells back her into trouble as often as out of it."
    )
    assert INDEX.gate(card, 0) == "Her chaotic potions and spells back her into trouble as often as out of it."


def test_the_chat_guard_withholds_the_sentence_and_stops_at_a_hidden_name() -> None:
    guard = SentenceGuard(INDEX.hidden_at(3))
    sent = ""
    for delta in ["Pepper brews ", "a potion. She then ", "meets Saffron's ", "familiar. Carrot naps."]:
        sent += guard.feed(delta)
        if guard.tripped:
            break
    sent += guard.flush()
    assert guard.tripped and sent == "Pepper brews a potion. "


def test_the_chat_guard_keeps_case_rules_of_prose_names() -> None:
    hidden = INDEX.hidden_at(3)
    assert isinstance(hidden, HiddenNames) and "Great Tree" in hidden.exact and "Saffron" not in hidden.exact
    guard = SentenceGuard(hidden)
    text = "Pepper climbs a great tree. " + "Ah, what a view."
    assert guard.feed(text) + guard.flush() == text and not guard.tripped
    shouting = SentenceGuard(hidden)
    assert shouting.feed("SAFFRON is here. ") == "" and shouting.tripped


def test_the_chat_guard_releases_a_run_on_sentence_without_splitting_a_name() -> None:
    guard = SentenceGuard(HiddenNames(["Queen Ysolde"]))
    sent = ""
    for i in range(120):
        sent += guard.feed(f"word{i} ")
    assert sent.startswith("word0 word1") and len(sent) > 300  # not held until the stream ends
    sent += guard.feed("Queen ")
    sent += guard.feed("Ysolde rules")
    assert guard.tripped and "Queen" not in sent


def test_a_chat_card_is_the_summary_as_of_the_cursor_then_gated() -> None:
    from scriptorium.companion.boundary import Cursor
    from scriptorium.companion.catalog import CatalogEntity
    from scriptorium.companion.chat.cards import card_passage

    pepper = CatalogEntity(
        "pepper",
        "Pepper",
        "character",
        0,
        (),
        "A witch near Squirrel's End. She brews potions.",
        ((9, "A witch who met Saffron. Truffel hissed at her."), (20, "A witch of Hereva.")),
    )
    at = {index: card_passage(pepper, Cursor("s", index), INDEX.gate) for index in (0, 8, 9, 20)}
    assert at[0] is not None and at[0].text == "She brews potions."
    assert at[8] is not None and at[8].text == "She brews potions."
    assert at[9] is not None and at[9].text == "A witch who met Saffron. Truffel hissed at her."
    assert at[20] is not None and at[20].text == "A witch of Hereva."


def test_the_lint_uses_the_whole_index_dropped_entities_and_two_letter_names(
    copy_fixture: Callable[[str], Path],
) -> None:
    root = copy_fixture("folder")
    world = yaml.safe_load((root / "world.yaml").read_text())
    world["entities"].append({"slug": "ah", "name": "Ah", "kind": "faction", "debut": "9:1"})
    ada = next(e for e in world["entities"] if e["slug"] == "ada")
    ada["summary"] = "A girl who cannot sleep. Ah, she sighs. She prays at the temple of Ah."
    (root / "world.yaml").write_text(yaml.safe_dump(world))
    resolved = resolve(read_content(root), skip_unreached=True)
    assert "ah" not in {e.slug for e in resolved.bundle.entities}  # dropped: episode 9 is not there
    flagged = [w for w in early_mentions(resolved) if "entity 'ada' summary" in w]
    assert flagged == [
        f"{root / 'world.yaml'}: entity 'ada' summary names 'Ah' (unknown debut: never shown) before its debut;"
        " sentence withheld: 'She prays at the temple of Ah.'"
    ]


def test_a_turn_guard_reuses_the_series_index_instead_of_compiling_one() -> None:
    hidden = INDEX.hidden_at(3)
    assert NameIndex.for_hidden(hidden) == (INDEX, 3)
    narrowed = hidden.keep(lambda name: name != "Rea")
    index, at = NameIndex.for_hidden(narrowed)
    assert index is not INDEX and at == 0 and index.late_names("Rea glows. Ah, Hereva!", at) == ["Hereva"]
