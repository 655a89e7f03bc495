#!/usr/bin/env bash
# Builds the ortserve image and runs it for real: readiness, one request per task route, one
# KServe V2 gRPC call (scripts/grpc-client.ts), the HEALTHCHECK, a non-root server process, and a
# clean drain when `docker stop` lands mid-load.
# Removes what it created and stops the Docker daemon it started.
#
#   bash scripts/docker-smoke.sh          (as root; `npm ci` first: the client runs on Node 24)
#
# Installs docker.io (and debootstrap, for the stand-in base) when missing. Uses the Docker daemon
# that answers, else starts a private one (own data root under /var/tmp, no iptables, no bridge).
# When BASE_IMAGE (default node:24-slim) can be neither found nor pulled, builds a local stand-in
# with scripts/docker/standin-base.sh. Containers use the host network and bind 127.0.0.1 only.
#
# Env: BASE_IMAGE, SMOKE_STANDIN=1 (always use the stand-in), SMOKE_MAX_IMAGE_MB (default 450),
# STANDIN_ROOTFS_CACHE (see scripts/docker/standin-base.sh).
# Exit status: 0 pass, 1 fail, 3 Docker unavailable (docker.io cannot be installed; nothing ran).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
readonly EXIT_NO_DOCKER=3
BASE_IMAGE=${BASE_IMAGE:-node:24-slim}
MAX_IMAGE_MB=${SMOKE_MAX_IMAGE_MB:-450}
WORK=$(mktemp -d /var/tmp/ortserve-smoke.XXXXXX)
RUN_ID=$(basename "$WORK" | cut -d. -f2 | tr '[:upper:]' '[:lower:]')
IMAGE=ortserve-smoke:$RUN_ID
CONTAINER=ortserve-smoke-$RUN_ID
STANDIN_TAG=ortserve-standin-node:24-slim-$RUN_ID
export DOCKER_BUILDKIT=0 # the classic builder: BuildKit would need the buildx plugin or a frontend image

DOCKERD_PID=''
APT_UPDATED=''
BUILT_STANDIN=''
CONTAINERS=()
PASSED=0
STARTED=$SECONDS

log() { printf '[docker-smoke %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
pass() { PASSED=$((PASSED + 1)); log "PASS $*"; }
die() {
  log "FAIL $*"
  exit 1
}

cleanup() {
  local rc=$?
  set +e
  for c in "${CONTAINERS[@]}"; do
    if ((rc != 0)); then
      log "logs of $c (last 40 lines):"
      docker logs --tail 40 "$c" 2>&1 | cut -c1-400
    fi
    docker rm -f -v "$c" > /dev/null 2>&1
  done
  # A private daemon's images go with its data root below.
  if [[ -n ${DOCKER_READY:-} && -z $DOCKERD_PID ]]; then
    docker rmi -f "$IMAGE" "$IMAGE-deps" > /dev/null 2>&1
    [[ -n $BUILT_STANDIN ]] && docker rmi -f "$STANDIN_TAG" > /dev/null 2>&1
  fi
  if [[ -n $DOCKERD_PID ]]; then
    log "stopping the private dockerd (pid $DOCKERD_PID)"
    local stop_start=$SECONDS
    kill "$DOCKERD_PID" 2> /dev/null
    for _ in $(seq 1 60); do kill -0 "$DOCKERD_PID" 2> /dev/null || break; sleep 0.5; done
    kill -0 "$DOCKERD_PID" 2> /dev/null && { log "dockerd still running after 30 s: SIGKILL"; kill -KILL "$DOCKERD_PID"; }
    log "dockerd stopped in $((SECONDS - stop_start)) s; removing $WORK"
  fi
  # Never delete through a mount point: unmount whatever is left under WORK first.
  findmnt -rn -o TARGET | awk -v w="$WORK/" 'index($0, w) == 1' | sort -r | xargs -r -n1 umount -l
  rm -rf --one-file-system "$WORK"
  log "cleaned up; took $(((SECONDS - STARTED) / 60))m$(((SECONDS - STARTED) % 60))s"
  if ((rc == 0)); then
    echo "docker-smoke: $PASSED passed, 0 failed"
  elif ((rc != EXIT_NO_DOCKER)); then
    echo "docker-smoke: $PASSED passed, 1 failed"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apt_install() {
  if [[ -z $APT_UPDATED ]]; then
    timeout 600 apt-get update -qq || return 1
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "$@" > "$WORK/apt.log" 2>&1 ||
    { tail -n 20 "$WORK/apt.log"; return 1; }
}

docker_answers() { command -v docker > /dev/null && timeout 20 docker info > /dev/null 2>&1; }

NODE=$ROOT/node_modules/.bin/node
[[ -x $NODE ]] || NODE=$(command -v node || true)
if [[ -z $NODE ]] || ! "$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)'; then
  die "its client needs Node 24: run npm ci first"
fi
client() { "$NODE" "$ROOT/scripts/docker/smoke-client.ts" "$@"; }

# ---- Docker -------------------------------------------------------------------------------------
if ! docker_answers; then
  if ! command -v dockerd > /dev/null; then
    log "installing docker.io"
    if ! apt_install docker.io; then
      log "docker.io cannot be installed and no Docker daemon answers"
      exit "$EXIT_NO_DOCKER"
    fi
  fi
  mkdir -p "$WORK/dockerd"
  export DOCKER_HOST=unix://$WORK/dockerd/docker.sock
  log "starting a private dockerd ($DOCKER_HOST)"
  dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
    --data-root "$WORK/dockerd/data" --exec-root "$WORK/dockerd/exec" --pidfile "$WORK/dockerd/dockerd.pid" \
    -H "$DOCKER_HOST" > "$WORK/dockerd/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 60); do
    docker_answers && break
    kill -0 "$DOCKERD_PID" 2> /dev/null || { tail -n 20 "$WORK/dockerd/dockerd.log"; die "dockerd exited"; }
    sleep 1
  done
  docker_answers || { tail -n 20 "$WORK/dockerd/dockerd.log"; die "dockerd did not answer within 60 s"; }
fi
DOCKER_READY=1
log "docker: client $(docker version -f '{{.Client.Version}}' 2> /dev/null), server $(docker version -f '{{.Server.Version}}')"

# ---- base image ---------------------------------------------------------------------------------
if [[ ${SMOKE_STANDIN:-} != 1 ]] && { docker image inspect "$BASE_IMAGE" > /dev/null 2>&1 || timeout 300 docker pull -q "$BASE_IMAGE" > /dev/null 2>&1; }; then
  log "base image: $BASE_IMAGE"
else
  log "$BASE_IMAGE cannot be pulled: building a stand-in"
  if ! command -v debootstrap > /dev/null; then
    apt_install debootstrap || die "debootstrap cannot be installed"
  fi
  mkdir -p "$WORK/standin"
  BUILT_STANDIN=1
  bash "$ROOT/scripts/docker/standin-base.sh" "$STANDIN_TAG" "$WORK/standin" || die "stand-in base image"
  BASE_IMAGE=$STANDIN_TAG
fi
pass "base image ready: $BASE_IMAGE"

# ---- build --------------------------------------------------------------------------------------
build() {
  docker build --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" "$@" . 2>&1 | tee -a "$WORK/build.log" |
    { grep --line-buffered -E '^(Step [0-9]+/[0-9]+ : (FROM|RUN|COPY)|added [0-9]+ packages|Successfully tagged)' | cut -c1-160 || true; }
}
log "building $IMAGE"
build_start=$SECONDS
# The deps stage is tagged too, so that no untagged stage image outlives the run.
build --target deps -t "$IMAGE-deps" || { tail -n 40 "$WORK/build.log"; die "docker build (deps stage)"; }
build -t "$IMAGE" || { tail -n 40 "$WORK/build.log"; die "docker build"; }
size_mb=$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f", $1 / 1e6 }')
pass "image built in $((SECONDS - build_start)) s: $IMAGE, $size_mb MB"
((size_mb <= MAX_IMAGE_MB)) || die "image is $size_mb MB, over the $MAX_IMAGE_MB MB budget"
pass "image size $size_mb MB <= $MAX_IMAGE_MB MB"

# ---- run ----------------------------------------------------------------------------------------
free_port() { "$NODE" -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# wait_ready CONTAINER URL: polls GET /health/ready (bounded) while the container runs; sets READY_S.
wait_ready() {
  local start=$SECONDS
  until client probe "$2"; do
    [[ $(docker inspect -f '{{.State.Running}}' "$1") == true ]] || die "$1 exited while starting"
    ((SECONDS - start < 180)) || die "$1 not ready within 180 s: $(curl -s "$2/health/ready" 2> /dev/null || true)"
    sleep 1
  done
  READY_S=$((SECONDS - start))
}

URL=http://127.0.0.1:$(free_port)
GRPC_ADDRESS=127.0.0.1:$(free_port)
log "running $CONTAINER on $URL, gRPC on $GRPC_ADDRESS (host network, bound to 127.0.0.1, memory limit 1 GiB)"
CONTAINERS+=("$CONTAINER")
docker run -d --name "$CONTAINER" --network host --memory 1g -e HOST=127.0.0.1 -e PORT="${URL##*:}" \
  -e ORTSERVE_GRPC_PORT="${GRPC_ADDRESS##*:}" "$IMAGE" > /dev/null
wait_ready "$CONTAINER" "$URL"
pass "ready (GET /health/ready 200) $READY_S s after start"

client tasks "$URL" || die "task routes"
pass "one request per task route"

# pipefail: the client's exit status decides.
"$NODE" "$ROOT/scripts/grpc-client.ts" "$GRPC_ADDRESS" fashion-cnn | sed 's/^/  /' || die "gRPC: metadata and ModelInfer on $GRPC_ADDRESS"
pass "one KServe V2 gRPC ModelInfer (grpc-js client, official proto) on the container's gRPC port"

health_start=$SECONDS
until [[ $(docker inspect -f '{{.State.Health.Status}}' "$CONTAINER") == healthy ]]; do
  ((SECONDS - health_start < 90)) || die "HEALTHCHECK not healthy within 90 s: $(docker inspect -f '{{json .State.Health}}' "$CONTAINER" | cut -c1-400)"
  sleep 2
done
pass "HEALTHCHECK reports healthy"

pid=$(docker inspect -f '{{.State.Pid}}' "$CONTAINER")
exec_uid=$(docker exec "$CONTAINER" id -u)
proc_uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline")
log "PID 1 in the container: '$cmdline', uids (real effective saved fs) $proc_uids; docker exec id -u: $exec_uid"
[[ $exec_uid != 0 && " $proc_uids " != *" 0 "* ]] || die "the server runs as root"
[[ $cmdline == "node --max-semi-space-size=32 server/server.ts " ]] || die "PID 1 is not the node server (signals would not reach it)"
pass "server is PID 1 and runs as uid $exec_uid, not root"
log "memory in use after the task requests: $(docker stats --no-stream --format '{{.MemUsage}}' "$CONTAINER")"

log "docker stop during a burst of streamed generations"
client drain "$URL" -- docker stop -t 60 "$CONTAINER" > "$WORK/drain.log" 2>&1 || { cat "$WORK/drain.log"; die "drain on docker stop"; }
grep -v "^$CONTAINER\$" "$WORK/drain.log" || true
state=$(docker inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' "$CONTAINER")
docker logs "$CONTAINER" 2>&1 | grep -E '"msg":"(draining|stopped|drain timeout)' | cut -c1-200 || true
[[ $state == "0 false" ]] || die "container exit (code, OOM-killed) = ($state), expected (0, false)"
pass "accepted work finished on docker stop and the container exited 0"

# ---- your own models: a repository mounted at /models, on a read-only root file system ----------
own_model=$(find models -mindepth 2 -maxdepth 2 -name manifest.json -printf '%h\n' | xargs -r du -s | sort -n | awk 'NR == 1 { print $2 }')
[[ -n $own_model ]] || die "no model folder under models/ to mount"
mkdir -p "$WORK/own-models" && cp -r "$own_model" "$WORK/own-models/" && chmod -R a+rX "$WORK/own-models"
VOLUME_URL=http://127.0.0.1:$(free_port)
log "running $CONTAINER-volume: -v …/own-models:/models:ro ($(basename "$own_model") only), ORTSERVE_MODELS=/models, --read-only, server flag --log-level warn"
CONTAINERS+=("$CONTAINER-volume")
docker run -d --name "$CONTAINER-volume" --network host --read-only -v "$WORK/own-models:/models:ro" \
  -e ORTSERVE_MODELS=/models -e HOST=127.0.0.1 -e PORT="${VOLUME_URL##*:}" -e ORTSERVE_GRPC_PORT=0 "$IMAGE" --log-level warn > /dev/null
wait_ready "$CONTAINER-volume" "$VOLUME_URL"
served=$(client models "$VOLUME_URL")
[[ $served == "$(basename "$own_model")" ]] || die "expected only $(basename "$own_model") from /models, got '$served'"
docker stop -t 30 "$CONTAINER-volume" > /dev/null
[[ $(docker inspect -f '{{.State.ExitCode}}' "$CONTAINER-volume") == 0 ]] || die "$CONTAINER-volume exited non-zero"
pass "serves a model repository mounted at /models with a read-only root file system"

log "image $IMAGE: $size_mb MB (base $BASE_IMAGE)"
