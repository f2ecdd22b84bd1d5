/*
 * hook.c: the three hooks over one push session (session.h; doc/DESIGN.md
 * section 3): what each reads from git, and in what order it judges,
 * records and reports.
 */
#include "config.h"
#include "hook.h"
#include "chain.h"
#include "repo.h"
#include "session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

/*
 * What the hooks print goes to the pusher through git's "remote:" lines.
 * GitLab (GL_PROTOCOL=web: the merge button, the web editor, the API)
 * shows its user only the lines that start with "GL-HOOK-ERR: ", so
 * there every line the hook prints gets that prefix, as it is written.
 */
#define GL_HOOK_PREFIX "GL-HOOK-ERR: "

static ssize_t gl_write(void *cookie, const char *buf, size_t size)
{
	int *bol = cookie;
	size_t n, done = 0;
	const char *nl;

	while (done < size) {
		if (*bol && fputs(GL_HOOK_PREFIX, stderr) == EOF)
			return -1;
		nl = memchr(buf + done, '\n', size - done);
		n = nl ? (size_t)(nl - (buf + done)) + 1 : size - done;
		if (fwrite(buf + done, 1, n, stderr) != n)
			return -1;
		*bol = nl != NULL;
		done += n;
	}
	fflush(stderr);
	return (ssize_t)size;
}

static int gl_close(void *cookie)
{
	int *bol = cookie;

	if (!*bol)
		fputc('\n', stderr);
	fflush(stderr);
	return 0;
}

static int gl_bol = 1;

static FILE *hook_out(void)
{
	static const cookie_io_functions_t io = { NULL, gl_write, NULL, gl_close };
	const char *proto = getenv("GL_PROTOCOL");
	FILE *fp;

	if (!proto || strcmp(proto, "web"))
		return stderr;
	if (!(fp = fopencookie(&gl_bol, "w", io)))
		return stderr;
	setvbuf(fp, NULL, _IOLBF, 0);
	return fp;
}

static void hook_out_close(FILE *fp)
{
	if (fp && fp != stderr)
		fclose(fp);
}

/*
 * A hook's session, and libgit2 without re-hashing: git has hashed every
 * object of the push (index-pack, unpack-objects) before any hook runs,
 * and git itself reads objects without hashing them again; libgit2 by
 * default re-hashes every object it reads, which is a quarter of the cost
 * of judging a push of many commits.  hook_done() undoes both (through
 * hook_release).
 */
static struct timespec hook_started;
static void (*hook_release)(pc_session *s) = pc_session_clear;
/*
 * The repository of a hook that judged a big push holds libgit2's object
 * cache: many thousands of objects that git_repository_free would free
 * one by one just before the process exits and the kernel takes all its
 * memory back at once.  Outside sanitizer builds (whose leak check wants
 * every block freed) the handle is left to the exit, kept here so that it
 * stays reachable (valgrind).  Only memory is left: the hook has nothing
 * to flush or unlock in it, whatever the outcome.
 */
#ifndef PC_SANITIZERS
static git_repository *volatile hook_kept_repo;	/* volatile: the store stays */
#endif

static void hook_start(pc_session *s, const char *hook)
{
	clock_gettime(CLOCK_MONOTONIC, &hook_started);
	pc_session_init(s, hook);
}

static void release_with_git(pc_session *s)
{
#ifndef PC_SANITIZERS
	hook_kept_repo = s->repo;
	s->repo = NULL;
#endif
	pc_session_release(s);
	git_libgit2_shutdown();
}

/*
 * pre-receive and update start libgit2; reference-transaction does not
 * even link it (mk/hooks.am): only these two functions and what the
 * other hooks call name it, and the linker leaves them out of that one.
 */
static void hook_start_git(pc_session *s, const char *hook)
{
	hook_start(s, hook);
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	hook_release = release_with_git;
}

/* The operator's syslog line (decision NULL: from the verdicts), then the end. */
static void hook_done(pc_session *s, const char *decision)
{
	struct timespec now;
	long long usec = 0;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == 0)
		usec = (long long)(now.tv_sec - hook_started.tv_sec) * 1000000 +
			(now.tv_nsec - hook_started.tv_nsec) / 1000;
	/* reference-transaction: nothing to say of a transaction of HEAD alone */
	if (!decision || s->nupdates || s->failure)
		pc_session_log(s, decision, usec);
	hook_release(s);
}

/*
 * The repository's own hooks (hooks/NAME.d/) run once policy-check has
 * accepted, before anything is recorded: when one of them fails, git
 * applies nothing, so every verdict becomes a rejection that names it,
 * and the log never holds an accept record for a push git refused.
 */
static void run_chain(pc_session *s, const char *name)
{
	pc_error err = PC_ERROR_INIT;
	char why[PATH_MAX + 64] = "";
	size_t i;
	int r;

	if (pc_session_rejected(s))
		return;
	if ((r = pc_chain_run(s, name, why, sizeof(why), &err)) == 0)
		return;
	for (i = 0; i < s->nverdicts; i++) {
		if (r < 0)
			pc_verdict_internal(&s->verdicts[i], PC_INTERNAL_HINT, "%s", err.msg);
		else
			pc_verdict_reject(&s->verdicts[i], "hook",
				"its own output above says why; policy-check itself accepted this update",
				"%s: the repository's own %s hook rejected the push", why, name);
	}
}

/* Judge, chain, record, report: what pre-receive and update share. */
static int judge_and_record(pc_session *s, int all_or_nothing, FILE *out)
{
	pc_error err = PC_ERROR_INIT;

	pc_session_identify(s, NULL);
	if (pc_session_judge(s, all_or_nothing, &err) < 0) {
		pc_session_set_failure(s, "cannot judge the push: %s", err.msg);
		pc_session_fail(out, &err);
		return 1;
	}
	run_chain(s, s->hook);
	pc_session_record(s);
	pc_session_report(s, out);
	pc_session_publish(s, out);
	return pc_session_rejected(s);
}

int pc_hook_pre_receive(int argc, char **argv)
{
	pc_session s;
	pc_error err = PC_ERROR_INIT;
	FILE *out = hook_out();
	int r = 1;

	(void)argc;
	(void)argv;
	hook_start_git(&s, "pre-receive");
	if (pc_session_open_hook(&s, out) < 0)
		goto done;
	if (pc_session_read_updates(&s, stdin, &err) < 0 || pc_session_read_options(&s, &err) < 0) {
		pc_session_set_failure(&s, "cannot read the push: %s", err.msg);
		pc_session_fail(out, &err);
		goto done;
	}
	r = s.nupdates ? judge_and_record(&s, 1, out) : 0;
done:
	hook_done(&s, NULL);
	hook_out_close(out);
	return r;
}

int pc_hook_update(int argc, char **argv)
{
	pc_session s;
	pc_error err = PC_ERROR_INIT;
	FILE *out = hook_out();
	int r = 1;

	hook_start_git(&s, "update");
	if (argc != 4) {
		pc_error_set(&err, PC_EINVAL, "the update hook takes REF OLD NEW");
		pc_session_set_failure(&s, "%s", err.msg);
		pc_session_fail(out, &err);
		goto done;
	}
	if (pc_session_open_hook(&s, out) < 0)
		goto done;
	if (pc_session_add_update(&s, argv[1], argv[2], argv[3], &err) < 0) {
		pc_session_set_failure(&s, "cannot read the push: %s", err.msg);
		pc_session_fail(out, &err);
		goto done;
	}
	r = judge_and_record(&s, 0, out);
done:
	hook_done(&s, NULL);
	hook_out_close(out);
	return r;
}

int pc_hook_reference_transaction(int argc, char **argv)
{
	pc_session s;
	pc_error err = PC_ERROR_INIT;
	const char *state;
	FILE *out;
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
	out = hook_out();
	hook_start(&s, "reference-transaction");
	if (pc_session_open_transaction(&s, out) < 0)
		goto done;
	if (pc_session_read_transaction(&s, stdin, &err) < 0) {
		pc_session_set_failure(&s, "cannot read what git did: %s", err.msg);
		fprintf(out, "policy-check: reference-transaction: %s\n", err.msg);
		goto done;
	}
	/*
	 * A symbolic HEAD moves with its branch, which is recorded itself;
	 * an update from nothing to nothing is the packed-refs half of a
	 * deletion, which did nothing.
	 */
	for (i = s.nupdates; i-- > 0;)
		if (!strcmp(s.updates[i].ref, "HEAD") ||
		    (pc_oid_is_zero(&s.updates[i].old_id) && pc_oid_is_zero(&s.updates[i].new_id))) {
			pc_update_release(&s.updates[i]);
			memmove(&s.updates[i], &s.updates[i + 1], (s.nupdates - i - 1) * sizeof(*s.updates));
			s.nupdates--;
		}
	pc_session_identify(&s, NULL);
	if (pc_session_record_transaction(&s, state, &err) < 0) {
		pc_session_set_failure(&s, "cannot record what git did: %s", err.msg);
		fprintf(out, "policy-check: reference-transaction: cannot record what git did: %s\n", err.msg);
	}
done:
	hook_done(&s, state);
	hook_out_close(out);
	return 0;
}
