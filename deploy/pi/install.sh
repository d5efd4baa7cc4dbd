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
set -euo pipefail

PREFIX=/opt/scriptorium
DATA_DIR=/var/lib/scriptorium
CONF_DIR=/etc/scriptorium
UNIT_DIR=/etc/systemd/system
SERVICE_USER=scriptorium
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="$(cd "$HERE/../.." && pwd)"

profile=lite
with_browser=no
with_redis=no
sample=yes
start=yes

log() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

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

# Add KEY=value to the environment file unless KEY is already set there (never changes an operator's value).
ensure_setting() {
    grep -q "^$1=" "$CONF_DIR/scriptorium.env" || printf '%s=%s\n' "$1" "$2" >>"$CONF_DIR/scriptorium.env"
}

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

log "service user and directories"
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$SERVICE_USER"
fi
install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0750 "$DATA_DIR"
install -d -o root -g "$SERVICE_USER" -m 0750 "$CONF_DIR"
install -d -m 0755 "$PREFIX" "$PREFIX/bin"

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
    sed -e "s|__GENERATED__|$secret|" -e "s|^PROFILE=.*|PROFILE=$profile|" "$HERE/scriptorium.env.example" \
        >"$CONF_DIR/scriptorium.env.new"
    install -o root -g "$SERVICE_USER" -m 0640 "$CONF_DIR/scriptorium.env.new" "$CONF_DIR/scriptorium.env"
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
install -m 0755 "$HERE/scriptorium-cli" /usr/local/bin/scriptorium
for unit in scriptorium-serve.service scriptorium-worker.service scriptorium-healthcheck.service \
    scriptorium-healthcheck.timer scriptorium-backup.service scriptorium-backup.timer; do
    install -m 0644 "$HERE/$unit" "$UNIT_DIR/$unit"
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
/usr/local/bin/scriptorium bootstrap "$seed_flag" || die "bootstrap failed: check DATABASE_URL in $CONF_DIR/scriptorium.env (scale), then re-run"

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
  check:     sudo scriptorium doctor --url http://127.0.0.1:8000
  logs:      journalctl -u scriptorium-serve -f
  public:    set up the Cloudflare Tunnel with deploy/pi/cloudflared.yml (docs/deploy/pi.md)
EOF
