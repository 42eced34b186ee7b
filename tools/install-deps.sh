#!/usr/bin/env bash
# Install what numaboot needs to build, boot under QEMU and test, when it is
# missing.  Debian/Ubuntu package names.  On Debian 12, QEMU comes from
# bookworm-backports (QEMU >= 8.1 is needed for x2APIC under TCG).
# Idempotent: checks first (no root needed for that), asks for root (sudo)
# only when something is missing, installs only what is missing.
# Exit status (docs/output.md): 0 everything present or installed, 2 usage
# error, 125 something is missing and cannot be installed here (not root and
# no sudo, no dpkg/apt-get, apt-get failed).
set -euo pipefail

usage() { echo "usage: tools/install-deps.sh [--lava]" >&2; exit 2; }
case "${1:-}" in
	""|--lava) ;;
	*) usage ;;
esac
[ $# -le 1 ] || usage

PKGS=(make gcc binutils gnu-efi nasm ovmf qemu-system-x86 libcmocka-dev acpica-tools
      clang libclang-rt-14-dev python3 python3-pytest python3-matplotlib python3-junitparser
      mtools dosfstools fdisk)
# --lava: also lava-dispatcher (lava-run, lava-worker), lava-server with
# PostgreSQL and lavacli for the LAVA tests (tests/boot/test_lava.py, a real
# server brought up by tools/lava/server.sh); about 210 packages.
if [ "${1:-}" = --lava ]; then
	PKGS+=(lava-dispatcher lava-server lavacli postgresql curl)
fi
QEMU_MIN_MAJOR=8
QEMU_MIN_MINOR=1

command -v dpkg-query >/dev/null || {
	echo "install-deps: no dpkg-query (not Debian/Ubuntu); install by hand: ${PKGS[*]}" >&2; exit 125; }

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Ubuntu and newer Debian name the fuzzer runtime differently; accept any clang fuzzer runtime.
if printf '%s\n' "${missing[@]}" | grep -qx libclang-rt-14-dev && \
   ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
	missing=("${missing[@]/libclang-rt-14-dev}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep . || true))

qemu_ok() {
	command -v qemu-system-x86_64 >/dev/null || return 1
	local v
	v=$(qemu-system-x86_64 --version | sed -n 's/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	set -- $v
	[ "${1:-0}" -gt "$QEMU_MIN_MAJOR" ] || { [ "${1:-0}" -eq "$QEMU_MIN_MAJOR" ] && [ "${2:-0}" -ge "$QEMU_MIN_MINOR" ]; }
}

codename=$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")
need_backports=0
if ! qemu_ok && [ "$codename" = bookworm ]; then
	need_backports=1
fi

if [ $need_backports -eq 1 ]; then
	# installed from backports below; bookworm's own 7.2 would only be replaced
	missing=($(printf '%s\n' "${missing[@]}" | grep -vx qemu-system-x86 || true))
fi

if [ ${#missing[@]} -eq 0 ] && [ $need_backports -eq 0 ]; then
	echo "install-deps: all build and test dependencies present"
	exit 0
fi

# Something is missing: only now is root needed.
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		what="${missing[*]}"
		[ $need_backports -eq 0 ] || what="$what qemu-system-x86 (>= $QEMU_MIN_MAJOR.$QEMU_MIN_MINOR, bookworm-backports)"
		echo "install-deps: missing $what; not root and no sudo: install them as root" >&2; exit 125; }
	SUDO="sudo"
fi
command -v apt-get >/dev/null || { echo "install-deps: missing ${missing[*]}; no apt-get" >&2; exit 125; }
export DEBIAN_FRONTEND=noninteractive
trap 'echo "install-deps: installing failed (status $?); missing: ${missing[*]}" >&2; exit 125' ERR

if [ $need_backports -eq 1 ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "install-deps: adding bookworm-backports for QEMU >= $QEMU_MIN_MAJOR.$QEMU_MIN_MINOR"
	echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/numaboot-backports.list >/dev/null
fi
echo "install-deps: apt-get update"
$SUDO apt-get update -q
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ $need_backports -eq 1 ]; then
	echo "install-deps: installing qemu-system-x86 from bookworm-backports"
	$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports qemu-system-x86
fi
qemu_ok || echo "install-deps: warning: QEMU < $QEMU_MIN_MAJOR.$QEMU_MIN_MINOR; x2APIC tests will be skipped" >&2
echo "install-deps: done"
