"""Step 4: compose the email, with a model when one is configured, else with the offline mail merge.

The model gets a structured output type (subject, body, claims with source ids), so there is no JSON to repair.
Its output is not trusted either: the checks that follow compare it with the template and the sources.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from scriptorium.core.llm import model_errors, usage_record
from scriptorium.scribe.pipeline.prompts import SYSTEM_PROMPT, user_prompt
from scriptorium.scribe.pipeline.template import usage_dict
from scriptorium.scribe.pipeline.types import Claim, Draft, Evidence, PipelineDeps, Recipient, TemplateAnalysis

COMPOSE_TEMPERATURE = 0.3


class ComposedClaim(BaseModel):
    text: str = Field(description="One personal statement the email makes about the recipient")
    source_ids: list[str] = Field(description="Ids of the sources that support it, e.g. ['S2']")


class ComposedEmail(BaseModel):
    subject: str = Field(description="A short, plain subject line")
    body: str = Field(description="The filled template: the template's own words with placeholders replaced")
    claims: list[ComposedClaim] = Field(default_factory=list)


async def compose_with_model(
    template: str, analysis: TemplateAnalysis, recipient: Recipient, evidence: Evidence, *, deps: PipelineDeps
) -> tuple[Draft, dict[str, Any]]:
    """One structured model call; raises ModelError when the provider fails after its own retries."""
    from pydantic_ai import Agent  # loaded on first use: the lite server's idle memory budget
    from pydantic_ai.settings import ModelSettings

    agent = Agent(
        deps.model(deps.compose_model),
        output_type=ComposedEmail,
        system_prompt=SYSTEM_PROMPT,
        model_settings=ModelSettings(temperature=COMPOSE_TEMPERATURE),
    )
    with model_errors("compose"):
        run = await agent.run(user_prompt(template, analysis, recipient, evidence))
    output = run.output
    draft = Draft(
        subject=" ".join(output.subject.split()),
        body=output.body.strip(),
        claims=[Claim(text=c.text, source_ids=tuple(c.source_ids)) for c in output.claims],
        composer=deps.compose_model,
    )
    return draft, usage_dict(usage_record(run.usage, deps.compose_model), step="compose", model=deps.compose_model)
