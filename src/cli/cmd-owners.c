/*
 * cmd-owners.c: policy-check owners: for each path, its owners in every
 * CODEOWNERS section and the line that decided, read from a revision of the
 * repository (doc/DESIGN.md section 8).
 *
 *   overlays/prd/app.yaml
 *     (default) @alice  (CODEOWNERS:3)
 *     [prd] (2 approvals) @sre (alice, bob)  (CODEOWNERS:12)
 *     [docs] (optional) unowned  (no rule matches)
 *
 * With --policy, CODEOWNERS is looked for where approvals.codeowners says,
 * within limits.max_codeowners_size, and each owner is followed by the
 * policy's users it stands for.
 */
#include "config.h"
#include "cmd.h"
#include "session.h"
#include "codeowners.h"
#include "policy.h"
#include "repo.h"
#include "util.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct owners_opts {
	const char *repo;
	const char *rev;
	const char *policy;
	int json;
	char **paths;
	int npaths;
};

enum { OPT_REPO = CMD_LONG_ONLY, OPT_REV, OPT_POLICY, OPT_JSON };

static const cmd_opt owners_opts[] = {
	{ OPT_REPO, 0, "repo", "DIR", "the repository to read (default: .)" },
	{ OPT_REV, 0, "rev", "REV", "the revision whose CODEOWNERS is read (default: HEAD)" },
	{ OPT_POLICY, 0, "policy", "FILE", "read CODEOWNERS where the policy says, and name its users" },
	{ OPT_JSON, 0, "json", NULL, "print the owners as one JSON object (see policy-check(1))" },
	CMD_OPTS_END
};

const cmd_spec cmd_owners_spec = {
	"owners",
	"owners [--repo DIR] [--rev REV] [--policy FILE] [--json] PATH...",
	"show who owns each path in every section of CODEOWNERS, and the deciding line",
	owners_opts, NULL
};

/* Options may come before or after the paths, up to "--", as with git. */
static void parse_args(struct owners_opts *o, int argc, char **argv)
{
	cmd_parser p;
	const char **target;
	int c;

	o->rev = "HEAD";
	cmd_parse_init(&p, &cmd_owners_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c) {
		case OPT_JSON: o->json = 1; continue;
		case OPT_REPO: target = &o->repo; break;
		case OPT_REV: target = &o->rev; break;
		default: target = &o->policy; break;
		}
		*target = optarg;
		if (!*optarg)
			cmd_usage_error("option '--%s' needs a non-empty value",
				c == OPT_REPO ? "repo" : c == OPT_REV ? "rev" : "policy");
	}
	o->paths = argv + optind;
	o->npaths = argc - optind;
	if (!o->npaths)
		cmd_usage_error("name at least one PATH");
}

/*
 * A PATH as the user typed it, made repository-relative: "./a/b" and "/a/b"
 * are "a/b".  Returns NULL (and says why) for what cannot be a tracked file.
 */
static const char *normalize_path(char *p)
{
	size_t len;
	char *c;

	for (;;) {
		if (p[0] == '/')
			p++;
		else if (p[0] == '.' && p[1] == '/')
			p += 2;
		else
			break;
	}
	len = strlen(p);
	while (len && p[len - 1] == '/')
		p[--len] = '\0';
	if (!len)
		return NULL;
	for (c = p; c; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
			return NULL;
		if (*c == '/' || (c[0] == '.' && (c[1] == '/' || !c[1])))
			return NULL;
	}
	return p;
}

static int load_policy(pc_policy **out, const char *path)
{
	int r = pc_session_load_policy(out, path, stderr, NULL);

	if (r < 0)
		cmd_error("owners: the policy %s is not usable; check it with policy-check lint --policy %s",
			path, path);
	return r;
}

/*
 * One owner token, and with a policy the users it stands for:
 * "@sre (alice, bob)", "bob@example.com (bob)".  A token naming exactly
 * one user of the same name needs no gloss.
 */
static void print_owner(FILE *fp, const char *token, const pc_policy *policy)
{
	pc_strlist users = PC_STRLIST_INIT;
	size_t i;
	int r;

	fprintf(fp, " %s", token);
	if (!policy)
		return;
	r = pc_policy_resolve_owner(policy, token, &users);
	if (r == PC_ENOTFOUND)
		fputs(" (no user or group of the policy)", fp);
	else if (r < 0)
		fputs(" (out of memory)", fp);
	else if (!(users.n == 1 && token[0] == '@' && !strcmp(users.items[0], token + 1))) {
		fputs(" (", fp);
		for (i = 0; i < users.n; i++)
			fprintf(fp, "%s%s", i ? ", " : "", users.items[i]);
		fputs(users.n ? ")" : "nobody)", fp);
	}
	pc_strlist_clear(&users);
}

static void print_section_label(FILE *fp, const pc_co_section *sec, size_t i)
{
	if (i == 0) {
		fputs("(default)", fp);
	} else {
		fprintf(fp, "[%s]", sec->name);
		if (sec->approvals)
			fprintf(fp, " (%d approval%s)", sec->approvals, sec->approvals == 1 ? "" : "s");
		if (sec->optional)
			fputs(" (optional)", fp);
	}
}

static void print_path(FILE *fp, const pc_codeowners *co, const pc_policy *policy, const char *path,
	pc_co_match *m, int skip_section0)
{
	size_t s, k;

	pc_codeowners_match(co, path, m);
	fprintf(fp, "%s\n", path);
	for (s = skip_section0 ? 1 : 0; s < pc_codeowners_nsections(co); s++) {
		fputs("  ", fp);
		print_section_label(fp, pc_codeowners_section(co, s), s);
		if (m[s].rule && m[s].rule->exclude) {
			/* GitLab's exclusion: the section asks nothing of this path */
			fprintf(fp, " excluded  (%s:%u, %s)\n", pc_codeowners_name(co), m[s].rule->line,
				m[s].rule->pattern);
			continue;
		}
		if (m[s].owners)
			for (k = 0; k < m[s].owners->n; k++)
				print_owner(fp, m[s].owners->items[k], policy);
		else
			fputs(" unowned", fp);
		if (!m[s].rule)
			fputs("  (no rule matches)\n", fp);
		else if (m[s].owners && !m[s].rule->owners.n)
			fprintf(fp, "  (%s:%u, the section's default owners)\n",
				pc_codeowners_name(co), m[s].rule->line);
		else
			fprintf(fp, "  (%s:%u)\n", pc_codeowners_name(co), m[s].rule->line);
	}
}

/* print_path in JSON: the field names are documented in policy-check(1). */
static void json_path(cmd_json *j, const pc_codeowners *co, const pc_policy *policy, const char *path,
	pc_co_match *m, int skip_section0)
{
	const pc_co_section *sec;
	pc_strlist users = PC_STRLIST_INIT;
	size_t s, k, u;

	pc_codeowners_match(co, path, m);
	cmd_json_open(j, NULL, '{');
	cmd_json_str(j, "path", path);
	cmd_json_open(j, "sections", '[');
	for (s = skip_section0 ? 1 : 0; s < pc_codeowners_nsections(co); s++) {
		sec = pc_codeowners_section(co, s);
		cmd_json_open(j, NULL, '{');
		if (s == 0)
			cmd_json_null(j, "section");
		else
			cmd_json_str(j, "section", sec->name);
		cmd_json_int(j, "approvals", s ? sec->approvals : 0);
		cmd_json_bool(j, "optional", s && sec->optional);
		cmd_json_bool(j, "excluded", m[s].rule && m[s].rule->exclude);
		cmd_json_open(j, "owners", '[');
		for (k = 0; m[s].owners && !(m[s].rule && m[s].rule->exclude) && k < m[s].owners->n; k++) {
			cmd_json_open(j, NULL, '{');
			cmd_json_str(j, "owner", m[s].owners->items[k]);
			if (!policy) {
				cmd_json_null(j, "users");
			} else {
				cmd_json_open(j, "users", '[');
				if (pc_policy_resolve_owner(policy, m[s].owners->items[k], &users) == 0)
					for (u = 0; u < users.n; u++)
						cmd_json_str(j, NULL, users.items[u]);
				pc_strlist_clear(&users);
				cmd_json_close(j, ']');
			}
			cmd_json_close(j, '}');
		}
		cmd_json_close(j, ']');
		cmd_json_bool(j, "default_owners", m[s].rule && m[s].owners && !m[s].rule->owners.n);
		if (m[s].rule) {
			cmd_json_int(j, "line", m[s].rule->line);
			cmd_json_str(j, "pattern", m[s].rule->pattern);
		} else {
			cmd_json_null(j, "line");
			cmd_json_null(j, "pattern");
		}
		cmd_json_close(j, '}');
	}
	cmd_json_close(j, ']');
	cmd_json_close(j, '}');
}

static int resolve_commit(git_oid *out, git_repository *repo, const char *rev, pc_error *err)
{
	git_object *obj = NULL, *commit = NULL;
	const git_error *e;
	int r = 0;

	if (git_revparse_single(&obj, repo, rev) < 0 ||
	    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) < 0) {
		e = git_error_last();
		r = pc_error_set(err, PC_ENOTFOUND, "cannot resolve revision '%s' to a commit: %s", rev,
			e && e->message ? e->message : "unknown error");
	} else {
		git_oid_cpy(out, git_object_id(commit));
	}
	git_object_free(commit);
	git_object_free(obj);
	return r;
}

int cmd_owners(int argc, char **argv)
{
	struct owners_opts o;
	cmd_json json = CMD_JSON_INIT;
	git_repository *repo = NULL;
	pc_codeowners *co = NULL;
	pc_policy *policy = NULL;
	pc_diag diags = PC_DIAG_INIT;
	pc_error err = PC_ERROR_INIT;
	pc_co_match *m = NULL;
	char *found = NULL;
	const char *path;
	size_t limit = PC_CODEOWNERS_MAX_SIZE, i;
	int skip_section0 = 0, status = 2, k, r;
	git_oid commit;

	memset(&o, 0, sizeof(o));
	parse_args(&o, argc, argv);
	for (k = 0; k < o.npaths; k++) {
		if (!normalize_path(o.paths[k])) {
			cmd_error("owners: '%s' is not a path inside the repository; give paths relative "
				"to its top, without '.' or '..' components", o.paths[k]);
			goto done;
		}
	}
	if (o.policy) {
		if (load_policy(&policy, o.policy) < 0)
			goto done;
		if (policy->limits.max_codeowners_size < limit)
			limit = (size_t)policy->limits.max_codeowners_size;
	}
	if (pc_repo_open(&repo, o.repo ? o.repo : ".", &err) < 0) {
		cmd_error("owners: cannot open the repository %s; use --repo DIR", err.msg);
		goto done;
	}
	if (resolve_commit(&commit, repo, o.rev, &err) < 0) {
		cmd_error("owners: %s", err.msg);
		goto done;
	}
	r = pc_codeowners_load(&co, &found, NULL, repo, &commit, policy ? &policy->codeowners : NULL,
		limit, &diags, &err);
	if (r == PC_EINVAL && diags.n) {
		pc_diag_print(&diags, stderr);
		cmd_error("owners: CODEOWNERS at %s has %zu error%s; fix %s", o.rev, diags.n,
			diags.n == 1 ? "" : "s", diags.n == 1 ? "it" : "them");
		goto done;
	}
	if (r < 0) {
		cmd_error("owners: %s at %s%s", err.msg, o.rev,
			r == PC_ELIMIT && policy ? " (limits.max_codeowners_size)" : "");
		goto done;
	}
	if (!(m = pc_calloc(pc_codeowners_nsections(co), sizeof(*m)))) {
		cmd_error("owners: out of memory");
		goto done;
	}
	/* Rules before the first header form section 0; without any, it is noise. */
	skip_section0 = pc_codeowners_nsections(co) > 1;
	for (i = 0; i < pc_codeowners_nrules(co) && skip_section0; i++)
		if (pc_codeowners_rule(co, i)->section == 0)
			skip_section0 = 0;
	if (o.json) {
		char hex[GIT_OID_HEXSZ + 1];

		cmd_json_open(&json, NULL, '{');
		cmd_json_str(&json, "rev", o.rev);
		cmd_json_str(&json, "commit", git_oid_tostr(hex, sizeof(hex), &commit));
		cmd_json_str(&json, "codeowners", pc_codeowners_name(co));
		cmd_json_open(&json, "paths", '[');
	}
	for (k = 0; k < o.npaths; k++) {
		path = normalize_path(o.paths[k]);
		if (o.json)
			json_path(&json, co, policy, path, m, skip_section0);
		else
			print_path(stdout, co, policy, path, m, skip_section0);
	}
	if (o.json) {
		cmd_json_close(&json, ']');
		cmd_json_close(&json, '}');
		if (cmd_json_finish(&json, stdout) < 0)
			goto done;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cmd_error("owners: cannot write the output");
		goto done;
	}
	status = 0;
done:
	cmd_json_release(&json);
	free(m);
	free(found);
	pc_codeowners_free(co);
	pc_diag_clear(&diags);
	pc_policy_free(policy);
	git_repository_free(repo);
	return status;
}
