#!/usr/bin/env bash
# Build the Fly image (deploy/fly/Dockerfile, unchanged) on a machine with Docker but no registry: the base is the
# local debootstrap image (base.sh), the dependencies come from the host's wheelhouse (wheelhouse.sh), and the UI
# from the host's `make frontend`. Everything else is the Dockerfile's own stages, user and entrypoint.
#
# Usage: deploy/image/build.sh [TAG]        (default scriptorium:local; `make image` runs it)
# Prints the timing of each step on stderr. A second run reuses the base image, the wheelhouse and BuildKit's layer
# cache; a fresh machine builds all three.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-scriptorium:local}

# BuildKit is required (RUN --mount, only the selected stages built). `docker buildx` when installed; otherwise a
# client older than 23 has BuildKit built in (Debian's docker.io); newer clients without buildx do not.
build=()
if docker buildx version >/dev/null 2>&1; then
    build=(docker buildx build --load)
else
    for cli in docker /usr/bin/docker; do
        version=$("$cli" version --format '{{.Client.Version}}' 2>/dev/null || true)
        if [ -n "$version" ] && [ "${version%%.*}" -lt 23 ]; then
            build=(env DOCKER_BUILDKIT=1 "$cli" build)
            break
        fi
    done
fi
if [ ${#build[@]} -eq 0 ]; then
    echo "no BuildKit-capable docker client: install docker-buildx, or Debian's docker.io client" >&2
    exit 1
fi

step() { echo "[$(date +%T)] $*" >&2; }
step "base image"
base=$(deploy/image/base.sh | tail -1)
step "wheelhouse"
deploy/image/wheelhouse.sh "$base"
step "frontend"
if command -v npm >/dev/null 2>&1; then
    make --no-print-directory frontend >&2
fi
if [ ! -f frontend/dist/index.html ]; then
    echo "frontend/dist/index.html is missing: run \`make frontend\` (needs Node.js 20+)" >&2
    exit 1
fi
step "docker build $tag (BASE_IMAGE=$base UI=host WHEELS=host)"
"${build[@]}" -f deploy/fly/Dockerfile -t "$tag" --label scriptorium.build=local \
    --build-arg BASE_IMAGE="$base" --build-arg UI=host --build-arg WHEELS=host . >&2
# The image this tag named before is now untagged: remove such leftovers of our own builds, nothing else.
docker image prune --force --filter label=scriptorium.build=local >/dev/null
step "built $tag"
