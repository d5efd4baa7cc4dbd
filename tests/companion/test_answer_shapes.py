"""Offline answers that answer: "who/what is X" from X's card, page questions from the page, the page's cast and
places linked at serve time, entity cards gated at the cursor, chips kept only when answerable.

Pure functions over hand-made turns and catalogs; the end-to-end numbers on real content are the question set's
(tests/companion/test_question_set.py).
"""

from __future__ import annotations

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.catalog import Catalog, CatalogEntity, CatalogPage, derived
from scriptorium.companion.chat import chips
from scriptorium.companion.chat.cards import card_passage, card_passages, catalog_gate
from scriptorium.companion.chat.cast import name_variants, page_cast
from scriptorium.companion.chat.offline import compose, select
from scriptorium.companion.chat.turn import Passage, Suggestion, Turn


def page(n: int, text: str, *, role: str = "visible", episode: int = 3) -> Passage:
    return Passage(f"p{episode}-{n}", "page", role, text, n - 1, f"page {n}", f"ep{episode}", episode, n)  # type: ignore[arg-type]


def card(name: str, text: str, debut: int = 0) -> Passage:
    return Passage(f"card:{name.lower()}", "wiki", "wiki", text, debut, name)


def turn(question: str, passages: list[Passage], *, mode: str = "page", at: int = 6) -> Turn:
    return Turn(mode, question, Cursor("s", at), "Pepper&Carrot", "Ep", 3, (at + 1,), "", tuple(passages))  # type: ignore[arg-type]


FRECKLE = card("Freckle", "A one-eyed courier owl of the Ridge Post. He is afraid of thunder.")
MARKET = page(
    2,
    "On this page is Freckle.\nGood morning Sir, I would like eight pumpkinstars, please\n"
    "Here you are, that's 60Ko*\n...Oh dear",
    role="earlier",
)
POSTER = page(
    7,
    "No one is named on this page; so far this episode has shown Freckle.\nLucky me, a full day to prepare !\n"
    "Komona Potion Challenge\n50 000Ko grand prize FOR THE BEST POTION\nPLOP\nPLOP",
)


def test_who_is_x_answers_from_the_card_first_in_both_modes() -> None:
    for mode in ("page", "wiki"):
        asked = turn("who's Freckle?", [POSTER, MARKET, FRECKLE], mode=mode)
        text = compose(asked, select(asked))
        assert text.startswith("A one-eyed courier owl of the Ridge Post. He is afraid of thunder. [Freckle]"), text


def test_a_possessive_is_not_a_question_about_the_owner() -> None:
    asked = turn("Who are Freckle's parents?", [POSTER, FRECKLE])
    assert all(not c.passage.is_card for c in select(asked))


def test_what_does_the_sign_say_quotes_the_sign_like_lines_of_the_visible_page() -> None:
    asked = turn("What does the poster say?", [POSTER, MARKET])
    text = compose(asked, select(asked))
    assert text.startswith(
        "The lettering reads “Komona Potion Challenge” and “50 000Ko grand prize FOR THE BEST POTION”."
    ), text
    assert "PLOP" in text and text.count("Komona Potion Challenge") == 1  # repeated sound effects are not signs
    assert text.endswith("[page 7]")


def test_what_happens_on_page_n_reads_that_page_in_order() -> None:
    asked = turn("what happened on page 2?", [POSTER, MARKET])
    chosen = select(asked)
    assert {c.passage.page_number for c in chosen} == {2}
    assert [c.order for c in chosen] == sorted(c.order for c in chosen)
    assert "60Ko" in compose(asked, chosen)


def test_the_cast_sentence_answers_who_questions_only() -> None:
    who = turn("Who is here?", [POSTER])
    assert "so far this episode has shown Freckle" in compose(who, select(who))
    story = turn("What does Freckle think of the prize?", [POSTER, MARKET])
    assert all("this episode has shown" not in c.text for c in select(story))


def test_the_balloon_after_the_best_line_on_screen_joins_the_answer() -> None:
    on_screen = page(2, MARKET.text)
    asked = turn("How much are eight pumpkinstars?", [on_screen])
    assert "60Ko" in compose(asked, select(asked))


def entity(
    slug: str, name: str, kind: str, debut: int, summary: str = "", aliases: tuple[str, ...] = ()
) -> CatalogEntity:
    return CatalogEntity(slug, name, kind, debut, aliases, summary)


def catalog(entities: list[CatalogEntity], pages: list[CatalogPage]) -> Catalog:
    return Catalog(1, tuple(entities), {}, {"ep": 1}, {"e1": tuple(pages)})


def cpage(index: int, text: str, characters: tuple[object, ...] = ()) -> CatalogPage:
    return CatalogPage(f"p{index}", "e1", index + 1, index, text, "", "", characters)


def test_page_cast_links_list_debuts_and_names_in_the_lettering_never_later_entities() -> None:
    pages = [
        cpage(0, "...and the last touch"),
        cpage(1, "NO! Don't even think about it"),
        cpage(2, "Hey look, it's Saffron"),
    ]
    world = catalog(
        [
            entity("pepper", "Pepper", "character", 0),
            entity("carrot", "Carrot", "character", 0),
            entity("saffron", "Saffron", "character", 2),
            entity("komona", "Komona", "place", 2),
            entity("thyme", "Thyme", "character", 40),
            entity("chaosah", "Chaosah", "faction", 0),
        ],
        pages,
    )
    first = page_cast(pages[0], world, Cursor("s", 0), pages, "Pepper&Carrot")
    assert first.sentence() == "On this page are Pepper and Carrot."  # debuts (the faction is not cast)
    second = page_cast(pages[1], world, Cursor("s", 1), pages, "Pepper&Carrot")
    assert second.sentence() == "No one is named on this page; so far this episode has shown Pepper and Carrot."
    third = page_cast(pages[2], world, Cursor("s", 2), pages, "Pepper&Carrot")
    assert third.sentence() == "On this page is Saffron. This takes place in Komona."
    lone = catalog([entity("pepper", "Pepper", "character", 0), entity("thyme", "Thyme", "character", 40)], [])
    titled = page_cast(cpage(5, "Glup"), lone, Cursor("s", 5), [], "Pepper&Carrot")
    assert titled.sentence() == "No one is named on this page; the series follows Pepper."


def test_a_name_inside_another_word_or_in_lower_case_is_not_a_character() -> None:
    world = catalog([entity("carrot", "Carrot", "character", 0)], [])
    soup = cpage(3, "a basket of carrots and a pinch of carrot powder")
    assert page_cast(soup, world, Cursor("s", 3), [], "A Cookbook").on_page == ()


def test_cards_withhold_sentences_naming_what_debuts_later() -> None:
    world = catalog(
        [
            entity("komona", "Komona", "place", 8, "A flying city of markets. Home to Saffron."),
            entity("saffron", "Saffron", "character", 9, "A rival witch."),
        ],
        [],
    )
    gate = catalog_gate(world)
    early = card_passage(world.entities[0], Cursor("s", 8), gate)
    assert early is not None and early.text == "A flying city of markets."
    later = card_passage(world.entities[0], Cursor("s", 9), gate)
    assert later is not None and later.text == "A flying city of markets. Home to Saffron."


def test_card_passages_are_the_ones_the_question_names_and_only_met_entities() -> None:
    world = catalog(
        [
            entity("osric", "Keeper Osric Vell", "character", 1, "The old keeper.", ("Osric",)),
            entity("undertow", "The Undertow", "creature", 11, "A sea serpent."),
            entity("pim", "Pim", "creature", 0, "A clockwork heron."),
        ],
        [],
    )
    named = card_passages(world, Cursor("s", 5), "Tell me about Osric", "page", catalog_gate(world))
    assert [p.title for p in named] == ["Keeper Osric Vell"]
    unmet = card_passages(world, Cursor("s", 5), "What is the Undertow?", "wiki", catalog_gate(world))
    assert all(p.title != "The Undertow" for p in unmet)
    by_words = card_passages(world, Cursor("s", 5), "Is there a heron?", "wiki", catalog_gate(world))
    assert [p.title for p in by_words] == ["Pim"]


def test_a_chip_is_kept_only_when_asking_it_gets_an_answer() -> None:
    base = turn("What now?", [POSTER])
    assert chips.answerable(Suggestion("page", "What happens on page 7?"), base, [POSTER], [])
    assert chips.answerable(Suggestion("wiki", "Who is Freckle?"), base, [POSTER], [FRECKLE])
    assert not chips.answerable(Suggestion("wiki", "Who is Freckle?"), base, [POSTER], [])


def test_a_name_followed_by_more_question_is_not_a_who_is_question() -> None:
    asked = turn("Who is Freckle talking to?", [POSTER, FRECKLE])
    assert all(not c.passage.is_card for c in select(asked))


def test_a_question_matching_only_a_name_elsewhere_reads_the_page_on_screen_instead() -> None:
    name_only = page(2, "Hey look, it's Freckle!", role="earlier")
    asked = turn("What's Freckle's plan?", [POSTER, name_only])
    text = compose(asked, select(asked))
    assert text.startswith("I can't find that exactly") and "Lucky me" in text and "Hey look" not in text
    content = turn("What is Freckle preparing for?", [POSTER, name_only])
    assert not compose(content, select(content)).startswith("I can't find")  # "prepare" matched on screen


def test_values_derived_from_a_catalog_are_computed_once_per_catalog_object() -> None:
    built: list[int] = []

    def build(world: Catalog) -> int:
        built.append(world.version)
        return len(world.entities)

    first = catalog([entity("pim", "Pim", "creature", 0)], [])
    assert derived(first, "test.count", build) == 1 and derived(first, "test.count", build) == 1
    reingested = catalog([entity("pim", "Pim", "creature", 0), entity("wren", "Wren", "character", 0)], [])
    assert derived(reingested, "test.count", build) == 2
    assert built == [1, 1]  # once per catalog object, and the second catalog did not read the first one's value


def test_a_character_is_named_by_the_given_name_after_a_title_but_epithets_and_places_are_not_shortened() -> None:
    variants = {
        name: name_variants(entity("x", name, kind, 0))
        for name, kind in [
            ("Keeper Osric Vell", "character"),
            ("The Fog Thief", "character"),
            ("Gull Rock", "place"),
            ("Argiope Spiders", "creature"),
        ]
    }
    assert variants == {
        "Keeper Osric Vell": ["Keeper Osric Vell", "Osric"],
        "The Fog Thief": ["The Fog Thief"],
        "Gull Rock": ["Gull Rock"],
        "Argiope Spiders": ["Argiope Spiders", "Argiope"],
    }
    osric = entity("osric", "Keeper Osric Vell", "character", 1, "The old keeper of the guild.")
    world = catalog([osric], [])
    cards = card_passages(world, Cursor("s", 3), "Who is Osric?", "wiki", catalog_gate(world))
    asked = turn("Who is Osric?", cards, mode="wiki")
    assert compose(asked, select(asked)) == "The old keeper of the guild. [Keeper Osric Vell]"


def test_a_chip_that_would_not_be_answered_gives_way_to_the_next_candidate() -> None:
    entities = [
        chips.ChipEntity("Ghost", "character", 1, has_wiki=True),
        chips.ChipEntity("Lumen moths", "creature", 0, has_wiki=True),
    ]
    offered = chips.choose(
        "What now?", page_numbers=[7], page_text="", entities=entities, keep=lambda s: "Ghost" not in s.text
    )
    assert [s.text for s in offered] == ["What happens on page 7?", "What are Lumen moths?"]
    assert chips.choose("What now?", page_numbers=[], page_text="", entities=entities, keep=lambda s: False) == []


def test_a_chip_the_answerer_would_only_meet_with_the_page_fallback_is_not_answerable() -> None:
    base = turn("What now?", [POSTER])
    assert not chips.answerable(Suggestion("page", "Why is the moon green?"), base, [POSTER], [])
