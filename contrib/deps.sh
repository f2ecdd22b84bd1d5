# contrib/deps.sh: sourced by quickstart.sh and test.sh.  Installs the Debian
# packages the build and the tests need when they are missing: as root with
# apt-get, otherwise it prints the exact command and exits 2.

pc_need_packages() {
	missing=
	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
			missing="$missing $pkg"
		fi
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "policy-check: missing packages:$missing" >&2
		echo "run: sudo apt-get install -y$missing" >&2
		exit 2
	fi
	echo "installing:$missing"
	if [ -z "${PC_APT_UPDATED:-}" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
		PC_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "policy-check: apt-get install$missing failed" >&2; exit 2; }
}

PC_BUILD_PACKAGES="build-essential autoconf automake libtool pkg-config git openssh-client
	libgit2-dev libyaml-dev libpcre2-dev libssl-dev sharness groff-base"

# Configure and build into $1 (a build directory) with extra configure flags.
pc_build() {
	dir=$1; shift
	top=$(cd "$(dirname "$0")/.." && pwd)
	if [ ! -x "$top/configure" ] || [ ! -f "$top/Makefile.in" ] ||
	   [ ! -f "$top/build-aux/tap-driver.sh" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
		(cd "$top" && autoreconf -fi >/dev/null 2>&1) ||
			{ (cd "$top" && autoreconf -fi); exit 2; }
	fi
	mkdir -p "$dir"
	# Always configure: it takes the list of tests/t scripts.
	(cd "$dir" && "$top/configure" -q "$@") || exit 2
	make -s -C "$dir" -j"$(nproc)" >/dev/null || make -C "$dir" || exit 2
}
