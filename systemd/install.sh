#!/usr/bin/env bash
# Install (or upgrade, or uninstall) connmon as a hardened systemd service.
#
#   install.sh [--prefix DIR] [--jar PATH] [--attribution|--no-attribution]
#              [--web-config|--no-web-config] [--netns|--no-netns]  install or upgrade, then (re)start
#   install.sh [--prefix DIR] --uninstall      stop, disable and remove
#
# Installs DIR/bin/connmon and DIR/lib/connmon.jar (DIR defaults to
# /opt/connmon), /etc/systemd/system/connmon.service, and
# /etc/default/connmon only if that file does not exist yet. Safe to re-run.
set -euo pipefail

PROG=install.sh
DEFAULT_PREFIX=/opt/connmon
UNIT_NAME=connmon.service
UNIT_PATH=/etc/systemd/system/$UNIT_NAME
ENV_PATH=/etc/default/connmon

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
SRC_UNIT=$HERE/connmon.service
SRC_ENV=$HERE/connmon.default
SRC_LAUNCHER=$REPO/bin/connmon
SRC_ATTRIBUTION=$HERE/connmon-attribution.conf
ATTRIBUTION_PATH=$UNIT_PATH.d/10-attribution.conf
SRC_WEB=$HERE/connmon-web.conf
WEB_PATH=$UNIT_PATH.d/20-web.conf
WEB_DIR=/etc/connmon
WEB_FILE=$WEB_DIR/web.yml
WEB_GROUP=connmon
SRC_NETNS=$HERE/connmon-netns.conf
NETNS_PATH=$UNIT_PATH.d/30-netns.conf

die() { echo "$PROG: error: $*" >&2; exit 1; }
say() { echo "$PROG: $*"; }

usage() {
    cat <<EOF
usage: $PROG [--prefix DIR] [--jar PATH] [--attribution|--no-attribution]
             [--web-config|--no-web-config] [--netns|--no-netns] [--uninstall]
  --prefix DIR   installation directory (default $DEFAULT_PREFIX)
  --jar PATH     the connmon jar to install (default $REPO/agent/target/connmon.jar)
  --attribution  also install the drop-in that turns on process attribution and
                 grants CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH ($ATTRIBUTION_PATH)
  --no-attribution  remove that drop-in (the default keeps whatever is installed)
  --web-config   serve with $WEB_FILE (TLS, basic auth; see docs/security.md): creates
                 group $WEB_GROUP and $WEB_DIR (0750), makes its files readable by that group
                 only, and installs the drop-in $WEB_PATH
  --no-web-config  remove that drop-in (the files in $WEB_DIR stay)
  --netns        also install the drop-in that reads every network namespace
                 (CONNMON_NETNS=all; grants CAP_SYS_ADMIN and CAP_SYS_PTRACE) ($NETNS_PATH)
  --no-netns     remove that drop-in (the default keeps whatever is installed)
  --uninstall    stop and disable the service and remove what was installed
                 ($ENV_PATH is kept if it was edited)
EOF
}

prefix=
jar=
uninstall=no
attribution=keep
web_config=keep
netns=keep
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#*=}; shift ;;
        --jar) [ $# -ge 2 ] || die "--jar needs a path"; jar=$2; shift 2 ;;
        --jar=*) jar=${1#*=}; shift ;;
        --uninstall) uninstall=yes; shift ;;
        --attribution) attribution=yes; shift ;;
        --no-attribution) attribution=no; shift ;;
        --web-config) web_config=yes; shift ;;
        --no-web-config) web_config=no; shift ;;
        --netns) netns=yes; shift ;;
        --no-netns) netns=no; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "must be run as root (try: sudo $0 $*)"
command -v systemctl >/dev/null 2>&1 || die "systemctl not found: this installer needs systemd"
[ -d /run/systemd/system ] || die "systemd is not running on this machine (no /run/systemd/system)"

# The prefix of an existing installation, read back from its unit's ExecStart.
installed_prefix() {
    local exec
    [ -f "$UNIT_PATH" ] || return 0
    exec=$(sed -n 's/^ExecStart=\([^ ]*\)\/bin\/connmon\( .*\)\{0,1\}$/\1/p' "$UNIT_PATH" | head -n 1)
    printf '%s' "$exec"
}

check_prefix() {
    case $1 in
        /*) ;;
        *) die "--prefix must be an absolute path: $1" ;;
    esac
    case $1 in
        *[[:space:]]*|*%*|*\\*|*'|'*) die "--prefix must not contain spaces or any of % \\ |: $1" ;;
    esac
    local p
    p=$(realpath -m "$1")
    case $p in
        /|/usr|/usr/*bin|/bin|/sbin|/etc|/var|/home|/root|/opt|/tmp|/boot|/lib|/lib64|/usr/lib|/usr/local)
            die "refusing to use $p as the installation directory" ;;
        /home/*|/root/*|/tmp/*|/var/tmp/*|/run/user/*)
            # ProtectHome=yes / PrivateTmp=yes would hide it from the service.
            die "the service cannot see $p (ProtectHome/PrivateTmp): choose another --prefix" ;;
    esac
}

# ----------------------------------------------------------------- uninstall
if [ "$uninstall" = yes ]; then
    [ -z "$jar" ] || die "--jar makes no sense with --uninstall"
    if [ -z "$prefix" ]; then
        prefix=$(installed_prefix)
        prefix=${prefix:-$DEFAULT_PREFIX}
    fi
    check_prefix "$prefix"
    prefix=$(realpath -m "$prefix")

    if systemctl cat "$UNIT_NAME" >/dev/null 2>&1; then
        say "stopping and disabling $UNIT_NAME"
        systemctl disable --now "$UNIT_NAME" >/dev/null 2>&1 || systemctl stop "$UNIT_NAME" || true
    fi
    if [ -e "$UNIT_PATH" ]; then
        rm -f "$UNIT_PATH"
        say "removed $UNIT_PATH"
    fi
    if [ -e "$ATTRIBUTION_PATH" ]; then
        rm -f "$ATTRIBUTION_PATH"
        say "removed $ATTRIBUTION_PATH"
        rmdir "$UNIT_PATH.d" 2>/dev/null || true
    fi
    if [ -e "$WEB_PATH" ]; then
        rm -f "$WEB_PATH"
        say "removed $WEB_PATH (kept $WEB_DIR and group $WEB_GROUP)"
        rmdir "$UNIT_PATH.d" 2>/dev/null || true
    fi
    if [ -e "$NETNS_PATH" ]; then
        rm -f "$NETNS_PATH"
        say "removed $NETNS_PATH"
        rmdir "$UNIT_PATH.d" 2>/dev/null || true
    fi
    if [ -d "$UNIT_PATH.d" ]; then
        say "note: kept local drop-ins in $UNIT_PATH.d (remove them by hand if unwanted)"
    fi
    systemctl daemon-reload
    systemctl reset-failed "$UNIT_NAME" >/dev/null 2>&1 || true

    if [ -d "$prefix" ]; then
        # Only delete a directory that holds our files (never an unrelated one).
        if [ -e "$prefix/bin/connmon" ] || [ -e "$prefix/lib/connmon.jar" ]; then
            rm -f "$prefix/bin/connmon" "$prefix/lib/connmon.jar"
            rmdir "$prefix/bin" "$prefix/lib" 2>/dev/null || true
            rmdir "$prefix" 2>/dev/null || say "note: kept $prefix (it holds other files)"
            [ -d "$prefix" ] || say "removed $prefix"
        else
            say "note: $prefix holds no connmon files; left alone"
        fi
    fi

    if [ -e "$ENV_PATH" ]; then
        if [ -f "$SRC_ENV" ] && cmp -s "$SRC_ENV" "$ENV_PATH"; then
            rm -f "$ENV_PATH"
            say "removed $ENV_PATH (unchanged)"
        elif [ -f "$SRC_ENV" ]; then
            say "kept $ENV_PATH (it was edited)"
        else
            say "kept $ENV_PATH (no shipped copy beside $PROG to compare it with)"
        fi
    fi
    say "connmon uninstalled"
    exit 0
fi

# ------------------------------------------------------------------- install
prefix=${prefix:-$DEFAULT_PREFIX}
check_prefix "$prefix"
prefix=$(realpath -m "$prefix")
jar=${jar:-$REPO/agent/target/connmon.jar}

[ -f "$jar" ] || die "jar not found: $jar (build it with: mvn -q -DskipTests package, or pass --jar PATH)"
[ -r "$jar" ] || die "jar not readable: $jar"
[ -f "$SRC_LAUNCHER" ] || die "launcher not found: $SRC_LAUNCHER"
[ -f "$SRC_UNIT" ] || die "unit file not found: $SRC_UNIT"
[ -f "$SRC_ENV" ] || die "environment file not found: $SRC_ENV"
command -v java >/dev/null 2>&1 \
    || die "java not found on PATH: install a Java 17+ runtime first (e.g. apt-get install openjdk-17-jre-headless)"
java_spec=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
java_major=${java_spec#1.}
java_major=${java_major%%.*}
case $java_major in
    ''|*[!0-9]*) say "warning: could not tell the version of $(command -v java); connmon needs Java 17+" ;;
    *) [ "$java_major" -ge 17 ] || die "$(command -v java) is Java $java_spec; connmon needs Java 17 or newer" ;;
esac

if [ "$web_config" = yes ]; then
    # Before anything is installed: the service must not be restarted without its file.
    [ -f "$SRC_WEB" ] || die "drop-in not found: $SRC_WEB"
    getent group "$WEB_GROUP" >/dev/null || groupadd --system "$WEB_GROUP" \
        || die "cannot create the group $WEB_GROUP"
    install -d -m 0750 -o root -g "$WEB_GROUP" "$WEB_DIR"
    [ -f "$WEB_FILE" ] || die "no $WEB_FILE yet: write it (and its certificates) into $WEB_DIR, see \
docs/security.md, then run $PROG --web-config again"
fi

old=$(installed_prefix)
if [ -n "$old" ] && [ "$old" != "$prefix" ]; then
    say "note: the previous installation in $old is not removed (run --uninstall --prefix $old)"
fi

# Write each file next to its destination, then rename it into place, so that
# a running service never sees a half-written jar.
put() { # put MODE SRC DEST
    local tmp
    tmp=$(mktemp "$3.XXXXXX")
    cat "$2" >"$tmp"
    chmod "$1" "$tmp"
    mv -f "$tmp" "$3"
}

umask 022
install -d -m 0755 "$prefix" "$prefix/bin" "$prefix/lib"
put 0644 "$jar" "$prefix/lib/connmon.jar"
put 0755 "$SRC_LAUNCHER" "$prefix/bin/connmon"
say "installed $prefix/bin/connmon and $prefix/lib/connmon.jar"

unit_tmp=$(mktemp)
trap 'rm -f "$unit_tmp"' EXIT
if [ "$prefix" = "$DEFAULT_PREFIX" ]; then
    cat "$SRC_UNIT" >"$unit_tmp"
else
    sed "s|^ExecStart=$DEFAULT_PREFIX/|ExecStart=$prefix/|" "$SRC_UNIT" >"$unit_tmp"
fi
install -d -m 0755 "$(dirname "$UNIT_PATH")"
put 0644 "$unit_tmp" "$UNIT_PATH"
say "installed $UNIT_PATH"

case $attribution in
    yes)
        [ -f "$SRC_ATTRIBUTION" ] || die "drop-in not found: $SRC_ATTRIBUTION"
        install -d -m 0755 "$UNIT_PATH.d"
        put 0644 "$SRC_ATTRIBUTION" "$ATTRIBUTION_PATH"
        say "installed $ATTRIBUTION_PATH (process attribution on)"
        ;;
    no)
        if [ -e "$ATTRIBUTION_PATH" ]; then
            rm -f "$ATTRIBUTION_PATH"
            rmdir "$UNIT_PATH.d" 2>/dev/null || true
            say "removed $ATTRIBUTION_PATH (process attribution off)"
        fi
        ;;
esac

case $web_config in
    yes)
        # Group-readable for the service, closed to everyone else: hashes and the TLS private key live here.
        chgrp -R "$WEB_GROUP" "$WEB_DIR"
        chmod -R g+rX,g-w,o-rwx "$WEB_DIR"
        install -d -m 0755 "$UNIT_PATH.d"
        put 0644 "$SRC_WEB" "$WEB_PATH"
        say "installed $WEB_PATH (serving with $WEB_FILE)"
        ;;
    no)
        if [ -e "$WEB_PATH" ]; then
            rm -f "$WEB_PATH"
            rmdir "$UNIT_PATH.d" 2>/dev/null || true
            say "removed $WEB_PATH (no web config file; $WEB_DIR kept)"
        fi
        ;;
esac

case $netns in
    yes)
        [ -f "$SRC_NETNS" ] || die "drop-in not found: $SRC_NETNS"
        install -d -m 0755 "$UNIT_PATH.d"
        put 0644 "$SRC_NETNS" "$NETNS_PATH"
        say "installed $NETNS_PATH (every network namespace)"
        ;;
    no)
        if [ -e "$NETNS_PATH" ]; then
            rm -f "$NETNS_PATH"
            rmdir "$UNIT_PATH.d" 2>/dev/null || true
            say "removed $NETNS_PATH (own network namespace only)"
        fi
        ;;
esac

if [ -e "$ENV_PATH" ]; then
    say "kept existing $ENV_PATH"
else
    install -d -m 0755 "$(dirname "$ENV_PATH")"
    put 0644 "$SRC_ENV" "$ENV_PATH"
    say "installed $ENV_PATH"
fi

systemctl daemon-reload
systemctl enable "$UNIT_NAME" >/dev/null 2>&1 || die "systemctl enable $UNIT_NAME failed"
# restart = start if stopped; restart so that an upgrade takes effect.
systemctl restart "$UNIT_NAME" || {
    journalctl -u "$UNIT_NAME" -n 20 --no-pager >&2 || true
    die "$UNIT_NAME failed to start (see: journalctl -u $UNIT_NAME)"
}

# Type=exec only says the JVM was started; make sure it stays up briefly.
sleep 2
if ! systemctl is-active --quiet "$UNIT_NAME"; then
    journalctl -u "$UNIT_NAME" -n 20 --no-pager >&2 || true
    die "$UNIT_NAME is not running after start (see: journalctl -u $UNIT_NAME)"
fi
say "connmon is enabled and running (settings: $ENV_PATH)"
