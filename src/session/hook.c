/*
 * hook.c: one push, end to end (DESIGN.md section 3): read the updates,
 * open the repository with its quarantine, load the server's policy,
 * evaluate, append the audit records, report.
 */
#include "hook.h"
#include "audit.h"
#include "evaluate.h"
#include "policy.h"
#include "pushers.h"
#include "repo.h"
#include "report.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_PREFIX "policy-check: rejected: "

typedef struct hook_run {
	const char *hook;
	git_repository *repo;
	pc_policy *policy;
	char *repo_path;
	pc_update *updates;
	size_t nupdates;
	pc_strlist options;
	pc_verdict *verdicts;
	size_t nverdicts;
} hook_run;

static void run_release(hook_run *h)
{
	size_t i;

	for (i = 0; i < h->nverdicts; i++)
		pc_verdict_release(&h->verdicts[i]);
	free(h->verdicts);
	pc_updates_free(h->updates, h->nupdates);
	pc_strlist_clear(&h->options);
	pc_policy_free(h->policy);
	free(h->repo_path);
	git_repository_free(h->repo);
	git_libgit2_shutdown();
}

/* The repository's absolute path without the trailing slash, for records. */
static char *repo_path(git_repository *repo)
{
	char real[PATH_MAX];
	const char *p = git_repository_path(repo);
	size_t len;

	if (realpath(p, real))
		p = real;
	len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		len--;
	return pc_strndup(p, len);
}

/*
 * git has hashed every object of the push (index-pack, unpack-objects)
 * before any hook runs, and git itself reads objects without hashing them
 * again; libgit2 by default re-hashes every object it reads, which is a
 * quarter of the cost of judging a push of many commits.
 */
static void hook_libgit2_init(void)
{
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

static int open_and_load(hook_run *h)
{
	pc_diag diags = PC_DIAG_INIT;
	pc_error err = PC_ERROR_INIT;
	char *path = NULL;
	int r;

	if (pc_repo_open_hook(&h->repo, &err) < 0) {
		fprintf(stderr, ERR_PREFIX "%s\n", err.msg);
		return -1;
	}
	if (!(h->repo_path = repo_path(h->repo))) {
		fprintf(stderr, ERR_PREFIX "out of memory\n");
		return -1;
	}
	if (pc_policy_path_for_repo(&path, h->repo_path, &err) < 0) {
		fprintf(stderr, ERR_PREFIX "%s\n", err.msg);
		return -1;
	}
	/* Whoever can change the policy decides every push: only its owner may. */
	if ((r = pc_check_safe_path(path, PC_SAFE_NO_SYMLINK, &err)) < 0 && r != PC_ENOTFOUND) {
		fprintf(stderr, ERR_PREFIX "%s\n", err.msg);
		free(path);
		return -1;
	}
	r = pc_policy_load(&h->policy, path, &diags);
	if (r < 0) {
		fprintf(stderr, ERR_PREFIX "the server's policy %s is invalid; every push is rejected until an administrator fixes it:\n", path);
		pc_diag_print(&diags, stderr);
	}
	pc_diag_clear(&diags);
	free(path);
	return r < 0 ? -1 : 0;
}

/* Records are written before git updates any ref; no record, no acceptance. */
static int write_audit(hook_run *h, const char *pusher, const char *identity, long long *first)
{
	pc_audit_config cfg;
	pc_audit_record *recs;
	pc_error err = PC_ERROR_INIT;
	char push_id[33];
	uint64_t seq = 0;
	size_t i;
	int r;

	/* flags stay 0: the hooks always sync (PC_AUDIT_NO_SYNC is for benchmarks) */
	memset(&cfg, 0, sizeof(cfg));
	cfg.log_path = h->policy->audit_log;
	cfg.key_path = h->policy->audit_key;
	cfg.origin = h->policy->audit_origin;
	cfg.void_on_failure = 1;	/* a failed append rejects the push: no accept may stand */
	if (!(recs = pc_calloc(h->nverdicts, sizeof(*recs)))) {
		fprintf(stderr, ERR_PREFIX "out of memory\n");
		return -1;
	}
	pc_audit_push_id(push_id);
	for (i = 0; i < h->nverdicts; i++) {
		recs[i].hook = h->hook;
		recs[i].repo = h->repo_path;
		recs[i].push = push_id;
		recs[i].pusher = pusher;
		recs[i].identity = identity;
		recs[i].decision = h->verdicts[i].accept ? "accept" : "reject";
		recs[i].policy = h->policy->sha256;
		recs[i].verdict = &h->verdicts[i];
	}
	r = pc_audit_append(&cfg, recs, h->nverdicts, &seq, &err);
	free(recs);
	if (r < 0) {
		fprintf(stderr, ERR_PREFIX "cannot write the audit record, so nothing can be accepted: %s\n",
			err.msg);
		return -1;
	}
	*first = (long long)seq;
	return 0;
}

/*
 * The first-pusher index gets an entry for every commit new to the
 * repository that an accepted update brings, before git applies it; a
 * push whose entries cannot be written is not accepted.
 */
static int record_first_pushers(hook_run *h, const pc_push *push, pc_error *err)
{
	pc_pushers *px = NULL;
	git_oid *all = NULL;
	size_t i, n = 0, total = 0;
	int r;

	/*
	 * Entries name policy users (whose names are plain tokens); a pusher
	 * the policy does not know approves nothing, so leaves no entry.
	 */
	if (!push->pusher || !pc_policy_user(h->policy, push->pusher))
		return 0;
	for (i = 0; i < h->nverdicts; i++)
		if (h->verdicts[i].accept)
			total += push->new_commits[i].n;
	if (!total)
		return 0;
	if (!(all = pc_calloc(total, sizeof(*all))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	for (i = 0; i < h->nverdicts; i++)
		if (h->verdicts[i].accept && push->new_commits[i].n) {
			memcpy(all + n, push->new_commits[i].ids, push->new_commits[i].n * sizeof(*all));
			n += push->new_commits[i].n;
		}
	if ((r = pc_pushers_open(&px, git_repository_path(h->repo), h->policy->audit_key,
			h->policy->audit_origin, err)) == 0)
		r = pc_pushers_record(px, push->pusher, all, n, err);
	pc_pushers_free(px);
	free(all);
	return r;
}

static int judge_and_record(hook_run *h, int all_or_nothing)
{
	pc_push push;
	pc_oidlist *new_commits = NULL;
	pc_error err = PC_ERROR_INIT;
	const char *pusher, *identity;
	long long first = -1;
	size_t i;
	int rejected = 1;

	pc_identity_from_env(h->policy, &pusher, &identity);
	if (!(h->verdicts = pc_calloc(h->nupdates, sizeof(*h->verdicts))) ||
	    !(new_commits = pc_calloc(h->nupdates, sizeof(*new_commits)))) {
		fprintf(stderr, ERR_PREFIX "out of memory\n");
		goto done;
	}
	memset(&push, 0, sizeof(push));
	push.repo = h->repo;
	push.policy = h->policy;
	push.pusher = pusher;
	push.identity = identity;
	push.options = &h->options;
	push.updates = h->updates;
	push.nupdates = h->nupdates;
	push.all_or_nothing = all_or_nothing;
	push.new_commits = new_commits;
	if (pc_evaluate(h->verdicts, &push, &err) < 0) {
		fprintf(stderr, ERR_PREFIX "%s\n", err.msg);
		goto done;
	}
	h->nverdicts = h->nupdates;
	if (record_first_pushers(h, &push, &err) < 0)
		for (i = 0; i < h->nverdicts; i++)
			if (h->verdicts[i].accept)
				pc_verdict_internal(&h->verdicts[i],
					"this is a server-side problem; show this message to the administrators of the repository",
					"cannot record who first pushed the new commits, so they cannot be accepted: %s",
					err.msg);
	if (write_audit(h, pusher, identity, &first) < 0) {
		for (i = 0; i < h->nverdicts; i++)
			h->verdicts[i].accept = 0;
		pc_report_write(stderr, h->verdicts, h->nverdicts, -1);
		goto done;
	}
	pc_report_write(stderr, h->verdicts, h->nverdicts, first);
	rejected = 0;
	for (i = 0; i < h->nverdicts; i++)
		if (!h->verdicts[i].accept)
			rejected = 1;
done:
	for (i = 0; new_commits && i < h->nupdates; i++)
		free(new_commits[i].ids);
	free(new_commits);
	return rejected;
}

int pc_hook_pre_receive(int argc, char **argv)
{
	hook_run h;
	pc_error err = PC_ERROR_INIT;
	int r = 1;

	(void)argc;
	(void)argv;
	memset(&h, 0, sizeof(h));
	h.hook = "pre-receive";
	hook_libgit2_init();
	if (open_and_load(&h) < 0)
		goto done;
	if (pc_updates_read(&h.updates, &h.nupdates, stdin, (size_t)h.policy->limits.max_refs, &err) < 0 ||
	    pc_push_options_from_env(&h.options, &err) < 0) {
		fprintf(stderr, ERR_PREFIX "%s\n", err.msg);
		goto done;
	}
	if (!h.nupdates) {
		r = 0;
		goto done;
	}
	r = judge_and_record(&h, 1);
done:
	run_release(&h);
	return r;
}

int pc_hook_update(int argc, char **argv)
{
	hook_run h;
	pc_error err = PC_ERROR_INIT;
	char *line = NULL;
	int r = 1;

	memset(&h, 0, sizeof(h));
	h.hook = "update";
	hook_libgit2_init();
	if (argc != 4) {
		fprintf(stderr, ERR_PREFIX "the update hook takes REF OLD NEW\n");
		goto done;
	}
	if (open_and_load(&h) < 0)
		goto done;
	if (!(line = pc_asprintf("%s %s %s", argv[2], argv[3], argv[1])) ||
	    !(h.updates = pc_calloc(1, sizeof(*h.updates)))) {
		fprintf(stderr, ERR_PREFIX "out of memory\n");
		goto done;
	}
	if (pc_update_parse(&h.updates[0], line, strlen(line), &err) < 0) {
		fprintf(stderr, ERR_PREFIX "%s\n", err.msg);
		goto done;
	}
	h.nupdates = 1;
	r = judge_and_record(&h, 0);
done:
	free(line);
	run_release(&h);
	return r;
}

int pc_hook_reference_transaction(int argc, char **argv)
{
	hook_run h;
	pc_error err = PC_ERROR_INIT;
	pc_audit_config cfg;
	pc_audit_record *recs = NULL;
	char push_id[33], old_hex[PC_HEX_MAX], new_hex[PC_HEX_MAX];
	const char *state, *pusher, *identity;
	char (*olds)[PC_HEX_MAX] = NULL, (*news)[PC_HEX_MAX] = NULL;
	uint64_t seq;
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
	memset(&h, 0, sizeof(h));
	h.hook = "reference-transaction";
	hook_libgit2_init();
	if (open_and_load(&h) < 0)
		goto done;
	if (pc_updates_read(&h.updates, &h.nupdates, stdin, (size_t)h.policy->limits.max_refs, &err) < 0) {
		fprintf(stderr, "policy-check: reference-transaction: %s\n", err.msg);
		goto done;
	}
	/* A symbolic HEAD moves with its branch, which is recorded itself. */
	for (i = h.nupdates; i-- > 0;)
		if (!strcmp(h.updates[i].ref, "HEAD")) {
			pc_update_release(&h.updates[i]);
			memmove(&h.updates[i], &h.updates[i + 1], (h.nupdates - i - 1) * sizeof(*h.updates));
			h.nupdates--;
		}
	if (!h.nupdates)
		goto done;
	if (!(recs = pc_calloc(h.nupdates, sizeof(*recs))) ||
	    !(olds = pc_calloc(h.nupdates, sizeof(*olds))) || !(news = pc_calloc(h.nupdates, sizeof(*news)))) {
		fprintf(stderr, "policy-check: reference-transaction: out of memory\n");
		goto done;
	}
	pc_identity_from_env(h.policy, &pusher, &identity);
	pc_audit_push_id(push_id);
	for (i = 0; i < h.nupdates; i++) {
		const pc_update *u = &h.updates[i];
		git_oid_tostr(old_hex, sizeof(old_hex), &u->old_id);
		git_oid_tostr(new_hex, sizeof(new_hex), &u->new_id);
		memcpy(olds[i], old_hex, sizeof(old_hex));
		memcpy(news[i], new_hex, sizeof(new_hex));
		recs[i].hook = h.hook;
		recs[i].repo = h.repo_path;
		recs[i].push = push_id;
		recs[i].pusher = pusher;
		recs[i].identity = identity;
		recs[i].decision = state;
		recs[i].policy = h.policy->sha256;
		recs[i].ref = u->ref;
		recs[i].old_hex = olds[i];
		recs[i].new_hex = news[i];
		recs[i].op = git_oid_is_zero(&u->old_id) ? "create" :
			git_oid_is_zero(&u->new_id) ? "delete" : "update";
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.log_path = h.policy->audit_log;
	cfg.key_path = h.policy->audit_key;
	cfg.origin = h.policy->audit_origin;
	if (pc_audit_append(&cfg, recs, h.nupdates, &seq, &err) < 0)
		fprintf(stderr, "policy-check: reference-transaction: cannot record what git did: %s\n", err.msg);
done:
	free(recs);
	free(olds);
	free(news);
	run_release(&h);
	return 0;
}
