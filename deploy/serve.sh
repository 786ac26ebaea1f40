#!/usr/bin/env bash
# Serve a class: N replicas of `streamlit run app.py` on loopback ports behind nginx on PORT.
#
#   bash deploy/serve.sh --port 8501 --replicas 2     # then open http://<this machine>:8501
#
# One Streamlit server is one Python process, so it uses about one core; this uses them all.
# Every browser tab sticks to one replica by a cookie that nginx sets itself ("sepconv_replica",
# a random id), so its websocket and its upload PUT reach the same replica even when the whole
# class shares one public address. nginx starts only once every replica answers
# /_stcore/health, so no student is sent to a replica that is still starting.
# Runs in the foreground; Ctrl-C or SIGTERM stops nginx and every replica (with their worker
# processes). If any of them exits, the others are stopped too.
#
# Options: --port PORT (default 8501), --replicas N (default: the number of cores, nproc),
#          --address ADDR (where nginx listens; default 0.0.0.0, every interface).
# Installs nginx (Debian package) if it is missing. See docs/deployment.md.
set -euo pipefail

PORT=8501
REPLICAS=$(nproc)
ADDRESS=0.0.0.0
MAX_UPLOAD_MB=25 # = server.maxUploadSize in .streamlit/config.toml

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    --replicas) REPLICAS="$2"; shift 2 ;;
    --replicas=*) REPLICAS="${1#*=}"; shift ;;
    --address) ADDRESS="$2"; shift 2 ;;
    --address=*) ADDRESS="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "serve.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$PORT" in ''|*[!0-9]*) echo "serve.sh: --port needs a number, got '$PORT'" >&2; exit 2 ;; esac
case "$REPLICAS" in ''|*[!0-9]*|0) echo "serve.sh: --replicas needs a number >= 1, got '$REPLICAS'" >&2; exit 2 ;; esac

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python || command -v python3)}

# --- nginx, from Debian, if it is not here yet
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
if [ -z "$NGINX" ]; then
  echo "serve.sh: installing nginx (apt-get)..." >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
  NGINX=$(command -v nginx || echo /usr/sbin/nginx)
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/sepconv-serve.XXXXXX")
chmod 755 "$RUN"
PIDS=()
NGINX_PID=""

stop() {
  local code=$1 pid
  trap - INT TERM EXIT
  [ -n "$NGINX_PID" ] && kill -TERM -- "-$NGINX_PID" 2>/dev/null || true
  # Each replica leads its own process group (setsid below): this reaches its pool workers too.
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for pid in "${PIDS[@]}" $NGINX_PID; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  [ -n "$NGINX_PID" ] && kill -KILL -- "-$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$RUN"
  exit "$code"
}
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'stop $?' EXIT

# --- the replicas, on free loopback ports
read -r -a BACKENDS <<<"$("$PYTHON" - "$REPLICAS" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)"
# Each replica computes at most its share of the cores at once (ui/turns.py): N replicas
# together run one rerun per core, and hold no more temporaries in memory than that.
SLOTS=$(( ($(nproc) + REPLICAS - 1) / REPLICAS ))
for i in "${!BACKENDS[@]}"; do
  # glibc's malloc from the first allocation on (ui/memory.py does the same from app.py, later):
  # freed arrays, figures and PNGs go back to the system, two arenas instead of 8 per core.
  SEPCONV_SLOTS=${SEPCONV_SLOTS:-$SLOTS} \
  MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-131072} \
    MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-131072} setsid "$PYTHON" -m streamlit run app.py \
    --server.address 127.0.0.1 --server.port "${BACKENDS[$i]}" --server.headless true \
    --server.fileWatcherType none --browser.gatherUsageStats false \
    >"$RUN/replica-$i.log" 2>&1 &
  PIDS+=("$!")
done
echo "serve.sh: starting $REPLICAS replicas on 127.0.0.1:${BACKENDS[*]}" >&2

# --- nginx only once every replica is healthy
if ! "$PYTHON" - "${BACKENDS[@]}" <<'EOF'; then
import sys, time, urllib.request
ports, deadline = sys.argv[1:], time.monotonic() + 120
while ports and time.monotonic() < deadline:
    for p in list(ports):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{p}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    ports.remove(p)
        except OSError:
            pass
    time.sleep(0.3)
sys.exit(1 if ports else 0)
EOF
  echo "serve.sh: a replica did not answer /_stcore/health within 120 s; its log:" >&2
  tail -n 20 "$RUN"/replica-*.log >&2
  stop 1
fi

USER_LINE=""
if [ "$(id -u)" -eq 0 ]; then
  # nginx's workers drop to an unprivileged user; they need its temporary directories.
  USER_LINE="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
fi
mkdir -p "$RUN/tmp"
[ "$(id -u)" -eq 0 ] && chown nobody "$RUN/tmp"
SERVERS=""
for p in "${BACKENDS[@]}"; do SERVERS+="        server 127.0.0.1:$p max_fails=0;"$'\n'; done

cat >"$RUN/nginx.conf" <<EOF
$USER_LINE
daemon off;
worker_processes 1;
pid $RUN/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $RUN/tmp/body;
    proxy_temp_path $RUN/tmp/proxy;
    fastcgi_temp_path $RUN/tmp/fastcgi;
    uwsgi_temp_path $RUN/tmp/uwsgi;
    scgi_temp_path $RUN/tmp/scgi;

    # A browser without the affinity cookie gets a fresh random one (nginx's \$request_id).
    map \$cookie_sepconv_replica \$sepconv_replica {
        ""      \$request_id;
        default \$cookie_sepconv_replica;
    }
    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ""      close;
    }
    upstream sepconv {
        hash \$sepconv_replica consistent;    # sticky per browser, not per address
$SERVERS    }
    server {
        listen $ADDRESS:$PORT;
        client_max_body_size ${MAX_UPLOAD_MB}m;
        location / {
            add_header Set-Cookie "sepconv_replica=\$sepconv_replica; Path=/; HttpOnly; SameSite=Lax";
            proxy_pass http://sepconv;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;   # the websocket at /_stcore/stream
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_read_timeout 3h;                       # a lesson's websocket stays open
            proxy_send_timeout 3h;
            proxy_buffering off;
            proxy_request_buffering off;                 # uploads stream through, no temp file
        }
    }
}
EOF
"$NGINX" -t -q -p "$RUN" -c "$RUN/nginx.conf"
# Its own session too: Ctrl-C reaches this script only, which then stops everything in order.
setsid "$NGINX" -p "$RUN" -c "$RUN/nginx.conf" &
NGINX_PID=$!
echo "serve.sh: serving the class on http://$ADDRESS:$PORT ($REPLICAS replicas behind nginx);" \
  "Ctrl-C stops everything" >&2

# --- foreground until a signal, or until any child exits (then stop the rest)
set +e
wait -n "${PIDS[@]}" "$NGINX_PID"
echo "serve.sh: a replica or nginx exited; stopping the others" >&2
stop 1
