#!/usr/bin/env bash
# Make sure a Docker engine answers. If none does and we are root on Debian/Ubuntu, install Debian's
# docker.io (plus busybox-static, which the offline base image needs) and start dockerd in the
# background. Idempotent: safe to run before every test run.
#   exit 0: an engine answers
#   exit 3: this machine cannot have one here (callers skip virtual and cloud tests with that reason)
# DZ_DOCKER_WAIT_S (default 60) bounds the wait for a starting dockerd.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/.tmp"
wait_s=${DZ_DOCKER_WAIT_S:-60}

# `docker info` needs the daemon, not just the client; bounded so a wedged socket cannot hang CI.
answers() { timeout 10 docker info >/dev/null 2>&1; }

# The base image copies /bin/busybox into a rootfs with no libraries of its own, so it must be the
# static build: Debian's dynamic `busybox` package also installs /bin/busybox (ldd exits 1 on a
# static binary).
need_busybox() { [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; }

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

if answers && ! need_busybox; then
  echo "ensure-docker: a Docker engine answers"
  exit 0
fi

if ! can_install; then
  if answers; then
    echo "ensure-docker: a Docker engine answers (but no static /bin/busybox: install busybox-static to build the offline base image)"
    exit 0
  fi
  echo "ensure-docker: no Docker engine answers and this is not root on a Debian-like system (no apt-get); install and start Docker yourself" >&2
  exit 3
fi

packages=()
need_busybox && packages+=(busybox-static)
command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
if [ ${#packages[@]} -gt 0 ]; then
  echo "ensure-docker: installing ${packages[*]} (log: .tmp/apt-docker.log)"
  # The package lists may be missing or stale on a fresh machine: update once, quietly.
  apt-get update -qq >"$root/.tmp/apt-docker.log" 2>&1
  # docker.io's postinst cannot start the service in a container (policy-rc.d): we start it below.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >>"$root/.tmp/apt-docker.log" 2>&1 || {
    echo "ensure-docker: apt-get install ${packages[*]} failed; see .tmp/apt-docker.log" >&2
    exit 3
  }
fi

if ! answers; then
  # A dockerd that is still starting (another caller, or a slow boot) owns /var/run/docker.pid: a second
  # one would fail on that pidfile, so only wait for it.
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "ensure-docker: dockerd (pid $pid) is running; waiting for it to answer"
  else
    echo "ensure-docker: starting dockerd (log: .tmp/dockerd.log)"
    # setsid + nohup: dockerd must outlive this script and the CI step that ran it. A stale pidfile
    # left by a killed dockerd is not a problem for the new one. Append (>>): never clobber the log of
    # an earlier dockerd that may still be writing to it.
    setsid nohup "$(command -v dockerd)" >>"$root/.tmp/dockerd.log" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 "$wait_s"); do
    answers && break
    sleep 1
  done
fi

if answers; then
  echo "ensure-docker: a Docker engine answers"
  exit 0
fi
echo "ensure-docker: dockerd did not answer within ${wait_s} s; see .tmp/dockerd.log" >&2
exit 3
