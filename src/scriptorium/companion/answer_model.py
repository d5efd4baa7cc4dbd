"""Answers from a configured chat model, streamed through pydantic-ai.

One `Agent` per process and model: the system prompt is computed per turn from the turn itself (never from a
client), the passages go in the user message as delimited data (`prompts.user_prompt`), and earlier exchanges are
replayed as plain text. Provider failures surface as `ModelError` with a public message; cancelling the
consuming task (a client disconnect) closes the model's HTTP stream.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from scriptorium.companion import prompts
from scriptorium.companion.answer import Answerer, Reply, Turn
from scriptorium.companion.answer_offline import OfflineAnswerer
from scriptorium.core import llm
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelMessage
    from pydantic_ai.models import Model


def _history(turn: Turn) -> list[ModelMessage]:
    from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, UserPromptPart

    messages: list[ModelMessage] = []
    for past in prompts.history(turn.history):
        if past.role == "user":
            messages.append(ModelRequest(parts=[UserPromptPart(content=past.content)]))
        else:
            messages.append(ModelResponse(parts=[TextPart(content=past.content)]))
    return messages


class ModelAnswerer:
    """Streams text deltas from `model`; `provider` is the CHAT_PROVIDER spec, shown as the answer's source."""

    def __init__(self, model: Model, provider: str) -> None:
        from pydantic_ai import Agent, RunContext

        self.provider = provider
        self.agent: Agent[Turn, str] = Agent(model, deps_type=Turn, output_type=str)

        @self.agent.instructions
        def _system(ctx: RunContext[Turn]) -> str:
            return prompts.system_prompt(ctx.deps)

    async def stream(self, turn: Turn, reply: Reply) -> AsyncGenerator[str]:
        with llm.model_errors(self.provider.partition(":")[0] or "llm"):
            async with self.agent.run_stream(
                prompts.user_prompt(turn),
                deps=turn,
                message_history=_history(turn),
                model_settings={"max_tokens": prompts.ANSWER_MAX_TOKENS, "temperature": 0.3},
            ) as result:
                async for delta in result.stream_text(delta=True, debounce_by=None):
                    yield delta
                usage = result.usage
        reply.used = list(turn.passages)
        reply.input_tokens = usage.input_tokens or 0
        reply.output_tokens = usage.output_tokens or 0


def build_answerer(settings: Settings) -> Answerer:
    """The offline answerer, or one for the configured chat model (built once per process by the caller)."""
    spec = settings.model_for("chat")
    if llm.is_offline(spec):
        return OfflineAnswerer()
    parsed = llm.parse_model_spec(spec)
    # The label is shown to readers, so it names the model but never a base URL.
    return ModelAnswerer(llm.build_model(parsed, settings), f"{parsed.provider}:{parsed.model_name}")
