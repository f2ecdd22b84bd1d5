# lib-accounts.sh: two real server accounts in one group, for the tests of
# files several accounts share (t8622, t8691).  Sourced after test-lib.sh.

# pc_two_accounts PREFIX: the group ${PREFIX}g$$ with the accounts
# ${PREFIX}a$$ and ${PREFIX}b$$ in G, A and B, removed when the test exits;
# skips the whole test where they cannot be made (not root, no useradd).
pc_two_accounts() {
	if test "$(id -u)" != 0 || ! command -v useradd >/dev/null || ! command -v groupadd >/dev/null ||
		! command -v runuser >/dev/null; then
		skip_all='needs root with useradd, groupadd and runuser, to create two accounts'
		test_done
	fi
	if ! test_have_prereq OPEN_TO_OTHERS; then
		skip_all="other accounts cannot enter $(pc_closed_to_others): clone where they can to run this test"
		test_done
	fi
	G=$1g$$ A=$1a$$ B=$1b$$
	if ! groupadd "$G" 2>/dev/null; then
		skip_all="cannot create the group $G"
		test_done
	fi
	if ! useradd -M -N -G "$G" -s /bin/sh "$A" 2>/dev/null || ! useradd -M -N -G "$G" -s /bin/sh "$B" 2>/dev/null; then
		userdel "$A" 2>/dev/null; groupdel "$G" 2>/dev/null
		skip_all='cannot create the accounts'
		test_done
	fi
	trap pc_remove_accounts EXIT
}

pc_remove_accounts() {
	userdel "$A" 2>/dev/null; userdel "$B" 2>/dev/null; groupdel "$G" 2>/dev/null
	return 0
}
