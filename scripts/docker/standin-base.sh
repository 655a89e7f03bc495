#!/usr/bin/env bash
# Builds a local stand-in for node:24-slim when Docker Hub cannot be reached: a debootstrapped
# minbase Debian from the host's apt mirror, Node 24 at /usr/local/bin/node, npm, a `node` user
# (uid 1000) and the host's CA bundle, imported as one image.
#
#   scripts/docker/standin-base.sh TAG WORKDIR
#
# Env: NODE_BIN (default: the `node` npm package's binary in node_modules), STANDIN_SUITE
# (default bookworm), STANDIN_MIRROR (default: the host's apt source for that suite),
# STANDIN_ROOTFS_CACHE (optional tarball of the trimmed rootfs: reused when present, written
# when absent), DOCKER (default docker).
set -euo pipefail

tag=${1:?usage: standin-base.sh TAG WORKDIR}
work=${2:?usage: standin-base.sh TAG WORKDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
docker=${DOCKER:-docker}
suite=${STANDIN_SUITE:-bookworm}
node_bin=${NODE_BIN:-$root/node_modules/node/bin/node}
rootfs=$work/rootfs

log() { printf '[standin-base] %s\n' "$*"; }

node_version=$("$node_bin" --version) || { log "no Node binary at $node_bin (run npm ci first)"; exit 1; }
[[ $node_version == v24.* ]] || { log "$node_bin is $node_version, expected Node 24"; exit 1; }
# The npm package behind the `npm` command (not `npm root -g`: that follows whichever node is first
# on PATH, e.g. node_modules/.bin's).
npm_cli=$(readlink -f "$(command -v npm)" 2>/dev/null || true)
npm_dir=$(dirname "$(dirname "$npm_cli")")
[[ -f $npm_dir/bin/npm-cli.js && -f $npm_dir/package.json ]] || { log "no npm package found to copy (npm is '$npm_cli')"; exit 1; }
ca_bundle=/etc/ssl/certs/ca-certificates.crt
[[ -s $ca_bundle ]] || { log "no CA bundle at $ca_bundle"; exit 1; }

# The mirror the host's apt already uses for "$suite/main" (deb822 or one-line sources alike).
mirror=${STANDIN_MIRROR:-$(apt-cache policy 2>/dev/null | awk -v s="$suite/main" '$3 == s && $2 ~ /^https?:/ { print $2; exit }')}
mirror=${mirror:-http://deb.debian.org/debian}

unmount_rootfs() {
  # debootstrap unmounts what it mounts; this only matters after an interrupted run.
  findmnt -rn -o TARGET | awk -v r="$rootfs" 'index($0, r) == 1' | sort -r | xargs -r -n1 umount -l || true
}
trap unmount_rootfs EXIT

mkdir -p "$rootfs"
if [[ -n ${STANDIN_ROOTFS_CACHE:-} && -s $STANDIN_ROOTFS_CACHE ]]; then
  log "reusing rootfs $STANDIN_ROOTFS_CACHE"
  tar -C "$rootfs" -xf "$STANDIN_ROOTFS_CACHE"
else
  log "debootstrap --variant=minbase $suite from $mirror"
  timeout 1200 debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log"; log "debootstrap failed"; exit 1; }
  unmount_rootfs
  # Trim it like Debian's slim images: no apt lists or package cache, docs, man pages or locales.
  rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log \
    "$rootfs"/tmp/* "$rootfs"/root/.cache
  find "$rootfs"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  if [[ -n ${STANDIN_ROOTFS_CACHE:-} ]]; then
    mkdir -p "$(dirname "$STANDIN_ROOTFS_CACHE")"
    tar -C "$rootfs" --numeric-owner -cf "$STANDIN_ROOTFS_CACHE" .
  fi
fi

log "adding Node $node_version, npm $("$node_bin" "$npm_dir/bin/npm-cli.js" --version 2>/dev/null || echo '?'), CA bundle, user node"
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules" "$rootfs/usr/local/etc" "$rootfs/etc/ssl/certs"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
install -m 0644 "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
# npm and Node trust exactly the CAs the host trusts (this network's egress proxy included).
printf 'cafile=/etc/ssl/certs/ca-certificates.crt\n' > "$rootfs/usr/local/etc/npmrc"
chroot "$rootfs" /bin/sh -c 'getent passwd node >/dev/null || { groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node; }'
chroot "$rootfs" /usr/local/bin/node -e 'require("node:tls").rootCertificates.length || process.exit(1)' 

log "importing as $tag"
tar -C "$rootfs" --numeric-owner -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  --message "ortserve stand-in for node:24-slim (debootstrap $suite minbase + Node $node_version)" \
  - "$tag" > /dev/null
unmount_rootfs
rm -rf "$rootfs"
log "built $tag ($("$docker" image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
