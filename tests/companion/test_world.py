"""The world graph and entity cards at a position, checked against the sample's own world.yaml and wiki files,
and the text gate on their summaries (aliases, possessives, prose-only names, summaries as of a page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.companion.clients import open_at, open_client
from tests.companion.conftest import IngestedSeries, ingest
from tests.migrated_template import migrate

World = dict[str, Any]


def world(sample: IngestedSeries) -> World:
    return dict(yaml.safe_load((Path(sample.root) / "world.yaml").read_text()))


def index(sample: IngestedSeries, debut: dict[str, int]) -> int:
    return sample.index_of[(debut["episode"], debut["page"])]


def expected_full(sample: IngestedSeries, cursor: int) -> tuple[set[str], set[tuple[str, str, str]]]:
    """What the YAML says a reader at `cursor` has met: entities and relations (both ends and itself debuted)."""
    data = world(sample)
    nodes = {e["slug"] for e in data["entities"] if index(sample, e["debut"]) <= cursor}
    edges = {
        (r["source"], r["label"], r["target"])
        for r in data["relations"]
        if index(sample, r["debut"]) <= cursor and r["source"] in nodes and r["target"] in nodes
    }
    return nodes, edges


def got(graph: dict[str, Any]) -> tuple[set[str], set[tuple[str, str, str]]]:
    slug = {n["id"]: n["slug"] for n in graph["nodes"]}
    return set(slug.values()), {(slug[e["source"]], e["kind"], slug[e["target"]]) for e in graph["edges"]}


@pytest.mark.parametrize(("episode", "page"), [(1, 1), (1, 3), (1, 6), (2, 2), (2, 3), (2, 8)])
async def test_full_graph_matches_what_the_reader_has_met(sample: IngestedSeries, episode: int, page: int) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, page, episode=episode)
        graph = (await http.get("/api/world-graph", params={"session_id": created["session_id"]})).json()
    cursor = sample.index_of[(episode, page)]
    assert got(graph) == expected_full(sample, cursor)
    assert graph["cursor_index"] == cursor
    assert all(n["debut_index"] <= cursor for n in graph["nodes"])
    first = next(n for n in graph["nodes"] if n["slug"] == "wren")
    assert (first["episode_debut"], first["page_debut"]) == (1, 1)


async def test_a_relation_revealed_later_stays_hidden_until_its_own_page(sample: IngestedSeries) -> None:
    secret = ("osric", "secretly_is", "fog-thief")
    async with open_client(sample.settings) as http:
        created = await open_at(http, 2, episode=2)
        sid = created["session_id"]
        before = got((await http.get("/api/world-graph", params={"session_id": sid})).json())
        await http.patch(f"/api/sessions/{sid}", json={"current_page": 3})
        after = got((await http.get("/api/world-graph", params={"session_id": sid})).json())
    assert {"osric", "fog-thief"} <= before[0] and secret not in before[1]
    assert secret in after[1]


async def test_focus_mode_starts_from_who_is_on_the_page(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 3)
        focus = (
            await http.get("/api/world-graph", params={"session_id": created["session_id"], "mode": "focus"})
        ).json()
    nodes, edges = got(focus)
    # Page 3 shows Marlo, Wren and Pim; one hop over membership/home adds the guild and the town.
    assert nodes == {"marlo", "wren", "pim", "lamplighters-guild", "saltwhistle"}
    assert ("osric", "member_of", "lamplighters-guild") not in edges
    assert ("marlo", "friend_of", "wren") in edges
    assert focus["mode"] == "focus"


async def test_original_query_parameters_keep_working_and_clamp(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        slug = (await http.get("/api/episodes")).json()["episodes"][0]["slug"]
        at_three = (await http.get("/api/world-graph", params={"episode_slug": slug, "page": 3})).json()
        spread = (await http.get("/api/world-graph", params={"episode_slug": slug, "page": 3, "right_page": 4})).json()
        collapsed = (
            await http.get("/api/world-graph", params={"episode_slug": slug, "page": 3, "right_page": 1})
        ).json()
        beyond = (await http.get("/api/world-graph", params={"episode_slug": slug, "page": 9999})).json()
        last = (await http.get("/api/world-graph", params={"episode_slug": slug, "page": 8})).json()
        nothing = await http.get("/api/world-graph")
        zero = await http.get("/api/world-graph", params={"episode_slug": slug, "page": 0})
        unknown = await http.get("/api/world-graph", params={"episode_slug": "nope", "page": 1})
    assert got(at_three) == expected_full(sample, 2)
    assert got(spread) == expected_full(sample, 3)  # the right-hand page is the cursor
    assert got(collapsed) == got(at_three)
    assert got(beyond) == got(last)
    assert nothing.status_code == 422 and zero.status_code == 422 and unknown.status_code == 404


async def test_session_cursor_wins_over_query_parameters(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 1)
        params = {"session_id": created["session_id"], "episode_slug": created["episode_slug"], "page": 8}
        graph = (await http.get("/api/world-graph", params=params)).json()
    assert got(graph) == expected_full(sample, 0)


async def test_entity_card_wiki_summary_holds_only_unlocked_sections(sample: IngestedSeries) -> None:
    osric = yaml.safe_load((Path(sample.root) / "wiki" / "osric.yaml").read_text())
    sections = {s["heading"]: s for s in osric["sections"]}
    async with open_client(sample.settings) as http:
        created = await open_at(http, 8)
        sid = created["session_id"]
        card = (await http.get("/api/world-graph/entities/osric", params={"session_id": sid})).json()
        hidden = await http.get("/api/world-graph/entities/undertow", params={"session_id": sid})
    assert card["node"]["slug"] == "osric"
    assert card["wiki_sections"] == ["Overview", "The brass key"]
    assert sections["The Fog Thief"]["text"].split(".")[0] not in card["wiki_summary"]
    assert sections["Overview"]["text"].split(".")[0] in card["wiki_summary"]
    assert {n["slug"] for n in card["neighbours"]} == {"wren", "lamplighters-guild"}
    assert hidden.status_code == 404 and "undertow" in hidden.json()["detail"]


async def _summaries(settings: Any, episode_slug: str, page: int) -> dict[str, str]:
    async with open_client(settings) as http:
        params: dict[str, str | int] = {"episode_slug": episode_slug, "page": page}
        graph = (await http.get("/api/world-graph", params=params)).json()
        cards = {
            n["slug"]: (await http.get(f"/api/world-graph/entities/{n['slug']}", params=params)).json()
            for n in graph["nodes"]
        }
    assert all(cards[n["slug"]]["node"]["summary"] == n["summary"] for n in graph["nodes"])
    return {n["slug"]: n["summary"] for n in graph["nodes"]}


def _edit_world(root: Path, change: Any) -> None:
    path = root / "world.yaml"
    data = yaml.safe_load(path.read_text())
    change({e["slug"]: e for e in data["entities"]})
    path.write_text(yaml.safe_dump(data))


async def test_a_summary_naming_a_later_place_by_alias_or_possessive_is_cut_until_it_debuts(
    make_settings: Any, copy_fixture: Any
) -> None:
    root = copy_fixture("folder")
    text = "A girl who cannot sleep. She dreams of the BRIDGE's paper rails. Tomo purrs."
    _edit_world(root, lambda e: e["ada"].update(summary=text))
    settings = make_settings()
    migrate(settings)
    report = await ingest(settings, root)
    assert any("entity 'ada' summary names 'bridge'" in w for w in report.warnings)
    # "bridge" is an alias of The Paper Bridge (episode 2 page 1); Tomo debuts on page 2.
    assert (await _summaries(settings, "ep01-kettle", 1))["ada"] == "A girl who cannot sleep."
    assert (await _summaries(settings, "ep01-kettle", 2))["ada"] == "A girl who cannot sleep. Tomo purrs."
    assert (await _summaries(settings, "ep02-bridge", 1))["ada"] == text


async def test_a_name_no_page_shows_is_never_served_and_summaries_follow_their_versions(
    make_settings: Any, copy_fixture: Any
) -> None:
    root = copy_fixture("folder")

    def change(entities: dict[str, Any]) -> None:
        entities["ada"]["summary"] = "A girl who cannot sleep. Her aunt sails from Marrowby Quay."
        entities["tomo"]["summary_as_of"] = [{"from": "2:2", "text": "A grey cat who was the bridge all along."}]

    _edit_world(root, change)
    settings = make_settings()
    migrate(settings)
    await ingest(settings, root)
    last = await _summaries(settings, "ep02-bridge", 2)
    assert last["ada"] == "A girl who cannot sleep."  # "Marrowby Quay": only in prose, no page shows it
    assert last["tomo"] == "A grey cat who was the bridge all along."
    assert (await _summaries(settings, "ep02-bridge", 1))["tomo"] == "A grey cat."
