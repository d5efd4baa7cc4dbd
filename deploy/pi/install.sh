#!/usr/bin/env bash
# Install or update Scriptorium on a Raspberry Pi or any Debian-style Linux host with systemd.
#
#   sudo deploy/pi/install.sh [--profile lite|scale] [--with-browser] [--with-redis] [--no-sample] [--no-start]
#
#   --profile lite    one process: SQLite, jobs inside the server, offline models (the default; fits a 1 GB Pi)
#   --profile scale   PostgreSQL + Redis + `scriptorium worker` processes (set DATABASE_URL and REDIS_URL)
#   --with-browser    Chromium for JavaScript-only pages (about 530 MB more while it renders)
#   --with-redis      install and start Redis on this machine (scale profile)
#   --no-sample       do not load the sample comic into an empty database
#   --no-start        install everything but do not enable or start the services
#
# Safe to re-run: every step checks what is already there. Re-running after `git pull` updates the code,
# the UI and the schema, keeps /etc/scriptorium/scriptorium.env and the data, and restarts the services.
#
# Environment (for staging installs, images and CI; the defaults are the production layout):
#   SCRIPTORIUM_PREFIX=/opt/scriptorium         virtualenv, built UI and the health probe
#   SCRIPTORIUM_DATA_DIR=/var/lib/scriptorium   database, job queue, images, backups
#   SCRIPTORIUM_CONF_DIR=/etc/scriptorium       scriptorium.env
#   SCRIPTORIUM_UNIT_DIR=/etc/systemd/system    systemd units (systemd only reads its own directories)
#   SCRIPTORIUM_BIN_DIR=/usr/local/bin          the `sudo scriptorium ...` wrapper
#   SCRIPTORIUM_USER=scriptorium                service user (created if missing; its primary group is used)
#   SCRIPTORIUM_SKIP_APT=1                      install no system packages: python3 with venv and curl must
#                                               already be there (images and CI that preinstall them)
# The units and the wrapper are installed with these paths and this user written into them.
set -euo pipefail

PREFIX="${SCRIPTORIUM_PREFIX:-/opt/scriptorium}"
DATA_DIR="${SCRIPTORIUM_DATA_DIR:-/var/lib/scriptorium}"
CONF_DIR="${SCRIPTORIUM_CONF_DIR:-/etc/scriptorium}"
UNIT_DIR="${SCRIPTORIUM_UNIT_DIR:-/etc/systemd/system}"
BIN_DIR="${SCRIPTORIUM_BIN_DIR:-/usr/local/bin}"
SERVICE_USER="${SCRIPTORIUM_USER:-scriptorium}"
SKIP_APT="${SCRIPTORIUM_SKIP_APT:-0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="$(cd "$HERE/../.." && pwd)"

profile=lite
with_browser=no
with_redis=no
sample=yes
start=yes

log() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
# The comment block at the top of this file, up to the first line that is not a comment.
usage() { awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --profile)
            [ $# -ge 2 ] || die "--profile needs a value: lite or scale"
            profile="$2"
            shift 2
            ;;
        --with-browser) with_browser=yes; shift ;;
        --with-redis) with_redis=yes; shift ;;
        --no-sample) sample=no; shift ;;
        --no-start) start=no; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

case "$profile" in
    lite | scale) ;;
    *) die "--profile must be lite or scale, not '$profile'" ;;
esac
# The paths go into systemd units and sed expressions as they are: only plain absolute paths are accepted.
for setting in "SCRIPTORIUM_PREFIX=$PREFIX" "SCRIPTORIUM_DATA_DIR=$DATA_DIR" "SCRIPTORIUM_CONF_DIR=$CONF_DIR" \
    "SCRIPTORIUM_UNIT_DIR=$UNIT_DIR" "SCRIPTORIUM_BIN_DIR=$BIN_DIR"; do
    [[ "${setting#*=}" =~ ^/[A-Za-z0-9._/+-]+$ ]] ||
        die "${setting%%=*} must be an absolute path of letters, digits and . _ - + / (not '${setting#*=}')"
done
[[ "$SERVICE_USER" =~ ^[a-z_][a-z0-9_-]*$ ]] || die "SCRIPTORIUM_USER must be a user name like 'scriptorium', not '$SERVICE_USER'"
case "$SKIP_APT" in
    0 | 1) ;;
    *) die "SCRIPTORIUM_SKIP_APT must be 0 or 1, not '$SKIP_APT'" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0"
[ -f "$SOURCE/pyproject.toml" ] || die "run from a Scriptorium checkout (no pyproject.toml in $SOURCE)"

apt_install() {
    local missing=() package
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# Copy a file shipped with the production paths and user, with this install's paths and user written in.
# Placeholders first, so that a new path that happens to contain a default path is not rewritten twice.
render() {
    sed -e 's|/opt/scriptorium|@PREFIX@|g' -e 's|/var/lib/scriptorium|@DATA_DIR@|g' \
        -e 's|/etc/scriptorium|@CONF_DIR@|g' -e 's|/usr/local/bin/scriptorium|@BIN_DIR@/scriptorium|g' \
        -e 's|^User=scriptorium$|User=@USER@|' -e 's|^Group=scriptorium$|Group=@GROUP@|' \
        -e 's|runuser -u scriptorium |runuser -u @USER@ |' -e 's|root:scriptorium|root:@GROUP@|' \
        -e "s|@PREFIX@|$PREFIX|g" -e "s|@DATA_DIR@|$DATA_DIR|g" -e "s|@CONF_DIR@|$CONF_DIR|g" \
        -e "s|@BIN_DIR@|$BIN_DIR|g" -e "s|@USER@|$SERVICE_USER|g" -e "s|@GROUP@|$SERVICE_GROUP|g" "$1"
}

# Add KEY=value to the environment file unless KEY is already set there (never changes an operator's value).
ensure_setting() {
    grep -q "^$1=" "$CONF_DIR/scriptorium.env" || printf '%s=%s\n' "$1" "$2" >>"$CONF_DIR/scriptorium.env"
}

if [ "$SKIP_APT" = 1 ]; then
    log "system packages: skipped (SCRIPTORIUM_SKIP_APT=1)"
    python3 -c 'import ensurepip, venv' 2>/dev/null ||
        die "SCRIPTORIUM_SKIP_APT=1 but python3 with venv and ensurepip is not installed"
    command -v curl >/dev/null 2>&1 || die "SCRIPTORIUM_SKIP_APT=1 but curl (the health probe needs it) is not installed"
else
    log "system packages"
    apt_install python3 python3-venv curl
    if [ "$profile" = scale ]; then
        apt_install postgresql-client
    fi
    if [ "$with_redis" = yes ]; then
        apt_install redis-server
    fi
    if [ "$with_browser" = yes ]; then
        apt_install chromium || apt_install chromium-browser
    fi
fi

log "service user and directories"
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$SERVICE_USER"
fi
SERVICE_GROUP="$(id -gn "$SERVICE_USER")"
install -d -o "$SERVICE_USER" -g "$SERVICE_GROUP" -m 0750 "$DATA_DIR"
install -d -o root -g "$SERVICE_GROUP" -m 0750 "$CONF_DIR"
install -d -m 0755 "$PREFIX" "$PREFIX/bin"
mkdir -p "$UNIT_DIR" "$BIN_DIR"

log "Python environment in $PREFIX/venv"
[ -x "$PREFIX/venv/bin/python" ] || python3 -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/pip" install --quiet --upgrade pip
extras=()
[ "$profile" = scale ] && extras+=(postgres redis s3)
[ "$with_browser" = yes ] && extras+=(browser)
package="$SOURCE"
if [ ${#extras[@]} -gt 0 ]; then
    package="${SOURCE}[$(IFS=,; echo "${extras[*]}")]"
fi
"$PREFIX/venv/bin/pip" install --quiet --upgrade "$package"

log "configuration in $CONF_DIR/scriptorium.env"
if [ ! -f "$CONF_DIR/scriptorium.env" ]; then
    secret="$("$PREFIX/venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
    render "$HERE/scriptorium.env.example" | sed -e "s|__GENERATED__|$secret|" -e "s|^PROFILE=.*|PROFILE=$profile|" \
        >"$CONF_DIR/scriptorium.env.new"
    install -o root -g "$SERVICE_GROUP" -m 0640 "$CONF_DIR/scriptorium.env.new" "$CONF_DIR/scriptorium.env"
    rm -f "$CONF_DIR/scriptorium.env.new"
    log "wrote a new environment file with a random SECRET_KEY: review PUBLIC_BASE_URL in it"
else
    log "keeping the existing environment file"
fi
if [ "$with_browser" = yes ]; then
    ensure_setting BROWSER_FALLBACK true
    chromium_path="$(command -v chromium || command -v chromium-browser || true)"
    [ -n "$chromium_path" ] && ensure_setting CHROMIUM_PATH "$chromium_path"
fi

if command -v npm >/dev/null 2>&1 && [ -f "$SOURCE/frontend/package.json" ]; then
    log "building the web UI"
    (cd "$SOURCE/frontend" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
    rm -rf "$PREFIX/static.new"
    cp -a "$SOURCE/frontend/dist" "$PREFIX/static.new"
    rm -rf "$PREFIX/static"
    mv "$PREFIX/static.new" "$PREFIX/static"
else
    log "npm not found: the API is served without the web UI (install Node.js 20+ and re-run for the UI)"
fi

log "systemd units"
install -m 0755 "$HERE/scriptorium-healthcheck" "$PREFIX/bin/scriptorium-healthcheck"
render "$HERE/scriptorium-cli" >"$BIN_DIR/scriptorium.new"
install -m 0755 "$BIN_DIR/scriptorium.new" "$BIN_DIR/scriptorium"
rm -f "$BIN_DIR/scriptorium.new"
for unit in scriptorium-serve.service scriptorium-worker.service scriptorium-healthcheck.service \
    scriptorium-healthcheck.timer scriptorium-backup.service scriptorium-backup.timer; do
    render "$HERE/$unit" >"$UNIT_DIR/$unit.new"
    install -m 0644 "$UNIT_DIR/$unit.new" "$UNIT_DIR/$unit"
    rm -f "$UNIT_DIR/$unit.new"
done
for service in scriptorium-serve scriptorium-worker; do
    dropins="$UNIT_DIR/$service.service.d"
    if [ "$profile" = scale ]; then
        install -D -m 0644 "$HERE/redis.conf" "$dropins/redis.conf"
    else
        rm -f "$dropins/redis.conf"
    fi
    if [ "$with_browser" = yes ]; then
        install -D -m 0644 "$HERE/browser.conf" "$dropins/browser.conf"
    fi
done

log "database schema$([ "$sample" = yes ] && echo ' and sample content')"
seed_flag=--seed
[ "$sample" = no ] && seed_flag=--no-seed
"$BIN_DIR/scriptorium" bootstrap "$seed_flag" || die "bootstrap failed: check DATABASE_URL in $CONF_DIR/scriptorium.env (scale), then re-run"

if [ "$start" = no ] || [ ! -d /run/systemd/system ]; then
    log "not starting services (--no-start, or systemd is not running)"
else
    log "starting services"
    systemctl daemon-reload
    systemctl enable --quiet scriptorium-serve.service scriptorium-healthcheck.timer scriptorium-backup.timer
    if [ "$profile" = scale ]; then
        systemctl enable --quiet scriptorium-worker.service
        systemctl restart scriptorium-worker.service
    else
        systemctl disable --quiet --now scriptorium-worker.service 2>/dev/null || true
    fi
    [ "$with_redis" = yes ] && systemctl enable --quiet --now redis-server.service
    systemctl restart scriptorium-serve.service
    systemctl start scriptorium-healthcheck.timer scriptorium-backup.timer
fi

cat <<EOF

Scriptorium ($profile) is installed.
  settings:  $CONF_DIR/scriptorium.env   (then: sudo systemctl restart scriptorium-serve)
  check:     sudo $BIN_DIR/scriptorium doctor --url http://127.0.0.1:8000
  logs:      journalctl -u scriptorium-serve -f
  public:    set up the Cloudflare Tunnel with deploy/pi/cloudflared.yml (docs/deploy/pi.md)
EOF
