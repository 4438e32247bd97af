#!/usr/bin/env bash
# A Debian sid chroot with the CPythons this machine's Debian lacks (3.13,
# 3.14, 3.15 and their debug builds): their binaries need sid's glibc, so the
# package is built and tested inside it.  Needs root (debootstrap, mounts).
#
#   bash .ci/sid_chroot.sh setup         create the chroot, or reuse the cached
#                                        one if it has every interpreter
#   bash .ci/sid_chroot.sh pythons       the interpreters inside, one a line
#   bash .ci/sid_chroot.sh run CMD...    run CMD inside, cwd /src = this
#                                        repository (bind-mounted read-write)
#   bash .ci/sid_chroot.sh shell         an interactive shell inside
#   bash .ci/sid_chroot.sh destroy       unmount and delete the chroot
#
# ACTORS_SID_ROOT    where the chroot lives (default /var/cache/actors-sid)
# ACTORS_SID_MIRROR  Debian mirror (default: the host's deb.debian.org one)
#
# `run` passes CI, PYTHON_JIT, PYTHON*, ACTORS_* and PYTEST_ADDOPTS through,
# mounts /proc, /dev/pts, /dev/shm, resolv.conf and the host's CA bundle
# (pip inside reaches PyPI through it), and unmounts all of it on any exit.
# Runs are serialized by a lock, so two at once cannot unmount each other.
set -euo pipefail

ROOT=${ACTORS_SID_ROOT:-/var/cache/actors-sid}
HERE=$(cd "$(dirname "$0")/.." && pwd)
VERSIONS="3.13 3.14 3.15"
READY="$ROOT/.actors-sid-ready"       # written once the install succeeded
LOCK="$ROOT.lock"
HOST_CA=/etc/ssl/certs/ca-certificates.crt
CHROOT_CA=/etc/actors-host-ca.crt     # where the host bundle appears inside

packages() {
    local v
    for v in $VERSIONS; do
        printf 'python%s-dev python%s-dbg python%s-venv ' "$v" "$v" "$v"
    done
    # gcc/g++/libc6-dev: the core (and any sdist without a wheel for a new
    # CPython); python3-pip: a pip for venvs whose ensurepip is missing.
    # iproute2: the partition tests make network namespaces with ip(8).
    printf 'gcc g++ libc6-dev make pkg-config python3-pip ca-certificates iproute2\n'
}

mirror() {
    if [ -n "${ACTORS_SID_MIRROR:-}" ]; then echo "$ACTORS_SID_MIRROR"; return; fi
    local m
    m=$(grep -hoE 'https?://[^ ]*debian/?( |$)' /etc/apt/sources.list \
            /etc/apt/sources.list.d/* 2>/dev/null | grep -v security |
        head -n1 | tr -d ' ') || true
    echo "${m:-http://deb.debian.org/debian}"
}

die() { echo "sid_chroot: $*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# --- mounts -----------------------------------------------------------------
MOUNTED=()

mount_one() {                      # mount_one TARGET MOUNT-ARGS...
    local target=$1; shift
    mount "$@" "$target"
    MOUNTED+=("$target")
}

umount_all() {
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTED[$i]}" 2>/dev/null || umount -l "${MOUNTED[$i]}" || true
    done
    MOUNTED=()
}

# Leftovers of a run that was killed before its trap ran.
umount_stale() {
    local m
    [ -d "$ROOT" ] || return 0
    awk -v r="$ROOT" 'index($2, r "/") == 1 || $2 == r {print $2}' /proc/mounts |
    sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}

mount_system() {
    mkdir -p "$ROOT/proc" "$ROOT/dev/pts" "$ROOT/dev/shm"
    mount_one "$ROOT/proc" -t proc proc
    mount_one "$ROOT/dev/pts" -t devpts -o newinstance,ptmxmode=0666 devpts
    mount_one "$ROOT/dev/shm" -t tmpfs -o mode=1777 tmpfs
    # resolv.conf is copied (it may be a symlink into /run on the host).
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
    if [ -f "$HOST_CA" ]; then
        touch "$ROOT$CHROOT_CA"
        mount_one "$ROOT$CHROOT_CA" --bind "$HOST_CA"
        mount -o remount,bind,ro "$ROOT$CHROOT_CA" 2>/dev/null || true
    fi
}

# Device nodes debootstrap may fail to create (inside a container mknod
# often fails): bind the host's.
ensure_devices() {
    local d
    for d in null zero full random urandom tty; do
        if [ ! -c "$ROOT/dev/$d" ]; then
            rm -f "$ROOT/dev/$d"
            mknod -m 666 "$ROOT/dev/$d" c "$(stat -c '%t' "/dev/$d" | xargs printf '%d')" \
                "$(stat -c '%T' "/dev/$d" | xargs printf '%d')" 2>/dev/null || {
                touch "$ROOT/dev/$d"; mount_one "$ROOT/dev/$d" --bind "/dev/$d"; }
        fi
    done
    [ -e "$ROOT/dev/ptmx" ] || ln -sf pts/ptmx "$ROOT/dev/ptmx"
}

in_chroot() {                      # in_chroot CMD...  (mounts must be up)
    local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
                HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8
                DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
                PIP_DEFAULT_TIMEOUT=180 PYTHONDONTWRITEBYTECODE=1)
    if [ -f "$ROOT$CHROOT_CA" ] && [ -s "$HOST_CA" ]; then
        envs+=(PIP_CERT=$CHROOT_CA SSL_CERT_FILE=$CHROOT_CA
               REQUESTS_CA_BUNDLE=$CHROOT_CA)
    fi
    local v
    for v in $(compgen -e); do
        case $v in
            CI|PYTHON_*|PYTHONFAULTHANDLER|PYTHONMALLOC|PYTHONDEVMODE|ACTORS_*|PYTEST_ADDOPTS|TERM)
                envs+=("$v=${!v}") ;;
        esac
    done
    chroot "$ROOT" /usr/bin/env -i "${envs[@]}" "$@"
}

have_pythons() {
    local v
    for v in $VERSIONS; do
        [ -x "$ROOT/usr/bin/python$v" ] && [ -x "$ROOT/usr/bin/python${v}d" ] || return 1
    done
}

with_lock() {                      # hold $LOCK for the rest of the script
    mkdir -p "$(dirname "$LOCK")"
    exec 9>"$LOCK"
    flock 9
}

# --- commands ---------------------------------------------------------------
cmd_setup() {
    need_root
    with_lock
    if [ -f "$READY" ] && have_pythons &&
       [ "$(cat "$READY")" = "$(packages)" ]; then
        echo "sid_chroot: reusing $ROOT"
        return 0
    fi
    umount_stale
    if [ -d "$ROOT" ] && [ ! -f "$ROOT/.actors-sid-debootstrapped" ]; then
        echo "sid_chroot: removing incomplete $ROOT"
        rm -rf --one-file-system "$ROOT"
    fi
    local t0=$SECONDS mirror_url
    mirror_url=$(mirror)
    if [ ! -d "$ROOT" ]; then
        if ! command -v debootstrap >/dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
        fi
        echo "sid_chroot: debootstrap sid from $mirror_url into $ROOT"
        mkdir -p "$(dirname "$ROOT")"
        debootstrap --variant=minbase sid "$ROOT.tmp" "$mirror_url" \
            > "$ROOT.debootstrap.log" 2>&1 || {
            tail -n 30 "$ROOT.debootstrap.log" >&2
            # debootstrap may leave mounts behind in the half-made root
            awk -v r="$ROOT.tmp/" 'index($2, r) == 1 {print $2}' /proc/mounts |
                sort -r | xargs -r -n1 umount -l || true
            rm -rf --one-file-system "$ROOT.tmp"
            die "debootstrap failed (log: $ROOT.debootstrap.log)"; }
        mv "$ROOT.tmp" "$ROOT"
        touch "$ROOT/.actors-sid-debootstrapped"
    fi
    # apt inside: no Valid-Until check (a snapshot mirror's Release expires),
    # no daemons started by package scripts, no docs.
    echo 'Acquire::Check-Valid-Until "false";' > "$ROOT/etc/apt/apt.conf.d/99actors"
    echo 'APT::Install-Recommends "false";' >> "$ROOT/etc/apt/apt.conf.d/99actors"
    printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
    chmod 755 "$ROOT/usr/sbin/policy-rc.d"
    printf 'path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n' \
        > "$ROOT/etc/dpkg/dpkg.cfg.d/01actors-nodoc"
    echo "deb $mirror_url sid main" > "$ROOT/etc/apt/sources.list"

    trap umount_all EXIT
    ensure_devices
    mount_system
    in_chroot apt-get update -qq
    # shellcheck disable=SC2046
    in_chroot apt-get install -y -q $(packages) > "$ROOT/.actors-sid-apt.log" 2>&1 || {
        tail -n 30 "$ROOT/.actors-sid-apt.log" >&2; die "apt-get install failed inside"; }
    in_chroot apt-get clean
    umount_all
    trap - EXIT
    have_pythons || die "interpreters missing after install"
    packages > "$READY"
    echo "sid_chroot: ready in $((SECONDS - t0))s"
}

cmd_pythons() {
    local v p
    for v in $VERSIONS; do
        for p in "python$v" "python${v}d"; do
            [ -x "$ROOT/usr/bin/$p" ] && echo "$p"
        done
    done
    return 0
}

cmd_run() {
    need_root
    [ $# -gt 0 ] || die "run: no command"
    [ -f "$READY" ] || die "no chroot at $ROOT: run '$0 setup' first"
    if [ "${_ACTORS_SID_PRIVATE:-}" != 1 ]; then
        # A mount namespace of its own: the mounts below (and whatever the
        # command mounts, e.g. ip netns) vanish with it, so runs can go on
        # side by side and a killed run leaves nothing mounted.
        exec env _ACTORS_SID_PRIVATE=1 unshare --mount --propagation private \
            bash "$0" run "$@"
    fi
    # The root a mount point of its own: `ip netns` (the partition tests)
    # remounts / inside, which fails on a plain directory.
    mount_one "$ROOT" --bind "$ROOT"
    ensure_devices
    mount_system
    mkdir -p "$ROOT/src"
    mount_one "$ROOT/src" --bind "$HERE"
    in_chroot /bin/sh -c 'cd /src && exec "$@"' sh "$@"
}

cmd_destroy() {
    need_root
    with_lock
    umount_stale
    if awk -v r="$ROOT" 'index($2, r "/") == 1 || $2 == r {f=1} END {exit !f}' /proc/mounts; then
        die "still mounted under $ROOT"
    fi
    rm -rf --one-file-system "$ROOT" "$ROOT.tmp"
    rm -f "$ROOT.debootstrap.log"
}

# One compound command, parsed whole before it runs: editing this file
# while a run is in progress cannot change what the run does next.
{
    case ${1:-} in
        setup) shift; cmd_setup "$@" ;;
        pythons) shift; cmd_pythons ;;
        run) shift; cmd_run "$@" ;;
        shell) shift; cmd_run /bin/bash ;;
        destroy) shift; cmd_destroy ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
    esac
    exit
}
