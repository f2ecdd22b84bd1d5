/*
 * cmd-lint.c: policy-check lint [--policy FILE] [--repo DIR] [--expand]
 *
 * Validates a policy file and reports every problem as FILE:LINE:COLUMN.
 * Exit 0 when valid, 2 when invalid or on a usage error (doc/DESIGN.md section 8).
 * With --repo the policy is also checked against that repository.
 */
#include "config.h"
#include "cmd.h"
#include "session.h"
#include "policy.h"
#include "codeowners.h"
#include "repo.h"
#include "sshsig.h"

#include <getopt.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

/*
 * Checks that need the repository.  Problems that only matter once the
 * branches exist are warnings: a policy is written before the repository is
 * bootstrapped.  Returns 0, or 2 when the repository cannot be used.
 */
/* The 1-based column of `token` in line `line` of text, for messages. */
static unsigned token_column(const char *text, size_t len, unsigned line, const char *token)
{
	const char *p = text, *end = text + len, *eol, *hit;
	unsigned n = 1;

	while (n < line && p < end && (eol = memchr(p, '\n', (size_t)(end - p)))) {
		p = eol + 1;
		n++;
	}
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	hit = memmem(p, (size_t)(eol - p), token, strlen(token));
	return hit ? (unsigned)(hit - p) + 1 : 1;
}

static void check_owner_list(const pc_policy *p, const pc_strlist *owners, unsigned line,
	const char *file, const char *text, size_t len, pc_diag *diags)
{
	pc_strlist users = PC_STRLIST_INIT;
	size_t i;

	for (i = 0; i < owners->n; i++)
		if (pc_policy_resolve_owner(p, owners->items[i], &users) == PC_ENOTFOUND)
			pc_diag_add(diags, file, line, token_column(text, len, line, owners->items[i]),
				"unknown owner '%s': not a user, group or user email of the policy",
				owners->items[i]);
	pc_strlist_clear(&users);
}

/*
 * Can every requirement be met?  A requirement is N approvals from a set
 * of users (a branch's or environment's approvers, or the owners of a
 * CODEOWNERS line in a section needing N).  Approvals are signatures, so
 * only users with a key count: users.<name>.keys, or an allowed_signers
 * line for namespace git whose principals match their email.  With
 * self_approval false the author of a change cannot approve it, and the
 * author may be one of the approvers (a hotfix by an SRE), so N + 1 of
 * them must be able to sign; with self_approval true, N.  The pusher's
 * implied approval (pusher_is_approval) does not lower the bound: whoever
 * pushes new commits first is barred from approving them, so a change its
 * author pushes gets no approval from the push.
 */
static int user_can_sign(const pc_user *u, const pc_signers *signers)
{
	const char *principals;
	const pc_sshkey *key;
	unsigned line, column;
	size_t i;

	if (u->keys.n)
		return 1;
	if (!signers || !u->email)
		return 0;
	for (i = 0; i < pc_signers_count(signers); i++)
		if (pc_signers_entry(signers, i, "git", &principals, &key, &line, &column) &&
		    pc_sshsig_match_list(u->email, principals) == 1)
			return 1;
	return 0;
}

static void check_satisfiable(const pc_policy *p, const pc_signers *signers,
	const pc_strlist *users, int count, const char *what, const char *file, unsigned line,
	unsigned column, pc_diag *diags)
{
	pc_buf names = PC_BUF_INIT;
	const pc_user *u;
	size_t i, have = 0, want, most;

	if (count <= 0)
		return;
	want = (size_t)count + (p->self_approval ? 0 : 1);
	for (i = 0; i < users->n; i++)
		if ((u = pc_policy_user(p, users->items[i])) && user_can_sign(u, signers))
			pc_buf_printf(&names, "%s%s", have++ ? ", " : "", u->name);
	if (have >= want)
		goto done;
	most = p->self_approval ? have : (have ? have - 1 : 0);
	if (p->self_approval)
		pc_diag_add(diags, file, line, column,
			"%s needs %d approval%s but only %zu of its approvers can sign (%s), so it can "
			"never be met: add a member with a key (users.<name>.keys, or a line of "
			"allowed_signers naming their email)%s%.0zu",
			what, count, count == 1 ? "" : "s", have, have ? names.ptr : "none",
			most ? " or lower the count to " : "", most);
	else
		pc_diag_add(diags, file, line, column,
			"%s needs %d approval%s and the author of a change cannot approve it "
			"(self_approval is false), so %zu of its approvers must be able to sign for a "
			"change by one of them to be approved, but only %zu can (%s): add a member with a "
			"key (users.<name>.keys, or a line of allowed_signers naming their email)%s%.0zu",
			what, count, count == 1 ? "" : "s", want, have, have ? names.ptr : "none",
			most ? " or lower the count to " : "", most);
done:
	pc_buf_release(&names);
}

/* The users that `principals` (policy user and group names) name. */
static void principals_users(const pc_policy *p, const pc_strlist *principals, pc_strlist *users)
{
	size_t i;

	for (i = 0; i < p->nusers; i++)
		if (pc_policy_user_in(p, p->users[i].name, principals))
			pc_strlist_add(users, p->users[i].name);
}

static void lint_satisfiable(const pc_policy *p, const pc_signers *signers, pc_diag *diags)
{
	pc_error err = PC_ERROR_INIT;
	pc_strlist users = PC_STRLIST_INIT;
	char *text = NULL, *what;
	size_t i, len = 0;

	if (pc_read_file(&text, &len, p->path, (size_t)16 << 20, &err) < 0)
		text = NULL;
	for (i = 0; i < p->nbranches; i++) {
		const pc_branch *b = &p->branches[i];
		if (!b->approvers.n)
			continue;
		principals_users(p, &b->approvers, &users);
		if ((what = pc_asprintf("branch '%s'", b->name)))
			check_satisfiable(p, signers, &users,
				b->approvals < 0 ? p->approvals_required : b->approvals, what, p->path,
				b->line ? b->line : 1,
				text && b->line ? token_column(text, len, b->line, b->name) : 1, diags);
		free(what);
		pc_strlist_clear(&users);
	}
	for (i = 0; i < p->nenvironments; i++) {
		const pc_environment *e = &p->environments[i];
		if (!e->approvers.n)
			continue;
		principals_users(p, &e->approvers, &users);
		if ((what = pc_asprintf("environment '%s'", e->name)))
			check_satisfiable(p, signers, &users,
				e->approvals < 0 ? p->approvals_required : e->approvals, what, p->path,
				e->line ? e->line : 1,
				text && e->line ? token_column(text, len, e->line, e->name) : 1, diags);
		free(what);
		pc_strlist_clear(&users);
	}
	free(text);
}

/*
 * Whether a CODEOWNERS pattern can own files under `dir` (an environment's
 * or a shared path, a directory when it ends with '/'): it matches a file
 * or a deeper file there, or it names something below it.
 */
static int pattern_reaches(const char *pattern, const char *dir)
{
	const char *lit = pattern + (*pattern == '/');
	size_t n = strlen(dir);
	char *probe;
	int r;

	if (n && dir[n - 1] != '/')
		return pc_codeowners_pattern_match(pattern, dir) == 1;
	if (!strncmp(lit, dir, n))
		return 1;
	if (!(probe = pc_asprintf("%skustomization.yaml", dir)))
		return 1;
	r = pc_codeowners_pattern_match(pattern, probe) == 1;
	free(probe);
	if (!r && (probe = pc_asprintf("%sx/x.yaml", dir))) {
		r = pc_codeowners_pattern_match(pattern, probe) == 1;
		free(probe);
	}
	return r;
}

/*
 * The count a section without [N] asks of a line on `branch`, as the hooks
 * reckon it: the most approvals of an environment whose paths the line can
 * own (a shared path reaches them all), else the branch's approvals, else
 * approvals.required.
 */
static int default_count(const pc_policy *p, const char *branch, const pc_co_rule *rule)
{
	const pc_branch *b = pc_policy_branch(p, branch);
	int need = -1, reach;
	size_t i, j;

	for (i = 0; i < p->nenvironments; i++) {
		reach = pattern_reaches(rule->pattern, p->environments[i].path);
		for (j = 0; !reach && j < p->shared_paths.n; j++)
			reach = pattern_reaches(rule->pattern, p->shared_paths.items[j]);
		if (reach && p->environments[i].approvals > need)
			need = p->environments[i].approvals;
	}
	if (need < 0 && b && b->approvals >= 0)
		need = b->approvals;
	return need < 0 ? p->approvals_required : need;
}

/*
 * The paths a CODEOWNERS line owns on `branch` need its section's count
 * of approvals from its owners (optional sections never block).
 */
static void lint_rule_satisfiable(const pc_policy *p, const pc_signers *signers,
	const char *branch, const pc_codeowners *co, const pc_co_rule *rule, const char *file,
	const char *text, size_t len, pc_diag *diags)
{
	const pc_co_section *sec = pc_codeowners_section(co, rule->section);
	const pc_strlist *owners = rule->owners.n ? &rule->owners : rule->defaults;
	pc_strlist users = PC_STRLIST_INIT;
	char *what;
	size_t i;

	if (rule->exclude || !owners || !owners->n || sec->optional)
		return;
	for (i = 0; i < owners->n; i++)
		pc_policy_resolve_owner(p, owners->items[i], &users);
	if ((what = *sec->name ? pc_asprintf("'%s' (section [%s])", rule->pattern, sec->name) :
	    pc_asprintf("'%s'", rule->pattern)))
		check_satisfiable(p, signers, &users, sec->approvals ? sec->approvals :
			default_count(p, branch, rule), what, file, rule->line,
			token_column(text, len, rule->line, owners == &rule->owners ?
				owners->items[0] : rule->pattern), diags);
	free(what);
	pc_strlist_clear(&users);
}

/*
 * The CODEOWNERS that the hooks will read at each protected branch's tip
 * must parse, and every owner must be someone the policy knows: an unknown
 * owner can never approve, so the paths it owns could never be changed.
 */
static void lint_codeowners(const pc_policy *p, const pc_signers *signers, git_repository *repo,
	const char *branch, const git_oid *tip, pc_diag *diags)
{
	pc_codeowners *co = NULL;
	pc_error err = PC_ERROR_INIT;
	char *text = NULL, *file = NULL;
	size_t i, len;
	int r = PC_ENOTFOUND;

	for (i = 0; i < p->codeowners.n && r == PC_ENOTFOUND; i++) {
		r = pc_repo_read_file(&text, &len, NULL, repo, tip, p->codeowners.items[i],
			(size_t)p->limits.max_codeowners_size, &err);
		if (r == 0 && !(file = pc_asprintf("%s:%s", branch, p->codeowners.items[i])))
			r = PC_ENOMEM;
	}
	if (r == PC_ENOTFOUND) {
		fprintf(stderr, "policy-check: warning: branch %s has no CODEOWNERS file (%s)\n", branch,
			p->unowned_deny ? "every change will be rejected: approvals.unowned is deny" :
			"changes need no owner approval");
		goto done;
	}
	if (r < 0) {
		pc_diag_add(diags, branch, 0, 0, "%s", err.msg);
		goto done;
	}
	if (pc_codeowners_parse(&co, file, text, len, diags) < 0)
		goto done;
	for (i = 0; i < pc_codeowners_nsections(co); i++) {
		const pc_co_section *sec = pc_codeowners_section(co, i);
		check_owner_list(p, &sec->default_owners, sec->line, file, text, len, diags);
	}
	for (i = 0; i < pc_codeowners_nrules(co); i++) {
		const pc_co_rule *rule = pc_codeowners_rule(co, i);
		check_owner_list(p, &rule->owners, rule->line, file, text, len, diags);
		lint_rule_satisfiable(p, signers, branch, co, rule, file, text, len, diags);
	}
done:
	pc_codeowners_free(co);
	free(text);
	free(file);
}

/* The keys of users.<name>.keys, parsed once (bad ones are reported elsewhere). */
typedef struct policy_keys {
	pc_sshkey **keys;
	const char **users;
	size_t n;
} policy_keys;

static void policy_keys_load(policy_keys *k, const pc_policy *p)
{
	pc_error err = PC_ERROR_INIT;
	size_t i, j, total = 0;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < p->nusers; i++)
		total += p->users[i].keys.n;
	if (!total || !(k->keys = pc_calloc(total, sizeof(*k->keys))) ||
	    !(k->users = pc_calloc(total, sizeof(*k->users))))
		return;
	for (i = 0; i < p->nusers; i++)
		for (j = 0; j < p->users[i].keys.n; j++)
			if (pc_sshkey_parse(&k->keys[k->n], p->users[i].keys.items[j], &err) == 0)
				k->users[k->n++] = p->users[i].name;
}

static void policy_keys_release(policy_keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		pc_sshkey_free(k->keys[i]);
	free(k->keys);
	free(k->users);
}

static const char *key_owner(const policy_keys *k, const pc_sshkey *key)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (pc_sshkey_equal(k->keys[i], key))
			return k->users[i];
	return NULL;
}

/*
 * A signature counts for one user or for none: report the allowed_signers
 * lines that give a key to several users of the policy (principals that
 * match several emails, a key that is another user's users.<name>.keys, or
 * the same key on lines for different users).  Pushes refuse such a
 * signer as ambiguous; lint says where it comes from.
 */
static void lint_signer_users(const pc_policy *p, const pc_signers *signers, pc_diag *diags)
{
	const char *principals, *other, *owner, **sole = NULL;
	const pc_sshkey *key, *key2;
	pc_buf names = PC_BUF_INIT;
	policy_keys keys;
	unsigned line, column, line2, column2;
	size_t i, j, n, count = pc_signers_count(signers);

	if (!count || !(sole = pc_calloc(count, sizeof(*sole))))
		return;
	policy_keys_load(&keys, p);
	for (i = 0; i < count; i++) {
		if (!pc_signers_entry(signers, i, "git", &principals, &key, &line, &column))
			continue;
		pc_buf_clear(&names);
		n = 0;
		if ((owner = key_owner(&keys, key))) {
			pc_buf_printf(&names, "%s (users.%s.keys)", owner, owner);
			sole[i] = owner;
			n = 1;
		}
		for (j = 0; j < p->nusers; j++)
			if (p->users[j].email && (!owner || strcmp(owner, p->users[j].name)) &&
			    pc_sshsig_match_list(p->users[j].email, principals) == 1) {
				pc_buf_printf(&names, "%s%s", n++ ? ", " : "", p->users[j].name);
				sole[i] = p->users[j].name;
			}
		if (n > 1) {
			sole[i] = NULL;
			pc_diag_add(diags, p->allowed_signers, line, column,
				"principals '%s' give this key to %zu users of the policy (%s); a signature "
				"by it would be ambiguous and count for none of them: list one user's email",
				principals, n, names.ptr);
			continue;
		}
		for (j = 0; j < i && sole[i]; j++)
			if (sole[j] && strcmp(sole[j], sole[i]) &&
			    pc_signers_entry(signers, j, "git", &other, &key2, &line2, &column2) &&
			    pc_sshkey_equal(key, key2)) {
				pc_diag_add(diags, p->allowed_signers, line, column,
					"this key is also on line %u for %s; a signature by it would be ambiguous "
					"and count for neither %s nor %s: give a key to one user",
					line2, sole[j], sole[j], sole[i]);
				break;
			}
	}
	pc_buf_release(&names);
	policy_keys_release(&keys);
	free(sole);
}

/*
 * Key lines must be keys our verifier can use, not only well-formed text,
 * and the allowed_signers file, read only when a push is judged, must parse.
 */
/*
 * The users' own keys were parsed by the loader with the verifier's parser;
 * allowed_signers is read here, where an ambiguous line is reported.
 */
static void lint_keys(const pc_policy *p, pc_signers **out, pc_diag *diags)
{
	pc_signers *signers = NULL;

	*out = NULL;
	if (!p->allowed_signers)
		return;
	if (pc_signers_load(&signers, p->allowed_signers, diags) == 0) {
		lint_signer_users(p, signers, diags);
		*out = signers;
		return;
	}
	pc_signers_free(signers);
}

static int lint_repo(const pc_policy *p, const pc_signers *signers, git_repository *repo, const char *repo_dir, pc_diag *diags)
{
	git_reference *ref = NULL;
	git_object *tip = NULL;
	size_t i;
	char *name;
	int e;

	for (i = 0; i < p->nbranches; i++) {
		if (pc_is_glob(p->branches[i].name))
			continue;
		if (!(name = pc_asprintf("refs/heads/%s", p->branches[i].name))) {
			cmd_error("out of memory");
			return 2;
		}
		e = git_reference_lookup(&ref, repo, name);
		if (e == 0 && git_reference_peel(&tip, ref, GIT_OBJECT_COMMIT) == 0)
			lint_codeowners(p, signers, repo, p->branches[i].name, git_object_id(tip), diags);
		else if (e == GIT_ENOTFOUND)
			fprintf(stderr, "policy-check: warning: %s: protected branch '%s' does not exist yet; "
				"an admin must create it\n", repo_dir, p->branches[i].name);
		else
			fprintf(stderr, "policy-check: warning: %s: cannot read %s: %s\n",
				repo_dir, name, git_message());
		git_object_free(tip);
		tip = NULL;
		git_reference_free(ref);
		ref = NULL;
		free(name);
	}
	return 0;
}

/* The git directory of DIR (a bare repository or a work tree), or NULL. */
static git_repository *open_repo(const char *dir)
{
	git_repository *repo = NULL;
	pc_error err = PC_ERROR_INIT;

	if (pc_repo_open(&repo, dir, &err) < 0) {
		cmd_error("%s: cannot open the repository: %s", dir, err.msg);
		return NULL;
	}
	return repo;
}

/* The verdict as JSON (policy-check(1) names the fields); the exit code. */
static int print_json(const char *policy_path, const pc_diag *diags)
{
	cmd_json j = CMD_JSON_INIT;
	size_t i;

	cmd_json_open(&j, NULL, '{');
	cmd_json_str(&j, "policy", policy_path);
	cmd_json_bool(&j, "valid", !diags->n);
	cmd_json_open(&j, "errors", '[');
	for (i = 0; i < diags->n; i++) {
		cmd_json_open(&j, NULL, '{');
		cmd_json_str(&j, "file", diags->items[i].file);
		if (diags->items[i].line)
			cmd_json_int(&j, "line", diags->items[i].line);
		else
			cmd_json_null(&j, "line");
		if (diags->items[i].column)
			cmd_json_int(&j, "column", diags->items[i].column);
		else
			cmd_json_null(&j, "column");
		cmd_json_str(&j, "message", diags->items[i].message);
		cmd_json_close(&j, '}');
	}
	cmd_json_close(&j, ']');
	cmd_json_close(&j, '}');
	if (cmd_json_finish(&j, stdout) < 0)
		return 2;
	return diags->n ? 2 : 0;
}

enum { OPT_POLICY = CMD_LONG_ONLY, OPT_REPO, OPT_EXPAND, OPT_JSON };

static const cmd_opt lint_opts[] = {
	{ OPT_POLICY, 0, "policy", "FILE", "the policy to check (default: the one of --repo DIR or .)" },
	{ OPT_REPO, 0, "repo", "DIR", "also check the policy against this repository's CODEOWNERS" },
	{ OPT_EXPAND, 0, "expand", NULL, "print the effective policy as YAML" },
	{ OPT_JSON, 0, "json", NULL, "print the verdict and the errors as one JSON object" },
	CMD_OPTS_END
};

const cmd_spec cmd_lint_spec = {
	"lint",
	"lint [--policy FILE] [--repo DIR] [--expand | --json]",
	"validate a policy, and its CODEOWNERS with --repo",
	lint_opts, NULL
};

int cmd_lint(int argc, char **argv)
{
	cmd_parser p;
	pc_diag diags = PC_DIAG_INIT;
	pc_error err = PC_ERROR_INIT;
	pc_policy *policy = NULL;
	git_repository *repo = NULL;
	pc_signers *signers = NULL;
	const char *policy_path = NULL, *repo_dir = NULL;
	char *found = NULL;
	int c, expand = 0, json = 0, r = 2;

	cmd_parse_init(&p, &cmd_lint_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c) {
		case OPT_POLICY:
			policy_path = optarg;
			break;
		case OPT_REPO:
			repo_dir = optarg;
			break;
		case OPT_EXPAND:
			expand = 1;
			break;
		case OPT_JSON:
			json = 1;
			break;
		}
	}
	if (expand && json)
		cmd_usage_error("--expand and --json both print on standard output; choose one");
	if (optind < argc)
		cmd_usage_error("unexpected argument '%s'; name the policy with --policy FILE", argv[optind]);

	if (repo_dir || !policy_path) {
		if (!(repo = open_repo(repo_dir ? repo_dir : "."))) {
			if (!policy_path && !repo_dir)
				cmd_error("lint: no policy to check; give --policy FILE or --repo DIR");
			goto done;
		}
	}
	if (!policy_path) {
		if (pc_policy_path_for_repo(&found, git_repository_path(repo), &err) < 0) {
			cmd_error("%s", err.msg);
			goto done;
		}
		policy_path = found;
	}

	if (json) {
		/* the loader's diagnostics go into the JSON, not to stderr */
		if (pc_policy_load(&policy, policy_path, &diags) < 0) {
			if (!diags.n)
				pc_diag_add(&diags, policy_path, 0, 0, "cannot load the policy");
			r = print_json(policy_path, &diags);
			goto done;
		}
	} else if (pc_session_load_policy(&policy, policy_path, stderr, NULL) < 0) {
		goto done;
	}
	if (pc_check_safe_path(policy_path, PC_SAFE_NO_SYMLINK, &err) < 0 && err.code == PC_EUNSAFE)
		fprintf(stderr, "policy-check: warning: the hooks will refuse this policy: %s\n", err.msg);
	lint_keys(policy, &signers, &diags);
	lint_satisfiable(policy, signers, &diags);
	if (repo && (r = lint_repo(policy, signers, repo, repo_dir ? repo_dir : ".", &diags)) != 0)
		goto done;
	if (json) {
		r = print_json(policy_path, &diags);
		goto done;
	}
	if (diags.n) {
		pc_diag_print(&diags, stderr);
		r = 2;
		goto done;
	}
	if (expand && pc_policy_write_expanded(policy, stdout) < 0) {
		cmd_error("lint: cannot write the expanded policy to standard output");
		r = 2;
		goto done;
	}
	/* With --expand stdout holds the YAML, so the verdict goes to stderr. */
	fprintf(expand ? stderr : stdout, "policy-check: %s: ok\n", policy_path);
	r = 0;
done:
	pc_signers_free(signers);
	pc_policy_free(policy);
	pc_diag_clear(&diags);
	git_repository_free(repo);
	free(found);
	return r;
}
