"""Token and cost totals over `scribe_usage` rows: one query shape for the profile's figures and the admin's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.scribe.models import Usage


@dataclass(frozen=True)
class TokenTotals:
    input_tokens: int
    output_tokens: int
    cost_usd: float
    """Rounded to micro-dollars: sums of float costs otherwise show noise digits."""


async def token_totals(session: AsyncSession, *where: Any) -> TokenTotals:
    """Sum tokens and cost over the usage rows matching `where` (zeros when there are none)."""
    input_tokens, output_tokens, cost = (
        await session.execute(
            select(
                func.coalesce(func.sum(Usage.input_tokens), 0),
                func.coalesce(func.sum(Usage.output_tokens), 0),
                func.coalesce(func.sum(Usage.cost_usd), 0.0),
            ).where(*where)
        )
    ).one()
    return TokenTotals(int(input_tokens), int(output_tokens), round(float(cost), 6))
