/*
 * session.c: one push as the hooks and `policy-check check` see it; see
 * session.h.
 */
#include "session.h"
#include "audit.h"
#include "buf.h"
#include "oplog.h"
#include "publish.h"
#include "pushers.h"
#include "repo.h"
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- the updates, the pusher, the push options -------------------------- */

static int is_hex(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)p[i]))
			return 0;
	return 1;
}

/* Fill out from the three parts of an update, each checked as hostile input. */
/*
 * git's own rules for a ref name (check-ref-format, with one-level names
 * allowed), for the reference-transaction hook, which runs without
 * libgit2: the names it reads are those git has just written.
 */
static int refname_is_valid(const char *ref)
{
	const char *c = ref, *start = ref;
	unsigned char ch;

	if (!*ref || !strcmp(ref, "@"))
		return 0;
	for (;; c++) {
		ch = (unsigned char)*c;
		if (ch == '/' || !ch) {
			size_t n = (size_t)(c - start);

			if (!n || start[0] == '.' ||
			    (n >= 5 && !memcmp(c - 5, ".lock", 5)))
				return 0;
			if (!ch)
				break;
			start = c + 1;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f || strchr(" ~^:?*[\\", ch))
			return 0;
		if ((ch == '.' && c[1] == '.') || (ch == '@' && c[1] == '{'))
			return 0;
	}
	return c[-1] != '.';
}

/* libgit2's rules, for names the pusher chose. */
static int refname_is_valid_git(const char *ref)
{
	int valid = 0;

	return git_reference_name_is_valid(&valid, ref) == 0 && valid;
}

typedef int (*refname_check)(const char *ref);

static int update_set(pc_update *out, const char *old_hex, size_t old_len,
	const char *new_hex, size_t new_len, const char *ref, size_t ref_len, refname_check valid,
	pc_error *err)
{
	memset(out, 0, sizeof(*out));
	if (old_len != GIT_OID_HEXSZ || new_len != GIT_OID_HEXSZ || !is_hex(old_hex, old_len) ||
	    !is_hex(new_hex, new_len) || pc_unhex(out->old_id.id, old_hex, GIT_OID_RAWSZ) < 0 ||
	    pc_unhex(out->new_id.id, new_hex, GIT_OID_RAWSZ) < 0)
		return pc_error_set(err, PC_EINVAL, "object ids must be %d hex digits", GIT_OID_HEXSZ);
	if (memchr(ref, '\0', ref_len))
		return pc_error_set(err, PC_EINVAL, "invalid ref name");
	if (!(out->ref = pc_strndup(ref, ref_len)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	/* HEAD appears in reference-transaction input when it is detached. */
	if (!valid(out->ref) ||
	    (strncmp(out->ref, "refs/", 5) && strcmp(out->ref, "HEAD"))) {
		pc_update_release(out);
		return pc_error_set(err, PC_EINVAL, "invalid ref name");
	}
	return 0;
}

static int update_parse(pc_update *out, const char *line, size_t len, refname_check valid,
	pc_error *err)
{
	const char *sp1, *sp2, *end = line + len;

	memset(out, 0, sizeof(*out));
	if (memchr(line, '\0', len))
		return pc_error_set(err, PC_EINVAL, "update line contains a NUL byte");
	sp1 = memchr(line, ' ', len);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1)) : NULL;
	if (!sp1 || !sp2)
		return pc_error_set(err, PC_EINVAL, "update line is not 'OLD NEW REF'");
	return update_set(out, line, (size_t)(sp1 - line), sp1 + 1, (size_t)(sp2 - sp1 - 1),
		sp2 + 1, (size_t)(end - sp2 - 1), valid, err);
}

int pc_update_parse(pc_update *out, const char *line, size_t len, pc_error *err)
{
	return update_parse(out, line, len, refname_is_valid_git, err);
}

void pc_update_release(pc_update *u)
{
	free(u->ref);
	memset(u, 0, sizeof(*u));
}

void pc_updates_free(pc_update *u, size_t n)
{
	size_t i;

	for (i = 0; u && i < n; i++)
		pc_update_release(&u[i]);
	free(u);
}

static int updates_read(pc_update **out, size_t *n, FILE *fp, size_t max_refs, refname_check valid,
	pc_error *err)
{
	pc_update *list = NULL;
	size_t count = 0, alloc = 0, lineno = 0;
	pc_buf line = PC_BUF_INIT;
	int c, r = 0;

	*out = NULL;
	*n = 0;
	pc_buf_init(&line, PC_UPDATE_LINE_MAX);
	for (;;) {
		c = getc(fp);
		if (c != EOF && c != '\n') {
			if (pc_buf_putc(&line, (char)c) < 0) {
				r = pc_error_set(err, PC_ELIMIT, "update line %zu is longer than %d bytes",
					lineno + 1, PC_UPDATE_LINE_MAX);
				goto done;
			}
			continue;
		}
		if (c == EOF && line.len == 0)
			break;
		lineno++;
		if (count >= max_refs) {
			r = pc_error_set(err, PC_ELIMIT, "more than %zu ref updates in one push (limits.max_refs)",
				max_refs);
			goto done;
		}
		if (pc_grow((void **)&list, &alloc, count + 1, sizeof(*list)) < 0) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		if ((r = update_parse(&list[count], line.ptr, line.len, valid, err)) < 0) {
			pc_error_prefix(err, "update line %zu", lineno);
			goto done;
		}
		count++;
		pc_buf_clear(&line);
		if (c == EOF)
			break;
	}
	if (ferror(fp))
		r = pc_error_set(err, PC_EIO, "cannot read the ref updates");
done:
	pc_buf_release(&line);
	if (r < 0) {
		pc_updates_free(list, count);
		return r;
	}
	*out = list;
	*n = count;
	return 0;
}

int pc_updates_read(pc_update **out, size_t *n, FILE *fp, size_t max_refs, pc_error *err)
{
	return updates_read(out, n, fp, max_refs, refname_is_valid_git, err);
}

int pc_session_read_updates(pc_session *s, FILE *fp, pc_error *err)
{
	return updates_read(&s->updates, &s->nupdates, fp, (size_t)s->policy->limits.max_refs,
		refname_is_valid_git, err);
}

int pc_session_read_transaction(pc_session *s, FILE *fp, pc_error *err)
{
	return updates_read(&s->updates, &s->nupdates, fp, (size_t)s->policy->limits.max_refs,
		refname_is_valid, err);
}

int pc_session_add_update(pc_session *s, const char *ref, const char *old_hex,
	const char *new_hex, pc_error *err)
{
	pc_update u, *grown;
	int r;

	if (s->nupdates >= (size_t)s->policy->limits.max_refs)
		return pc_error_set(err, PC_ELIMIT, "more than %zu ref updates in one push (limits.max_refs)",
			(size_t)s->policy->limits.max_refs);
	if ((r = update_set(&u, old_hex, strlen(old_hex), new_hex, strlen(new_hex), ref, strlen(ref),
			refname_is_valid_git, err)) < 0)
		return r;
	if (!(grown = pc_realloc(s->updates, (s->nupdates + 1) * sizeof(*s->updates)))) {
		pc_update_release(&u);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	s->updates = grown;
	s->updates[s->nupdates++] = u;
	return 0;
}

int pc_session_read_options(pc_session *s, pc_error *err)
{
	const char *count = getenv("GIT_PUSH_OPTION_COUNT"), *v;
	char name[64];
	long i, n;

	if (!count || !*count)
		return 0;
	n = strtol(count, NULL, 10);
	if (n < 0 || n > 1000)
		return pc_error_set(err, PC_EINVAL, "bad GIT_PUSH_OPTION_COUNT");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "GIT_PUSH_OPTION_%ld", i);
		if (!(v = getenv(name)))
			continue;
		if (pc_strlist_add(&s->options, v) < 0)
			return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	return 0;
}

void pc_session_identify(pc_session *s, const char *as)
{
	const pc_policy *p = s->policy;
	const char *v;
	size_t i;

	s->pusher = s->identity = NULL;
	if (as) {
		s->pusher = as;
		s->identity = "--as";
		return;
	}
	for (i = 0; i < p->identity_env.n; i++) {
		v = getenv(p->identity_env.items[i]);
		if (v && *v) {
			s->pusher = v;
			s->identity = p->identity_env.items[i];
			return;
		}
	}
}

/* ---- the repository and the policy --------------------------------------- */

void pc_session_init(pc_session *s, const char *hook)
{
	memset(s, 0, sizeof(*s));
	s->hook = hook;
	s->first_seq = -1;
}

void pc_session_release(pc_session *s)
{
	git_repository_free(s->repo);
	s->repo = NULL;
	pc_session_clear(s);
}

void pc_session_clear(pc_session *s)
{
	size_t i;

	for (i = 0; i < s->nverdicts; i++)
		pc_verdict_release(&s->verdicts[i]);
	free(s->verdicts);
	for (i = 0; s->new_commits && i < s->nupdates; i++)
		free(s->new_commits[i].ids);
	free(s->new_commits);
	pc_updates_free(s->updates, s->nupdates);
	pc_strlist_clear(&s->options);
	pc_policy_free(s->policy);
	free(s->repo_path);
	free(s->failure);
	free(s->ref_view);
	memset(s, 0, sizeof(*s));
}

/* pc_session_load_policy, and the first diagnostic in *first when it fails. */
static int load_policy(pc_policy **out, const char *path, FILE *fp, const char *intro, pc_error *first)
{
	pc_diag diags = PC_DIAG_INIT;
	int r;

	r = pc_policy_load(out, path, &diags);
	if (r < 0) {
		if (intro)
			fprintf(fp, "%s\n", intro);
		else if (!diags.n)
			fprintf(fp, "policy-check: cannot load the policy %s\n", path);
		pc_diag_print(&diags, fp);
		if (first && pc_diag_to_error(&diags, first) == 0)
			pc_error_set(first, PC_EINVAL, "cannot load it");
	}
	pc_diag_clear(&diags);
	return r;
}

int pc_session_load_policy(pc_policy **out, const char *path, FILE *fp, const char *intro)
{
	return load_policy(out, path, fp, intro, NULL);
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

/* The policy of the repository at s->repo_path, refused if others could change it. */
static int open_policy(pc_session *s, FILE *fp)
{
	pc_error err = PC_ERROR_INIT;
	char *path = NULL, *intro = NULL;
	int r;

	if ((r = pc_policy_path_for_repo(&path, s->repo_path, &err)) < 0)
		goto fail;
	/* Whoever can change the policy decides every push: only its owner may. */
	if ((r = pc_check_safe_path(path, PC_SAFE_NO_SYMLINK, &err)) < 0 && r != PC_ENOTFOUND)
		goto fail;
	if (!(intro = pc_asprintf(PC_SESSION_ERR_PREFIX "the server's policy %s is invalid; "
			"every push is rejected until an administrator fixes it:", path))) {
		r = pc_error_set(&err, PC_ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = load_policy(&s->policy, path, fp, intro, &err)) < 0)
		pc_session_set_failure(s, "the server's policy %s is invalid: %s", path, err.msg);
	goto done;
fail:
	pc_session_set_failure(s, "%s", err.msg);
	pc_session_fail(fp, &err);
done:
	free(intro);
	free(path);
	return r < 0 ? -1 : 0;
}

int pc_session_open_hook(pc_session *s, FILE *fp)
{
	pc_error err = PC_ERROR_INIT;

	if (pc_repo_open_hook(&s->repo, &err) < 0)
		goto fail;
	if (!(s->repo_path = repo_path(s->repo))) {
		pc_error_set(&err, PC_ENOMEM, "out of memory");
		goto fail;
	}
	return open_policy(s, fp);
fail:
	pc_session_fail(fp, &err);
	return -1;
}

int pc_session_open_transaction(pc_session *s, FILE *fp)
{
	pc_error err = PC_ERROR_INIT;
	const char *git_dir = getenv("GIT_DIR");
	char real[PATH_MAX];
	size_t len;

	if (!git_dir || !*git_dir)
		git_dir = ".";
	/* git_repository_path() of the same directory, as repo_path() gives it */
	if (!realpath(git_dir, real)) {
		pc_error_set(&err, PC_EIO, "cannot open the repository: %s: %s", git_dir, strerror(errno));
		goto fail;
	}
	len = strlen(real);
	while (len > 1 && real[len - 1] == '/')
		len--;
	if (!(s->repo_path = pc_strndup(real, len))) {
		pc_error_set(&err, PC_ENOMEM, "out of memory");
		goto fail;
	}
	return open_policy(s, fp);
fail:
	pc_session_fail(fp, &err);
	return -1;
}

/* ---- judging ------------------------------------------------------------- */

int pc_session_judge(pc_session *s, int all_or_nothing, pc_error *err)
{
	pc_push push;
	size_t n = s->nupdates ? s->nupdates : 1;

	if (!(s->verdicts = pc_calloc(n, sizeof(*s->verdicts))) ||
	    !(s->new_commits = pc_calloc(n, sizeof(*s->new_commits))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	memset(&push, 0, sizeof(push));
	push.repo = s->repo;
	push.policy = s->policy;
	push.pusher = s->pusher;
	push.identity = s->identity;
	push.options = &s->options;
	push.updates = s->updates;
	push.nupdates = s->nupdates;
	push.all_or_nothing = all_or_nothing;
	push.new_commits = s->new_commits;
	push.ref_view = s->ref_view;
	if (pc_evaluate(s->verdicts, &push, err) < 0)
		return -1;
	s->nverdicts = s->nupdates;
	return 0;
}

int pc_session_rejected(const pc_session *s)
{
	size_t i;

	if (!s->nverdicts && s->nupdates)
		return 1;
	for (i = 0; i < s->nverdicts; i++)
		if (!s->verdicts[i].accept)
			return 1;
	return 0;
}

/* ---- recording ----------------------------------------------------------- */

/* The one place the audit log's configuration is taken from the policy. */
static void audit_config(pc_audit_config *cfg, const pc_policy *p)
{
	/* flags stay 0: the hooks always sync (PC_AUDIT_NO_SYNC is for benchmarks) */
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_path = p->audit_log;
	cfg->key_path = p->audit_key;
	cfg->origin = p->audit_origin;
}

/* The fields every record of this session shares. */
static void record_init(pc_audit_record *rec, const pc_session *s, const char *push_id,
	const char *decision)
{
	memset(rec, 0, sizeof(*rec));
	rec->hook = s->hook;
	rec->repo = s->repo_path;
	rec->push = push_id;
	rec->pusher = s->pusher;
	rec->identity = s->identity;
	rec->decision = decision;
	rec->policy = s->policy->sha256;
}

/* Make every verdict that would let its update through reject it, saying why. */
static void refuse_accepted(pc_session *s, const char *what, const char *why)
{
	size_t i;

	for (i = 0; i < s->nverdicts; i++)
		if (s->verdicts[i].accept)
			pc_verdict_internal(&s->verdicts[i], PC_INTERNAL_HINT, "%s: %s", what, why);
}

/*
 * The first-pusher index gets an entry for every commit new to the
 * repository that an accepted update brings, before git applies it.
 */
static int record_first_pushers(pc_session *s, pc_error *err)
{
	pc_pushers *px = NULL;
	git_oid *all = NULL;
	size_t i, n = 0, total = 0;
	int r;

	/*
	 * Entries name policy users (whose names are plain tokens); a pusher
	 * the policy does not know approves nothing, so leaves no entry.
	 */
	if (!s->pusher || !pc_policy_user(s->policy, s->pusher))
		return 0;
	for (i = 0; i < s->nverdicts; i++)
		if (s->verdicts[i].accept)
			total += s->new_commits[i].n;
	if (!total)
		return 0;
	if (!(all = pc_calloc(total, sizeof(*all))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	for (i = 0; i < s->nverdicts; i++)
		if (s->verdicts[i].accept && s->new_commits[i].n) {
			memcpy(all + n, s->new_commits[i].ids, s->new_commits[i].n * sizeof(*all));
			n += s->new_commits[i].n;
		}
	if ((r = pc_pushers_open(&px, git_repository_path(s->repo), s->policy->audit_key,
			s->policy->audit_origin, err)) == 0)
		r = pc_pushers_record(px, s->pusher, all, n, err);
	pc_pushers_free(px);
	free(all);
	return r;
}

void pc_session_record(pc_session *s)
{
	pc_audit_config cfg;
	pc_audit_record *recs = NULL;
	pc_error err = PC_ERROR_INIT;
	char push_id[33];
	uint64_t seq = 0;
	size_t i;

	if (record_first_pushers(s, &err) < 0) {
		pc_session_set_failure(s, "cannot record who first pushed the new commits: %s", err.msg);
		refuse_accepted(s, "cannot record who first pushed the new commits, so they cannot be accepted",
			err.msg);
	}
	audit_config(&cfg, s->policy);
	cfg.void_on_failure = 1;	/* a failed append rejects the push: no accept may stand */
	if (!(recs = pc_calloc(s->nverdicts ? s->nverdicts : 1, sizeof(*recs)))) {
		pc_error_set(&err, PC_ENOMEM, "out of memory");
		goto fail;
	}
	pc_audit_push_id(push_id);
	for (i = 0; i < s->nverdicts; i++) {
		record_init(&recs[i], s, push_id, s->verdicts[i].accept ? "accept" : "reject");
		recs[i].verdict = &s->verdicts[i];
	}
	if (pc_audit_append(&cfg, recs, s->nverdicts, &seq, &err) < 0)
		goto fail;
	s->first_seq = (long long)seq;
	s->nrecords = s->nverdicts;
	free(recs);
	return;
fail:
	free(recs);
	pc_session_set_failure(s, "cannot write the audit record: %s", err.msg);
	/* Every verdict, rejections too: no record of any of them is on disk. */
	for (i = 0; i < s->nverdicts; i++)
		pc_verdict_internal(&s->verdicts[i], PC_INTERNAL_HINT,
			"cannot write the audit record, so nothing can be accepted: %s", err.msg);
}

int pc_session_record_transaction(pc_session *s, const char *state, pc_error *err)
{
	pc_audit_config cfg;
	pc_audit_record *recs = NULL;
	char push_id[33];
	char (*olds)[PC_HEX_MAX] = NULL, (*news)[PC_HEX_MAX] = NULL;
	uint64_t seq;
	size_t i;
	int r = PC_ENOMEM;

	if (!s->nupdates)
		return 0;
	if (!(recs = pc_calloc(s->nupdates, sizeof(*recs))) ||
	    !(olds = pc_calloc(s->nupdates, sizeof(*olds))) ||
	    !(news = pc_calloc(s->nupdates, sizeof(*news)))) {
		pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	pc_audit_push_id(push_id);
	for (i = 0; i < s->nupdates; i++) {
		const pc_update *u = &s->updates[i];

		pc_oid_hex(olds[i], &u->old_id);
		pc_oid_hex(news[i], &u->new_id);
		record_init(&recs[i], s, push_id, state);
		recs[i].ref = u->ref;
		recs[i].old_hex = olds[i];
		recs[i].new_hex = news[i];
		recs[i].op = pc_oid_is_zero(&u->old_id) ? "create" :
			pc_oid_is_zero(&u->new_id) ? "delete" : "update";
	}
	audit_config(&cfg, s->policy);
	if ((r = pc_audit_append(&cfg, recs, s->nupdates, &seq, err)) == 0) {
		s->first_seq = (long long)seq;
		s->nrecords = s->nupdates;
	}
done:
	free(recs);
	free(olds);
	free(news);
	return r;
}

/* ---- publishing the policy ----------------------------------------------- */

void pc_session_publish(pc_session *s, FILE *fp)
{
	pc_error err = PC_ERROR_INIT;

	if (!s->repo || !s->policy)
		return;
	if (pc_publish_policy(s->repo, s->policy, NULL, &err) < 0) {
		fprintf(fp, "policy-check: warning: cannot publish the policy at " PC_PUBLISH_REF
			" (%s); clones still see the previous one there: tell an administrator\n", err.msg);
		fflush(fp);
	}
}

/* ---- reporting ----------------------------------------------------------- */

void pc_session_report(const pc_session *s, FILE *fp)
{
	pc_report_write(fp, s->verdicts, s->nverdicts, s->first_seq);
}

void pc_session_fail(FILE *fp, const pc_error *err)
{
	fprintf(fp, PC_SESSION_ERR_PREFIX "%s\n", err->msg[0] ? err->msg : "internal error");
	fflush(fp);
}

void pc_session_set_failure(pc_session *s, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	if (s->failure)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->failure = pc_strdup(msg);	/* NULL when out of memory: the line is lost, not the push */
}

void pc_session_log(const pc_session *s, const char *decision, long long usec)
{
	pc_oplog_event ev;
	const char *sock = NULL;

	if (s->policy && !s->policy->syslog_enabled)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.hook = s->hook;
	ev.repo = s->repo_path;
	ev.pusher = s->pusher;
	ev.identity = s->identity;
	ev.failure = s->failure;
	ev.verdicts = s->verdicts;
	ev.nverdicts = s->nverdicts;
	ev.updates = s->updates;
	ev.nupdates = s->nupdates;
	ev.first_seq = s->first_seq;
	ev.nrecords = s->nrecords;
	ev.usec = usec;
	ev.facility = s->policy ? s->policy->syslog_facility : 1;
	if (s->failure)
		ev.decision = "error";
	else if (decision)
		ev.decision = decision;
	else
		ev.decision = pc_session_rejected(s) ? "reject" : "accept";
	if (s->policy)
		sock = s->policy->syslog_socket;
	else if ((sock = getenv(PC_SYSLOG_SOCKET_ENV)) && *sock != '/')
		sock = NULL;
	pc_oplog_send(&ev, sock);
}
