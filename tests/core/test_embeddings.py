"""The embedding seam: one contract suite run against every embedder, then each provider's own details."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import wordllama

from scriptorium.core.embeddings import Embedder, build_embedder, ensure_compatible
from scriptorium.core.embeddings.offline import OfflineEmbedder, batches, load_model
from scriptorium.core.embeddings.remote import RemoteEmbedder
from scriptorium.core.errors import ConfigurationError, ModelError
from scriptorium.core.settings import Settings
from tests.twins.embeddings import EmbeddingTwin
from tests.twins.llm import OpenAITwin

MakeSettings = Callable[..., Settings]
SENTENCES = [
    "The knight rides into the burning village.",
    "A witch brews a potion in her cottage.",
    "",
    "Pepper and Carrot fly over the forest at dawn.",
    "Zwei Katzen schlafen auf dem Dach.",
]

_OFFLINE = OfflineEmbedder()  # loading takes a few tenths of a second; share it across this module


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@dataclass
class Case:
    embedder: Embedder
    twin: EmbeddingTwin | OpenAITwin | None


@pytest.fixture(params=["offline", "ollama", "openai", "voyage"])
def case(
    request: pytest.FixtureRequest,
    make_settings: MakeSettings,
    http: httpx.AsyncClient,
    ollama_twin: EmbeddingTwin,
    openai_twin: OpenAITwin,
    voyage_twin: EmbeddingTwin,
) -> Case:
    provider = request.param
    if provider == "offline":
        return Case(_OFFLINE, None)
    twins: dict[str, EmbeddingTwin | OpenAITwin] = {"ollama": ollama_twin, "openai": openai_twin, "voyage": voyage_twin}
    base = twins[provider]
    settings = make_settings(
        embedding_provider=provider,
        embedding_model="twin-embed",
        embedding_base_url=base.base_url,
        ollama_base_url=base.base_url,
        voyage_api_key="vk",
        llm_max_retries=2,
    )
    embedder = build_embedder(settings, http)
    assert isinstance(embedder, RemoteEmbedder)
    embedder.batch_size = 4
    base.max_batch = 4  # the twin rejects bigger batches, so splitting is checked on the wire
    return Case(embedder, base)


# --- the contract -------------------------------------------------------------------------------------------


async def test_embed_returns_float32_rows_of_the_declared_dimension(case: Case) -> None:
    vectors = await case.embedder.embed(SENTENCES)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(SENTENCES), case.embedder.dimension)
    assert case.embedder.dimension > 0


async def test_rows_are_unit_length_except_zero_rows(case: Case) -> None:
    norms = np.linalg.norm(await case.embedder.embed(SENTENCES), axis=1)
    non_empty = [i for i, text in enumerate(SENTENCES) if text]
    assert np.allclose(norms[non_empty], 1.0, atol=1e-5)
    assert all(np.isclose(n, 0.0) or np.isclose(n, 1.0, atol=1e-5) for n in norms)


async def test_embedding_is_deterministic_and_independent_of_batch_neighbours(case: Case) -> None:
    together = await case.embedder.embed(SENTENCES)
    again = await case.embedder.embed(SENTENCES)
    assert np.array_equal(together, again)
    for i, text in enumerate(SENTENCES):
        alone = await case.embedder.embed([text])
        assert np.allclose(alone[0], together[i], atol=1e-6)


async def test_large_inputs_are_split_into_batches_in_order(case: Case) -> None:
    texts = [f"passage number {i} about topic {i % 3}" for i in range(10)]
    vectors = await case.embedder.embed(texts)
    assert vectors.shape[0] == 10
    assert np.allclose(vectors[7], (await case.embedder.embed([texts[7]]))[0], atol=1e-6)
    if case.twin is not None:
        sizes = [len(r.body["input"]) for r in case.twin.requests[:3]]
        assert sizes == [4, 4, 2]


async def test_empty_input_returns_an_empty_matrix(case: Case) -> None:
    vectors = await case.embedder.embed([])
    assert vectors.shape[0] == 0
    if case.twin is not None:
        assert case.twin.requests == []


# --- offline ------------------------------------------------------------------------------------------------


async def test_offline_related_sentences_are_closer_than_unrelated_ones() -> None:
    food, bread, stocks = await _OFFLINE.embed(
        ["A man is eating food.", "A man is eating a piece of bread.", "The stock market fell sharply today."]
    )
    assert float(food @ bread) > 0.5
    assert float(food @ bread) > float(food @ stocks) + 0.3


async def test_offline_loads_and_embeds_bulk_in_a_worker_thread_and_short_questions_inline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[int] = []
    original = OfflineEmbedder.embed_sync

    def spy(self: OfflineEmbedder, texts: list[str]) -> Any:
        threads.append(threading.get_ident())
        return original(self, texts)

    monkeypatch.setattr(OfflineEmbedder, "embed_sync", spy)
    fresh = OfflineEmbedder()
    await fresh.embed(["who is Pim?"])  # the first call loads the model: never on the event loop
    await fresh.embed(["lamps and fog " * 200])  # bulk work
    await fresh.embed(["who is Pim?", "and Wren?"])  # a question once loaded
    here = threading.get_ident()
    assert threads[0] != here and threads[1] != here and threads[2] == here


def test_offline_batches_keep_padding_small_and_cover_every_text() -> None:
    texts = ["x" * 10] * 50 + ["y" * 5000] * 3
    groups = batches(texts, max_chars=1000)
    assert sorted(i for group in groups for i in group) == list(range(53))
    for group in groups:
        assert len(group) == 1 or len(group) * max(len(texts[i]) for i in group) <= 1000


def test_offline_model_loads_lazily_from_the_package_without_network(tmp_path: Path) -> None:
    script = """
import json, sys
events = []
sys.addaudithook(lambda e, a: events.append(e) if e in ("socket.connect", "socket.getaddrinfo") else None)
import asyncio
from scriptorium.core.embeddings import build_embedder
from scriptorium.core.settings import Settings
embedder = build_embedder(Settings(_env_file=None), http=None)
lazy = "wordllama" not in sys.modules
vectors = asyncio.run(embedder.embed(["a quiet forest", "a loud city"]))
print(json.dumps({"lazy": lazy, "events": events, "shape": list(vectors.shape), "name": embedder.name}))
"""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "NO_PROXY": "*"}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"lazy": True, "events": [], "shape": [2, 256], "name": "offline:wordllama-l2-256"}
    assert not (tmp_path / ".cache").exists()


def test_offline_weights_stay_half_precision_and_give_the_float32_vectors() -> None:
    model = load_model()
    assert model.embedding.dtype == np.float16
    texts = ["Wren lights the lamps of Saltwhistle.", "a", "", "Pim, the clockwork heron, " * 40]
    # The library's own loader (float32) is the reference: same files, same tokenizer, same vectors.
    reference = wordllama.WordLlama.load(
        config="l2_supercat", dim=256, cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )
    assert np.array_equal(model.embedding.astype(np.float32), reference.embedding)
    expected = reference.embed(texts, norm=False, batch_size=len(texts))
    assert np.array_equal(model.embed(texts, norm=False, batch_size=len(texts)), expected)


def test_a_missing_bundled_file_is_a_configuration_error_not_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_there(*_args: Any, **kwargs: Any) -> Path:
        assert kwargs["disable_download"] is True
        raise FileNotFoundError(kwargs["file_type"])

    monkeypatch.setattr(wordllama.WordLlama, "resolve_file", not_there)
    with pytest.raises(ConfigurationError, match="pip install --force-reinstall wordllama"):
        load_model()


def test_offline_refuses_other_models(make_settings: MakeSettings) -> None:
    with pytest.raises(ConfigurationError, match="EMBEDDING_MODEL='bge-small'"):
        build_embedder(make_settings(embedding_model="bge-small"), httpx.AsyncClient())


# --- remote providers ---------------------------------------------------------------------------------------


def remote(make_settings: MakeSettings, http: httpx.AsyncClient, **overrides: Any) -> RemoteEmbedder:
    embedder = build_embedder(make_settings(**overrides), http)
    assert isinstance(embedder, RemoteEmbedder)
    return embedder


async def test_default_model_names_and_known_dimensions(
    make_settings: MakeSettings, http: httpx.AsyncClient, ollama_twin: EmbeddingTwin
) -> None:
    embedder = remote(make_settings, http, embedding_provider="ollama", ollama_base_url=ollama_twin.base_url)
    assert (embedder.name, embedder.dimension) == ("ollama:nomic-embed-text", 768)
    ollama_twin.dimension = 768
    assert (await embedder.embed(["x"])).shape == (1, 768)
    assert ollama_twin.requests[-1].body == {"model": "nomic-embed-text", "input": ["x"]}
    ollama_twin.dimension = 16
    with pytest.raises(ModelError, match="16-dimensional vectors where 768 were expected"):
        await embedder.embed(["x"])


async def test_model_headers_go_to_ollama_and_openai_but_not_voyage(
    make_settings: MakeSettings,
    http: httpx.AsyncClient,
    ollama_twin: EmbeddingTwin,
    openai_twin: OpenAITwin,
    voyage_twin: EmbeddingTwin,
) -> None:
    common = {"embedding_model": "m", "modal_proxy_token_id": "mk", "modal_proxy_token_secret": "ms"}
    for provider, twin in (("ollama", ollama_twin), ("openai", openai_twin)):
        embedder = remote(
            make_settings, http, embedding_provider=provider, ollama_base_url=twin.base_url,
            embedding_base_url=f"{twin.base_url}/v1", openai_api_key="ok", **common,
        )  # fmt: skip
        await embedder.embed(["x"])
        headers = twin.requests[-1].headers
        assert (headers["modal-key"], headers["modal-secret"]) == ("mk", "ms")
    assert openai_twin.requests[-1].headers["authorization"] == "Bearer ok"
    voyage = remote(
        make_settings, http, embedding_provider="voyage", embedding_base_url=voyage_twin.base_url,
        voyage_api_key="vk", **common,
    )  # fmt: skip
    await voyage.embed(["x"])
    assert voyage_twin.requests[-1].headers["authorization"] == "Bearer vk"
    assert "modal-key" not in voyage_twin.requests[-1].headers


async def test_voyage_sends_input_type(
    make_settings: MakeSettings, http: httpx.AsyncClient, voyage_twin: EmbeddingTwin
) -> None:
    embedder = remote(
        make_settings, http, embedding_provider="voyage", embedding_base_url=voyage_twin.base_url, voyage_api_key="k"
    )
    voyage_twin.dimension = 1024
    await embedder.embed(["doc"])
    await embedder.embed(["what happens?"], input_type="query")
    assert [r.body["input_type"] for r in voyage_twin.requests] == ["document", "query"]
    assert voyage_twin.requests[0].body["model"] == "voyage-3.5"


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"embedding_provider": "voyage"}, "VOYAGE_API_KEY"),
        ({"embedding_provider": "openai"}, "OPENAI_API_KEY"),
    ],
)
def test_missing_keys_name_the_variable(make_settings: MakeSettings, overrides: dict[str, Any], variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        build_embedder(make_settings(**overrides), httpx.AsyncClient())


async def test_429_is_retried_and_400_is_not(
    make_settings: MakeSettings, http: httpx.AsyncClient, ollama_twin: EmbeddingTwin
) -> None:
    embedder = remote(
        make_settings, http, embedding_provider="ollama", embedding_model="m", ollama_base_url=ollama_twin.base_url
    )
    ollama_twin.fail_next(429, headers={"Retry-After": "0"})
    assert (await embedder.embed(["x"])).shape == (1, 16)
    assert len(ollama_twin.requests) == 2
    ollama_twin.fail_next(400)
    with pytest.raises(ModelError) as info:
        await embedder.embed(["x"])
    assert (info.value.status, info.value.transient, len(ollama_twin.requests)) == (400, False, 3)


async def test_exhausted_retries_and_timeouts_are_transient(
    make_settings: MakeSettings, http: httpx.AsyncClient, ollama_twin: EmbeddingTwin
) -> None:
    settings = {"embedding_provider": "ollama", "embedding_model": "m", "ollama_base_url": ollama_twin.base_url}
    embedder = remote(make_settings, http, llm_max_retries=1, **settings)
    ollama_twin.fail_next(503, times=2, headers={"Retry-After": "0"})
    with pytest.raises(ModelError) as info:
        await embedder.embed(["x"])
    assert (info.value.status, info.value.transient, len(ollama_twin.requests)) == (503, True, 2)
    slow = remote(make_settings, http, llm_max_retries=0, llm_timeout_seconds=0.2, **settings)
    ollama_twin.latency = 1.0
    with pytest.raises(ModelError) as info:
        await slow.embed(["x"])
    assert info.value.transient


async def test_malformed_reply_is_a_model_error(make_settings: MakeSettings, http: httpx.AsyncClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"embeddings": [[1.0, 0.0]]})  # one vector for two texts

    broken = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    embedder = remote(make_settings, broken, embedding_provider="ollama", embedding_model="m")
    with pytest.raises(ModelError, match=r"returned \(1, 2\) for 2 texts"):
        await embedder.embed(["a", "b"])


# --- compatibility of stored vectors ------------------------------------------------------------------------


def test_ensure_compatible_accepts_the_same_embedder() -> None:
    ensure_compatible("offline:wordllama-l2-256", 256, _OFFLINE)


@pytest.mark.parametrize(
    ("stored_name", "stored_dim"),
    [("ollama:nomic-embed-text", 768), ("offline:wordllama-l2-256", 128)],
    ids=["provider-switch", "dimension-change"],
)
def test_ensure_compatible_refuses_to_mix_and_says_how_to_reindex(stored_name: str, stored_dim: int) -> None:
    with pytest.raises(ConfigurationError) as info:
        ensure_compatible(stored_name, stored_dim, _OFFLINE)
    message = info.value.public_message
    assert "scriptorium companion reindex" in message
    assert stored_name in message
    assert "offline:wordllama-l2-256" in message
