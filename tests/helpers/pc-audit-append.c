/*
 * pc-audit-append: append records to an audit log through pc_audit_append,
 * for the shell tests (the hooks will be the real writers).
 *
 *   pc-audit-append --log LOG --key KEY --origin NAME [--count N] [--batch N]
 *       [--no-sync] [--timing] [--hook H] [--repo R] [--push ID] [--pusher U]
 *       [--identity VAR] [--decision D] [--policy P] [--ref REF] [--number-refs]
 *       [--old HEX] [--new HEX] [--op OP] [--plain] [--dry-run]
 *       [--break-glass TEXT] [--reason RULE:MESSAGE]... [--approval USER,VIA[,KEY[,OBJECT]]]...
 *       [--codeowners ID]
 *   pc-audit-append --log LOG --die-mid-line   (lock, write half a line, SIGKILL itself)
 *   pc-audit-append --fault-injection          (prints yes or no)
 *
 * --count makes N appends of --batch records each; --number-refs appends
 * "-<n>" to the ref of the n-th record so that each one is distinct.
 * --plain writes ref/old/new/op without a verdict, as the
 * reference-transaction hook does (decision "committed" unless given);
 * otherwise the decision is the verdict's (reject when --reason is given)
 * unless --decision says otherwise.  --timing prints the cost per append
 * and per record.
 */
#include "config.h"
#include "audit.h"
#include "buf.h"
#include "util.h"
#include "verdict.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: pc-audit-append --log LOG --key KEY --origin NAME [options] (see the source)\n");
	exit(2);
}

static int die_mid_line(const char *log)
{
	pc_audit_record rec;
	pc_buf line = PC_BUF_INIT;
	char *lock = pc_asprintf("%s.lock", log), now[32];
	int lfd, fd;

	memset(&rec, 0, sizeof(rec));
	rec.hook = "pre-receive";
	rec.decision = "accept";
	rec.ref = "refs/heads/killed";
	pc_time_rfc3339(now);
	pc_audit_format_record(&line, 999999, now, &rec);
	if (!lock || (lfd = open(lock, O_RDWR | O_CREAT, 0640)) < 0 || flock(lfd, LOCK_EX) < 0 ||
	    (fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0640)) < 0) {
		perror(log);
		return 1;
	}
	if (write(fd, line.ptr, line.len / 2) < 0)
		perror(log);
	raise(SIGKILL);
	return 1;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	pc_audit_config cfg;
	pc_audit_record rec;
	pc_audit_record *recs;
	pc_verdict *verdicts;
	pc_error err = PC_ERROR_INIT;
	const char *ref = "refs/heads/main", *old_hex = NULL, *new_hex = NULL, *op = "update";
	const char *break_glass = NULL, *codeowners = NULL;
	pc_strlist reasons = PC_STRLIST_INIT, approvals = PC_STRLIST_INIT;
	long count = 1, batch = 1, a, b;
	unsigned flags = 0;
	int plain = 0, dry_run = 0, timing = 0, number_refs = 0, die = 0, i, r = 0;
	uint64_t first = 0;
	double t0, elapsed;
	size_t k;

	memset(&cfg, 0, sizeof(cfg));
	memset(&rec, 0, sizeof(rec));
	rec.hook = "pre-receive";
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name, dst) if (!strcmp(o, name)) { if (!v) usage(); dst = v; i++; continue; }
		ARG("--log", cfg.log_path)
		ARG("--key", cfg.key_path)
		ARG("--origin", cfg.origin)
		ARG("--hook", rec.hook)
		ARG("--repo", rec.repo)
		ARG("--push", rec.push)
		ARG("--pusher", rec.pusher)
		ARG("--identity", rec.identity)
		ARG("--decision", rec.decision)
		ARG("--policy", rec.policy)
		ARG("--ref", ref)
		ARG("--old", old_hex)
		ARG("--new", new_hex)
		ARG("--op", op)
		ARG("--break-glass", break_glass)
		ARG("--codeowners", codeowners)
#undef ARG
		if (!strcmp(o, "--count") && v) {
			count = atol(v);
			i++;
		} else if (!strcmp(o, "--batch") && v) {
			batch = atol(v);
			i++;
		} else if (!strcmp(o, "--reason") && v) {
			pc_strlist_add(&reasons, v);
			i++;
		} else if (!strcmp(o, "--approval") && v) {
			pc_strlist_add(&approvals, v);
			i++;
		} else if (!strcmp(o, "--no-sync")) {
			flags |= PC_AUDIT_NO_SYNC;
		} else if (!strcmp(o, "--timing")) {
			timing = 1;
		} else if (!strcmp(o, "--plain")) {
			plain = 1;
		} else if (!strcmp(o, "--dry-run")) {
			dry_run = 1;
		} else if (!strcmp(o, "--number-refs")) {
			number_refs = 1;
		} else if (!strcmp(o, "--die-mid-line")) {
			die = 1;
		} else if (!strcmp(o, "--fault-injection")) {
#ifdef PC_FAULT_INJECTION
			puts("yes");
#else
			puts("no");
#endif
			return 0;
		} else {
			usage();
		}
	}
	if (die && cfg.log_path)
		return die_mid_line(cfg.log_path);
	if (!cfg.log_path || count < 0 || batch < 1)
		usage();
	/* Without --decision the verdict decides; plain records say what git did. */
	if (plain && !rec.decision)
		rec.decision = "committed";
	/* As a hook should: a file size limit makes the append fail, not kill us. */
	signal(SIGXFSZ, SIG_IGN);

	recs = calloc((size_t)batch, sizeof(*recs));
	verdicts = calloc((size_t)batch, sizeof(*verdicts));
	if (!recs || !verdicts)
		return 1;
	t0 = now_us();
	for (a = 0; a < count; a++) {
		for (b = 0; b < batch; b++) {
			char *name = number_refs ? pc_asprintf("%s-%ld", ref, a * batch + b) : pc_strdup(ref);
			recs[b] = rec;
			if (plain) {
				recs[b].ref = name;
				recs[b].old_hex = old_hex;
				recs[b].new_hex = new_hex;
				recs[b].op = op;
				continue;
			}
			pc_verdict_init(&verdicts[b], name, old_hex ? old_hex : "", new_hex ? new_hex : "");
			free(name);
			verdicts[b].op = !strcmp(op, "create") ? PC_OP_CREATE : !strcmp(op, "force") ? PC_OP_FORCE :
				!strcmp(op, "delete") ? PC_OP_DELETE : PC_OP_UPDATE;
			verdicts[b].dry_run = dry_run;
			verdicts[b].break_glass = break_glass ? pc_strdup(break_glass) : NULL;
			verdicts[b].codeowners = codeowners ? pc_strdup(codeowners) : NULL;
			for (k = 0; k < reasons.n; k++) {
				char *colon = strchr(reasons.items[k], ':');
				*colon = '\0';
				pc_verdict_reject(&verdicts[b], reasons.items[k], NULL, "%s", colon + 1);
				*colon = ':';
			}
			for (k = 0; k < approvals.n; k++) {
				char *f[4] = { NULL, NULL, NULL, NULL }, *copy = pc_strdup(approvals.items[k]), *p = copy;
				int nf;
				for (nf = 0; nf < 4 && p; nf++) {
					f[nf] = p;
					if ((p = strchr(p, ',')))
						*p++ = '\0';
				}
				pc_verdict_add_approval(&verdicts[b], f[0], f[1] ? f[1] : "pusher", f[2], f[3]);
				free(copy);
			}
			recs[b].verdict = &verdicts[b];
		}
		r = pc_audit_append_flags(&cfg, flags, recs, (size_t)batch, &first, &err);
		for (b = 0; b < batch; b++) {
			if (plain)
				free((char *)recs[b].ref);
			else
				pc_verdict_release(&verdicts[b]);
		}
		if (r < 0) {
			fprintf(stderr, "pc-audit-append: %s\n", err.msg);
			break;
		}
	}
	elapsed = now_us() - t0;
	if (r < 0)
		;
	else if (timing && count > 0)
		printf("appends=%ld records=%ld us_per_append=%.1f us_per_record=%.2f\n", count, count * batch,
			elapsed / (double)count, elapsed / (double)(count * batch));
	else if (count == 1)
		printf("first seq %llu\n", (unsigned long long)first);
	free(recs);
	free(verdicts);
	pc_strlist_clear(&reasons);
	pc_strlist_clear(&approvals);
	return r < 0 ? 1 : 0;
}
