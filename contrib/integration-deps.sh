# contrib/integration-deps.sh: sourced by contrib/test.sh after deps.sh.  The
# real servers that the t5xxx integration tests run on loopback.  They are
# wanted, not needed: a package that cannot be installed leaves its test to
# skip with the reason, and the rest of the suite still runs.

# chromium renders the audit report headless as an auditor reads it
# (tests/t/t8680-audit-report.t: the DOM, a screenshot and a PDF).
PC_INTEGRATION_PACKAGES="openssh-server lighttpd nginx fcgiwrap gitolite3 openssl chromium"

# pc_want_packages PKG...: install the missing ones as root with apt-get,
# without starting their system services (the tests start their own servers
# on random loopback ports; a package must not leave sshd on port 22 or
# lighttpd on port 80 behind).  Never fails.
pc_want_packages() {
	pc_want_missing=
	for pc_want_pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pc_want_pkg" 2>/dev/null | grep -q 'install ok installed'; then
			pc_want_missing="$pc_want_missing $pc_want_pkg"
		fi
	done
	[ -z "$pc_want_missing" ] && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		echo "policy-check: the integration tests will skip; to run them: sudo apt-get install -y$pc_want_missing" >&2
		return 0
	fi
	echo "installing (integration tests):$pc_want_missing"
	if [ -z "${PC_APT_UPDATED:-}" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
		PC_APT_UPDATED=1
	fi
	# invoke-rc.d and deb-systemd-invoke ask policy-rc.d; 101 = do not start.
	pc_want_rcd=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# temporary, from policy-check contrib/integration-deps.sh\nexit 101\n' \
			>/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && pc_want_rcd=1
	fi
	for pc_want_pkg in $pc_want_missing; do
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"$pc_want_pkg" >/dev/null 2>&1 ||
			echo "policy-check: apt-get install $pc_want_pkg failed; its integration test will skip" >&2
	done
	if [ -n "$pc_want_rcd" ]; then
		rm -f /usr/sbin/policy-rc.d
	fi
	return 0
}
