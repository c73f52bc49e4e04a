#!/usr/bin/env bash
# Install or upgrade Moksori on Debian 12 or 13, from the code folder this script lies in:
#
#   sudo git clone https://…/moksori.git /srv/moksori/code
#   sudo /srv/moksori/code/deploy/install.sh --domain moksori.example.org --email admin@example.org
#
# Re-runnable: each step looks first and changes only what differs, and the last line says how
# many things changed ("nothing changed" on a second run). It never overwrites the settings file
# or its keys. README ("Install") explains each step; --help lists the options.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: sudo deploy/install.sh [options]

  --domain NAME         the site's public name (nginx server_name, the TLS certificate, links)
  --email ADDRESS       with --domain: get a Let's Encrypt certificate for it (certbot, webroot)
  --notice-from SENDER  SUBMITTER_NOTICE_FROM for a new settings file, e.g. '알림 <x@mail.example>'
  --python PATH         the Python to build the virtual environment with (3.11 or newer; default python3)
  --user NAME           the service user (default moksori)
  --db-name NAME        the PostgreSQL database (default: the service user's name)
  --pg-host HOST        reach PostgreSQL over TCP as user postgres (default: the local socket, as the
                        postgres system user; the app then logs in by peer authentication)
  --pg-port PORT        with --pg-host (default 5432)
  --setting NAME=VALUE  one more line for a new settings file (repeatable)
  --render NAME=VALUE   passed to deploy/render.py as --set NAME=VALUE (repeatable)
  --root DIR            install every file under DIR instead of / (tests); users and the database
                        are still the machine's
  --no-services         change no running service: no systemctl, mount, nginx reload or certbot
  --no-packages         do not install missing Debian packages (only name them)
EOF
}

MIN_PYTHON="3.11"
ROOT="" SERVICE_USER="moksori" DOMAIN="" EMAIL="" NOTICE_FROM="" PYTHON="python3" DB_NAME=""
PG_HOST="" PG_PORT="5432" SERVICES=1 PACKAGES=1
EXTRA_SETTINGS=() RENDER=()
while [ $# -gt 0 ]; do
  case "$1" in
    --domain) DOMAIN="$2"; shift 2 ;;
    --email) EMAIL="$2"; shift 2 ;;
    --notice-from) NOTICE_FROM="$2"; shift 2 ;;
    --python) PYTHON="$2"; shift 2 ;;
    --user) SERVICE_USER="$2"; shift 2 ;;
    --db-name) DB_NAME="$2"; shift 2 ;;
    --pg-host) PG_HOST="$2"; shift 2 ;;
    --pg-port) PG_PORT="$2"; shift 2 ;;
    --setting) EXTRA_SETTINGS+=("$2"); shift 2 ;;
    --render) RENDER+=(--set "$2"); shift 2 ;;
    --root) ROOT="${2%/}"; shift 2 ;;
    --no-services) SERVICES=0; shift ;;
    --no-packages) PACKAGES=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { echo "install.sh: $*" >&2; exit 1; }
CHANGES=0
changed() { CHANGES=$((CHANGES + 1)); echo "  changed: $*"; }
step() { echo "== $*"; }

[ "$(id -u)" = 0 ] || die "run it as root (sudo): it creates a system user, folders owned by it and the database"
DB_NAME="${DB_NAME:-$SERVICE_USER}"
for name in "$SERVICE_USER" "$DB_NAME"; do
  [[ "$name" =~ ^[a-z_][a-z0-9_]{0,30}$ ]] || die "$name: use lower-case letters, digits and _ for the user and database"
done
[ -z "$EMAIL" ] || [ -n "$DOMAIN" ] || die "--email needs --domain"
DOMAIN="${DOMAIN:-moksori.example.org}"

CODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ETC="$ROOT/etc/moksori"
ENV_FILE="$ETC/moksori.env"
TLS_DIR="$ETC/tls"
VENV="$ROOT/srv/moksori/venv"
DATA="$ROOT/var/lib/moksori"
UPLOADS="$DATA/uploads"
INSTANCE="$DATA/instance"
BACKUPS="$ROOT/var/backups/moksori"
ACME="$ROOT/var/www/letsencrypt"
BODY="$ROOT/var/spool/moksori-body"
NGINX_LOGS="$ROOT/var/log/nginx"
ONION_DIR="$ROOT/var/lib/tor/moksori/"
LIVE="$ROOT/etc/letsencrypt/live/$DOMAIN"

case "$CODE_DIR/" in
  /tmp/*|/var/tmp/*|/home/*|/root/*|/run/user/*)
    die "the code is in $CODE_DIR, which the services' sandbox hides (PrivateTmp, ProtectHome): clone it to /srv/moksori/code" ;;
esac

# --- Debian packages -------------------------------------------------------------------------
step "packages"
wanted=(python3 python3-venv postgresql redis-server nginx tor openssl)
[ -z "$EMAIL" ] || wanted+=(certbot)
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ] && [ "$PACKAGES" = 0 ]; then
  echo "  not installed (--no-packages): ${missing[*]}; the steps that need them will say so"
elif [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  changed "installed ${missing[*]}"
fi

# --- Python ------------------------------------------------------------------------------------
step "python"
command -v "$PYTHON" >/dev/null || die "no $PYTHON: install python3 (Debian 12 ships 3.11.2)"
"$PYTHON" -c "import sys; sys.exit(sys.version_info < (${MIN_PYTHON/./, }))" \
  || die "$("$PYTHON" -V 2>&1) is too old: Moksori needs Python $MIN_PYTHON or newer"
version="$("$PYTHON" -c 'import platform; print(platform.python_version())')"
echo "  $PYTHON is Python $version (needs $MIN_PYTHON or newer)"
"$PYTHON" -c "import sys; sys.exit(sys.version_info < (3, 11, 4))" \
  || echo "  note: before 3.11.4 tarfile has no extraction filter; backup restore checks every archive member itself"

# --- the service user and its folders ----------------------------------------------------------
step "user and folders"
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  changed "created the system user $SERVICE_USER"
fi
WEB_USER=www-data
getent passwd "$WEB_USER" >/dev/null || WEB_USER=root

# ensure_dir PATH OWNER:GROUP MODE
ensure_dir() {
  local path="$1" owner="$2" mode="$3"
  if [ ! -d "$path" ]; then
    mkdir -p "$path"
    changed "created $path"
  fi
  if [ "$(stat -c '%U:%G %a' "$path")" != "$owner $mode" ]; then
    chown "$owner" "$path"
    chmod "$mode" "$path"
    changed "$path is $owner, mode $mode"
  fi
}
ensure_dir "$ETC" "root:$SERVICE_USER" 750
ensure_dir "$TLS_DIR" root:root 700
ensure_dir "$ROOT/srv/moksori" root:root 755
ensure_dir "$DATA" "$SERVICE_USER:$SERVICE_USER" 750
ensure_dir "$UPLOADS" "$SERVICE_USER:$SERVICE_USER" 700
ensure_dir "$INSTANCE" "$SERVICE_USER:$SERVICE_USER" 700
ensure_dir "$BACKUPS" "$SERVICE_USER:$SERVICE_USER" 700
ensure_dir "$ACME" root:root 755
ensure_dir "$BODY" "$WEB_USER:$WEB_USER" 700
ensure_dir "$NGINX_LOGS" "$(stat -c '%U:%G' "$ROOT/var/log/nginx" 2>/dev/null || echo root:adm)" \
  "$(stat -c '%a' "$ROOT/var/log/nginx" 2>/dev/null || echo 755)"
if [ -n "$(find "$CODE_DIR" -maxdepth 1 \( -user "$SERVICE_USER" -o -perm -o+w \) -print -quit)" ]; then
  echo "  WARNING: $SERVICE_USER (or everyone) can write $CODE_DIR: the code should belong to root"
fi

# --- the virtual environment -------------------------------------------------------------------
step "virtual environment $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  changed "created $VENV with Python $version"
fi
stamp="$( { "$VENV/bin/python" -V; cat "$CODE_DIR/requirements.txt" "$CODE_DIR/pyproject.toml"; echo "$CODE_DIR"; } \
  | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$VENV/.moksori-installed" 2>/dev/null)" != "$stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet -r "$CODE_DIR/requirements.txt"
  "$VENV/bin/python" -m pip install --quiet --no-deps -e "$CODE_DIR"   # gives the `moksori` command
  echo "$stamp" > "$VENV/.moksori-installed"
  changed "installed the requirements and the moksori command into $VENV"
fi
catalog="$CODE_DIR/translations/ko/LC_MESSAGES"
if [ ! -f "$catalog/messages.mo" ] || [ "$catalog/messages.po" -nt "$catalog/messages.mo" ]; then
  "$VENV/bin/pybabel" -q compile -d "$CODE_DIR/translations"
  changed "compiled the Korean translations"
fi

# --- PostgreSQL --------------------------------------------------------------------------------
step "PostgreSQL database $DB_NAME"
if [ -n "$PG_HOST" ]; then
  psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
  DATABASE_URL="postgresql+psycopg://$SERVICE_USER@$PG_HOST:$PG_PORT/$DB_NAME"
else
  psql_admin() { (cd / && runuser -u postgres -- psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"); }
  DATABASE_URL="postgresql+psycopg://$SERVICE_USER@/$DB_NAME"   # the local socket, peer authentication
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$SERVICE_USER'")" != 1 ]; then
  psql_admin -c "CREATE ROLE $SERVICE_USER LOGIN"
  changed "created the PostgreSQL role $SERVICE_USER"
fi
if [ "$(psql_admin -c "SELECT rolcreatedb FROM pg_roles WHERE rolname = '$SERVICE_USER'")" != t ]; then
  # `moksori backup restore` and `backup drill` load a backup into a scratch database first.
  psql_admin -c "ALTER ROLE $SERVICE_USER CREATEDB"
  changed "let the PostgreSQL role $SERVICE_USER create (scratch) databases"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $DB_NAME OWNER $SERVICE_USER ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
  changed "created the PostgreSQL database $DB_NAME (UTF-8)"
fi

# --- the settings file -------------------------------------------------------------------------
step "settings $ENV_FILE"
if [ ! -e "$ENV_FILE" ]; then
  secret="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
  data_key="$("$VENV/bin/python" -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')"
  new="$(mktemp "$ETC/.moksori.env.XXXXXX")"
  {
    echo "# Moksori's settings (README, \"Configuration\"), read by the systemd units and by \`moksori\`."
    echo "# Written by deploy/install.sh on $(date -u +%Y-%m-%d); it never overwrites this file."
    echo "# Keep DATA_ENCRYPTION_KEY also somewhere safe and offline: without it backups cannot be read."
    echo "APP_ENV=production"
    echo "SECRET_KEY=$secret"
    echo "DATA_ENCRYPTION_KEY=$data_key"
    echo "DATABASE_URL=$DATABASE_URL"
    echo "UPLOAD_DIR=$UPLOADS"
    echo "BACKUP_DIR=$BACKUPS"
    echo "BACKUP_KEEP_DAYS=14"
    echo "INSTANCE_DIR=$INSTANCE"
    echo "RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0"
    echo "CLIENT_ADDRESS_HEADER=X-Moksori-Client"
    echo "GUNICORN_BIND=127.0.0.1:8000"
    echo "PUBLIC_BASE_URL=https://$DOMAIN"
    echo "MAIL_FROM=\"Moksori <noreply@$DOMAIN>\""
    echo "# The neutral sender of \"new message\" notices to submitters: an address at a general mail"
    echo "# provider that names neither the organization nor the site. \`moksori doctor\` says PROBLEM until set."
    echo "SUBMITTER_NOTICE_FROM=\"${NOTICE_FROM:-알림 <notice@example.invalid>}\""
    for setting in "${EXTRA_SETTINGS[@]}"; do
      name="${setting%%=*}" value="${setting#*=}"
      value="${value//\\/\\\\}"
      echo "$name=\"${value//\"/\\\"}\""
    done
  } > "$new"
  chown "root:$SERVICE_USER" "$new"
  chmod 640 "$new"
  mv "$new" "$ENV_FILE"
  changed "wrote $ENV_FILE with new keys"
elif [ ${#EXTRA_SETTINGS[@]} -gt 0 ] || [ -n "$NOTICE_FROM" ]; then
  echo "  $ENV_FILE exists and is kept as it is: edit it for --setting/--notice-from to take effect"
fi
if [ "$(stat -c '%U:%G %a' "$ENV_FILE")" != "root:$SERVICE_USER 640" ]; then
  chown "root:$SERVICE_USER" "$ENV_FILE"
  chmod 640 "$ENV_FILE"
  changed "$ENV_FILE is root:$SERVICE_USER, mode 0640"
fi
max_mb="$(sed -n 's/^MAX_TOTAL_UPLOAD_MB=["'\'']\{0,1\}\([0-9]*\).*/\1/p' "$ENV_FILE" | tail -1)"

# --- nginx's upload buffer: a tmpfs of its own --------------------------------------------------
# Uploads wait there, unencrypted, until complete: memory only, capped (four full-size forms) so
# that a flood of uploads cannot fill the memory /run or /dev/shm share with the rest of the system.
step "upload buffer (tmpfs)"
fstab="$ROOT/etc/fstab"
mount_point="${BODY#"$ROOT"}"
line="tmpfs $mount_point tmpfs rw,nosuid,nodev,noexec,mode=0700,uid=$WEB_USER,gid=$WEB_USER,size=$(( 4 * (${max_mb:-100} + 1) ))m 0 0"
if ! grep -qxF "$line" "$fstab" 2>/dev/null; then
  touch "$fstab"
  grep -v -e "^tmpfs $mount_point " -e "^# Moksori: nginx keeps uploads" "$fstab" > "$fstab.new" || true
  printf '# Moksori: nginx keeps uploads here until complete, in memory only (deploy/install.sh)\n%s\n' "$line" \
    >> "$fstab.new"
  cat "$fstab.new" > "$fstab"
  rm -f "$fstab.new"
  changed "$fstab mounts a tmpfs on $mount_point"
fi
if [ "$SERVICES" = 1 ] && ! mountpoint -q "$BODY"; then
  mount "$BODY"
  changed "mounted the tmpfs on $BODY"
fi

# --- TLS: a temporary self-signed certificate until Let's Encrypt's exists ----------------------
step "TLS certificate"
link() {  # link TARGET NAME: NAME points to TARGET
  if [ "$(readlink "$2" 2>/dev/null)" != "$1" ]; then
    ln -sfn "$1" "$2"
    changed "$2 -> $1"
  fi
}
if [ -f "$LIVE/fullchain.pem" ]; then
  link "$LIVE/fullchain.pem" "$TLS_DIR/fullchain.pem"
  link "$LIVE/privkey.pem" "$TLS_DIR/privkey.pem"
else
  if [ ! -f "$TLS_DIR/selfsigned.crt" ]; then
    openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 90 -subj "/CN=$DOMAIN" \
      -addext "subjectAltName=DNS:$DOMAIN" -keyout "$TLS_DIR/selfsigned.key" -out "$TLS_DIR/selfsigned.crt" 2>/dev/null
    chmod 600 "$TLS_DIR/selfsigned.key"
    changed "made a temporary self-signed certificate for $DOMAIN (until Let's Encrypt's)"
  fi
  link "$TLS_DIR/selfsigned.crt" "$TLS_DIR/fullchain.pem"
  link "$TLS_DIR/selfsigned.key" "$TLS_DIR/privkey.pem"
fi

# --- nginx, tor and systemd configurations ------------------------------------------------------
step "render deploy/ into $ETC"
render_args=(--set "SERVER_NAME=$DOMAIN" --set "TLS_CERT=$TLS_DIR/fullchain.pem" --set "TLS_KEY=$TLS_DIR/privkey.pem"
  --set "APP_DIR=$CODE_DIR" --set "VENV=$VENV" --set "UPLOAD_DIR=$UPLOADS" --set "ENV_FILE=$ENV_FILE"
  --set "APP_USER=$SERVICE_USER" --set "ACME_ROOT=$ACME" --set "BODY_TEMP_DIR=$BODY" --set "LOG_DIR=$NGINX_LOGS"
  --set "HIDDEN_SERVICE_DIR=$ONION_DIR" --set "BACKUP_DIR=$BACKUPS")
[ -z "$max_mb" ] || render_args+=(--set "MAX_TOTAL_UPLOAD_MB=$max_mb")
rendered="$("$VENV/bin/python" "$CODE_DIR/deploy/render.py" "$ETC" "${render_args[@]}" "${RENDER[@]}")"
while read -r file; do [ -z "$file" ] || changed "rendered $file"; done <<< "$rendered"
units_changed=$(grep -c '/systemd/' <<< "$rendered" || true)

mkdir -p "$ROOT/usr/local/bin"
link "$VENV/bin/moksori" "$ROOT/usr/local/bin/moksori"   # on sudo's PATH: `sudo -u moksori moksori …`
mkdir -p "$ROOT/etc/nginx/sites-enabled"
link "$ETC/nginx/moksori.conf" "$ROOT/etc/nginx/sites-enabled/moksori"
if [ -e "$ROOT/etc/nginx/sites-enabled/default" ] || [ -L "$ROOT/etc/nginx/sites-enabled/default" ]; then
  rm -f "$ROOT/etc/nginx/sites-enabled/default"   # its log format names every client's address
  changed "removed nginx's default site"
fi
mkdir -p "$ROOT/etc/tor/torrc.d"
if ! cmp -s "$ETC/tor/moksori.torrc" "$ROOT/etc/tor/torrc.d/moksori.conf"; then
  install -m 644 "$ETC/tor/moksori.torrc" "$ROOT/etc/tor/torrc.d/moksori.conf"
  changed "installed $ROOT/etc/tor/torrc.d/moksori.conf"
fi
if [ -f "$ROOT/etc/tor/torrc" ] && ! grep -qxF '%include /etc/tor/torrc.d/*.conf' "$ROOT/etc/tor/torrc"; then
  echo '%include /etc/tor/torrc.d/*.conf' >> "$ROOT/etc/tor/torrc"
  changed "$ROOT/etc/tor/torrc includes torrc.d"
fi

# --- the database schema, as the service user ---------------------------------------------------
step "database schema"
as_service() { (cd / && runuser -u "$SERVICE_USER" -- env "MOKSORI_SETTINGS=$ENV_FILE" "$VENV/bin/moksori" "$@"); }
upgrade="$(as_service db upgrade 2>&1)" || { echo "$upgrade" >&2; die "moksori db upgrade failed"; }
if grep -q "Running upgrade" <<< "$upgrade"; then changed "migrated the database"; fi

# --- services ------------------------------------------------------------------------------------
if [ "$SERVICES" = 1 ]; then
  step "services"
  for unit in "$ETC"/systemd/*.service "$ETC"/systemd/*.timer; do
    if [ "$(readlink -f "/etc/systemd/system/$(basename "$unit")" 2>/dev/null)" != "$unit" ]; then
      systemctl link "$unit" >/dev/null
      changed "linked $(basename "$unit")"
      units_changed=1
    fi
  done
  [ "$units_changed" = 0 ] || systemctl daemon-reload
  systemctl enable --now moksori.service moksori-outbox.service moksori-retention.timer moksori-timestamp.timer \
    moksori-backup.timer moksori-drill.timer
  if [ "$CHANGES" -gt 0 ]; then systemctl restart moksori.service moksori-outbox.service; fi
  tor --verify-config >/dev/null && systemctl reload-or-restart tor
  nginx -t -q && systemctl reload-or-restart nginx

  if [ -n "$EMAIL" ] && [ ! -f "$LIVE/fullchain.pem" ]; then
    step "Let's Encrypt certificate for $DOMAIN"
    hook=/etc/letsencrypt/renewal-hooks/deploy/moksori-reload-nginx
    mkdir -p "$(dirname "$hook")"
    printf '#!/bin/sh\n# Renewed certificates take effect: nginx reads them on reload (deploy/install.sh).\nsystemctl reload nginx\n' > "$hook"
    chmod 755 "$hook"
    certbot certonly --webroot -w "$ACME" -d "$DOMAIN" --email "$EMAIL" --agree-tos --non-interactive \
      --deploy-hook "systemctl reload nginx"
    link "$LIVE/fullchain.pem" "$TLS_DIR/fullchain.pem"
    link "$LIVE/privkey.pem" "$TLS_DIR/privkey.pem"
    nginx -t -q && systemctl reload nginx
  fi
fi

echo
if [ "$CHANGES" = 0 ]; then echo "nothing changed"; else echo "$CHANGES change(s)"; fi
cat <<EOF

Next (README, "Install"):
  sudo -u $SERVICE_USER moksori users create you@example.org --role admin   # prints the recovery code once
  sudo -u $SERVICE_USER moksori doctor
EOF
