"""Answers from a configured chat model, streamed over plain HTTP (`core.llm.stream.ChatStreamer`).

A chat turn is one request with no tools and plain-text output, so it skips pydantic-ai: through pydantic-ai and
the OpenAI SDK each streamed chunk cost ~0.3 ms of server CPU and the import ~45 MB of memory, which at 50
concurrent readers delayed other readers' first tokens (docs/bench/companion-chat.md has the numbers). The
system prompt is computed per turn from the turn itself (never from a client), the passages go in the user
message as delimited data (`prompts.user_prompt`), and earlier exchanges are replayed as plain text. Provider
failures surface as `ModelError` with a public message; closing the generator (a client disconnect, the leak
guard) closes the model's HTTP stream. What the answer cites is read from the text the reader was shown
(`citing.py`), and usage is recorded even for a stream closed early (estimated when the provider never said).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from scriptorium.companion.chat import prompts
from scriptorium.companion.chat.guard import FRAME_SECONDS
from scriptorium.companion.chat.offline import OfflineAnswerer
from scriptorium.companion.chat.turn import Answerer, Reply, Turn
from scriptorium.core import llm
from scriptorium.core.llm.stream import ChatStreamer, ChatTurn, StreamUsage
from scriptorium.core.settings import Settings

TEMPERATURE = 0.3


def messages_for(turn: Turn) -> list[ChatTurn]:
    """History as plain user/assistant turns, then this turn's notes and question."""
    return [*prompts.history(turn.history), ChatTurn("user", prompts.user_prompt(turn))]


class ModelAnswerer:
    """Streams text deltas from the chat model; `provider` is the CHAT_PROVIDER spec, shown as the answer's source."""

    def __init__(self, streamer: ChatStreamer, provider: str) -> None:
        self.streamer = streamer
        self.provider = provider
        self.pace = FRAME_SECONDS
        self.uses_history = True

    async def stream(self, turn: Turn, reply: Reply) -> AsyncGenerator[str]:
        usage = StreamUsage()
        system, messages = prompts.system_prompt(turn), messages_for(turn)
        produced: list[str] = []
        # Citations come from the text the reader is shown (stream.py reads its markers after the leak guard).
        reply.cites_by_text = True
        with llm.model_errors(self.provider.partition(":")[0] or "llm"):
            deltas = self.streamer.stream(
                system, messages, max_tokens=prompts.ANSWER_MAX_TOKENS, temperature=TEMPERATURE, usage=usage
            )
            try:
                async for delta in deltas:
                    produced.append(delta)
                    yield delta
            finally:
                # Runs on a normal end and when the guard or a disconnect closes us early: the model read the
                # prompt either way, so an answer cut off before the provider's usage chunk still costs tokens.
                # Recorded before closing the stream, so a failure while closing cannot lose it.
                record_usage(reply, usage, system, messages, "".join(produced))
                await deltas.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections (`Resources.aclose` calls this at shutdown)."""
        await self.streamer.aclose()


def estimate_tokens(text: str) -> int:
    """About four characters per token for English text, the usual rule of thumb (never 0 for non-empty text)."""
    return (len(text) + 3) // 4


def record_usage(reply: Reply, usage: StreamUsage, system: str, messages: list[ChatTurn], produced: str) -> None:
    """Reported usage when the provider sent it; otherwise an estimate from the prompt and the text produced."""
    reply.input_tokens = usage.input_tokens
    reply.output_tokens = usage.output_tokens
    if not usage.input_tokens:
        reply.input_tokens = estimate_tokens(system) + sum(estimate_tokens(m.content) for m in messages)
        reply.usage_estimated = True
    if not usage.output_tokens and produced:
        reply.output_tokens = estimate_tokens(produced)
        reply.usage_estimated = True


def build_answerer(settings: Settings) -> Answerer:
    """The offline answerer, or one for the configured chat model (built once per process by the caller)."""
    spec = settings.model_for("chat")
    if llm.is_offline(spec):
        return OfflineAnswerer()
    parsed = llm.parse_model_spec(spec)
    # The label is shown to readers, so it names the model but never a base URL.
    return ModelAnswerer(ChatStreamer(parsed, settings), f"{parsed.provider}:{parsed.model_name}")
