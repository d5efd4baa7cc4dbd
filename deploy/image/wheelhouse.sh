#!/usr/bin/env bash
# The wheelhouse for an image build that cannot reach PyPI: every wheel `pip install ".[EXTRAS]"` needs in the
# image (plus the build backend, hatchling), made on the host with `pip wheel` into deploy/image/wheelhouse, the
# folder the Dockerfile's WHEELS=host stage copies. Packages published only as source (sgmllib3k, for one) are
# built here, on the same Debian release as the image, so their wheels fit it.
#
# Usage: deploy/image/wheelhouse.sh BASE_IMAGE [EXTRAS]     (EXTRAS default postgres,redis,s3, as the Dockerfile)
# pip evaluates environment markers for the interpreter it runs on, and the base's Python is not the host's
# (Debian's 3.11.2 needs async-timeout for redis, 3.11.7 does not). So the wheelhouse is then resolved by the
# base image's own pip, offline, and whatever it misses is added from the host, until it resolves.
# Reused while its inputs are unchanged (pyproject.toml, the extras, the base image, this script: wheelhouse/.key).
# PYTHON picks the host interpreter (default: the repository's venv).
set -euo pipefail
cd "$(dirname "$0")/../.."

base=${1:?usage: wheelhouse.sh BASE_IMAGE [EXTRAS]}
extras=${2:-postgres,redis,s3}
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3
out=deploy/image/wheelhouse

exec 9>/tmp/scriptorium-wheelhouse.lock  # one build at a time; a second caller waits, then reuses it
flock 9

key=$(cat pyproject.toml "$0" <(echo "$extras $base $(docker image inspect --format '{{.Id}}' "$base")") \
    | sha256sum | cut -c1-16)
if [ -f "$out/.key" ] && [ "$(cat "$out/.key")" = "$key" ]; then
    echo "wheelhouse $out is current ($(find "$out" -name '*.whl' | wc -l) wheels)" >&2
    exit 0
fi

wheel() { "$python" -m pip wheel --quiet --disable-pip-version-check --wheel-dir "$out" "$@" >&2; }

rm -rf "$out"
mkdir -p "$out"
echo "pip wheel: .[$extras] and hatchling into $out" >&2
wheel hatchling ".[$extras]"
# The project itself is built from source inside the image (the Dockerfile copies src/), never from here.
rm -f "$out"/scriptorium-*.whl

# Resolve as the image will, with no network; add what the base's markers want and the host's did not.
for _ in 1 2 3 4 5 6 7 8; do
    if report=$(docker run --rm --network none \
        -v "$PWD/pyproject.toml:/src/pyproject.toml:ro" -v "$PWD/README.md:/src/README.md:ro" \
        -v "$PWD/src:/src/src:ro" -v "$PWD/$out:/wheels:ro" "$base" \
        pip install --quiet --dry-run --ignore-installed --no-index --find-links /wheels "/src[$extras]" 2>&1); then
        echo "$key" >"$out/.key"
        echo "wheelhouse $out: $(find "$out" -name '*.whl' | wc -l) wheels, $(du -sh "$out" | cut -f1)" >&2
        exit 0
    fi
    missing=$(sed -n 's/^ERROR: No matching distribution found for \([^;]*\).*/\1/p' <<<"$report" | head -1)
    if [ -z "$missing" ]; then
        echo "the base image's pip cannot install from the wheelhouse:" >&2
        echo "$report" >&2
        exit 1
    fi
    echo "the base's Python also needs: $missing" >&2
    wheel "$missing"
done
echo "the wheelhouse still misses packages after 8 rounds: $missing" >&2
exit 1
