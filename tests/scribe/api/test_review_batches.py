"""Reviewing a batch: step through its emails, see a research outage once and retry it, and regenerate without
losing a manual edit.

Everything runs the real pipeline against the scholarly twin. The outage is the twin answering 503 on OpenAlex,
Semantic Scholar and arXiv, so the notes the outage summary reads are the ones the research code really writes.
"""

from __future__ import annotations

from typing import Any

from scriptorium.scribe.outage import unreachable
from tests.scribe.api.conftest import CHEN, OKAFOR, RESEARCH, UNKNOWN, Account, ScribeApi
from tests.twins.scholarly import ScholarlyTwin

PRIYA = {"recipient_name": "Priya Raman", "recipient_interest": "urban stormwater"}


async def _email(scribe_api: ScribeApi, me: Account, email_id: str) -> dict[str, Any]:
    response = await scribe_api.client.get(f"/api/email/{email_id}", headers=me.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_step_through_a_batch_in_submission_order_with_reasons(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    items = await scribe_api.submit_and_finish(me, RESEARCH, CHEN, UNKNOWN, OKAFOR)
    ids = [item["email_id"] for item in items]
    other = await scribe_api.submit_and_finish(me, RESEARCH, PRIYA)  # another batch: never stepped into

    first = (await scribe_api.client.get(f"/api/email/{ids[0]}/batch", headers=me.headers)).json()
    assert [e["id"] for e in first["emails"]] == ids
    assert other[0]["email_id"] not in {e["id"] for e in first["emails"]}
    assert (first["position"], first["previous_id"], first["next_id"]) == (0, None, ids[1])

    middle = (await scribe_api.client.get(f"/api/email/{ids[1]}/batch", headers=me.headers)).json()
    assert (middle["position"], middle["previous_id"], middle["next_id"]) == (1, ids[0], ids[2])
    unknown = middle["emails"][1]
    assert unknown["status"] == "needs_review"
    assert unknown["review_reasons"] == (await _email(scribe_api, me, ids[1]))["review_reasons"]
    assert unknown["review_reasons"] and "Aldridge-Vey" in unknown["review_reasons"][0]
    assert middle["outage"] is None  # thin evidence with every source answering is not an outage

    last = (await scribe_api.client.get(f"/api/email/{ids[2]}/batch", headers=me.headers)).json()
    assert (last["position"], last["next_id"]) == (2, None)

    # A discarded email drops out of the steps of the others; opened directly, it still finds its place.
    await scribe_api.client.patch(f"/api/email/{ids[1]}", json={"displayed": False}, headers=me.headers)
    after = (await scribe_api.client.get(f"/api/email/{ids[0]}/batch", headers=me.headers)).json()
    assert (after["next_id"], [e["id"] for e in after["emails"]]) == (ids[2], [ids[0], ids[2]])
    itself = (await scribe_api.client.get(f"/api/email/{ids[1]}/batch", headers=me.headers)).json()
    assert (itself["previous_id"], itself["next_id"]) == (ids[0], ids[2])

    by_batch = (await scribe_api.client.get(f"/api/queue/batches/{items[0]['batch_id']}", headers=me.headers)).json()
    assert by_batch["position"] is None and by_batch["pending"] == 0
    bad = await scribe_api.client.get("/api/queue/batches/not%20an%20id", headers=me.headers)
    assert bad.status_code == 422
    assert (await scribe_api.client.get("/api/queue/batches/nosuchbatch", headers=me.headers)).status_code == 404


async def test_an_outage_is_said_once_for_the_batch_and_one_retry_redoes_it(
    scribe_api: ScribeApi, scholarly_twin: ScholarlyTwin
) -> None:
    me = await scribe_api.user()
    for route in ("openalex.authors", "s2.authors", "arxiv"):
        scholarly_twin.fail(route, 503)
    items = await scribe_api.submit_and_finish(me, RESEARCH, CHEN, PRIYA)
    assert [item["status"] for item in items] == ["needs_review", "needs_review"]
    batch_id = items[0]["batch_id"]

    review = (await scribe_api.client.get(f"/api/queue/batches/{batch_id}", headers=me.headers)).json()
    outage = review["outage"]
    assert outage["sources"] == ["openalex", "semantic_scholar", "arxiv"]
    assert outage["message"] == "Couldn't reach OpenAlex, Semantic Scholar and arXiv for 2 emails in this batch."
    assert sorted(outage["email_ids"]) == sorted(item["email_id"] for item in items)
    assert all(email["unreachable"] for email in review["emails"])

    # Sources are back. One call retries both through the regenerate path; the old drafts stay as versions.
    scholarly_twin.reset()
    retried = await scribe_api.client.post(f"/api/queue/batches/{batch_id}/retry", headers=me.headers)
    assert retried.status_code == 200, retried.text
    assert {q["email_id"] for q in retried.json()["queued"]} == set(outage["email_ids"])
    assert retried.json()["skipped"] == []
    during = (await scribe_api.client.get(f"/api/queue/batches/{batch_id}", headers=me.headers)).json()
    assert during["pending"] == 2 and all(email["regenerating"] for email in during["emails"])
    again = await scribe_api.client.post(f"/api/queue/batches/{batch_id}/retry", headers=me.headers)
    assert {s["reason"] for s in again.json()["skipped"]} == {"it is already being regenerated"}

    await scribe_api.drain()
    chen = await _email(scribe_api, me, items[0]["email_id"])
    assert chen["status"] == "completed"
    assert [v["kind"] for v in chen["versions"]] == ["generated", "regenerated"]
    after = (await scribe_api.client.get(f"/api/queue/batches/{batch_id}", headers=me.headers)).json()
    assert after["outage"] is None
    assert [e["id"] for e in after["emails"]] == [item["email_id"] for item in items]  # same steps, same order


async def test_outage_retry_skips_an_email_holding_the_users_edit(
    scribe_api: ScribeApi, scholarly_twin: ScholarlyTwin
) -> None:
    me = await scribe_api.user()
    scholarly_twin.fail("openalex.authors", 503)
    scholarly_twin.fail("s2.authors", 503)
    [item] = await scribe_api.submit_and_finish(me, RESEARCH, CHEN)
    scholarly_twin.reset()
    mine = "Dear Professor Chen,\n\nI wrote this part myself.\n\nSam"
    await scribe_api.client.patch(f"/api/email/{item['email_id']}", json={"email_message": mine}, headers=me.headers)
    answer = (await scribe_api.client.post(f"/api/queue/batches/{item['batch_id']}/retry", headers=me.headers)).json()
    assert answer["queued"] == []
    assert answer["skipped"] == [
        {"email_id": item["email_id"], "reason": "it holds your edit; regenerate it from its page"}
    ]
    assert (await _email(scribe_api, me, item["email_id"]))["email_message"] == mine


async def test_regenerate_asks_before_replacing_a_manual_edit_and_keeps_it(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    [item] = await scribe_api.submit_and_finish(me, RESEARCH, CHEN)
    email_id = item["email_id"]
    generated = await _email(scribe_api, me, email_id)

    # Not edited: regenerate goes straight through, as before.
    first = await scribe_api.client.post(f"/api/email/{email_id}/regenerate", headers=me.headers)
    assert first.status_code == 202
    await scribe_api.drain()

    edited_body = generated["email_message"].replace("Best,", "All the best, and thank you,")
    await scribe_api.client.patch(f"/api/email/{email_id}", json={"email_message": edited_body}, headers=me.headers)
    refused = await scribe_api.client.post(f"/api/email/{email_id}/regenerate", headers=me.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "edit_would_be_replaced"
    assert "confirm_replace_edit=true" in refused.json()["detail"]
    assert await scribe_api.drain() == 0  # nothing was queued
    assert (await _email(scribe_api, me, email_id))["email_message"] == edited_body

    confirmed = await scribe_api.client.post(
        f"/api/email/{email_id}/regenerate?confirm_replace_edit=true", headers=me.headers
    )
    assert confirmed.status_code == 202
    await scribe_api.drain()
    after = await _email(scribe_api, me, email_id)
    assert after["email_message"] != edited_body
    kinds = [(v["version"], v["kind"]) for v in after["versions"]]
    assert kinds == [(1, "generated"), (2, "regenerated"), (3, "edited"), (4, "regenerated")]
    assert next(v for v in after["versions"] if v["kind"] == "edited")["body"] == edited_body

    # Restoring the edit brings it back as the newest version; regenerating over it asks again.
    restored = await scribe_api.client.post(f"/api/email/{email_id}/versions/3/restore", headers=me.headers)
    assert restored.status_code == 200, restored.text
    assert restored.json()["email_message"] == edited_body
    assert [(v["version"], v["kind"]) for v in restored.json()["versions"]][-1] == (5, "restored")
    again = await scribe_api.client.post(f"/api/email/{email_id}/regenerate", headers=me.headers)
    assert again.json()["code"] == "edit_would_be_replaced"
    missing = await scribe_api.client.post(f"/api/email/{email_id}/versions/99/restore", headers=me.headers)
    assert missing.status_code == 404
    zero = await scribe_api.client.post(f"/api/email/{email_id}/versions/0/restore", headers=me.headers)
    assert zero.status_code == 422


def test_outage_notes_are_read_by_shape_not_by_source_list() -> None:
    notes = [
        "openalex: timed out after 10 s",
        "search: exa: connection failed after 3 attempts",
        "arxiv: HTTP 503 after 3 attempts",
        "openalex: HTTP 503 after 3 attempts",  # the same source twice counts once
        "semantic_scholar: HTTP 401",  # a refused key: configuration, a retry cannot fix it
        "profile: https://x.example/chen had no readable text",
        "profile: https://x.example/lab could not be read (ConnectError)",
        "openalex: accepted profile A123 (affiliation agrees)",
        "profile: dropped 2 sentences addressed to the writer of a letter",
        "search: 'https://x.example/a' answered HTTP 404",  # gone, not down
    ]
    assert unreachable(notes) == ["openalex", "arxiv", "profile", "search"]  # a fixed order, whatever failed first
    for page_down in (
        "profile: 'https://x.example/chen' answered HTTP 503",
        "profile: could not connect to 'x.example'",
        "profile: fetching 'x.example' failed: ReadTimeout",
    ):
        assert unreachable([page_down]) == ["profile"], page_down


async def test_a_profile_page_that_is_down_is_an_outage_too(
    scribe_api: ScribeApi, scholarly_twin: ScholarlyTwin
) -> None:
    """The only source of an unknown person is the page the user listed; it answers 503, so the batch says so."""
    me = await scribe_api.user()
    scholarly_twin.fail("pages", 503)
    [item] = await scribe_api.submit_and_finish(
        me, RESEARCH, {**UNKNOWN, "profile_urls": [scholarly_twin.page_url("raman-westfield")]}
    )
    assert item["status"] == "needs_review"
    review = (await scribe_api.client.get(f"/api/queue/batches/{item['batch_id']}", headers=me.headers)).json()
    assert review["outage"]["sources"] == ["profile"]
    assert review["outage"]["message"] == "Couldn't reach their profile pages for 1 email in this batch."


async def test_outage_retry_is_all_or_nothing_against_the_daily_quota(
    scribe_api_factory: Any, scholarly_twin: ScholarlyTwin
) -> None:
    async with scribe_api_factory(scribe_daily_quota=3) as api:
        me = await api.user()
        for route in ("openalex.authors", "s2.authors", "arxiv"):
            scholarly_twin.fail(route, 503)
        items = await api.submit_and_finish(me, RESEARCH, CHEN, PRIYA)  # 2 of 3 used; a retry of both needs 2
        scholarly_twin.reset()
        refused = await api.client.post(f"/api/queue/batches/{items[0]['batch_id']}/retry", headers=me.headers)
        assert refused.status_code == 429
        assert await api.drain() == 0  # not one of the two was queued
        review = (await api.client.get(f"/api/queue/batches/{items[0]['batch_id']}", headers=me.headers)).json()
        assert review["pending"] == 0 and len(review["outage"]["email_ids"]) == 2
