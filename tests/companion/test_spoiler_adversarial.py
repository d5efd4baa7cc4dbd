"""The spoiler gate attacked with data written to break it (issue 9, item 2): every test here failed before its fix.

The fixture series `tests/fixtures/companion/adversarial/` ("The Lantern of Vey", 2 episodes of 4 pages, global
indexes 0-7) was written by hand for this: aliases and epithets ("the Witch of the Eastern Spire"), a name with a
diaeresis written with and without it (Zoë / Zoe), a hyphenated name (Brother Ambrose-Kell), an apostrophe name with
a curly quote in the lettering (Fen O'Leary), a character named by a common word (Will, whose lettering says "I will
light the lantern" on page 1), a family plural ("the Marchettis"), names broken across lines, names in ALL CAPS,
summaries written with the whole series in mind, and a character (Seraphine) who is named only at the start of
sentences in relation summaries and in a wiki heading, and never on any page.

The truth each test checks against is written here by hand (`LATE`), not read from the name index under test: a
guarantee that only holds on names the index already knows would prove nothing.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.companion.clients import answer_text, ask, open_client
from tests.companion.conftest import FIXTURES, IngestedSeries, _copy, _template, isolated_settings
from tests.companion.sweep import Leak, SpoilerOracle, Sweep
from tests.companion.test_sweep_full import Checker, load
from tests.companion.test_text_sweep import PROBES as PEPPER_PROBES
from tests.companion.test_text_sweep import _real_template, real  # noqa: F401 (fixtures)
from tests.migrated_template import MigratedTemplate
from tests.twins.llm import OpenAITwin, shared_twin

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.catalog import Catalog, CatalogEntity
from scriptorium.companion.chat.guard import SentenceGuard
from scriptorium.companion.ingest.bundle import Resolved, resolve
from scriptorium.companion.ingest.lint import early_mentions, served_texts
from scriptorium.companion.ingest.names import build_name_entries
from scriptorium.companion.ingest.reader import read_content
from scriptorium.companion.spoilers import NameEntry, NameIndex
from scriptorium.core.resources import open_resources

ZOE, AMBROSE, FEN, WILL = 4, 5, 6, 7
"""Global page index each later character debuts at in the adversarial series."""


def _index() -> NameIndex:
    """The names of the adversarial series as its world file declares them (entity names and aliases)."""
    return NameIndex(
        [
            NameEntry("Mira Solenne", 0, "entity"),
            NameEntry("Mira", 0, "alias"),
            NameEntry("Zoë Marchetti", ZOE, "entity"),
            NameEntry("the Witch of the Eastern Spire", ZOE, "alias"),
            NameEntry("Eastern Spire", ZOE, "prose"),
            NameEntry("Brother Ambrose-Kell", AMBROSE, "entity"),
            NameEntry("Fen O'Leary", FEN, "entity"),
            NameEntry("Old Fen", FEN, "alias"),
            NameEntry("Ah", None, "entity"),
        ]
    )


@pytest.mark.parametrize(
    "text",
    [
        "Her aunt is Zoe Marchetti.",  # no diaeresis
        unicodedata.normalize("NFD", "Her aunt is Zoë Marchetti."),  # decomposed: e + combining diaeresis
        "Her aunt is Zo\u00adë Marchetti.",  # a soft hyphen inside the name
        "Her aunt is Zoë\u200bMarchetti.",  # a zero-width space between the words
        "The tower is called THE EASTERN SPIRE.",  # a prose-only name on a sign, in capitals
        "See [her page](/wiki/zoe_marchetti) for more.",  # a slug in a markdown link
        "See [her page](/wiki/Zo%C3%AB-Marchetti) for more.",  # percent-encoded
        "Brother Ambrose Kell keeps watch.",  # hyphen written as a space
        "Brother Ambrose\u2011Kell keeps watch.",  # a non-breaking hyphen
        "Ask Fen O\u02bcLeary.",  # a modifier-letter apostrophe
        "Ask Fen O`Leary.",  # a backtick typed for an apostrophe
        "Ask Old\nFen about the way in.",  # an alias broken across two lines
        "Ask **Old** **Fen** about the way in.",  # markdown emphasis word by word
        "the Witch of the Eastern\nSpire watches",  # an epithet broken across two lines
    ],
)
def test_a_later_name_in_any_written_shape_is_withheld(text: str) -> None:
    assert _index().gate(text, 0) == ""
    assert _index().gate(text, FEN) == text  # and shown once every name in it has debuted


@pytest.mark.parametrize(
    "text", ["The Marchettis never forget a debt.", "She paints the Marchettis' boat.", "The Fen O'Learys row."]
)
def test_a_plural_names_the_family(text: str) -> None:
    index = NameIndex([*_index().entries(), NameEntry("Marchetti", ZOE, "prose")])
    assert index.gate(text, 0) == ""
    assert index.gate(text, FEN) == text


def test_a_line_broken_name_withholds_both_lines_and_keeps_the_rest() -> None:
    text = "Mira climbs the tower.\nShe has not yet met Brother\nAmbrose-Kell, who prays.\nThe lantern is cold."
    assert _index().gate(text, 0) == "Mira climbs the tower.\nThe lantern is cold."


def test_short_names_in_capitals_stay_sounds_and_lower_case_prose_words_stay_words() -> None:
    index = _index()
    for text in ("AH! The lantern is lit.", "The eastern spire of the church is tall."):
        assert index.gate(text, 0) == text


@pytest.mark.parametrize(
    "deltas",
    [
        ["Her aunt is zo", "ë marchetti."],  # split inside the name, lower case
        ["She serves the W", "ITCH of the EASTERN ", "SPIRE, you know."],  # capitals across three deltas
        ["Ask [her](/wiki/zoe", "_marchetti) now."],  # a link slug split across deltas
        ["Ask Old\n", "Fen about it."],  # a name split by a line break between deltas
        ["The Fen O'Leary", "s' boat is moored below."],  # plural possessive split at the plural
        ["Her aunt is Zoe", " Marchetti."],  # folded spelling
    ],
)
def test_the_chat_guard_never_sends_any_part_of_a_later_name(deltas: list[str]) -> None:
    guard = SentenceGuard(_index().hidden_at(0))
    sent = "".join(guard.feed(delta) for delta in deltas) + guard.flush()
    assert guard.tripped
    folded = sent.lower()
    for part in ("marchetti", "zoe", "zoë", "spire", "fen"):
        assert part not in folded


def test_the_chat_guard_releases_safe_lines_before_a_line_broken_name() -> None:
    guard = SentenceGuard(_index().hidden_at(0))
    sent = "".join(guard.feed(d) for d in ["Mira climbs the tower.\n", "She meets Old\n", "Fen there.\n"])
    assert sent == "Mira climbs the tower.\n" and guard.tripped


# --- The adversarial series, ingested: the name index it builds, and everything served at every cursor ---------------

ADVERSARIAL = FIXTURES / "adversarial"
LATE: list[tuple[int | None, re.Pattern[str]]] = [
    # Written by hand from the story, not read from the index: (debut, every shape that names the character).
    (ZOE, re.compile(r"zo[eë]|marchetti|witch of the eastern|eastern\s+spire|auntie z", re.IGNORECASE)),
    (AMBROSE, re.compile(r"ambrose|\bkell\b", re.IGNORECASE)),
    (FEN, re.compile(r"\bFen\b|\bFEN\b|o['’]leary", re.IGNORECASE)),
    (WILL, re.compile(r"\bWill\b|\bWILL'S\b")),  # as a name: capitalised ("I will" is a word)
    (None, re.compile(r"seraphine", re.IGNORECASE)),  # never shown on any page
]


Truth = list[tuple[int | None, re.Pattern[str]]]


def late_at(cursor: int, text: str, truth: Truth = LATE) -> list[str]:
    """The hand-written truth: the later names `text` shows a reader at `cursor`."""
    return [p.pattern for debut, p in truth if (debut is None or debut > cursor) and p.search(text)]


@pytest.fixture(scope="module")
def resolved() -> Resolved:
    return resolve(read_content(ADVERSARIAL))


def test_the_index_places_every_name_where_the_story_shows_it(resolved: Resolved) -> None:
    debuts = {entry.name: entry.debut_index for entry in build_name_entries(resolved)}
    # "I will light the lantern" on page 1 does not introduce Will; his own line on page 8 does.
    assert debuts["Will"] == WILL
    # "The rooks are restless" on page 1 is the bird, not Rook (who speaks first on page 3).
    assert debuts["Rook"] == 2
    # Named only at the start of relation summaries ("Seraphine's sister.") and in a wiki heading, never on a page.
    assert debuts["Seraphine"] is None
    # A declared name's own words name its bearer alone, with its debut; the plural needs no entry of its own.
    assert debuts["Marchetti"] == ZOE and debuts["Ambrose-Kell"] == AMBROSE
    assert "Marchettis" not in debuts and "Zoe Marchetti" not in debuts
    # A prose name lettered in capitals on its page ("THE EASTERN SPIRE!") is placed there, not hidden for ever.
    assert debuts["Eastern Spire"] == ZOE


def test_every_curated_text_at_every_cursor_shows_no_later_name(resolved: Resolved) -> None:
    index = NameIndex(build_name_entries(resolved))
    checked = 0
    for debut, _, what, text in served_texts(resolved):
        for cursor in range(debut, 8):
            served = index.gate(text, cursor)
            assert not late_at(cursor, served), (what, cursor, served)
            checked += 1
    assert checked > 200


def test_the_reader_s_own_page_is_not_withheld_for_a_word_that_is_also_a_name(resolved: Resolved) -> None:
    index = NameIndex(build_name_entries(resolved))
    first = resolved.bundle.episodes[0].pages[0].text
    assert "I will light the lantern" in first and index.gate(first, 0) == first
    # ...while the character Will, capitalised in a summary written with the whole series in mind, is withheld.
    mira = next(e for e in resolved.bundle.entities if e.slug == "mira").summary
    assert "Will" in mira and "Will" not in index.gate(mira, 0) and "Will" in index.gate(mira, WILL)


def test_a_word_like_name_counts_in_capitals_only_as_emphasis_not_as_shouted_lettering() -> None:
    index = NameIndex([NameEntry("Will", WILL, "word"), NameEntry("Mira", 0, "alias")])
    for shouted in ("Mira: I WILL LIGHT IT!", "I WILL GO.", "Mira: I will go."):
        assert index.gate(shouted, 0) == shouted
    for named in ("Mira waits for WILL's boat.", "Mira: Will, is that you?", "Mira's twin is Will."):
        assert index.gate(named, 0) == ""


def test_a_creature_s_own_noun_used_only_after_it_debuts_stays_a_name_in_any_case(tmp_path: Path) -> None:
    root = tmp_path / "adversarial"
    shutil.copytree(ADVERSARIAL, root)
    world = yaml.safe_load((root / "world.yaml").read_text(encoding="utf-8"))
    world["entities"].append({"slug": "heron", "name": "Heron", "kind": "creature", "debut": "2:2"})
    (root / "world.yaml").write_text(yaml.safe_dump(world), encoding="utf-8")
    pages_file = root / "episodes" / "ep02-across-the-marsh" / "pages.yaml"
    pages = yaml.safe_load(pages_file.read_text(encoding="utf-8"))
    pages["pages"][2]["description"] = "An old fisherman waves from a flat-bottomed boat; a heron stands on its bow."
    pages_file.write_text(yaml.safe_dump(pages), encoding="utf-8")
    entries = {e.name: e for e in build_name_entries(resolve(read_content(root)))}
    assert entries["Heron"].debut_index == AMBROSE and entries["Heron"].source == "entity"
    index = NameIndex(entries.values())
    assert index.gate("Later she meets a heron.", 0) == "" and index.gate("Later she meets a heron.", AMBROSE)


# --- Through HTTP, at every cursor: reading, picker, retrieval, world graph, every card, chat with a model ----------

SAFE = "Mira keeps the lantern."
ANSWERS = [
    # What a model that remembers the whole comic might stream (the twin sends it in word-sized deltas).
    f"{SAFE} Her aunt is ZOË MARCHETTI, the witch.",
    f"{SAFE} Ask [her aunt](/wiki/zoe_marchetti) about the flame.",
    f"{SAFE} The Marchettis' boat waits below the tower.",
    f"{SAFE} Old\nFen knows the way in.",
    f"{SAFE} Seraphine's lantern still burns.",
    f"{SAFE} Brother Ambrose Kell prays for her.",
    f"{SAFE} I will tell you this: Will is her twin.",
    f"{SAFE} She will meet the witch of the eastern spire.",
]
PROBES = ["Who put out the lantern?", "Who is the witch across the marsh?", "Does Mira have family?"]


@dataclass
class TruthSweep(Sweep):
    """A sweep whose text check is a hand-written truth (`LATE`), not the name index under test."""

    truth: Truth = field(default_factory=lambda: LATE)

    def text(self, cursor: Cursor, text: str, what: str) -> None:
        self.checks += 1
        for pattern in late_at(cursor.index, text, self.truth):
            self.leaks.append(Leak(cursor.index, what, f"names /{pattern}/ before it debuts: {text[:160]!r}"))


class EveryCard(Checker):
    """The shared checker, plus every entity's card (not only those with a late wiki section), the whole picker and
    episode bodies, and the streamed answer of the model itself."""

    slugs: tuple[str, ...] = ("mira", "rook", "zoe", "ambrose", "fen", "will", "lantern")
    safe = SAFE

    async def world(self, cursor: Cursor, sid: str) -> None:
        await super().world(cursor, sid)
        for slug in self.slugs:
            card = await self.http.get(f"/api/world-graph/entities/{slug}", params={"session_id": sid})
            assert card.status_code in (200, 404), card.text
            if card.status_code == 200:
                self.sweep.debut(cursor, card.json()["node"]["debut_index"], f"card {slug}")
                self.text(cursor, card.text, f"card {slug}")

    async def reading(self, cursor: Cursor, sid: str, slug: str, moved: dict[str, Any]) -> None:
        await super().reading(cursor, sid, slug, moved)
        self.text(cursor, (await self.http.get("/api/episodes", params={"session_id": sid})).text, "picker")
        detail = await self.http.get(f"/api/episodes/{slug}", params={"session_id": sid})
        self.text(cursor, detail.text, "episode detail")

    async def chat(self, cursor: Cursor, sid: str, probes: list[str], *, offline: bool) -> None:
        for mode in ("page", "wiki"):
            frames = await ask(self.http, sid, probes[cursor.index % len(probes)], mode=mode)
            assert frames[-1].event == "done", frames[-1].data
            streamed = answer_text(frames)
            self.text(cursor, streamed, f"answer ({mode})")
            self.text(cursor, repr(frames[-1].data), f"done frame ({mode})")
            if self.twin is not None:
                # Never useless: the safe sentence before the late name always arrives.
                assert streamed.startswith(self.safe), streamed
                request = [r for r in self.twin.requests if r.body.get("stream")][-1]
                self.text(cursor, " ".join(str(m["content"]) for m in request.body["messages"]), f"prompt ({mode})")
        history = (await self.http.get(f"/api/sessions/{sid}")).json()["messages"]
        self.text(cursor, repr([m["content"] for m in history]), "history")


@pytest.fixture(scope="module")
def adversarial_template(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: MigratedTemplate
) -> IngestedSeries:
    return _template(tmp_path_factory, migrated_template, "adversarial", ADVERSARIAL)


async def _sweep(
    series: IngestedSeries,
    twin: OpenAITwin | None,
    checker: type[EveryCard] = EveryCard,
    truth: Truth = LATE,
    probes: list[str] = PROBES,
) -> Sweep:
    _, debuts = await load(series)
    async with open_resources(series.settings) as resources, resources.sessionmaker() as db:
        sweep = TruthSweep(await SpoilerOracle.load(db, series.series_id), truth=truth)
    overrides: dict[str, Any] = {"companion_rate_limit_per_minute": 1_000_000}
    if twin is not None:
        overrides["chat_provider"] = twin.chat_spec()
    async with open_client(isolated_settings(series.settings.data_dir, **overrides)) as http:
        check = checker(http, sweep, debuts, twin)
        for slug, (start, count) in sorted(debuts.episodes.items(), key=lambda item: item[1]):
            sid = (await http.post("/api/sessions", json={"episode_slug": slug})).json()["session_id"]
            for page in range(1, count + 1):
                cursor = Cursor(series.series_id, start + page - 1)
                moved = (await http.patch(f"/api/sessions/{sid}", json={"current_page": page})).json()
                await check.reading(cursor, sid, slug, moved)
                await check.retrieval(cursor, sid, probes)
                await check.chat(cursor, sid, probes, offline=twin is None)
                await check.world(cursor, sid)
    return sweep


async def test_every_surface_at_every_cursor_with_a_model_that_remembers_everything(
    adversarial_template: IngestedSeries, tmp_path: Path
) -> None:
    twin = shared_twin(OpenAITwin)
    twin.reset()
    said = iter(range(1_000_000))
    twin.responder = lambda body: ANSWERS[next(said) % len(ANSWERS)]
    sweep = await _sweep(_copy(adversarial_template, tmp_path), twin)
    sweep.assert_clean()
    assert sweep.checks > 300


async def test_every_surface_at_every_cursor_offline(adversarial_template: IngestedSeries, tmp_path: Path) -> None:
    sweep = await _sweep(_copy(adversarial_template, tmp_path), None)
    sweep.assert_clean()
    assert sweep.checks > 300


def test_a_later_name_inside_a_longer_word_on_the_page_does_not_unhide_it_for_the_model() -> None:
    """The turn's own context unhides a name the reader is looking at; "Willow" on the page is not "Will"."""
    will = CatalogEntity("will", "Will", "character", WILL, ())
    catalog = Catalog(1, (will,), {}, {}, names=NameIndex([NameEntry("Will", WILL, "word")]))
    hidden = catalog.hidden_names(Cursor("s", 0), unless_in="Mira: The Willow Inn is closed. I will wait.")
    guard = SentenceGuard(hidden)
    sent = guard.feed("Mira waits at the Willow Inn. Then Will comes home.") + guard.flush()
    assert "Will" in hidden and guard.tripped and sent == "Mira waits at the Willow Inn. "


# --- The real Pepper & Carrot import (episodes 1-3, --skip-unreached) with a model that knows the whole comic -------

PEPPER_LATER: Truth = [
    # Hand-written from the comic: met long after episode 3 (godmothers, Shichimi, Coriander, places, schools).
    (
        None,
        re.compile(
            r"thyme|cayenne|cumin|shichimi|coriander|camomile|spirulina|truffel|hereva|squirrel['’]s\s+end"
            r"|zombiah|hippiah|aquah|great war|\bAh\b|\bAH\b",
            re.IGNORECASE,
        ),
    ),
    (9, re.compile(r"saffron", re.IGNORECASE)),  # episode 3 page 2
]
PEPPER_SAFE = "Pepper is a young witch."
PEPPER_ANSWERS = [
    f"{PEPPER_SAFE} Her godmother THYME taught her everything.",
    f"{PEPPER_SAFE} Ask [Cayenne](https://www.peppercarrot.com/en/wiki/Cayenne.html) about her lessons.",
    f"{PEPPER_SAFE} Later she befriends shichimi, a witch of Ah.",
    f"{PEPPER_SAFE} She grew up near Squirrel’s\nEnd with Carrot.",
    f"{PEPPER_SAFE} She will outdo SAFFRON's potion.",
    f"{PEPPER_SAFE} Hereva's calendar has eight days in a week.",
    f"{PEPPER_SAFE} Thyme’s and Cayenne's lessons are hard.",
    f"{PEPPER_SAFE} Princess Coriander-of-Qualicity is her friend.",
]


class PepperCards(EveryCard):
    slugs = ("pepper", "carrot", "chaosah", "komona", "argiope", "saffron", "magmah", "phoenix", "dragoncow")
    safe = PEPPER_SAFE


async def test_the_real_import_at_every_cursor_with_a_model_that_knows_the_whole_comic(
    real: IngestedSeries,  # noqa: F811 (the fixture imported above)
) -> None:
    twin = shared_twin(OpenAITwin)
    twin.reset()
    said = iter(range(1_000_000))
    twin.responder = lambda body: PEPPER_ANSWERS[next(said) % len(PEPPER_ANSWERS)]
    sweep = await _sweep(real, twin, PepperCards, PEPPER_LATER, PEPPER_PROBES)
    sweep.assert_clean()
    assert real.page_total == 15 and sweep.checks > 500


def test_the_lint_reports_both_lines_of_a_line_broken_sentence_with_the_name_that_spans_them(
    resolved: Resolved,
) -> None:
    mira = [w for w in early_mentions(resolved) if "entity 'mira' summary" in w]
    broken = [w for w in mira if "'She has not yet met Brother'" in w or "'Ambrose-Kell.'" in w]
    assert len(broken) == 2 and all("Ambrose-Kell" in w and "episode 2 page 2" in w for w in broken)
    # Every sentence of the summary that names a later character is reported, and only those.
    assert len(mira) == 6 and not [w for w in mira if "keeps the lantern of Vey" in w]


def test_a_turn_s_filtered_hidden_set_keeps_the_word_rule() -> None:
    """When the turn's context unhides some names, the guard compiles the rest anew; Will must stay a word-like name
    there too (a shouted "I WILL FIND IT" is not Will), and still be caught as a name."""
    index = NameIndex([NameEntry("Will", WILL, "word"), NameEntry("Old Fen", FEN, "alias")])
    hidden = index.hidden_at(0).keep(lambda name: name != "Old Fen")
    assert hidden.source is None and hidden.words == {"Will"}
    shout = SentenceGuard(hidden)
    assert shout.feed("I WILL FIND IT. ") + shout.flush() == "I WILL FIND IT. " and not shout.tripped
    named = SentenceGuard(hidden)
    assert named.feed("Mira waits. Will comes home.") + named.flush() == "Mira waits. " and named.tripped


def test_a_name_inside_an_earlier_longer_name_is_still_seen() -> None:
    """Rook's epithet "the Marchetti Crow" is his from page 3, but it says "Marchetti", a family first named on page
    5: the longest match alone (the epithet, placed) would hide the later name inside it."""
    index = NameIndex(
        [
            NameEntry("Rook", 2, "word"),
            NameEntry("the Marchetti Crow", 2, "alias"),
            NameEntry("Marchetti", ZOE, "alias"),
        ]
    )
    text = "Rook is the Marchetti Crow of the village."
    assert index.gate(text, 2) == "" and index.gate(text, ZOE) == text
    assert set(index.names_in(text)) == {"Rook", "Marchetti Crow", "Marchetti"}
