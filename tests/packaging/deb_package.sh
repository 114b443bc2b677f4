#!/usr/bin/env bash
# The Debian package (cmake/Packaging.cmake, packaging/): built by CPack from this build's
# binaries, then checked with the tools an operator or a distribution uses. dpkg-deb: the file
# list, modes and owners, the control fields, conffiles and maintainer scripts; lintian: no error
# or warning beyond the documented overrides (packaging/lintian-overrides); systemd-analyze: the
# unit verifies and its sandbox keeps a low exposure. Then the extracted package runs:
# `jit-broker --version` and `jit --version` print the package's version, and the packaged broker
# with the packaged /etc/jitbroker, moved to a temporary folder, serves /healthz over TLS
# (tests/production/production_example.sh). Last, where the test runs as root on a machine that
# has never had the package (a fresh CI machine), it installs it for real with dpkg -i: the
# jitbroker system user, the modes postinst sets, the installed binaries serving with the
# installed /etc/jitbroker; then purges it and deletes the user, leaving the machine as it was.
# Elsewhere (not root, or a machine with jitbroker installed or its user present) that phase is
# skipped with a line saying why: a test must not replace an operator's installation.
# Usage: deb_package.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build_dir=$(realpath "$1")
source_dir=$(realpath "$2")
fail() {
  echo "deb_package: $*" >&2
  exit 1
}
for tool in cpack dpkg-deb lintian systemd-analyze; do
  command -v "$tool" > /dev/null || fail "$tool is missing (examples/install-deps.sh --test)"
done
[[ -f $build_dir/CPackConfig.cmake ]] || fail "no CPackConfig.cmake in $build_dir"

work=$(mktemp -d /tmp/jit-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

# What `cmake --build BUILD_DIR --target package` runs after building, with the package written
# here. With Ninja, cpack installs the built files and compiles nothing.
cpack --config "$build_dir/CPackConfig.cmake" -B "$work/out" > cpack.log 2>&1 ||
  fail "cpack failed: $(cat cpack.log)"
version=$("$build_dir/broker/jit-broker" --version | sed -n 's/^jit-broker //p')
[[ -n $version ]] || fail "the built jit-broker --version printed no version"
deb=$work/out/jitbroker_${version}_amd64.deb
[[ -f $deb ]] || fail "no $deb: $(ls "$work/out")"

# Control fields: name, the project's version, the daemon's libraries (libsystemd for sd_notify)
# and adduser for postinst.
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == jitbroker ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$version" ]] || fail "Version: $(field Version), not $version"
[[ $(field Architecture) == amd64 ]] || fail "Architecture: $(field Architecture)"
for dependency in adduser libsystemd0 libssl3 libsqlite3-0; do
  [[ ", $(field Depends)," == *", $dependency"[\ ,]* ]] || fail "Depends lacks $dependency: $(field Depends)"
done

# Every file and its mode and owner; nothing else is in the package.
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ || $6 ~ /jitbroker\/$/ {print $1, $2, $6}' | sort -k3 > contents
cat > expected <<'LIST'
-rw-r----- root/root ./etc/jitbroker/broker.yaml
-rw-r----- root/root ./etc/jitbroker/policy.yaml
drwxr-xr-x root/root ./etc/jitbroker/
-rw-r--r-- root/root ./lib/systemd/system/jitbroker.service
-rwxr-xr-x root/root ./usr/bin/jit
-rwxr-xr-x root/root ./usr/bin/jit-broker
-rw-r--r-- root/root ./usr/share/doc/jitbroker/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/jitbroker/copyright
drwxr-xr-x root/root ./usr/share/doc/jitbroker/
-rw-r--r-- root/root ./usr/share/lintian/overrides/jitbroker
-rw-r--r-- root/root ./usr/share/man/man1/jit.1.gz
-rw-r--r-- root/root ./usr/share/man/man8/jit-broker.8.gz
drwx------ root/root ./var/lib/jitbroker/
LIST
sort -k3 expected -o expected
diff expected contents > contents.diff || fail "package contents differ (- expected, + packaged):
$(cat contents.diff)"

# conffiles, and the maintainer scripts that make the user and set the modes (postinst gives
# /etc/jitbroker to group jitbroker and /var/lib/jitbroker to the user).
dpkg-deb -e "$deb" control
[[ $(cat control/conffiles) == $'/etc/jitbroker/broker.yaml\n/etc/jitbroker/policy.yaml' ]] ||
  fail "conffiles: $(cat control/conffiles)"
for script in postinst prerm postrm; do
  [[ $(stat -c %a "control/$script") == 755 ]] || fail "$script is not mode 0755"
  sh -n "control/$script" || fail "$script is not valid sh"
done
grep -q 'adduser --system --group' control/postinst || fail "postinst makes no system user"
grep -q 'set_mode root jitbroker 0640 /etc/jitbroker/broker.yaml' control/postinst ||
  fail "postinst leaves broker.yaml's group"
grep -q 'set_mode jitbroker jitbroker 0700 /var/lib/jitbroker' control/postinst ||
  fail "postinst leaves /var/lib/jitbroker to root"

# lintian: every error or warning fails the test; the overrides each carry their reason.
# (--show-overrides would count the overridden tags as failures.)
lintian --fail-on error,warning "$deb" > lintian.out 2>&1 || fail "lintian: $(cat lintian.out)"

dpkg-deb -x "$deb" root
unit=root/lib/systemd/system/jitbroker.service
for directive in Type=notify WatchdogSec=30s NoNewPrivileges=yes ProtectSystem=strict \
  ReadWritePaths=/var/lib/jitbroker PrivateTmp=yes ProtectHome=yes CapabilityBoundingSet= \
  SystemCallFilter=@system-service User=jitbroker; do
  grep -qx "$directive" "$unit" || fail "the unit lacks $directive"
done
# systemd-analyze verify checks that ExecStart's program exists and that Documentation's man page
# opens: here they are the extracted ones, not yet under /usr.
mkdir units
sed "s|^ExecStart=/usr/bin/jit-broker |ExecStart=$work/root/usr/bin/jit-broker |" "$unit" \
  > units/jitbroker.service
MANPATH=$work/root/usr/share/man systemd-analyze verify units/jitbroker.service > verify.out 2>&1 ||
  fail "systemd-analyze verify: $(cat verify.out)"
# The sandbox's overall exposure (0 to 10, lower is tighter) stays at most 2.0.
systemd-analyze security --offline=true --threshold=20 units/jitbroker.service > security.out 2>&1 ||
  fail "the unit's exposure rose above 2.0: $(grep -v '^✓' security.out)"
grep "Overall exposure" security.out

# The packaged binaries, as extracted.
[[ $(root/usr/bin/jit-broker --version) == "jit-broker $version" ]] ||
  fail "packaged jit-broker --version: $(root/usr/bin/jit-broker --version)"
[[ $(root/usr/bin/jit --version) == "jit $version" ]] ||
  fail "packaged jit --version: $(root/usr/bin/jit --version)"
# No systemd user manager is assumed: the packaged broker runs as a plain child process.
"$source_dir/tests/production/production_example.sh" root/usr/bin/jit-broker "$source_dir" \
  root/etc/jitbroker || fail "the packaged broker with the packaged /etc/jitbroker did not serve"
echo "deb_package: $(basename "$deb") built, checked and served /healthz from its extracted tree"

# dpkg -i on this machine, only where nothing of an earlier installation can be touched.
skip_install=""
if ((EUID != 0)); then
  skip_install="not root"
elif dpkg-query -W -f '${Status}' jitbroker 2> /dev/null | grep -q installed; then
  skip_install="jitbroker is installed on this machine"
elif getent passwd jitbroker > /dev/null || getent group jitbroker > /dev/null; then
  skip_install="a jitbroker user or group exists on this machine"
elif [[ -e /etc/jitbroker || -e /var/lib/jitbroker ]]; then
  skip_install="/etc/jitbroker or /var/lib/jitbroker exists on this machine"
fi
if [[ -n $skip_install ]]; then
  echo "deb_package: dpkg -i skipped: $skip_install"
  exit 0
fi
remove_installation() {
  dpkg --purge jitbroker > /dev/null 2>&1 || true
  rm -rf /var/lib/jitbroker
  getent passwd jitbroker > /dev/null && deluser --system jitbroker > /dev/null 2>&1 || true
  getent group jitbroker > /dev/null && delgroup --system jitbroker > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap remove_installation EXIT
dpkg -i "$deb" > dpkg.out 2>&1 || fail "dpkg -i: $(cat dpkg.out)"
[[ $(getent passwd jitbroker | cut -d: -f7) == */nologin ]] ||
  fail "postinst made no jitbroker user without a login shell: $(getent passwd jitbroker)"
(($(id -u jitbroker) < 1000)) || fail "jitbroker is not a system user (uid $(id -u jitbroker))"
installed_mode() { stat -c '%U:%G %a' "$1"; }
[[ $(installed_mode /etc/jitbroker/broker.yaml) == "root:jitbroker 640" ]] ||
  fail "installed broker.yaml is $(installed_mode /etc/jitbroker/broker.yaml)"
[[ $(installed_mode /var/lib/jitbroker) == "jitbroker:jitbroker 700" ]] ||
  fail "installed /var/lib/jitbroker is $(installed_mode /var/lib/jitbroker)"
# The broker's user reads its configuration and writes its data folder; another user does neither.
runuser -u jitbroker -- test -r /etc/jitbroker/broker.yaml || fail "jitbroker cannot read broker.yaml"
runuser -u jitbroker -- test -w /var/lib/jitbroker || fail "jitbroker cannot write /var/lib/jitbroker"
if runuser -u nobody -- test -r /etc/jitbroker/broker.yaml; then
  fail "any user can read /etc/jitbroker/broker.yaml"
fi
[[ $(/usr/bin/jit-broker --version) == "jit-broker $version" ]] ||
  fail "installed jit-broker --version: $(/usr/bin/jit-broker --version)"
[[ $(/usr/bin/jit --version) == "jit $version" ]] || fail "installed jit --version: $(/usr/bin/jit --version)"
"$source_dir/tests/production/production_example.sh" /usr/bin/jit-broker "$source_dir" /etc/jitbroker ||
  fail "the installed broker with the installed /etc/jitbroker did not serve"
dpkg --purge jitbroker > dpkg-purge.out 2>&1 || fail "dpkg --purge: $(cat dpkg-purge.out)"
[[ ! -e /usr/bin/jit-broker && ! -e /etc/jitbroker/broker.yaml ]] || fail "purge left the package's files"
echo "deb_package: installed with dpkg -i (user, modes, --version, served /healthz) and purged"
