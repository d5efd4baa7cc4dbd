"""What the research screen dropped reaches the user: the email's metadata lists how many sentences were ignored,
why, and on which page or abstract, next to the other evidence notes."""

from __future__ import annotations

from tests.scribe.api.conftest import RESEARCH, ScribeApi
from tests.twins.scholarly import ScholarlyTwin


async def test_dropped_research_sentences_are_counted_in_the_emails_metadata(
    scribe_api: ScribeApi, scholarly_twin: ScholarlyTwin
) -> None:
    account = await scribe_api.user()
    page = scholarly_twin.page_url("voss-brightwater")
    body = {
        "email_template": RESEARCH,
        "recipient_name": "Dr. Helena Voss",
        "recipient_interest": "coral reef acoustics",
        "institution": "University of Brightwater",
        "profile_urls": [page],
    }
    queued = await scribe_api.client.post("/api/email/generate", json=body, headers=account.headers)
    assert queued.status_code == 202, queued.text
    await scribe_api.drain()
    status = await scribe_api.client.get(f"/api/email/status/{queued.json()['task_id']}", headers=account.headers)
    email = await scribe_api.client.get(f"/api/email/{status.json()['result']['email_id']}", headers=account.headers)
    notes = email.json()["metadata"]["evidence_notes"]
    assert f"profile (web): ignored 5 sentence(s) on {page}: 5 addressed to the letter's writer or reader" in notes
    assert any(n.startswith("openalex: ignored 1 sentence(s) in the abstract of https://doi.org/") for n in notes)
    assert any("Passive acoustic monitoring of coral reef soundscapes" in n for n in notes)  # the namesake, not cited
    assert "Nobel" not in email.json()["email_message"]
