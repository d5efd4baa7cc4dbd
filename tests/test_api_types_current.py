"""The frontend's API types are the OpenAPI document's: `frontend/src/api/schema.d.ts` is regenerated and compared.

`scripts/api_types.py` builds the document with the app factory and runs openapi-typescript; the hand-named
types in `frontend/src/*/types.ts` are aliases of the generated ones, so a route or model change that is not
regenerated fails here, and one that breaks a component fails `npm run typecheck`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


@pytest.fixture
def api_types(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import api_types

    return api_types


def test_schema_d_ts_matches_the_openapi_document(api_types: ModuleType) -> None:
    if not api_types.GENERATOR.exists():
        pytest.fail("frontend/node_modules is missing: run `make frontend` (npm ci) first", pytrace=False)
    current = api_types.SCHEMA_TS.read_text() if api_types.SCHEMA_TS.exists() else ""
    if api_types.generate() != current:
        pytest.fail(
            "frontend/src/api/schema.d.ts is out of date with the OpenAPI document: run `make api-types` and commit "
            "it (then `cd frontend && npm run typecheck` shows any component the change breaks)",
            pytrace=False,
        )
