#!/usr/bin/env bash
# The local stand-in for the Dockerfile's public base (python:3.11-slim-bookworm) where no registry is reachable:
# a minimal Debian bookworm root filesystem made with debootstrap, with Debian's own python3 and pip, imported as
# a Docker image. It behaves like the public base where the Dockerfile depends on it: `python` and `pip` on PATH,
# pip may install into the system interpreter, groupadd/useradd present, LANG=C.UTF-8.
#
# Usage (as root): deploy/image/base.sh            prints the image tag on its last line
# The tag carries a hash of this script, so an unchanged script reuses the image already on the machine, and any
# change to it (packages, release, steps) builds a new one. DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

RELEASE=bookworm
PACKAGES=python3,python3-pip,ca-certificates
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKER=${DOCKER:-docker}

# One build at a time: a second caller (CI's early start, then the test) waits, then finds the image.
exec 9>/tmp/scriptorium-base.lock
flock 9

key=$(sha256sum "$0" | cut -c1-12)
tag="scriptorium-base:$RELEASE-$key"
if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
    echo "base image $tag already on this machine" >&2
    echo "$tag"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "debootstrap needs root: run as root, or build with the public base (BASE_IMAGE default)" >&2
    exit 1
fi

root=$(mktemp -d /var/tmp/scriptorium-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "debootstrap $RELEASE (+ $PACKAGES) from $MIRROR" >&2
# The downloaded packages are kept between runs (a changed script then only unpacks again).
mkdir -p /var/cache/scriptorium-debootstrap
debootstrap --variant=minbase --include="$PACKAGES" --cache-dir=/var/cache/scriptorium-debootstrap \
    "$RELEASE" "$root" "$MIRROR" >&2

# What python:*-slim offers and Debian's packaging withholds: a `pip` that installs into the image's interpreter
# (PEP 668 guards a shared system, not a single-purpose container) and the `python`/`pip` names.
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
ln -sf python3 "$root/usr/bin/python"
ln -sf pip3 "$root/usr/bin/pip"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/locale/*

tar --numeric-owner -C "$root" -c . | "$DOCKER" import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["python3"]' \
    - "$tag" >&2
# Base images from earlier versions of this script are never used again.
"$DOCKER" images --format '{{.Repository}}:{{.Tag}}' scriptorium-base | grep -vx "$tag" | xargs -r "$DOCKER" rmi >&2 || true
echo "$tag"
