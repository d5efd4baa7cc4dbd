"""Ollama on a serverless GPU (Modal): chat and embeddings for Scriptorium, $0 while idle.

    pip install modal && modal setup          # once, on your laptop
    modal run deploy/modal/ollama_app.py       # once: pull the models into the volume
    modal deploy deploy/modal/ollama_app.py    # prints https://<workspace>--scriptorium-ollama-serve.modal.run

Then create a Proxy Auth Token (Modal dashboard -> Settings -> Proxy Auth Tokens) and give Scriptorium:

    OLLAMA_BASE_URL=https://<workspace>--scriptorium-ollama-serve.modal.run
    CHAT_PROVIDER=ollama:qwen2.5:7b
    EMBEDDING_PROVIDER=ollama
    EMBEDDING_MODEL=bge-m3
    MODAL_PROXY_TOKEN_ID=wk-...        # sent as Modal-Key on every chat and embedding request
    MODAL_PROXY_TOKEN_SECRET=ws-...    # sent as Modal-Secret

`requires_proxy_auth=True` makes Modal's edge refuse any request without those two headers before a container
starts, so nobody else can wake (and bill) the GPU. With `min_containers=0` nothing runs while idle; the first
request after `scaledown_window` seconds of silence waits for a cold start (GPU allocation plus loading the model
into VRAM, typically 15-30 s), later ones are fast. Scriptorium warms the model when a reading session opens.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request

import modal

APP_NAME = "scriptorium-ollama"
CHAT_MODEL = "qwen2.5:7b"
EMBEDDING_MODEL = "bge-m3"
MODELS = (CHAT_MODEL, EMBEDDING_MODEL)
OLLAMA = "/usr/local/bin/ollama"  # where Ollama's installer puts the binary
OLLAMA_PORT = 11434
MODEL_DIR = "/root/.ollama"
GPU = "T4"
IDLE_SECONDS = 300  # how long a container stays warm after its last request

image = (
    modal.Image.debian_slim(python_version="3.11")
    .apt_install("curl", "ca-certificates", "zstd")
    .run_commands("curl -fsSL https://ollama.com/install.sh | sh")
    .env({"OLLAMA_HOST": f"0.0.0.0:{OLLAMA_PORT}", "OLLAMA_KEEP_ALIVE": "-1", "OLLAMA_MODELS": f"{MODEL_DIR}/models"})
)
# Weights live in a volume: pulled once, shared by every container, not re-downloaded on cold starts.
models = modal.Volume.from_name("scriptorium-ollama-models", create_if_missing=True)
app = modal.App(APP_NAME, image=image)


def _start_ollama() -> subprocess.Popen[bytes]:
    process = subprocess.Popen([OLLAMA, "serve"])  # noqa: S603 - a fixed command
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{OLLAMA_PORT}/api/version", timeout=2):
                return process
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("ollama did not start within 60 s")


@app.function(volumes={MODEL_DIR: models}, timeout=3600)
def pull() -> None:
    """Download the models into the volume (run once, and again after changing MODELS)."""
    server = _start_ollama()
    try:
        for name in MODELS:
            subprocess.run([OLLAMA, "pull", name], check=True)  # noqa: S603 - names from MODELS above
    finally:
        server.terminate()
    models.commit()


@app.function(
    gpu=GPU,
    volumes={MODEL_DIR: models},
    min_containers=0,
    scaledown_window=IDLE_SECONDS,
    timeout=600,
)
@modal.concurrent(max_inputs=8)
@modal.web_server(port=OLLAMA_PORT, startup_timeout=180, requires_proxy_auth=True)
def serve() -> None:
    """Ollama's HTTP API (OpenAI-compatible /v1 for chat, /api/embed for embeddings) behind Modal's proxy auth."""
    _start_ollama()


@app.local_entrypoint()
def main() -> None:
    pull.remote()
    print(f"pulled {', '.join(MODELS)}; now run: modal deploy deploy/modal/ollama_app.py")  # noqa: T201
