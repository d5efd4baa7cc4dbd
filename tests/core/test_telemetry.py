"""Logs carry request ids and never a secret; tracing stays off and silent without a token."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

from scriptorium.core.settings import Settings
from scriptorium.core.telemetry import configure_logging, configure_tracing, request_id_var


def capture(settings: Settings) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(settings, stream=stream)
    return stream


def test_secrets_never_reach_the_log(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(openai_api_key="sk-abcdef123456", redis_password="redis-pass-9")
    stream = capture(settings)
    log = logging.getLogger("scriptorium.test")
    log.warning("calling with key %s", "sk-abcdef123456")
    log.warning("header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig")
    log.warning("connecting to postgresql://app:pgsecret@db:5432/x and redis-pass-9")
    log.warning("config api_key=ZZZ-other-key-77")
    try:
        raise ValueError("token=abc123def456 leaked in exception")
    except ValueError:
        log.exception("failed")
    output = stream.getvalue()
    for secret in (
        "sk-abcdef123456",
        "eyJhbGciOiJIUzI1NiJ9",
        "pgsecret",
        "redis-pass-9",
        "ZZZ-other-key-77",
        "abc123def456",
    ):
        assert secret not in output, secret
    assert output.count("***") >= 6


def test_llm_extra_header_values_never_reach_the_log(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(llm_extra_headers={"Modal-Key": "wk-proxy-key-1", "Modal-Secret": "ws-proxy-secret-2"})
    stream = capture(settings)
    log = logging.getLogger("scriptorium.test")
    log.warning("sent headers Modal-Key=wk-proxy-key-1 Modal-Secret=ws-proxy-secret-2")
    output = stream.getvalue()
    assert "wk-proxy-key-1" not in output and "ws-proxy-secret-2" not in output
    assert "Modal-Key" in output  # the name stays, so the line still says which header was sent


def test_json_logs_in_production_carry_the_request_id(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(log_format="json")
    stream = capture(settings)
    token = request_id_var.set("req-12345678")
    try:
        logging.getLogger("scriptorium.test").info("hello %s", "world")
    finally:
        request_id_var.reset(token)
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["message"] == "hello world"
    assert record["request_id"] == "req-12345678"
    assert record["levelname"] == "INFO"


def test_tracing_is_off_without_token_or_endpoint(make_settings: Callable[..., Settings]) -> None:
    assert configure_tracing(make_settings()) is False
