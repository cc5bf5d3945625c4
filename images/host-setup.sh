#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs the Debian packages the harness needs on a Debian 12 host.
# Idempotent: a stamp keyed by this script's own hash skips the work when
# nothing changed. Never adds trixie to the host's sources.
set -euo pipefail

stamp_dir="${XDG_CACHE_HOME:-$HOME/.cache}/vfio-reset"
stamp="$stamp_dir/host-setup.$(sha256sum "$0" | cut -c1-16).stamp"
[ -e "$stamp" ] && exit 0

packages=(
	build-essential bc bison flex libssl-dev libelf-dev cpio kmod rsync
	xz-utils zstd ccache git patch e2fsprogs
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	mmdebstrap dpkg-dev fakeroot
	pkg-config libglib2.0-dev libfdt-dev libslirp-dev libpixman-1-dev
	ninja-build python3-venv python3-setuptools
	# An older LTS kernel, for the spec that holds the rules to what 6.1 really prints.
	linux-source-6.1
	# The CPU hog of `npm run load`.
	stress-ng
	# LAVA's job schema and its validator (lava-schema.py needs jinja2), for the LAVA jobs' spec,
	# and what lava-dispatcher's lava-run imports, for running the QEMU job (the dispatcher itself
	# is extracted, not installed: specs/integration/lava-dispatcher.ts says why).
	lava-common python3-jinja2 python3-pexpect python3-configobj python3-magic python3-netifaces
	python3-pyudev python3-requests python3-setproctitle python3-tz python3-aiohttp
)
backport_packages=(linux-source-6.12 meson python3-pycotap qemu-system-arm qemu-efi-aarch64)

if [ "$(id -u)" != 0 ]; then
	# An ordinary user goes on once root has set the host up; only apt needs root.
	missing=$(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${packages[@]}" "${backport_packages[@]}" 2>&1 |
		awk '$1 != "installed" { print $NF }' | tr '\n' ' ')
	if [ -z "$missing" ] && dpkg --print-foreign-architectures | grep -qx arm64; then
		mkdir -p "$stamp_dir" && touch "$stamp" || true
		exit 0
	fi
	echo "host-setup: the host lacks ${missing:-the arm64 architecture}; installing needs root once:" \
		"sudo bash images/host-setup.sh" >&2
	exit 1
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
	echo "host-setup: this host is ${PRETTY_NAME:-unknown}; the harness supports Debian 12 (bookworm)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Labs have their own mirrors: backports come from the one the host's apt
# already uses for bookworm, never from a mirror written here.
bookworm_site() {
	apt-get indextargets --format '$(SITE) $(RELEASE)' | awk '$2 == "bookworm" && !found { print $1; found = 1 }'
}
mirror=$(bookworm_site)
# A brand-new machine has never fetched its lists, and apt knows no target before it has.
[ -n "$mirror" ] || { apt-get update -q && mirror=$(bookworm_site); }
if [ -z "$mirror" ]; then
	echo "host-setup: the host's apt has no bookworm source to take the Debian mirror from;" \
		"add one to /etc/apt/sources.list.d/" >&2
	exit 1
fi
echo "host-setup: Debian mirror $mirror (from the host's apt sources)"
backports_sources=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat >"$backports_sources" <<SRC
Types: deb deb-src
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
# L1's own QEMU and busybox come from arm64 packages, extracted by mmdebstrap;
# the foreign architecture lets apt resolve them for the cache keys.
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64

apt-get update -q
apt-get install -y -q --no-install-recommends "${packages[@]}"
apt-get install -y -q --no-install-recommends -t bookworm-backports "${backport_packages[@]}"

# A kernel tree's own code (Makefiles, Kconfig scripts) and the patches applied
# to it come from whoever posted them: a harness running as root runs them as
# this user (harness/recipes/build-user.ts).
if ! id -u vfio-reset-build >/dev/null 2>&1; then
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin vfio-reset-build
fi
# Its work trees and compiler cache: root's own cache is out of its reach.
install -d -o vfio-reset-build -g vfio-reset-build -m 0750 /var/lib/vfio-reset-build

mkdir -p "$stamp_dir"
# How long the set-up took, for `npm run bench` (cold_parts_s.apt).
printf '{"seconds": %d, "at": "%s"}\n' "$SECONDS" "$(date -u +%FT%TZ)" >"$stamp_dir/host-setup-time.json"
touch "$stamp"
