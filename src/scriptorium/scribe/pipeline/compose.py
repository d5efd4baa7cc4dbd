"""Step 4: compose the email with a model (the offline mail merge is `merge.py`).

The model gets a structured output type (subject, body, claims with source ids), so there is no JSON to repair.
Its output is not trusted either: the checks that follow compare it with the template and the sources, and a draft
that parses but is useless (an empty body, `<template></template>`, a body that kept almost none of the template's
words) counts as a failed call, so the runner falls back to the merge instead of offering it for review.

The call is bounded (`core.llm.bounded`): an output limit sized to this template, and only the time the job has
left. Its usage is returned even when it fails.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from scriptorium.core.errors import ModelError
from scriptorium.core.llm.bounded import BoundedRun, run_bounded
from scriptorium.scribe.pipeline.prompts import SYSTEM_PROMPT, user_prompt
from scriptorium.scribe.pipeline.template import usage_dict
from scriptorium.scribe.pipeline.types import Addressee, Claim, Draft, Evidence, PipelineDeps, TemplateAnalysis

COMPOSE_TEMPERATURE = 0.3
#: Output tokens for the claims list and the JSON around the text (a few claims of one sentence each).
CLAIMS_TOKENS = 400
#: Characters per token of English prose in common tokenizers, rounded down so the limit errs on the generous side.
CHARS_PER_TOKEN = 3
MAX_COMPOSE_TOKENS = 4096
#: A draft must keep at least this share of the template's own words (outside placeholders) to count as a fill.
MIN_TEMPLATE_WORDS_KEPT = 0.5
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class ComposedClaim(BaseModel):
    text: str = Field(description="One personal statement the email makes about the recipient")
    source_ids: list[str] = Field(description="Ids of the sources that support it, e.g. ['S2']")


class ComposedEmail(BaseModel):
    subject: str = Field(description="A short, plain subject line")
    body: str = Field(description="The filled template: the template's own words with placeholders replaced")
    claims: list[ComposedClaim] = Field(default_factory=list)


def compose_max_tokens(template: str) -> int:
    """The output limit for one draft: the longest body the length check accepts, plus the claims.

    The length check fails a body over twice the template plus 800 characters, so tokens beyond that can only
    buy a draft that fails; small local models otherwise ramble for a thousand tokens and more.
    """
    longest_body = min(8000, 2 * len(template) + 800)
    return min(MAX_COMPOSE_TOKENS, longest_body // CHARS_PER_TOKEN + CLAIMS_TOKENS)


def template_words(template: str, raws: tuple[str, ...]) -> list[str]:
    """The template's own words: its text with the placeholders taken out, lower-cased."""
    for raw in raws:
        template = template.replace(raw, " ")
    return [w.lower() for w in _WORD.findall(template)]


def useless_reason(draft: Draft, template: str, raws: tuple[str, ...]) -> str | None:
    """Why a draft that parsed is still no email (None when it is one): checked on structure, not phrases."""
    body = _TAG.sub(" ", draft.body)
    words = {w.lower() for w in _WORD.findall(body)}
    if not words:
        return "its body was empty"
    own = template_words(template, raws)
    if own:
        kept = sum(1 for w in own if w in words) / len(own)
        if kept < MIN_TEMPLATE_WORDS_KEPT:
            return f"its body kept {kept:.0%} of the template's own words"
    return None


async def compose_with_model(
    template: str,
    analysis: TemplateAnalysis,
    recipient: Addressee,
    evidence: Evidence,
    *,
    deps: PipelineDeps,
    budget_seconds: float,
) -> tuple[Draft | None, list[dict[str, Any]], ModelError | None]:
    """One bounded structured call: the draft (None when the call failed), its usage and the error.

    The usage is one record whenever a request was made, failed or not; none when the budget allowed no request.
    """
    from pydantic_ai import Agent  # loaded on first use: the lite server's idle memory budget

    agent = Agent(deps.model(deps.compose_model), output_type=ComposedEmail, system_prompt=SYSTEM_PROMPT)
    run: BoundedRun = await run_bounded(
        agent,
        user_prompt(template, analysis, recipient, evidence),
        service="compose",
        model_name=deps.compose_model,
        budget_seconds=budget_seconds,
        settings=deps.settings,
        max_tokens=compose_max_tokens(template),
        temperature=COMPOSE_TEMPERATURE,
    )
    usage = [usage_dict(run.usage, step="compose", model=deps.compose_model) | {"failed": not run.ok}]
    usage = usage if run.usage.requests else []
    if run.error is not None:
        return None, usage, run.error
    output: ComposedEmail = run.output
    draft = Draft(
        subject=" ".join(output.subject.split()),
        body=output.body.strip(),
        claims=[Claim(text=c.text, source_ids=tuple(c.source_ids)) for c in output.claims],
        composer=deps.compose_model,
    )
    return draft, usage, None
