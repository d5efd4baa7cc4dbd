"""`core.llm.bounded.run_bounded`: what it sends, how it is cut off, and what it returns when a call fails.

A `FunctionModel` stands in for the provider where the request settings are the point; the OpenAI twin where the
network is (a timeout, an answer in the wrong shape).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from scriptorium.core.llm import build_model
from scriptorium.core.llm.bounded import call_budget, run_bounded
from scriptorium.core.settings import Settings
from tests.twins.llm import OpenAITwin

MakeSettings = Callable[..., Settings]


class Answer(BaseModel):
    word: str


def recording_model(seen: list[dict[str, Any]]) -> FunctionModel:
    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(dict(info.model_settings or {}))
        tool = info.output_tools[0]
        return ModelResponse(parts=[ToolCallPart(tool.name, {"word": "yes"})])

    return FunctionModel(answer)


@pytest.mark.parametrize(
    ("spec", "extra_body"),
    [
        ("openai:gpt-4o-mini", None),  # hosted OpenAI reads max_completion_tokens only
        ("ollama:qwen2.5-coder:0.5b", {"max_tokens": 64}),  # Ollama and llama.cpp read max_tokens
        ("openai-compatible:qwen@http://127.0.0.1:8080/v1", {"max_tokens": 64}),
    ],
)
async def test_the_output_limit_and_the_request_timeout_are_sent(
    spec: str, extra_body: dict[str, int] | None, make_settings: MakeSettings
) -> None:
    seen: list[dict[str, Any]] = []
    settings = make_settings(llm_timeout_seconds=30.0, openai_api_key="sk-test")
    agent = Agent(recording_model(seen), output_type=Answer)
    run = await run_bounded(
        agent,
        "hi",
        service="t",
        model_name=spec,
        budget_seconds=12.0,
        settings=settings,
        max_tokens=64,
        temperature=0.2,
    )
    assert run.ok and run.output == Answer(word="yes")
    [sent] = seen
    assert sent["max_tokens"] == 64 and sent["temperature"] == 0.2
    assert sent["timeout"] == 12.0  # the budget, when it is shorter than LLM_TIMEOUT_SECONDS
    assert sent.get("extra_body") == extra_body


async def test_a_budget_too_short_to_start_makes_no_request(make_settings: MakeSettings) -> None:
    seen: list[dict[str, Any]] = []
    run = await run_bounded(
        Agent(recording_model(seen), output_type=Answer),
        "hi",
        service="compose",
        model_name="offline",
        budget_seconds=0.2,
        settings=make_settings(),
        max_tokens=10,
    )
    assert seen == [] and run.usage.requests == 0
    assert run.error is not None and run.error.transient


async def test_programming_errors_are_not_swallowed(make_settings: MakeSettings) -> None:
    def broken(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise KeyError("a bug, not a provider failure")

    with pytest.raises(KeyError):
        await run_bounded(
            Agent(FunctionModel(broken), output_type=Answer),
            "hi",
            service="t",
            model_name="offline",
            budget_seconds=5.0,
            settings=make_settings(),
            max_tokens=10,
        )


async def test_a_slow_server_is_cut_at_the_budget_and_the_attempt_is_counted(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.latency = 30.0
    spec = openai_twin.chat_spec()
    settings = make_settings(llm_timeout_seconds=20.0, llm_max_retries=3)
    agent = Agent(build_model(spec, settings), output_type=Answer)
    run = await run_bounded(
        agent, "hi", service="compose", model_name=spec, budget_seconds=1.5, settings=settings, max_tokens=10
    )
    assert run.seconds < 5.0  # not 4 attempts x 20 s
    assert run.error is not None and run.error.transient and "did not finish within the 2 s" in run.error.public_message
    assert run.usage.requests == 1 and run.usage.input_tokens == 0


async def test_an_unusable_answer_keeps_the_tokens_of_every_attempt(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda request: {"not_word": 1}
    spec = openai_twin.chat_spec()
    settings = make_settings(llm_max_retries=0)
    run = await run_bounded(
        Agent(build_model(spec, settings), output_type=Answer),
        "hi",
        service="template",
        model_name=spec,
        budget_seconds=10.0,
        settings=settings,
        max_tokens=10,
    )
    assert run.error is not None and not run.error.transient
    assert run.usage.requests == len(openai_twin.requests) >= 2
    assert run.usage.input_tokens > 0 and run.usage.output_tokens > 0


def test_the_unbounded_budget_is_what_the_settings_allow() -> None:
    assert call_budget(10.0, 0) == 10.0
    assert call_budget(10.0, 2) == pytest.approx(30.0 + (0.5 + 0.25) + (1.0 + 0.25))
    assert call_budget(1.0, 10) < 11 + 10 * 20.25  # backoff is capped
