/*
 * policy-expand.c: the effective policy, presets applied, written back as
 * YAML (`policy-check lint --expand`).
 */
#include "config.h"
#include "policy-int.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* The effective policy as YAML */

/* Double-quoted YAML, escaping what a YAML reader would fold or reject. */
static void yq(FILE *fp, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	fputc('"', fp);
	for (; *u; u++) {
		if (*u == '"' || *u == '\\')
			fprintf(fp, "\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			fprintf(fp, "\\x%02x", *u);
		else if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
			fprintf(fp, "\\u%04x", *++u);
		else if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)) {
			fprintf(fp, "\\u%04x", 0x2000 + u[2] - 0x80);
			u += 2;
		} else if (u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
			fputs("\\ufeff", fp);
			u += 2;
		} else
			fputc(*u, fp);
	}
	fputc('"', fp);
}

static void ylist(FILE *fp, const pc_strlist *l)
{
	size_t i;

	fputc('[', fp);
	for (i = 0; i < l->n; i++) {
		if (i)
			fputs(", ", fp);
		yq(fp, l->items[i]);
	}
	fputc(']', fp);
}

static const char *yb(int v)
{
	return v ? "true" : "false";
}

int pc_policy_write_expanded(const pc_policy *p, FILE *fp)
{
	static const char *const strategies[] = { NULL, "pattern1", "pattern2", "pattern3" };
	size_t i, j;

	fprintf(fp, "# effective policy of %s (%s), presets expanded\n", p->path, p->sha256);
	fprintf(fp, "version: %d\n", p->version);
	if (p->strategy > PC_STRATEGY_NONE && p->strategy <= PC_STRATEGY_PATTERN3)
		fprintf(fp, "strategy: %s\n", strategies[p->strategy]);
	fputs("identity:\n  env: ", fp);
	ylist(fp, &p->identity_env);
	fputs(p->nusers ? "\nusers:\n" : "\nusers: {}\n", fp);
	for (i = 0; i < p->nusers; i++) {
		const pc_user *u = &p->users[i];

		fputs("  ", fp);
		yq(fp, u->name);
		fputs(u->email || u->keys.n ? ":\n" : ": {}\n", fp);
		if (u->email) {
			fputs("    email: ", fp);
			yq(fp, u->email);
			fputc('\n', fp);
		}
		if (u->keys.n)
			fputs("    keys:\n", fp);
		for (j = 0; j < u->keys.n; j++) {
			fputs("      - ", fp);
			yq(fp, u->keys.items[j]);
			fputc('\n', fp);
		}
	}
	if (p->allowed_signers) {
		fputs("allowed_signers: ", fp);
		yq(fp, p->allowed_signers);
		fputc('\n', fp);
	}
	fputs(p->ngroups ? "groups:\n" : "groups: {}\n", fp);
	for (i = 0; i < p->ngroups; i++) {
		fputs("  ", fp);
		yq(fp, p->groups[i].name);
		fputs(": ", fp);
		ylist(fp, &p->groups[i].members);
		fputc('\n', fp);
	}
	fputs("admins: ", fp);
	ylist(fp, &p->admins);
	fputs(p->nbranches ? "\nbranches:\n" : "\nbranches: {}\n", fp);
	for (i = 0; i < p->nbranches; i++) {
		const pc_branch *b = &p->branches[i];

		fputs("  ", fp);
		yq(fp, b->name);
		fputs(":\n", fp);
		if (b->environment) {
			fputs("    environment: ", fp);
			yq(fp, b->environment);
			fputc('\n', fp);
		}
		fputs("    from: ", fp);
		if (b->from.n)
			ylist(fp, &b->from);
		else
			fputs("any", fp);
		fputs("\n    require: ", fp);
		ylist(fp, &b->require);
		fputc('\n', fp);
		if (b->require.n) {
			fputs("    hotfix_from: ", fp);
			ylist(fp, &b->hotfix_from);
			fputc('\n', fp);
		}
		if (b->approvals >= 0)
			fprintf(fp, "    approvals: %d\n", b->approvals);
		fputs("    approvers: ", fp);
		ylist(fp, &b->approvers);
		fputc('\n', fp);
	}
	fputs("work_branches: ", fp);
	ylist(fp, &p->work_branches);
	fputc('\n', fp);
	if (p->tag_pattern) {
		fputs("tags:\n  pattern: ", fp);
		yq(fp, p->tag_pattern);
		fputs("\n  create: ", fp);
		ylist(fp, &p->tag_create);
		fputc('\n', fp);
	}
	fprintf(fp, "other_refs: %s\n", p->other_refs_allow ? "allow" : "deny");
	fputs("approvals:\n  codeowners: ", fp);
	ylist(fp, &p->codeowners);
	fprintf(fp, "\n  required: %d\n  self_approval: %s\n  pusher_is_approval: %s\n  unowned: %s\n"
		"  keep_on_rebase: %s\n",
		p->approvals_required, yb(p->self_approval), yb(p->pusher_is_approval),
		p->unowned_deny ? "deny" : "allow", yb(p->keep_on_rebase));
	fputs("rules:\n", fp);
	if (p->rules.commit_message) {
		fputs("  commit_message: ", fp);
		yq(fp, p->rules.commit_message);
		fputc('\n', fp);
	}
	if (p->rules.work_branch_name) {
		fputs("  work_branch_name: ", fp);
		yq(fp, p->rules.work_branch_name);
		fputc('\n', fp);
	}
	fputs("  deny_paths: ", fp);
	ylist(fp, &p->rules.deny_paths);
	fprintf(fp, "\n  max_blob_size: %llu\n  signed_commits: %s\n",
		(unsigned long long)p->rules.max_blob_size, yb(p->rules.signed_commits));
	fputs("break_glass:\n  groups: ", fp);
	ylist(fp, &p->break_glass_groups);
	fprintf(fp, "\nenforcement: %s\n", p->dry_run ? "dry-run" : "enforce");
	fputs("audit:\n  log: ", fp);
	yq(fp, p->audit_log ? p->audit_log : "");
	fputs("\n  key: ", fp);
	yq(fp, p->audit_key ? p->audit_key : "");
	fputs("\n  origin: ", fp);
	yq(fp, p->audit_origin ? p->audit_origin : "");
	fprintf(fp, "\n  syslog:\n    enabled: %s\n    socket: ", yb(p->syslog_enabled));
	yq(fp, p->syslog_socket ? p->syslog_socket : "/dev/log");
	fprintf(fp, "\n    facility: %s", pc_policy_facility_name(p->syslog_facility));
	fputs("\ntrunk: ", fp);
	yq(fp, p->trunk);
	fputs(p->nenvironments ? "\nenvironments:\n" : "\nenvironments: {}\n", fp);
	for (i = 0; i < p->nenvironments; i++) {
		const pc_environment *e = &p->environments[i];

		fputs("  ", fp);
		yq(fp, e->name);
		fputs(":\n    path: ", fp);
		yq(fp, e->path);
		fputc('\n', fp);
		if (e->after) {
			fputs("    after: ", fp);
			yq(fp, e->after);
			fputc('\n', fp);
		}
		if (e->approvals >= 0)
			fprintf(fp, "    approvals: %d\n", e->approvals);
		fputs("    approvers: ", fp);
		ylist(fp, &e->approvers);
		fputc('\n', fp);
	}
	fputs("shared_paths: ", fp);
	ylist(fp, &p->shared_paths);
	fprintf(fp, "\none_environment_per_push: %s\n", yb(p->one_environment_per_push));
	fprintf(fp, "limits:\n  max_commits: %llu\n  max_paths: %llu\n  max_codeowners_size: %llu\n"
		"  max_refs: %llu\n  max_approvals_per_commit: %llu\n  max_rollback_commits: %llu\n"
		"  max_approval_candidates: %llu\n  max_rebase_commits: %llu\n",
		(unsigned long long)p->limits.max_commits,
		(unsigned long long)p->limits.max_paths, (unsigned long long)p->limits.max_codeowners_size,
		(unsigned long long)p->limits.max_refs, (unsigned long long)p->limits.max_approvals_per_commit,
		(unsigned long long)p->limits.max_rollback_commits,
		(unsigned long long)p->limits.max_approval_candidates,
		(unsigned long long)p->limits.max_rebase_commits);
	fflush(fp);
	return ferror(fp) ? PC_EIO : 0;
}
