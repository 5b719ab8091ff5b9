#!/usr/bin/env bash
# Build a machine base image without any registry: this host's node binary and the libraries it
# links, busybox for a shell, a minimal /etc, all imported with `docker import`.
#   scripts/docker-base-image.sh [tag] [--force]        (default tag dz-node-base:latest)
set -euo pipefail
tag="dz-node-base:latest"
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) tag="$arg" ;;
  esac
done

if [ "$force" = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

node_bin=$(command -v node)
busybox_bin=$(command -v busybox || true)
[ -n "$busybox_bin" ] || { echo "docker-base-image: busybox is missing (apt-get install busybox-static)" >&2; exit 1; }

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{usr/bin,bin,etc,tmp,proc,sys,dev,app,var/log,lib64,lib/x86_64-linux-gnu}
chmod 1777 "$rootfs/tmp"
cp -L "$node_bin" "$rootfs/usr/bin/node"
for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
# Name resolution (Docker's embedded DNS for network aliases, host-gateway entries).
for lib in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
  for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
    [ -e "$dir/$lib" ] && cp -L "$dir/$lib" "$rootfs/lib/x86_64-linux-gnu/" && break
  done
done
cp -L "$busybox_bin" "$rootfs/bin/busybox"
for tool in sh cat awk grep nc ip ping sleep ls ps kill tc base64 env mkdir rm echo head tail wc sed nohup setsid; do
  ln -sf busybox "$rootfs/bin/$tool"
done
# iproute2's tc (and what it links), for netem link faults where the kernel has sch_netem.
if tc_bin=$(command -v tc) && [ "$(readlink -f "$tc_bin")" != "$(readlink -f "$busybox_bin")" ]; then
  mkdir -p "$rootfs/usr/sbin"
  cp -L "$tc_bin" "$rootfs/usr/sbin/tc"
  rm -f "$rootfs/bin/tc"
  for lib in $(ldd "$tc_bin" | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

tar -C "$rootfs" -c . | docker import -c 'ENV PATH=/usr/sbin:/usr/bin:/bin' -c 'WORKDIR /app' - "$tag" >/dev/null
echo "$tag"
