"""Templates: CRUD, the editor's analysis, résumé PDF → template (upload and URL), caps and the daily limit."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scriptorium.scribe.models import Template
from tests.scribe.api.conftest import GENERAL, OKAFOR, RESEARCH, ScribeApi
from tests.scribe.api.pdfs import RESUME_LINES, make_pdf
from tests.twins.llm import OpenAITwin
from tests.twins.server import serve_in_thread


def upload(data: bytes, name: str = "resume.pdf", kind: str = "application/pdf") -> dict[str, Any]:
    return {"file": (name, data, kind)}


async def test_template_crud_and_use_by_id(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    created = await scribe_api.client.post(
        "/api/templates/", json={"template_text": RESEARCH, "name": "Labs"}, headers=me.headers
    )
    assert created.status_code == 201
    template = created.json()
    assert template["template_type"] == "research"
    assert template["placeholders"] == ["{{paper_title}}", "{{last_name}}", "{{university}}", "{{research_area}}"]
    assert template["origin"] == "manual"

    renamed = await scribe_api.client.patch(
        f"/api/templates/{template['id']}", json={"name": "Advice", "template_text": GENERAL}, headers=me.headers
    )
    assert renamed.json()["name"] == "Advice"
    assert renamed.json()["template_type"] == "general"
    listed = (await scribe_api.client.get("/api/templates/", headers=me.headers)).json()
    assert [t["id"] for t in listed] == [template["id"]]

    queued = await scribe_api.client.post(
        "/api/email/generate", json={"template_id": template["id"], **OKAFOR}, headers=me.headers
    )
    assert queued.status_code == 202
    await scribe_api.drain()
    status = (await scribe_api.client.get(f"/api/email/status/{queued.json()['task_id']}", headers=me.headers)).json()
    email = (await scribe_api.client.get(f"/api/email/{status['result']['email_id']}", headers=me.headers)).json()
    assert email["email_message"].startswith("Hello Tomás Okafor,")  # the saved (updated) text was used

    deleted = await scribe_api.client.delete(f"/api/templates/{template['id']}", headers=me.headers)
    assert deleted.status_code == 204
    assert (await scribe_api.client.get(f"/api/templates/{template['id']}", headers=me.headers)).status_code == 404
    # The email keeps working: the queue item holds its own copy of the template text.
    assert (await scribe_api.client.get(f"/api/email/{email['id']}", headers=me.headers)).status_code == 200


async def test_analyze_reports_placeholders_type_and_warnings(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    body = {"email_template": "Dear [Professor Name], I loved your book <Book Title>. Best, [Your Name]"}
    analysis = (await scribe_api.client.post("/api/templates/analyze", json=body, headers=me.headers)).json()
    assert analysis["template_type"] == "book"
    assert analysis["placeholders"] == ["[Professor Name]", "<Book Title>", "[Your Name]"]
    assert any("[Your Name]" in warning for warning in analysis["warnings"])
    plain = {"email_template": "Hello, I would like to talk about your research group."}
    analysis = (await scribe_api.client.post("/api/templates/analyze", json=plain, headers=me.headers)).json()
    assert analysis["placeholders"] == []
    assert any("No placeholders" in warning for warning in analysis["warnings"])


async def test_resume_upload_writes_an_honest_template_offline(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    response = await scribe_api.client.post(
        "/api/templates/resume",
        files=upload(make_pdf(RESUME_LINES)),
        data={"user_instructions": "I am applying for summer research"},
        headers=me.headers,
    )
    assert response.status_code == 201, response.text
    template = response.json()
    text = template["template_text"]
    assert template["origin"] == "resume"
    assert template["resume_filename"] == "resume.pdf"
    assert "Jordan Rivera" in text
    assert "Lakeshore Institute of Technology" in text
    assert "Built a Python pipeline that analyzed 2,000 microscopy images" in text
    assert {"{{last_name}}", "{{research_area}}", "{{university}}", "{{key_paper_title}}"} <= set(
        template["placeholders"]
    )
    assert "—" not in text
    assert 100 <= len(text.split()) <= 250
    profile = (await scribe_api.client.get("/api/user/profile", headers=me.headers)).json()
    assert profile["template_count"] == 1


async def test_resume_with_a_model_uses_its_text_and_passes_the_resume_as_data(
    scribe_api_factory: Any, openai_twin: OpenAITwin
) -> None:
    openai_twin.responder = lambda request: (
        "Dear {{professor_name}} \u2014 I'm Jordan, a chemical engineering student. I read about "
        "{{research_area}} and {{key_paper_title}} at {{university}}; {{lab_research_focus}} is why I write."
    )
    async with scribe_api_factory(chat_provider=openai_twin.chat_spec()) as api:
        me = await api.user()
        response = await api.client.post(
            "/api/templates/resume", files=upload(make_pdf(RESUME_LINES)), headers=me.headers
        )
        assert response.status_code == 201, response.text
        text = response.json()["template_text"]
        assert text.startswith("Dear {{professor_name}}, I'm Jordan")  # the em dash was scrubbed
        prompt = openai_twin.requests[-1].body["messages"][-1]["content"]
        assert "<resume>" in str(prompt)
        assert "Built a Python pipeline" in str(prompt)


async def test_resume_type_size_and_text_are_checked(scribe_api_factory: Any) -> None:
    async with scribe_api_factory(scribe_resume_max_bytes=10_000) as api:
        me = await api.user()
        cases = [
            (upload(b"hello, not a pdf at all" * 10), "must be a PDF"),
            (upload(make_pdf(RESUME_LINES), kind="image/png"), "must be a PDF"),
            (upload(b"%PDF-1.4\n" + b"0" * 20_000), "at most"),
            (upload(make_pdf(["Hi"])), "almost no text"),
            (upload(b"%PDF-1.4\nthis is not really a pdf body"), "could not read"),
        ]
        for files, message in cases:
            response = await api.client.post("/api/templates/resume", files=files, headers=me.headers)
            assert response.status_code == 422, (message, response.text)
            assert response.json()["field"] == "file"
            assert message in response.json()["detail"]
        assert await api.count(Template) == 0


async def test_resume_templates_have_a_daily_limit(scribe_api_factory: Any) -> None:
    async with scribe_api_factory(scribe_resume_uploads_per_day=2) as api:
        me = await api.user()
        for _ in range(2):
            ok = await api.client.post(
                "/api/templates/resume", files=upload(make_pdf(RESUME_LINES)), headers=me.headers
            )
            assert ok.status_code == 201
        refused = await api.client.post(
            "/api/templates/resume", files=upload(make_pdf(RESUME_LINES)), headers=me.headers
        )
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        manual = await api.client.post("/api/templates/", json={"template_text": GENERAL}, headers=me.headers)
        assert manual.status_code == 201  # hand-written templates are not limited


async def test_resume_by_url_goes_through_the_safe_fetcher(scribe_api_factory: Any) -> None:
    pdf = make_pdf(RESUME_LINES)

    async def serve_pdf(request: Request) -> Response:
        return Response(pdf, media_type="application/pdf")

    site = Starlette(routes=[Route("/cv.pdf", serve_pdf)])
    with serve_in_thread(site) as base:
        body = {"pdf_url": f"{base}/cv.pdf", "user_instructions": "Summer research in a wet lab"}
        async with scribe_api_factory() as api:  # the scholarly settings allow-list 127.0.0.1
            me = await api.user()
            created = await api.client.post("/api/templates/", json=body, headers=me.headers)
            assert created.status_code == 201, created.text
            assert created.json()["pdf_url"] == f"{base}/cv.pdf"
            assert "Jordan Rivera" in created.json()["template_text"]
        async with scribe_api_factory(fetch_allow_hosts=[]) as api:
            me = await api.user()
            refused = await api.client.post("/api/templates/", json=body, headers=me.headers)
            assert refused.status_code == 400
            assert refused.json()["code"] == "fetch_refused"
            assert await api.count(Template) == 1  # the same database: only the allowed fetch made one
