# tests/t/lib-servers.sh: real servers (sshd, lighttpd) on loopback for the
# t5xxx integration tests.  Source it after test-lib.sh.
#
# A server is started with pc_start_server and runs under timeout(1), so it
# stops by itself after PC_SERVER_LIFETIME seconds even if this script is
# killed outright.  An EXIT trap stops it earlier, whether the tests pass,
# fail or the script dies; test_done's cleanup stops it before the trash
# directory is removed.  Only the processes started here are signalled, by
# their id.

PC_SERVER_LIFETIME=${PC_SERVER_LIFETIME:-120}
PC_SERVER_PIDS=
PC_PORT=

# pc_require_root_and PROGRAM PACKAGE: skip the whole file, saying why, when
# the program its server needs is missing.  contrib/test.sh installs the
# package as root; a test never installs anything.
pc_require_root_and() {
	if test "$(id -u)" != 0; then
		skip_all="needs root to run $1 on loopback as in CI (contrib/test.sh runs as root)"
		test_done
	fi
	if ! test -x "$1"; then
		skip_all="$1 is missing: Debian package $2 could not be installed (contrib/test.sh installs it as root)"
		test_done
	fi
}

# A port in 20000..59999 from the kernel's random source (dash has no $RANDOM).
pc_random_port() {
	echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
}

# pc_port_listening PORT: some socket listens on PORT (IPv4 or IPv6).
pc_port_listening() {
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	awk -v p="$(printf ':%04X' "$1")" '
		substr($2, length($2) - 4) == p && $4 == "0A" { found = 1 }
		END { exit !found }'
}

# pc_start_server NAME COMMAND: run `sh -c COMMAND` in the foreground of a
# background job with PORT set to a free random port, and wait (at most 10 s)
# until it listens there.  COMMAND must exec the server without detaching.
# Output goes to NAME.log.  A port taken meanwhile by someone else makes the
# server exit; then another port is tried, five times at most.  Sets PC_PORT.
pc_start_server() {
	pc_name=$1
	pc_tries=0
	while test $pc_tries -lt 5; do
		pc_tries=$((pc_tries + 1))
		pc_port=$(pc_random_port)
		pc_port_listening "$pc_port" && continue
		PORT=$pc_port timeout -k 5 "$PC_SERVER_LIFETIME" sh -c "$2" \
			>"$pc_name.log" 2>&1 </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
		pc_pid=$!
		PC_SERVER_PIDS="$PC_SERVER_PIDS $pc_pid"
		pc_n=0
		while test $pc_n -lt 100 && kill -0 "$pc_pid" 2>/dev/null; do
			if pc_port_listening "$pc_port"; then
				PC_PORT=$pc_port
				return 0
			fi
			sleep 0.1
			pc_n=$((pc_n + 1))
		done
		if kill -0 "$pc_pid" 2>/dev/null; then
			echo "$pc_name did not listen on port $pc_port within 10 s" >&2
			cat "$pc_name.log" >&2
			return 1
		fi
		if ! grep -qi "in use" "$pc_name.log"; then
			echo "$pc_name exited at start:" >&2
			cat "$pc_name.log" >&2
			return 1
		fi
	done
	echo "$pc_name: no free port after $pc_tries tries" >&2
	return 1
}

# Stop every server started here: TERM to timeout(1), which passes it on to
# the server and its process group; wait at most 5 s, then KILL that process
# group (timeout(1) leads its own, so nothing else is in it).
pc_stop_servers() {
	for pc_pid in $PC_SERVER_PIDS; do
		kill "$pc_pid" 2>/dev/null
	done
	for pc_pid in $PC_SERVER_PIDS; do
		pc_n=0
		while kill -0 "$pc_pid" 2>/dev/null && test $pc_n -lt 50; do
			sleep 0.1
			pc_n=$((pc_n + 1))
		done
		if kill -0 "$pc_pid" 2>/dev/null; then
			kill -9 "-$pc_pid" 2>/dev/null
		fi
	done
	PC_SERVER_PIDS=
	return 0
}

# pc_remove_at_exit PATH: remove PATH (outside the trash directory) when the
# script ends, whether the tests pass or not.
PC_REMOVE_AT_EXIT=
pc_remove_at_exit() {
	PC_REMOVE_AT_EXIT="$PC_REMOVE_AT_EXIT $1"
}

pc_cleanup_all() {
	pc_stop_servers
	for pc_path in $PC_REMOVE_AT_EXIT; do
		rm -rf "$pc_path"
	done
	PC_REMOVE_AT_EXIT=
	return 0
}

pc_servers_on_exit() {
	pc_exit_code=$?
	pc_cleanup_all
	(exit $pc_exit_code)
	die
}
trap pc_servers_on_exit EXIT
# Death by a signal runs no EXIT trap: turn the usual ones into exits.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM
cleanup pc_cleanup_all

# ---- sshd ----

# pc_write_sshd_config DIR [EXTRA-LINE]...: DIR/sshd_config with its own host
# key, listening on 127.0.0.1 only, public keys from DIR/authorized_keys only.
# StrictModes is off because the trash directory is not a home directory.
# The extra lines come first: for most keywords sshd keeps the first value.
pc_write_sshd_config() {
	pc_dir=$1
	shift
	mkdir -p "$pc_dir" &&
	ssh-keygen -q -t ed25519 -N "" -C sshd-host -f "$pc_dir/host_key" &&
	{
		for pc_line in "$@"; do
			echo "$pc_line"
		done &&
		cat <<-EOF
		ListenAddress 127.0.0.1
		HostKey "$pc_dir/host_key"
		AuthorizedKeysFile "$pc_dir/authorized_keys"
		PidFile "$pc_dir/sshd.pid"
		StrictModes no
		UsePAM no
		PermitRootLogin prohibit-password
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		AllowTcpForwarding no
		X11Forwarding no
		PermitTunnel no
		MaxStartups 20
		LogLevel VERBOSE
		EOF
	} >"$pc_dir/sshd_config" &&
	touch "$pc_dir/authorized_keys"
}

# pc_start_sshd DIR: sshd -D with DIR/sshd_config; sets PC_PORT.
# sshd needs its privilege-separation directory, which the Debian service
# would create at boot; it is left in place for other sshds.
pc_start_sshd() {
	mkdir -p /run/sshd && chmod 755 /run/sshd &&
	/usr/sbin/sshd -t -f "$1/sshd_config" &&
	pc_start_server sshd "exec /usr/sbin/sshd -D -e -f '$1/sshd_config' -p \"\$PORT\""
}

# pc_ssh_command KEY: a GIT_SSH_COMMAND that logs in with KEY to the test
# sshd, trusts its new host key and never prompts.
pc_ssh_command() {
	echo "ssh -i '$1' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no \
-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p $PC_PORT"
}
