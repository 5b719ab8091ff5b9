#!/usr/bin/env bash
# Make sure a Docker engine answers. If none does and we are root on Debian/Ubuntu, install Debian's
# docker.io (plus busybox-static, which the offline base image needs) and start dockerd in the
# background. Exit 0 when an engine answers; 3 when this machine cannot have one (virtual and cloud
# tests are then skipped with that reason).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/.tmp"

answers() { timeout 10 docker info >/dev/null 2>&1; }

need_busybox() { [ ! -x /bin/busybox ] && [ ! -x /usr/bin/busybox ]; }

if answers && ! need_busybox; then
  echo "ensure-docker: a Docker engine answers"
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  if answers; then echo "ensure-docker: a Docker engine answers (busybox-static missing: install it to build the offline base image)"; exit 0; fi
  echo "ensure-docker: no Docker engine answers and this is not root on a Debian-like system; install Docker yourself" >&2
  exit 3
fi

packages="busybox-static"
command -v dockerd >/dev/null 2>&1 || packages="$packages docker.io"
if need_busybox || ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing $packages"
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >"$root/.tmp/apt-docker.log" 2>&1 || {
    echo "ensure-docker: apt-get install $packages failed; see .tmp/apt-docker.log" >&2
    exit 3
  }
fi

if ! answers; then
  echo "ensure-docker: starting dockerd (log: .tmp/dockerd.log)"
  setsid nohup /usr/sbin/dockerd >"$root/.tmp/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    answers && break
    sleep 1
  done
fi

if answers; then
  echo "ensure-docker: a Docker engine answers"
  exit 0
fi
echo "ensure-docker: dockerd did not answer within 60 s; see .tmp/dockerd.log" >&2
exit 3
