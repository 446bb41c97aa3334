#!/usr/bin/env bash
# Build the Debian package of connmon from the built jar (run `mvn package` first):
#
#   systemd/build-deb.sh [--jar PATH] [--out DIR] [--revision N] [--upstream-version V]
#
# Writes DIR/connmon_<version>_all.deb (DIR defaults to target/deb) and prints its path. <version> is
# the Maven project version made Debian-valid (0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT, so that the release
# 0.1.0 sorts after it) plus "-N", the Debian revision (default 1; raise it to build an upgrade).
#
# Contents: /usr/bin/connmon (bin/connmon, pointed at the jar), /usr/share/connmon/connmon.jar,
# /lib/systemd/system/connmon.service (ExecStart=/usr/bin/connmon serve), /etc/default/connmon (a
# conffile), /lib/systemd/system/connmon-attribution.conf and connmon-netns.conf (the attribution and
# namespaces drop-ins, shipped inactive: see deploy/debian/README.Debian), the man page, copyright and
# changelog. The maintainer scripts enable, start, restart and stop the service through deb-systemd-helper
# and deb-systemd-invoke.
# (The unit's Documentation= is a file: URL: "systemd-analyze verify" fails on a man: page where man-db is absent.)
# Reproducible: file times and the changelog date come from SOURCE_DATE_EPOCH, else the last commit.
set -euo pipefail

PROG=build-deb.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
DEB=$REPO/deploy/debian

die() { echo "$PROG: error: $*" >&2; exit 1; }

jar=$REPO/agent/target/connmon.jar
out=$REPO/target/deb
revision=1
upstream=
while [ $# -gt 0 ]; do
    case $1 in
        --jar) [ $# -ge 2 ] || die "--jar needs a path"; jar=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
        --revision) [ $# -ge 2 ] || die "--revision needs a number"; revision=$2; shift 2 ;;
        --upstream-version) [ $# -ge 2 ] || die "--upstream-version needs a version"; upstream=$2; shift 2 ;;
        -h|--help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
done

for tool in dpkg-deb gzip md5sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install dpkg-dev gzip coreutils)"
done
[ -f "$jar" ] || die "jar not found: $jar (build it with: mvn -q -DskipTests package, or pass --jar PATH)"
case $revision in ''|*[!0-9a-z.+~]*) die "--revision must be like 1 or 2: $revision" ;; esac

# The project version: the first <version> of the root pom (the project's own; it has no <parent>).
if [ -z "$upstream" ]; then
    pom_version=$(sed -n 's:.*<version>\([^<]*\)</version>.*:\1:p' "$REPO/pom.xml" | head -n 1)
    [ -n "$pom_version" ] || die "no <version> in $REPO/pom.xml"
    # Debian sorts "~" before anything, so 0.1.0~SNAPSHOT < 0.1.0; a hyphen would start the revision.
    upstream=$(printf '%s' "$pom_version" | sed 's/-/~/g')
fi
case $upstream in [0-9]*) ;; *) die "the upstream version must start with a digit: $upstream" ;; esac
case $upstream in *[!0-9A-Za-z.+~]*) die "not a valid Debian upstream version: $upstream" ;; esac
version=$upstream-$revision

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
# Maintainer: CONNMON_DEB_MAINTAINER, else the author of the last commit.
maintainer=${CONNMON_DEB_MAINTAINER:-$(git -C "$REPO" log -1 --format='%an <%ae>' 2>/dev/null || true)}
[ -n "$maintainer" ] || die "no maintainer: set CONNMON_DEB_MAINTAINER='Name <address>'"
year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)

umask 022
mkdir -p "$out"
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/connmon
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/connmon" "$root/lib/systemd/system" \
    "$root/etc/default" "$root/usr/share/doc/connmon" "$root/usr/share/man/man1"

# The launcher: bin/connmon with the package's jar path instead of its search beside the script.
sed -e 's|^for jar in .*; do$|for jar in /usr/share/connmon/connmon.jar; do|' \
    -e 's|no connmon.jar beside $here (build it with: mvn -q -DskipTests package)|/usr/share/connmon/connmon.jar is missing (reinstall the connmon package)|' \
    "$REPO/bin/connmon" >"$root/usr/bin/connmon"
grep -q '^for jar in /usr/share/connmon/connmon.jar; do$' "$root/usr/bin/connmon" \
    || die "bin/connmon changed: could not point its jar search at /usr/share/connmon (update $PROG)"
chmod 0755 "$root/usr/bin/connmon"
install -m 0644 "$jar" "$root/usr/share/connmon/connmon.jar"

# The unit, started through the packaged launcher.
sed -e 's|^ExecStart=/opt/connmon/bin/connmon |ExecStart=/usr/bin/connmon |' \
    -e 's|^# Installed by systemd/install.sh; settings live in /etc/default/connmon.$|# Installed by the connmon package; settings live in /etc/default/connmon.|' \
    -e 's|^Description=.*|&\nDocumentation=file:/usr/share/doc/connmon/README.Debian|' \
    "$HERE/connmon.service" >"$root/lib/systemd/system/connmon.service"
grep -q '^ExecStart=/usr/bin/connmon serve' "$root/lib/systemd/system/connmon.service" \
    || die "systemd/connmon.service changed: its ExecStart is not /opt/connmon/bin/connmon serve (update $PROG)"
chmod 0644 "$root/lib/systemd/system/connmon.service"
install -m 0644 "$HERE/connmon.default" "$root/etc/default/connmon"
install -m 0644 "$HERE/connmon-attribution.conf" "$root/lib/systemd/system/connmon-attribution.conf"
install -m 0644 "$HERE/connmon-netns.conf" "$root/lib/systemd/system/connmon-netns.conf"

sed "s/@YEAR@/$year/" "$DEB/copyright" >"$root/usr/share/doc/connmon/copyright"
chmod 0644 "$root/usr/share/doc/connmon/copyright"
install -d "$root/usr/share/lintian/overrides"
install -m 0644 "$DEB/lintian-overrides" "$root/usr/share/lintian/overrides/connmon"
install -m 0644 "$DEB/README.Debian" "$root/usr/share/doc/connmon/README.Debian"
gzip -9n <"$DEB/connmon.1" >"$root/usr/share/man/man1/connmon.1.gz"
{
    printf 'connmon (%s) unstable; urgency=medium\n\n' "$version"
    rev=$(git -C "$REPO" rev-parse --short=12 HEAD 2>/dev/null || true)
    printf '  * Built from the connmon sources%s.\n\n' "${rev:+ at commit $rev}"
    printf ' -- %s  %s\n' "$maintainer" "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$root/usr/share/doc/connmon/changelog.Debian.gz"
chmod 0644 "$root/usr/share/man/man1/connmon.1.gz" "$root/usr/share/doc/connmon/changelog.Debian.gz"

for script in postinst prerm postrm; do
    install -m 0755 "$DEB/$script" "$root/DEBIAN/$script"
done
echo /etc/default/connmon >"$root/DEBIAN/conffiles"

installed_size=$(du -k -s --apparent-size --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: connmon
Version: $version
Architecture: all
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless
Section: net
Priority: optional
Description: netstat-style connection monitor and Prometheus exporter
 connmon reads the kernel's socket tables into one snapshot and publishes it
 as Prometheus metrics (sockets by state, who listens where with accept
 queues, connections per local and remote port, ephemeral-port use, the
 netstat -s counters), as a filterable JSON document, and as a netstat-like
 command line.
 .
 The package runs it as a hardened systemd service on 127.0.0.1:9469.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb=$out/connmon_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
