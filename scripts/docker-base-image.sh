#!/usr/bin/env bash
# Build a machine base image without any registry (none is reachable here, so nothing can be pulled):
# this host's node binary and the libraries it links, a static busybox for a shell (testcontainers'
# default wait strategy and shell user-data scripts need /bin/sh, cat, nc ...), a minimal /etc, all
# imported with `docker import`. (Network faults need no tc: machines apply them in their own runner.)
#   scripts/docker-base-image.sh [tag] [--force]        (default tag dz-node-base:latest)
# Prints only the tag on stdout. The image carries the label distzero.base-node=<node version inside>:
# with DOCKER_BASE_IMAGE unset, DistZero finds it by that label (src/spawners/docker/base-image.ts),
# so nothing needs exporting. Idempotent: an existing tag is kept unless --force, or unless it holds
# another node version than this host's (node inside must equal the host's so bundled JS runs unchanged).
set -euo pipefail
tag="dz-node-base:latest"
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) tag="$arg" ;;
  esac
done

node_bin=$(command -v node)
node_version=$("$node_bin" --version)
if [ "$force" = 0 ]; then
  have=$(docker image inspect "$tag" --format '{{ index .Config.Labels "distzero.base-node" }}' 2>/dev/null || true)
  if [ "$have" = "$node_version" ]; then
    echo "$tag"
    exit 0
  fi
  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "docker-base-image: $tag holds node '${have:-unknown}', this host has $node_version: rebuilding" >&2
  fi
fi

# The static build: a dynamic busybox would need libraries the rootfs may not have. ldd exits 1 on
# a static binary. (Debian's busybox-static installs /bin/busybox; ensure-docker.sh installs it.)
busybox_bin=/bin/busybox
if [ ! -x "$busybox_bin" ] || ldd "$busybox_bin" >/dev/null 2>&1; then
  echo "docker-base-image: no static /bin/busybox (apt-get install busybox-static, or run scripts/ensure-docker.sh)" >&2
  exit 1
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{usr/bin,usr/sbin,bin,etc,tmp,proc,sys,dev,app,var/log,lib64,lib/x86_64-linux-gnu}
chmod 1777 "$rootfs/tmp"

# Copy a binary to $2 in the rootfs, and every library ldd lists at its own path (incl. the loader).
copy_with_libs() {
  cp -L "$1" "$rootfs$2"
  for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}
copy_with_libs "$node_bin" /usr/bin/node
# glibc loads these at run time (dlopen), so ldd does not list them; without them the container
# cannot resolve names (Docker's embedded DNS for network aliases, /etc/hosts entries).
for lib in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
  for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
    [ -e "$dir/$lib" ] && cp -L "$dir/$lib" "$rootfs/lib/x86_64-linux-gnu/" && break
  done
done

cp -L "$busybox_bin" "$rootfs/bin/busybox"
for tool in sh cat awk grep nc ip ping sleep ls ps kill base64 env mkdir rm echo head tail wc sed nohup setsid; do
  ln -sf busybox "$rootfs/bin/$tool"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

tar -C "$rootfs" -c . | docker import \
  -c 'ENV PATH=/usr/sbin:/usr/bin:/bin' -c 'WORKDIR /app' -c "LABEL distzero.base-node=$node_version" \
  - "$tag" >/dev/null
echo "$tag"
