"""The sentence behind each reason reaches the API: stored in the email's `checks` JSON and served with it."""

from __future__ import annotations

from typing import Any

from tests.scribe.api.conftest import CHEN
from tests.twins.llm import OpenAITwin

PAPER = "Coevolution-guided sampling of protein folding intermediates"
# The merge cannot fill {{opening_line}} (no source can), so it fails one check; the model fills it with an
# invented prize: one failed check too, and a tie keeps the model's draft for review.
TEMPLATE = """Subject: Question about {{paper_title}}

Dear Professor {{last_name}},

{{opening_line}} I read your paper "{{paper_title}}" and would love to learn how your group approaches \
{{research_area}}.

Best,
Sam"""
INVENTED = "Congratulations on winning the Nobel Prize in Chemistry last year."


async def test_a_stored_reason_carries_its_sentence_verbatim(scribe_api_factory: Any, openai_twin: OpenAITwin) -> None:
    def reply(request: dict[str, Any]) -> dict[str, Any]:
        if any("classify" in str(m.get("content")) for m in request["messages"] if m["role"] == "system"):
            return {"template_type": "research"}
        body = TEMPLATE.split("\n", 2)[2].replace("{{last_name}}", "Chen").replace("{{paper_title}}", PAPER)
        body = body.replace("{{research_area}}", "protein folding").replace("{{opening_line}}", INVENTED)
        return {"subject": f"Question about {PAPER}", "body": body, "claims": []}

    openai_twin.responder = reply
    async with scribe_api_factory(chat_provider=openai_twin.chat_spec(), llm_max_retries=0) as api:
        me = await api.user()
        [item] = await api.submit_and_finish(me, TEMPLATE, CHEN)
        email = (await api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)).json()

    assert email["status"] == "needs_review"
    assert INVENTED in email["email_message"], email["checks"]
    checks = {c["name"]: c for c in email["checks"]}
    assert checks["attribution"]["sentences"] == [INVENTED]
    assert "'Nobel Prize in Chemistry' is in no source" in checks["attribution"]["detail"]
    assert all(isinstance(c["sentences"], list) for c in email["checks"])
    assert all(s in email["email_message"] or s in email["subject"] for c in email["checks"] for s in c["sentences"])
