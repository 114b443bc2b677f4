#!/usr/bin/env bash
# Installs, from Debian 12's own packages, whatever this machine lacks to build jitbroker
# (and with --test, to run its tests). Installs nothing that is already there, so it is cheap to
# call before every build. Needs root or sudo only when something is missing.
set -euo pipefail

build_packages=(
  clang lld             # both presets compile with clang and link with lld: a third less build time than GCC here
  g++ cmake ninja-build pkg-config git  # g++ brings libstdc++, which clang uses too
  libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev  # Asio, Beast, JSON, system::result
  libssl-dev            # OpenSSL 3: keys, signatures, TLS, X.509
  libyaml-cpp-dev       # config/ and policy files
  libsqlitecpp-dev libsqlite3-dev  # storage
  libcbor-dev           # WebAuthn attestation objects and COSE keys
  libcli11-dev          # command lines of jit-broker and jit
  libsystemd-dev        # sd_notify: jit-broker's readiness and watchdog under systemd (Type=notify)
  libqrencode-dev       # `jit-broker user enroll --qr`: the otpauth URI as a QR code in the terminal
  libp11-kit-dev        # CA keys on a PKCS#11 token: module loading and RFC 7512 URIs (ca/pkcs11_*)
  libpq-dev             # the PostgreSQL store backend (libpq), for several brokers on one database
  openssl ca-certificates
)
test_packages=(
  libgtest-dev          # unit and integration tests
  openssh-server openssh-client  # a real sshd trusts our CA and reads our KRL
  nginx-light curl      # a real TLS peer checks our client certificates and CRL
  oathtool              # an independent TOTP implementation to cross-check ours
  procps psmisc         # pgrep/kill in the crash tests
  ccache                # tests/run.sh builds two presets; repeated runs reuse compiled objects
  clang-format          # tests/run.sh checks that every C++ file is formatted (.clang-format)
  libclang-rt-14-dev    # the asan preset: clang's ASan/UBSan and libFuzzer (tests/fuzz)
  chromium chromium-driver  # tests/browser: the approval page in a real browser (playwright-core)
  libnss3-tools         # tests/browser: certutil makes Chromium trust the broker's dev certificate
  prometheus jq         # tests/monitoring: promtool checks examples/monitoring; a real scrape
  rsyslog rsyslog-openssl  # the audit stream's syslog sink against a real rsyslogd over TLS
  dpkg-dev lintian systemd  # tests/packaging: dpkg-shlibdeps for the .deb, lintian, systemd-analyze
  zbar-tools            # zbarimg decodes the QR code of `user enroll --qr` in its test
  softhsm2              # a real PKCS#11 token for the CA-key-in-an-HSM tests (tests/ca, tests/broker)
  postgresql            # a real PostgreSQL 15 (initdb into a temp dir) for the PostgreSQL store tests
)
# Not from Debian 12 (its nodejs is 18): node >= 20 with npm, for tests/browser (playwright-core)
# and tests/sso (the npm OpenID provider oidc-provider); their run scripts `npm ci` the locked
# versions themselves.

want=("${build_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_packages[@]}")
fi

missing=()
for package in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
echo "Installing from Debian: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
