"""`scriptorium doctor`: passes against real running stacks, and each broken layer is the first FAIL it reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from scriptorium.core.db import sync_url
from scriptorium.core.settings import Settings
from scriptorium.migrations import upgrade
from scriptorium.ops.doctor import run_doctor
from scriptorium.ops.doctor.remote import TEMPLATE
from scriptorium.ops.doctor.report import CheckResult, render_text
from tests.ops.stack import Stack, base_env, doctor_json, run_command, running, scale_services
from tests.services import fresh_postgres_schema
from tests.twins.llm import AnthropicTwin, OpenAITwin
from tests.twins.server import free_port

# Research sources point at a closed loopback port: no test may reach a real host.
NO_INTERNET = {
    name: "http://127.0.0.1:9"
    for name in ("OPENALEX_BASE_URL", "ARXIV_BASE_URL", "SEMANTIC_SCHOLAR_BASE_URL", "EXA_BASE_URL")
}


SERIES_ROW = (
    "INSERT INTO companion_series (id, slug, title, description, language, credits, page_total, content_version,"
    " updated_at) VALUES ('s1', 's', 'S', '', 'en', '', 1, 1, '2026-01-01')"
)
CHUNK_ROW = (
    "INSERT INTO companion_chunks (id, series_id, key, kind, debut_index, text, tokens, embedding, embedding_model,"
    " embedding_dim) VALUES ('c1', 's1', 'page:1:1', 'page', 1, 't', 't', x'00', :model, :dim)"
)


def first_failure(results: list[CheckResult]) -> CheckResult:
    failures = [result for result in results if result.status == "fail"]
    assert failures, render_text(results)
    return failures[0]


def statuses(results: list[CheckResult], layer: str) -> set[str]:
    return {result.status for result in results if result.layer == layer}


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A lite server with no content, allowing one origin."""
    with running(tmp_path_factory.mktemp("empty"), ALLOWED_ORIGINS="https://good.example", **NO_INTERNET) as stack:
        yield stack


# --- passing stacks --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_doctor_passes_against_a_running_lite_stack(tmp_path: Path) -> None:
    env = {"ALLOWED_ORIGINS": "https://app.example.org", **NO_INTERNET}
    with running(tmp_path, **env) as stack:
        env["PUBLIC_BASE_URL"] = stack.url
        loaded = load_sample(stack)
        code, report = doctor_json({**stack.env, **env}, "--url", stack.url, "--timeout", "20")
    by_layer = {check["layer"]: check["status"] for check in report["checks"]}
    assert code == 0 and report["ok"], report
    for layer in ("config", "database", "jobs", "storage", "chat", "embeddings", "api", "cors"):
        assert by_layer[layer] == "pass", report
    assert by_layer["companion"] == "pass", (loaded, report)
    assert by_layer["scribe"] == "pass", report


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_doctor_passes_against_a_scale_stack_on_postgres_and_redis(tmp_path: Path) -> None:
    with scale_services() as services, running(tmp_path, worker=True, **services, **NO_INTERNET) as stack:
        loaded = load_sample(stack)
        code, report = doctor_json(stack.env, "--url", stack.url, "--timeout", "20")
    checks = {check["layer"]: check for check in report["checks"]}
    assert code == 0, (loaded, report)
    assert checks["companion"]["status"] == "pass"
    assert checks["database"]["summary"].startswith("postgresql reachable")
    assert checks["jobs"]["status"] == "pass" and "redis queue round trip" in checks["jobs"]["summary"]
    assert checks["api"]["status"] == "pass"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_scale_stack_without_a_worker_fails_at_the_jobs_layer(tmp_path: Path) -> None:
    with scale_services() as services, running(tmp_path, **services, **NO_INTERNET) as stack:
        code, report = doctor_json(stack.env, "--timeout", "3")
    failures = [check for check in report["checks"] if check["status"] == "fail"]
    assert code == 1
    assert failures[0]["layer"] == "jobs"
    assert "no worker is consuming" in failures[0]["summary"]
    assert "scriptorium-worker" in failures[0]["fix"]


# --- one broken layer at a time ---------------------------------------------------------------------------
async def test_config_failure_names_the_variable_and_skips_everything_else(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT", "eighty")
    results = await run_doctor()
    assert results[0].layer == "config" and results[0].status == "fail"
    assert "PORT" in results[0].summary
    assert {result.status for result in results[1:]} == {"skip"}


async def test_unreachable_database_fails_at_database_and_skips_what_needs_it(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        profile="scale", database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/none", job_backend="sqlite"
    )
    results = await run_doctor(settings, check_seconds=3)
    failure = first_failure(results)
    assert failure.layer == "database" and "cannot reach the database" in failure.summary
    assert statuses(results, "jobs") == {"skip"} and statuses(results, "embeddings") == {"skip"}


async def test_database_without_schema_says_migrate(make_settings: Callable[..., Settings]) -> None:
    results = await run_doctor(make_settings(job_backend="sqlite"), check_seconds=3)
    failure = first_failure(results)
    assert failure.layer == "database" and failure.fix == "run `scriptorium migrate`"


async def test_database_behind_the_code_says_migrate(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(job_backend="sqlite")
    upgrade(settings, "0001")
    failure = first_failure(await run_doctor(settings, check_seconds=3))
    assert failure.layer == "database" and "code expects" in failure.summary
    assert failure.fix == "run `scriptorium migrate`"


async def test_queue_without_consumer_fails_at_jobs_and_withdraws_the_ping(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(job_backend="sqlite", run_consumer_in_process=None)
    upgrade(settings)
    results = await run_doctor(settings, check_seconds=1.5)
    failure = first_failure(results)
    assert failure.layer == "jobs" and "no worker is consuming" in failure.summary
    assert "scriptorium serve" in failure.fix
    engine = create_engine(sync_url(settings))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM jobs WHERE kind = 'core.ping'")).scalars().all() == ["cancelled"]
    engine.dispose()


@pytest.mark.postgres
async def test_unreachable_redis_fails_at_jobs(make_settings: Callable[..., Settings]) -> None:
    with fresh_postgres_schema() as database:
        settings = make_settings(
            profile="scale", database_url=database, job_backend="redis", redis_url=f"redis://127.0.0.1:{free_port()}/0"
        )
        upgrade(settings)
        failure = first_failure(await run_doctor(settings, check_seconds=3))
    assert failure.layer == "jobs" and "cannot reach the queue" in failure.summary
    assert "redis" in failure.fix.lower()


async def test_memory_queue_fails_at_jobs(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    upgrade(settings)
    failure = first_failure(await run_doctor(settings, check_seconds=3))
    assert failure.layer == "jobs" and "JOB_BACKEND=memory" in failure.summary


async def test_unwritable_storage_fails_at_storage(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(job_backend="sqlite")
    upgrade(settings)
    (settings.data_dir / "storage").write_text("a file where the storage folder should be")
    results = await run_doctor(settings, check_seconds=1)
    assert statuses(results, "storage") == {"fail"}
    storage = next(r for r in results if r.layer == "storage")
    assert "writable directory" in storage.fix


async def test_chat_passes_with_the_model_listed_and_sends_the_proxy_headers(
    make_settings: Callable[..., Settings], openai_twin: OpenAITwin
) -> None:
    settings = make_settings(
        chat_provider="ollama:twin-model",
        ollama_base_url=openai_twin.base_url,
        modal_proxy_token_id="wk-test",
        modal_proxy_token_secret="ws-test",
    )
    results = await run_doctor(settings, check_seconds=3)
    assert statuses(results, "chat") == {"pass"}
    listed = [r for r in openai_twin.requests if r.path == "/v1/models"]
    assert listed and listed[-1].headers["modal-key"] == "wk-test" and listed[-1].headers["modal-secret"] == "ws-test"


async def test_chat_check_never_sends_the_proxy_secret_to_a_hosted_api(
    make_settings: Callable[..., Settings], anthropic_twin: AnthropicTwin
) -> None:
    settings = make_settings(
        chat_provider="anthropic:twin-model",
        anthropic_base_url=anthropic_twin.base_url,
        anthropic_api_key="sk-test",
        modal_proxy_token_id="wk-test",
        modal_proxy_token_secret="ws-test",
    )
    await run_doctor(settings, check_seconds=3)
    listed = [r for r in anthropic_twin.requests if r.path == "/v1/models"]
    assert listed and listed[-1].headers["x-api-key"] == "sk-test"
    assert "modal-key" not in listed[-1].headers and "modal-secret" not in listed[-1].headers


async def test_chat_model_missing_fails_at_chat_with_the_pull_command(
    make_settings: Callable[..., Settings], openai_twin: OpenAITwin
) -> None:
    settings = make_settings(
        chat_provider="ollama:qwen2.5:7b", ollama_base_url=openai_twin.base_url, job_backend="sqlite"
    )
    upgrade(settings)
    results = await run_doctor(settings, check_seconds=1)
    chat = next(r for r in results if r.layer == "chat")
    assert chat.status == "fail" and "'qwen2.5:7b' is not on ollama (has: twin-model)" in chat.summary
    assert chat.fix == "`ollama pull qwen2.5:7b`"


async def test_chat_refused_key_and_unreachable_server_fail_at_chat(
    make_settings: Callable[..., Settings], openai_twin: OpenAITwin
) -> None:
    openai_twin.fail_next(401)
    refused = await run_doctor(make_settings(chat_provider=openai_twin.chat_spec()), check_seconds=3)
    assert any(r.layer == "chat" and "refused the credentials" in r.summary for r in refused)
    gone = make_settings(chat_provider=f"openai-compatible:m@http://127.0.0.1:{free_port()}/v1")
    unreachable = await run_doctor(gone, check_seconds=3)
    assert any(r.layer == "chat" and r.status == "fail" and "unreachable" in r.summary for r in unreachable)


async def test_vectors_from_another_embedder_fail_at_embeddings_with_reindex(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(job_backend="sqlite")
    upgrade(settings)
    engine = create_engine(sync_url(settings))
    with engine.begin() as conn:
        conn.execute(text(SERIES_ROW))
        conn.execute(text(CHUNK_ROW), {"model": "voyage:voyage-3.5", "dim": 1024})
    engine.dispose()
    results = await run_doctor(settings, check_seconds=3)
    embeddings = next(r for r in results if r.layer == "embeddings")
    assert embeddings.status == "fail"
    assert "1 vectors in companion_chunks were made by 'voyage:voyage-3.5' (1024 dims)" in embeddings.summary
    assert "scriptorium companion reindex" in embeddings.fix


async def test_unreachable_url_fails_at_api_and_skips_the_server_checks(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(job_backend="sqlite", run_consumer_in_process=None)
    results = await run_doctor(settings, url=f"http://127.0.0.1:{free_port()}", check_seconds=2)
    api = next(r for r in results if r.layer == "api")
    assert api.status == "fail" and "nothing answers" in api.summary
    assert all(statuses(results, layer) == {"skip"} for layer in ("cors", "companion", "scribe"))


@pytest.mark.slow
async def test_origin_the_server_does_not_allow_fails_at_cors(
    make_settings: Callable[..., Settings], empty_server: Stack
) -> None:
    settings = make_settings(
        data_dir=Path(empty_server.env["DATA_DIR"]),
        job_backend="sqlite",
        allowed_origins=["https://good.example", "https://evil.example"],
        public_base_url=empty_server.url,
    )
    results = await run_doctor(settings, url=empty_server.url, check_seconds=5)
    cors = [r for r in results if r.layer == "cors"]
    assert [r.status for r in cors] == ["pass", "fail"]
    assert "https://evil.example" in cors[1].summary and "ALLOWED_ORIGINS" in cors[1].fix
    assert first_failure(results).layer == "cors"


@pytest.mark.slow
async def test_server_without_content_fails_at_companion(
    make_settings: Callable[..., Settings], empty_server: Stack
) -> None:
    settings = make_settings(data_dir=Path(empty_server.env["DATA_DIR"]), job_backend="sqlite")
    results = await run_doctor(settings, url=empty_server.url, check_seconds=5)
    companion = next(r for r in results if r.layer == "companion")
    assert companion.status == "fail" and "load-sample" in companion.fix


@pytest.mark.slow
async def test_scribe_check_leaves_the_users_quota_and_history_unchanged(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """Two doctor runs under a quota of 1: both pass, nothing is counted or listed, and the one real email still
    fits (then the next is refused, so the quota really is enforced on this server)."""
    with running(tmp_path, SCRIBE_DAILY_QUOTA="1", **NO_INTERNET) as stack:
        settings = make_settings(data_dir=Path(stack.env["DATA_DIR"]), job_backend="sqlite")
        runs = [await run_doctor(settings, url=stack.url, check_seconds=20) for _ in range(2)]
        engine = create_engine(sync_url(settings))
        with engine.connect() as conn:
            probes = conn.execute(text("SELECT count(*) FROM scribe_queue_items WHERE dry_run")).scalar()
            emails = conn.execute(text("SELECT count(*) FROM scribe_emails")).scalar()
        engine.dispose()
        async with httpx.AsyncClient(base_url=stack.url, timeout=10) as http:
            profile = (await http.get("/api/user/profile")).json()
            history = await http.get("/api/email/", params={"include_discarded": "true"})
            seen = [(await http.get(path)).json() for path in ("/api/queue/", "/api/recipients/")]
            export = (await http.get("/api/email/export", params={"format": "json"})).json()
            real = {"email_template": TEMPLATE, "recipient_name": "Ada Lovelace", "recipient_interest": "engines"}
            first, second = [(await http.post("/api/email/generate", json=real)).status_code for _ in range(2)]
    for results in runs:
        check = next(r for r in results if r.layer == "scribe")
        assert check.status == "pass" and check.summary.startswith("dry-run generation finished"), render_text(results)
    assert (probes, emails) == (2, 0)  # both checks really ran, as dry runs
    assert profile["quota"]["used_today"] == 0 and profile["generation_count"] == 0
    assert history.json() == [] and history.headers["X-Total-Count"] == "0"
    assert seen == [[], []] and export["emails"] == []
    assert (first, second) == (202, 429)


def test_cli_exits_non_zero_and_prints_the_fix_under_the_failure(tmp_path: Path) -> None:
    env = base_env(DATA_DIR=str(tmp_path / "var"), JOB_BACKEND="sqlite")
    code, report = doctor_json(env, "--timeout", "2")
    assert code == 1 and report["ok"] is False
    failure = next(check for check in report["checks"] if check["status"] == "fail")
    assert failure["layer"] == "database" and failure["fix"] == "run `scriptorium migrate`"


def test_text_report_puts_the_fix_under_each_failure() -> None:
    text_report = render_text(
        [CheckResult("database", "pass", "ok"), CheckResult("jobs", "fail", "no worker", "start one", 12.0)]
    )
    lines = text_report.splitlines()
    assert lines[0].startswith("PASS  database")
    assert lines[1].startswith("FAIL  jobs") and lines[1].endswith("(12 ms)")
    assert lines[2].strip() == "-> start one"
    assert lines[-1] == "1 check(s) failed: fix the first one first"


def load_sample(stack: Stack) -> str:
    """Load the bundled sample comic into the running stack's database; returns what the command said."""
    done = run_command(stack.env, "companion", "load-sample")
    assert done.returncode == 0, done.stderr
    return done.stderr[-500:]
