#!/usr/bin/env bash
# Makes this machine able to run peaje's containers, and says how: installs Debian's docker.io,
# starts dockerd when none answers, builds debian:bookworm-slim locally when no registry gave it,
# and picks a compose command (v2 plugin first, Debian's docker-compose v1 as the fall-back).
# Idempotent. The last line printed is the compose command, also written to build/compose-cmd.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "docker-env: $*" >&2; }
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
# The compose v2 tag built from the Go module proxy when no v2 plugin is installed.
COMPOSE_V2_VERSION=${COMPOSE_V2_VERSION:-v2.40.3}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/peaje-dockerd.log}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# 1. The engine and the base-image builder.
apt_install docker.io mmdebstrap iptables

# 2. A running daemon. No systemd here: start dockerd in the background with a log file.
if ! docker info >/dev/null 2>&1; then
  if ! pgrep -x dockerd >/dev/null; then
    log "starting dockerd (log: $DOCKERD_LOG)"
    # --pidfile: who started it can stop it (tests/deploy does, when it was the one).
    $SUDO bash -c "nohup dockerd --pidfile /var/run/docker.pid >>'$DOCKERD_LOG' 2>&1 </dev/null &"
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { tail -20 "$DOCKERD_LOG" >&2; log "dockerd did not answer"; exit 1; }
fi
log "engine $(docker version -f '{{.Server.Version}}') (client $(docker version -f '{{.Client.Version}}'))"

# 3. The base image: pulled where a registry is reachable, else built from Debian's mirror.
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  if ! docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
    log "building debian:bookworm-slim with mmdebstrap (no registry)"
    # Slim as the official image is: no docs, man pages or translations (copyrights kept), and
    # without the usrmerge converter and the perl it pulls in (/usr is merged from the start).
    unwanted="usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl"
    unwanted+=" perl-modules-5.36 libperl5.36 libgdbm-compat4"
    # As the official image does, apt keeps no downloaded .deb in a layer (debuerreotype's
    # docker-clean), so `rm -rf /var/lib/apt/lists/*` is all a Dockerfile has to clean.
    apt_clean='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";'
    tarball=$(mktemp --suffix=.tar)
    trap 'rm -f "$tarball"' EXIT
    $SUDO mmdebstrap --quiet --variant=minbase --include=usr-is-merged \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $unwanted >/dev/null" \
      --customize-hook="printf '%s\n' '$apt_clean' >\"\$1/etc/apt/apt.conf.d/docker-clean\"" \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      bookworm "$tarball"
    docker import --change 'CMD ["bash"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$tarball" debian:bookworm-slim >/dev/null
  fi
fi

# 4. Locally added CAs (an intercepting proxy's) for the images' build stages.
for crt in /usr/local/share/ca-certificates/*.crt; do
  [[ -f $crt ]] && cp -u "$crt" deploy/ca-certificates/
done

# 5. A compose command: the v2 plugin (built from the Go module proxy if absent), else v1.
plugin_dir=/usr/local/lib/docker/cli-plugins
# Compose's go.mod has exclude directives, so `go install pkg@version` refuses it: download the
# module and build it as the main module instead.
# PEAJE_COMPOSE=v1 picks docker-compose v1 even where v2 exists (to test the fall-back).
PEAJE_COMPOSE=${PEAJE_COMPOSE:-auto}
if [[ $PEAJE_COMPOSE != v1 ]] && ! docker compose version >/dev/null 2>&1 && command -v go >/dev/null; then
  log "building docker compose $COMPOSE_V2_VERSION from the Go module proxy (a few minutes)"
  module=github.com/docker/compose/v2
  dir="$(go env GOMODCACHE)/$module@$COMPOSE_V2_VERSION"
  if go mod download "$module@$COMPOSE_V2_VERSION" && out=$(mktemp -d) \
    && (cd "$dir" && GOFLAGS=-buildvcs=false go build -p 2 -trimpath \
      -ldflags "-s -w -X $module/internal.Version=$COMPOSE_V2_VERSION" -o "$out/docker-compose" ./cmd) >&2; then
    $SUDO install -D -m 0755 "$out/docker-compose" "$plugin_dir/docker-compose"
  else
    log "could not build compose v2; falling back to docker-compose v1"
  fi
  rm -rf "${out:-}"
fi
if [[ $PEAJE_COMPOSE != v1 ]] && docker compose version >/dev/null 2>&1; then
  compose="docker compose"
else
  apt_install docker-compose
  compose="docker-compose"
fi
log "compose: $compose ($($compose version --short 2>/dev/null || $compose version | head -1))"
mkdir -p build
echo "$compose" >build/compose-cmd
echo "$compose"
