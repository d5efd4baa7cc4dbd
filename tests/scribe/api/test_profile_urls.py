"""Profile URLs sent later for the same recipient are the ones read, all of them up to the cap (5).

Before, the first URLs ever stored stayed first and only three were read, so a corrected or longer list sent
later was silently ignored. The twin records every page request, so the test sees exactly what each job read.
"""

from __future__ import annotations

from sqlalchemy import select

from scriptorium.scribe.models import Recipient
from scriptorium.scribe.schemas import PROFILE_URLS_MAX
from tests.scribe.api.conftest import GENERAL, Account, ScribeApi
from tests.twins.scholarly import ScholarlyTwin

PERSON = {"recipient_name": "Dr. Maria Chen", "recipient_interest": "protein folding"}
LATER_PAGES = ["mchen-northbridge", "news-northbridge-chen", "voss-brightwater", "okafor-lakeshore", "raman-westfield"]


async def generate(api: ScribeApi, account: Account, urls: list[str] | None) -> None:
    body = {"email_template": GENERAL, **PERSON} | ({"profile_urls": urls} if urls is not None else {})
    response = await api.client.post("/api/email/generate", json=body, headers=account.headers)
    assert response.status_code == 202, response.text
    assert await api.drain() == 1


def pages_read(twin: ScholarlyTwin) -> list[str]:
    return [r.path.rsplit("/", 1)[-1].removesuffix(".html") for r in twin.requests_to("pages")]


async def stored_urls(api: ScribeApi) -> list[str]:
    async with api.resources.sessionmaker() as session:
        rows = (await session.scalars(select(Recipient))).all()
    assert len(rows) == 1  # one person, one row: the later submissions refreshed it
    return list(rows[0].profile_urls)


async def test_later_profile_urls_are_all_read(scribe_api: ScribeApi, scholarly_twin: ScholarlyTwin) -> None:
    account = await scribe_api.user()
    await generate(scribe_api, account, [scholarly_twin.page_url("mchen-eastmarch")])
    assert pages_read(scholarly_twin) == ["mchen-eastmarch"]

    scholarly_twin.requests.clear()
    later = [scholarly_twin.page_url(name) for name in LATER_PAGES]
    assert len(later) == PROFILE_URLS_MAX
    await generate(scribe_api, account, later)
    assert sorted(pages_read(scholarly_twin)) == sorted(LATER_PAGES)  # every one of them, and not the old page
    assert await stored_urls(scribe_api) == later

    # A submission without URLs keeps the list the user gave last.
    scholarly_twin.requests.clear()
    await generate(scribe_api, account, None)
    assert sorted(pages_read(scholarly_twin)) == sorted(LATER_PAGES)


async def test_more_urls_than_the_cap_are_refused_naming_the_field(scribe_api: ScribeApi) -> None:
    account = await scribe_api.user()
    urls = [f"https://example.org/p{n}" for n in range(PROFILE_URLS_MAX + 1)]
    response = await scribe_api.client.post(
        "/api/email/generate", json={"email_template": GENERAL, **PERSON, "profile_urls": urls}, headers=account.headers
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["detail"]] == ["profile_urls"]
