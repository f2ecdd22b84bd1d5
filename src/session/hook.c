/*
 * hook.c: the three hooks over one push session (session.h; doc/DESIGN.md
 * section 3): what each reads from git, and in what order it judges,
 * records and reports.
 */
#include "hook.h"
#include "session.h"

#include <stdio.h>
#include <string.h>

/*
 * A hook's session, and libgit2 without re-hashing: git has hashed every
 * object of the push (index-pack, unpack-objects) before any hook runs,
 * and git itself reads objects without hashing them again; libgit2 by
 * default re-hashes every object it reads, which is a quarter of the cost
 * of judging a push of many commits.  hook_done() undoes both.
 */
static void hook_start(pc_session *s, const char *hook)
{
	pc_session_init(s, hook);
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

static void hook_done(pc_session *s)
{
	pc_session_release(s);
	git_libgit2_shutdown();
}

/* Judge, record, report: what pre-receive and update share. */
static int judge_and_record(pc_session *s, int all_or_nothing)
{
	pc_error err = PC_ERROR_INIT;

	pc_session_identify(s, NULL);
	if (pc_session_judge(s, all_or_nothing, &err) < 0) {
		pc_session_fail(stderr, &err);
		return 1;
	}
	pc_session_record(s);
	pc_session_report(s, stderr);
	return pc_session_rejected(s);
}

int pc_hook_pre_receive(int argc, char **argv)
{
	pc_session s;
	pc_error err = PC_ERROR_INIT;
	int r = 1;

	(void)argc;
	(void)argv;
	hook_start(&s, "pre-receive");
	if (pc_session_open_hook(&s, stderr) < 0)
		goto done;
	if (pc_session_read_updates(&s, stdin, &err) < 0 || pc_session_read_options(&s, &err) < 0) {
		pc_session_fail(stderr, &err);
		goto done;
	}
	r = s.nupdates ? judge_and_record(&s, 1) : 0;
done:
	hook_done(&s);
	return r;
}

int pc_hook_update(int argc, char **argv)
{
	pc_session s;
	pc_error err = PC_ERROR_INIT;
	int r = 1;

	hook_start(&s, "update");
	if (argc != 4) {
		pc_error_set(&err, PC_EINVAL, "the update hook takes REF OLD NEW");
		pc_session_fail(stderr, &err);
		goto done;
	}
	if (pc_session_open_hook(&s, stderr) < 0)
		goto done;
	if (pc_session_add_update(&s, argv[1], argv[2], argv[3], &err) < 0) {
		pc_session_fail(stderr, &err);
		goto done;
	}
	r = judge_and_record(&s, 0);
done:
	hook_done(&s);
	return r;
}

int pc_hook_reference_transaction(int argc, char **argv)
{
	pc_session s;
	pc_error err = PC_ERROR_INIT;
	const char *state;
	size_t i;

	/*
	 * Only what git really did is recorded.  The exit code is ignored for
	 * "committed" and "aborted"; "prepared" is let through: the decision
	 * was made, and recorded, by pre-receive or update.  Git runs this
	 * hook twice for every ref update, so "prepared" returns before
	 * libgit2 is even started (its start-up is most of a small push).
	 */
	state = argc > 1 ? argv[1] : "";
	if (strcmp(state, "committed") && strcmp(state, "aborted")) {
		/* drain stdin so git does not get SIGPIPE */
		while (getchar() != EOF)
			;
		return 0;
	}
	/*
	 * Recording needs neither the objects nor libgit2, whose start-up
	 * (Debian's parses the system CA bundle) would be most of this hook:
	 * only the repository's path, its policy and the updates.
	 */
	pc_session_init(&s, "reference-transaction");
	if (pc_session_open_transaction(&s, stderr) < 0)
		goto done;
	if (pc_session_read_updates(&s, stdin, &err) < 0) {
		fprintf(stderr, "policy-check: reference-transaction: %s\n", err.msg);
		goto done;
	}
	/*
	 * A symbolic HEAD moves with its branch, which is recorded itself;
	 * an update from nothing to nothing is the packed-refs half of a
	 * deletion, which did nothing.
	 */
	for (i = s.nupdates; i-- > 0;)
		if (!strcmp(s.updates[i].ref, "HEAD") ||
		    (git_oid_is_zero(&s.updates[i].old_id) && git_oid_is_zero(&s.updates[i].new_id))) {
			pc_update_release(&s.updates[i]);
			memmove(&s.updates[i], &s.updates[i + 1], (s.nupdates - i - 1) * sizeof(*s.updates));
			s.nupdates--;
		}
	pc_session_identify(&s, NULL);
	if (pc_session_record_transaction(&s, state, &err) < 0)
		fprintf(stderr, "policy-check: reference-transaction: cannot record what git did: %s\n", err.msg);
done:
	pc_session_release(&s);
	return 0;
}
