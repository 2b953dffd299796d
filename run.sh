#!/usr/bin/env bash
# mmrepro's one entry point.
#   ./run.sh setup      install Debian packages, build host/ and guest/
#   ./run.sh            reproduce the seed bugs (builds the kernels it needs)
#   ./run.sh quick      every case on Debian's prebuilt kernels, no build
#   ./run.sh CMD ...    any mmrepro command (list, run, verify, classify, build, cache)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export MMREPRO_ROOT="$here"

# Everything the suite needs from Debian 12. The newest 6.12 and 6.1 images
# and sources are picked at setup time.
packages=(
	build-essential pkg-config git ccache bc bison flex libelf-dev libssl-dev cpio zstd xz-utils lz4 rsync
	qemu-system-x86 util-linux kmod python3 python3-jsonschema
	libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients libvirt-dev
	check libarchive-dev libkmod-dev libinih-dev libjson-c-dev jq
	libnuma-dev liburing-dev
	clang libclang-rt-dev passwd
	chromium
	linux-source-6.12 linux-source-6.1
	# arm64 guests: the cross toolchain, QEMU's aarch64 system emulator,
	# and (multiarch, below) the static libraries of the guest init.
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
)
arm64_packages=(libinih-dev:arm64 libjson-c-dev:arm64)

newest_image() {
	apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -n 1
}

setup() {
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
	$sudo apt-get update -q
	local img612 img61
	img612=$(newest_image '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$')
	img61=$(newest_image '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$')
	if [ -z "$img612" ] || [ -z "$img61" ]; then
		echo "run.sh setup: apt knows no linux-image-6.12/6.1 amd64-unsigned package" >&2
		exit 125
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
		"${packages[@]}" "${arm64_packages[@]}" "$img612" "$img61"
	# QEMU drops root for this user once the VM is set up, so the guest
	# reads the host through its root share only as an unprivileged user.
	if [ "$(id -u)" = 0 ] && ! getent passwd mmrepro-qemu >/dev/null; then
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mmrepro-qemu
	fi
	make -C "$here" -j"$(nproc)" all
}

build_if_needed() {
	if [ ! -x "$here/build/mmrepro" ] || [ -n "$(find "$here/host" "$here/guest" -newer "$here/build/mmrepro" -name '*.[ch]' 2>/dev/null | head -1)" ]; then
		make -C "$here" -s all >&2
	fi
}

case "${1:-}" in
setup)
	setup
	;;
"")
	build_if_needed
	exec "$here/build/mmrepro" reproduce
	;;
*)
	build_if_needed
	exec "$here/build/mmrepro" "$@"
	;;
esac
