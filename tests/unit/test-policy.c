/*
 * test-policy.c: the policy loader, its validation messages, presets and
 * queries.
 */
#include "config.h"
#include "policy.h"
#include "buf.h"
#include "tap.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Three lines that every valid policy needs. */
#define HEAD "version: 1\naudit: {log: audit.log, key: audit.key, origin: example.org/pc}\n" \
	"identity: {env: [REMOTE_USER]}\n"
#define IDENTITY_KNOWN "GL_USERNAME (GitLab), GL_USER (gitolite), GITEA_PUSHER_NAME (Gitea, Forgejo) " \
	"or REMOTE_USER (a web server's authentication in front of git-http-backend, or sshd's " \
	"authorized_keys)"
/* The trunk that environments protect, with its sources; a last line. */
#define TRUNK "branches: {main: {from: any}}\n"
/* HEAD without identity, for the cases about identity itself. */
#define HEAD_NO_IDENTITY "version: 1\naudit: {log: audit.log, key: audit.key, origin: example.org/pc}\n"
/* Lines 4 to 8 after HEAD. */
#define PEOPLE "users:\n  alice: {email: alice@example.com}\n  bob: {email: bob@example.com}\n" \
	"groups:\n  sre: [alice, bob]\n"

#define ED25519_ALICE "AAAAC3NzaC1lZDI1NTE5AAAAIEuUJrhzXq5ozhOIowns9IZN5ZyPjWDf7a455fg+CrD+"
#define ED25519_BOB "AAAAC3NzaC1lZDI1NTE5AAAAIFoz1jAHyEYxqXab6prfKt8nuDuM94T+EPtE6CmjD01c"

#define TOP_KEYS "version, strategy, identity, users, allowed_signers, groups, admins, branches, " \
	"work_branches, tags, other_refs, approvals, rules, break_glass, enforcement, audit, trunk, " \
	"environments, shared_paths, one_environment_per_push, limits"
#define SIZE_HINT "write a number of bytes, or a number followed by KiB, MiB, GiB (1024-based) " \
	"or KB, MB, GB (1000-based)"

static const struct lint_case {
	const char *name, *yaml, *want;
} lint_cases[] = {
	{ "unsupported version", "version: 2\naudit: {log: a, key: b, origin: o}\nidentity: {env: [REMOTE_USER]}\n",
	  "t.yml:1:10: version: 2 is not supported; this policy-check reads policy version 1" },
	{ "version as a quoted string", "version: \"1\"\naudit: {log: a, key: b, origin: o}\nidentity: {env: [REMOTE_USER]}\n",
	  "t.yml:1:10: version: expected a whole number, found the string \"1\"; remove the quotes" },
	{ "missing version", "audit: {log: a, key: b, origin: o}\n",
	  "t.yml:1:1: missing required key 'version'; add 'version: 1'" },
	{ "missing audit", "version: 1\n",
	  "t.yml:1:1: missing required key 'audit' (log, key and origin); "
	  "the hooks accept no push without an audit record" },
	{ "missing audit.origin", "version: 1\naudit: {log: a, key: b}\nidentity: {env: [REMOTE_USER]}\n",
	  "t.yml:2:8: audit: missing required key 'origin'; the hooks accept no push without an audit "
	  "record, so audit.log, audit.key and audit.origin must all be set" },
	{ "empty file", "", "t.yml:1:1: the policy is empty; it needs at least 'version: 1' and an 'audit' section" },
	{ "a list at the top", "- version\n",
	  "t.yml:1:1: the policy must be a mapping of keys such as 'version' and 'audit', found a list" },
	{ "yaml syntax error", HEAD "trunk: main\n  extra: value\n",
	  "t.yml:5:8: invalid YAML: mapping values are not allowed in this context" },
	{ "unknown top-level key", HEAD "colour: red\n",
	  "t.yml:4:1: unknown key 'colour' at the top level; expected one of: " TOP_KEYS },
	{ "key at the wrong level", HEAD PEOPLE "approvers: [sre]\n",
	  "t.yml:9:1: unknown key 'approvers' at the top level; 'approvers' may appear in: "
	  "branches.NAME, environments.NAME" },
	{ "unknown user key", HEAD "users:\n  carol: {emial: carol@example.com}\n",
	  "t.yml:5:11: unknown key 'emial' in users.carol; did you mean 'email'?" },
	{ "unknown key, far from any", HEAD "users:\n  carol: {address: carol@example.com}\n",
	  "t.yml:5:11: unknown key 'address' in users.carol; expected one of: email, keys" },
	{ "misspelt top-level key", HEAD "enforcment: dry-run\n",
	  "t.yml:4:1: unknown key 'enforcment' at the top level; did you mean 'enforcement'?" },
	{ "mapping expected", HEAD_NO_IDENTITY "identity: [GL_USER]\n",
	  "t.yml:3:11: identity: expected a mapping, found a list" },
	{ "list expected", HEAD PEOPLE "admins: sre\n",
	  "t.yml:9:9: admins: expected a list, found a string (write [sre])" },
	{ "string expected", HEAD "trunk: [main]\n", "t.yml:4:8: trunk: expected a string, found a list" },
	{ "integer expected", HEAD "approvals: {required: two}\n",
	  "t.yml:4:23: approvals.required: expected a whole number, found 'two'" },
	{ "boolean expected", HEAD "approvals: {self_approval: yes}\n",
	  "t.yml:4:28: approvals.self_approval: expected true or false, found 'yes'" },
	{ "duplicate key", HEAD "trunk: main\ntrunk: master\n",
	  "t.yml:5:1: duplicate key 'trunk' (first at line 4, column 1)" },
	{ "unknown user in a group", HEAD "users:\n  alice: {}\ngroups:\n  ops: [alice, mallory]\n",
	  "t.yml:7:16: groups.ops: 'mallory' is not a user defined under users" },
	{ "groups do not nest", HEAD PEOPLE "  ops: [sre]\n",
	  "t.yml:9:9: groups.ops: 'sre' is a group; groups list users and do not nest" },
	{ "group named like a user", HEAD PEOPLE "  alice: [bob]\n",
	  "t.yml:9:3: groups: 'alice' is already a user name; a group needs a name of its own" },
	{ "unknown admin", HEAD PEOPLE "admins: [sre, ops]\n",
	  "t.yml:9:15: admins: 'ops' is not a user or group defined in the policy" },
	{ "unknown approver", HEAD PEOPLE "branches:\n  main: {approvers: [dba], from: any}\n",
	  "t.yml:10:22: branches.main.approvers: 'dba' is not a user or group defined in the policy" },
	{ "unknown tag creator", HEAD PEOPLE "tags: {pattern: \"v*\", create: [root]}\n",
	  "t.yml:9:32: tags.create: 'root' is not a user or group defined in the policy" },
	{ "unknown break-glass group", HEAD PEOPLE "break_glass: {groups: [oncall]}\n",
	  "t.yml:9:24: break_glass.groups: 'oncall' is not a user or group defined in the policy" },
	{ "unknown environment in after", HEAD "environments:\n  dev: {after: qa}\n" TRUNK,
	  "t.yml:5:16: environments.dev.after: 'qa' is not an environment defined under environments" },
	{ "cycle in after", HEAD "environments:\n  a: {after: b}\n  b: {after: a}\n" TRUNK,
	  "t.yml:5:14: environments.a.after: the promotion order is a cycle (a -> b -> a); "
	  "the first environment must have no 'after'" },
	{ "environment after itself", HEAD "environments:\n  a: {after: a}\n" TRUNK,
	  "t.yml:5:14: environments.a.after: the promotion order is a cycle (a -> a); "
	  "the first environment must have no 'after'" },
	{ "overlapping environments", HEAD "environments:\n  all: {path: overlays}\n  dev: {path: overlays/dev}\n" TRUNK,
	  "t.yml:6:15: environments.dev.path: 'overlays/dev/' overlaps environments.all.path 'overlays/'; "
	  "each environment needs a directory of its own" },
	{ "absolute environment path", HEAD "environments:\n  dev: {path: /overlays/dev/}\n" TRUNK,
	  "t.yml:5:15: environments.dev.path: '/overlays/dev/' must be relative to the repository root "
	  "(no leading '/')" },
	{ "bad glob", HEAD "work_branches: [\"feature/[a\"]\n",
	  "t.yml:4:17: work_branches: 'feature/[a' is not a valid branch pattern: unterminated [ character class" },
	{ "full ref as branch name", HEAD "branches:\n  refs/heads/main: {}\n",
	  "t.yml:5:3: branches: 'refs/heads/main' is not a valid branch pattern: a full ref name; "
	  "write the branch name without refs/heads/" },
	{ "trunk is a pattern", HEAD "trunk: \"main*\"\n",
	  "t.yml:4:8: trunk: 'main*' must be one branch name, not a pattern" },
	{ "regex that does not compile", HEAD "rules: {commit_message: \"(feat\"}\n",
	  "t.yml:4:25: rules.commit_message: the regex does not compile: missing closing parenthesis at offset 5" },
	{ "deny_paths regex", HEAD "rules: {deny_paths: [\"*.pem\"]}\n",
	  "t.yml:4:22: rules.deny_paths: the regex does not compile: "
	  "quantifier does not follow a repeatable item at offset 0" },
	{ "size with a space and junk", HEAD "rules:\n  max_blob_size: 5 MiB?\n",
	  "t.yml:5:18: rules.max_blob_size: '5 MiB?' is not a size; " SIZE_HINT },
	{ "negative size", HEAD "rules:\n  max_blob_size: -1\n",
	  "t.yml:5:18: rules.max_blob_size: '-1' is not a size; " SIZE_HINT },
	{ "size overflow", HEAD "rules:\n  max_blob_size: 99999999999GiB\n",
	  "t.yml:5:18: rules.max_blob_size: '99999999999GiB' is too large" },
	{ "unknown size unit", HEAD "rules:\n  max_blob_size: 5TiB\n",
	  "t.yml:5:18: rules.max_blob_size: '5TiB' is not a size; " SIZE_HINT },
	{ "unsupported key type", HEAD "users:\n  carol: {keys: [\"ssh-dss AAAAB3NzaC1kc3M=\"]}\n",
	  "t.yml:5:18: users.carol.keys: key type 'ssh-dss' is not supported; use ssh-ed25519, "
	  "ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521 or ssh-rsa" },
	{ "key that is not base64", HEAD "users:\n  carol: {keys: [\"ssh-ed25519 AAAA!AAA\"]}\n",
	  "t.yml:5:18: users.carol.keys: the key is not valid base64" },
	{ "key blob of another type", HEAD "users:\n  carol: {keys: [\"ssh-rsa " ED25519_ALICE "\"]}\n",
	  "t.yml:5:18: users.carol.keys: the key blob is an 'ssh-ed25519' key, not 'ssh-rsa'" },
	/* Well-formed text and a blob of the right type, but no ed25519 key: lint refused it, now the loader does too. */
	{ "key too short for its type", HEAD "users:\n  carol: {keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAABGFiY2Q=\"]}\n",
	  "t.yml:5:18: users.carol.keys: public key: an ssh-ed25519 key is 32 bytes, this one is 4" },
	{ "key without base64", HEAD "users:\n  carol: {keys: [\"ssh-ed25519\"]}\n",
	  "t.yml:5:18: users.carol.keys: expected \"TYPE BASE64 [comment]\", the base64 key is missing" },
	{ "key of two users", HEAD "users:\n  carol: {keys: [\"ssh-ed25519 " ED25519_ALICE " c\"]}\n"
	  "  dave: {keys: [\"ssh-ed25519 " ED25519_ALICE " d\"]}\n",
	  "t.yml:6:17: users.dave.keys: this key is already listed for user 'carol'; a key must belong to one user" },
	{ "bad email", HEAD "users:\n  carol: {email: carol.example.com}\n",
	  "t.yml:5:18: users.carol.email: 'carol.example.com' is not an email address (expected local@domain)" },
	{ "users given twice", HEAD PEOPLE "users:\n",
	  "t.yml:9:1: duplicate key 'users' (first at line 4, column 1)" },
	{ "shared email", HEAD "users:\n  carol: {email: c@example.com}\n  dave: {email: C@Example.com}\n",
	  "t.yml:6:17: users.dave.email: 'C@Example.com' is already the email of user 'carol'; "
	  "an email must identify one user" },
	{ "bad user name", HEAD "users:\n  \"a b\": {}\n",
	  "t.yml:5:3: users: user name 'a b' may contain only letters, digits, '.', '_', '-', '+' and '@'" },
	{ "other_refs value", HEAD "other_refs: maybe\n",
	  "t.yml:4:13: other_refs: 'maybe' is not valid; expected deny or allow" },
	{ "unowned value", HEAD "approvals: {unowned: block}\n",
	  "t.yml:4:22: approvals.unowned: 'block' is not valid; expected allow or deny" },
	{ "enforcement value", HEAD "enforcement: warn\n",
	  "t.yml:4:14: enforcement: 'warn' is not valid; expected enforce or dry-run" },
	{ "strategy value", HEAD "strategy: gitflow\n",
	  "t.yml:4:11: strategy: 'gitflow' is not valid; expected pattern1, pattern2 or pattern3" },
	{ "from names nothing known", HEAD "branches:\n  main: {from: [release]}\n",
	  "t.yml:5:17: branches.main.from: 'release' is neither a protected branch nor matches "
	  "work_branches; add it to one of them" },
	{ "require names nothing known", HEAD "work_branches: [\"feature/*\"]\nbranches:\n"
	  "  main: {from: [\"feature/*\"], require: [qa]}\n",
	  "t.yml:6:41: branches.main.require: 'qa' is neither a protected branch nor matches "
	  "work_branches; add it to one of them" },
	{ "preset from outside work_branches", HEAD "strategy: pattern2\nwork_branches: [\"topic/*\"]\n",
	  "t.yml:4:11: branches.develop.from: 'feature/*' is neither a protected branch nor matches "
	  "work_branches; add it to one of them or override this branch of the strategy preset" },
	{ "branch from itself", HEAD "branches:\n  main: {from: [main]}\n",
	  "t.yml:5:17: branches.main.from: a branch cannot take changes from itself" },
	{ "protected branch without from", HEAD "branches:\n  main: {approvals: 2}\n",
	  "t.yml:5:3: branches.main: missing 'from'; list the branches it takes changes from, or write "
	  "'from: any' to take them from anywhere" },
	{ "branch the preset does not know", HEAD "strategy: pattern2\nbranches:\n  \"release/*\": {approvals: 2}\n",
	  "t.yml:6:3: branches.release/*: missing 'from'; strategy pattern2 does not define this branch, "
	  "so list the branches it takes changes from, or write 'from: any' to take them from anywhere" },
	{ "empty from", HEAD "branches:\n  main: {from: []}\n",
	  "t.yml:5:16: branches.main.from: the list is empty; list the branches it takes changes from, "
	  "or write 'from: any' to take them from anywhere" },
	{ "from a string", HEAD "strategy: pattern2\nbranches:\n  main: {from: staging}\n",
	  "t.yml:6:16: branches.main.from: expected a list of branches or 'any', found a string (write [staging])" },
	{ "from [any]", HEAD "branches:\n  main: {from: [any]}\n",
	  "t.yml:5:17: branches.main.from: 'any' is neither a protected branch nor matches work_branches; "
	  "add it to one of them; to take changes from anywhere write 'from: any' without brackets" },
	{ "environments protect a trunk without from", HEAD "environments:\n  dev: {}\n",
	  "t.yml:4:1: environments: they make the trunk 'main' a protected branch, which needs 'from'; "
	  "list it under branches with the branches it takes changes from (or 'from: any'), or use "
	  "'strategy: pattern3'" },
	{ "approvals out of range", HEAD "branches:\n  main: {approvals: 5000, from: any}\n",
	  "t.yml:5:21: branches.main.approvals: 5000 is out of range (0 to 1000)" },
	{ "limit of zero", HEAD "limits: {max_commits: 0}\n",
	  "t.yml:4:23: limits.max_commits: 0 is out of range (1 to 4294967295)" },
	{ "unknown limit", HEAD "limits: {max_blobs: 3}\n",
	  "t.yml:4:10: unknown key 'max_blobs' in limits; expected one of: max_commits, max_paths, "
	  "max_codeowners_size, max_refs, max_approvals_per_commit, max_rollback_commits, "
	  "max_approval_candidates, max_rebase_commits" },
	{ "approvals per commit out of range", HEAD "limits: {max_approvals_per_commit: 1001}\n",
	  "t.yml:4:36: limits.max_approvals_per_commit: 1001 is out of range (1 to 1000)" },
	{ "missing identity", HEAD_NO_IDENTITY,
	  "t.yml:1:1: missing required key 'identity'; name the one variable your server sets to the "
	  "pusher's name, e.g. 'identity: { env: [REMOTE_USER] }': " IDENTITY_KNOWN },
	{ "identity without env", HEAD_NO_IDENTITY "identity: {}\n",
	  "t.yml:3:11: identity: missing required key 'env'; name the one variable your server sets to "
	  "the pusher's name, e.g. 'env: [REMOTE_USER]': " IDENTITY_KNOWN },
	{ "empty identity.env", HEAD_NO_IDENTITY "identity: {env: []}\n",
	  "t.yml:3:17: identity.env: the list is empty; name the one variable your server sets to the "
	  "pusher's name: " IDENTITY_KNOWN },
	{ "two identity variables", HEAD_NO_IDENTITY "identity: {env: [GL_USERNAME, REMOTE_USER]}\n",
	  "t.yml:3:31: identity.env: name exactly one variable, the one your server sets; with several, "
	  "the first one set names the pusher, so a client able to set one the server leaves unset "
	  "could push as anyone" },
	{ "identity from sshd's AcceptEnv", HEAD_NO_IDENTITY "identity: {env: [LC_PUSHER]}\n",
	  "t.yml:3:18: identity.env: 'LC_PUSHER' can come from the client: sshd accepts LC_* from the "
	  "client (AcceptEnv LANG LC_*); name the variable your server sets: " IDENTITY_KNOWN },
	{ "identity from a request header", HEAD_NO_IDENTITY "identity: {env: [HTTP_X_REMOTE_USER]}\n",
	  "t.yml:3:18: identity.env: 'HTTP_X_REMOTE_USER' can come from the client: a web server passes "
	  "the client's request headers as HTTP_*; name the variable your server sets: " IDENTITY_KNOWN },
	{ "identity from git", HEAD_NO_IDENTITY "identity: {env: [GIT_PROTOCOL]}\n",
	  "t.yml:3:18: identity.env: 'GIT_PROTOCOL' can come from the client: git sets GIT_* variables, "
	  "some from the client (GIT_PROTOCOL, push options); name the variable your server sets: "
	  IDENTITY_KNOWN },
	{ "identity variable name", HEAD_NO_IDENTITY "identity: {env: [\"GL-USER\"]}\n",
	  "t.yml:3:18: identity.env: 'GL-USER' is not an environment variable name" },
	{ "audit origin with a space", "version: 1\naudit: {log: a, key: b, origin: \"git example\"}\nidentity: {env: [REMOTE_USER]}\n",
	  "t.yml:2:33: audit.origin: 'git example' must not contain white space or '+' "
	  "(it names the checkpoint signing key), e.g. git.example.com/policy-check" },
	{ "codeowners path with ..", HEAD "approvals: {codeowners: [../CODEOWNERS]}\n",
	  "t.yml:4:26: approvals.codeowners: '../CODEOWNERS' must not contain '.' or '..' components" },
	{ "merge key", HEAD "<<: {trunk: main}\n",
	  "t.yml:4:1: merge keys ('<<') are not supported; write the keys out" },
	{ "custom tag", HEAD "trunk: !custom main\n", "t.yml:4:8: unsupported YAML tag '!custom'; remove it" },
	{ "second document", HEAD "---\ntrunk: main\n",
	  "t.yml:4:1: a second YAML document; a policy file holds exactly one" },
	{ "alias to nothing", HEAD "admins: *people\n",
	  "t.yml:4:9: alias '*people' names no anchor defined before it" },
	{ "NUL in a string", HEAD "trunk: \"ma\\0in\"\n", "t.yml:4:8: trunk: the string contains a NUL character" },
	{ "invalid UTF-8", HEAD "trunk: \"\xff\"\n",
	  "t.yml:4:9: not valid YAML text: invalid leading UTF-8 octet; the policy must be UTF-8 text" },
	{ "empty string", HEAD "trunk: \"\"\n", "t.yml:4:8: trunk: must not be empty" },
};

static char *first_diag(const pc_diag *d)
{
	if (!d->n)
		return pc_strdup("(no diagnostic)");
	return pc_asprintf("%s:%u:%u: %s", d->items[0].file, d->items[0].line, d->items[0].column,
		d->items[0].message);
}

static void test_lint_table(void)
{
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(lint_cases); i++) {
		const struct lint_case *tc = &lint_cases[i];
		pc_diag d = PC_DIAG_INIT;
		pc_policy *p = (pc_policy *)1;
		char *got;
		int r;

		r = pc_policy_parse(&p, "t.yml", tc->yaml, strlen(tc->yaml), &d);
		got = first_diag(&d);
		ok(r == PC_EINVAL && p == NULL, "lint %s: rejected", tc->name);
		is_str(got, tc->want, "lint %s: message", tc->name);
		free(got);
		pc_diag_clear(&d);
	}
}

static pc_policy *parse_ok(const char *yaml, const char *what)
{
	pc_diag d = PC_DIAG_INIT;
	pc_policy *p = NULL;
	int r = pc_policy_parse(&p, "t.yml", yaml, strlen(yaml), &d);

	if (!ok(r == 0 && p, "%s: loads", what))
		pc_diag_print(&d, stdout);
	pc_diag_clear(&d);
	return p;
}

/* Each problem of a file is reported, not only the first. */
static void test_all_errors_reported(void)
{
	static const char yaml[] = "version: 3\n"
		"identity: {env: [REMOTE_USER]}\n"
		"users:\n  alice: {email: nope}\n"
		"admins: [ghost]\n"
		"rules: {max_blob_size: huge}\n";
	pc_diag d = PC_DIAG_INIT;
	pc_policy *p = NULL;
	size_t i;

	pc_policy_parse(&p, "t.yml", yaml, strlen(yaml), &d);
	is_int((long long)d.n, 5, "five problems, five diagnostics");
	for (i = 1; i < d.n; i++)
		ok(d.items[i - 1].line <= d.items[i].line, "diagnostics in file order (%zu)", i);
	pc_diag_clear(&d);
	pc_policy_free(p);
}

static void test_defaults(void)
{
	pc_policy *p = parse_ok(HEAD, "minimal policy");

	if (!p)
		return;
	is_int(p->version, 1, "version");
	is_int(p->strategy, PC_STRATEGY_NONE, "no strategy");
	is_int((long long)p->identity_env.n, 1, "identity.env as written, no list of defaults");
	is_str(p->identity_env.items[0], "REMOTE_USER", "identity.env is REMOTE_USER");
	is_int((long long)p->codeowners.n, 4, "four CODEOWNERS locations");
	is_str(p->codeowners.items[0], ".github/CODEOWNERS", ".github/CODEOWNERS first, as on GitHub");
	is_str(p->codeowners.items[1], "CODEOWNERS", "then CODEOWNERS");
	is_str(p->codeowners.items[3], ".gitlab/CODEOWNERS", ".gitlab/CODEOWNERS last");
	is_int(p->approvals_required, 1, "approvals.required 1");
	is_int(p->self_approval, 0, "self_approval false");
	is_int(p->pusher_is_approval, 1, "pusher_is_approval true");
	is_int(p->unowned_deny, 0, "unowned allow");
	is_int(p->other_refs_allow, 0, "other_refs deny");
	is_int(p->dry_run, 0, "enforce");
	is_int((long long)p->limits.max_commits, 100000, "max_commits");
	is_int((long long)p->limits.max_paths, 1000000, "max_paths");
	is_int((long long)p->limits.max_codeowners_size, 3 * 1024 * 1024, "max_codeowners_size");
	is_int((long long)p->limits.max_refs, 10000, "max_refs");
	is_int((long long)p->limits.max_approvals_per_commit, 32, "max_approvals_per_commit");
	is_int((long long)p->limits.max_rollback_commits, 10000, "max_rollback_commits");
	is_str(p->trunk, "main", "trunk main");
	is_int((long long)p->nbranches, 0, "no protected branch without a strategy");
	is_int((long long)p->work_branches.n, 0, "no work branches without a strategy");
	ok(p->tag_pattern == NULL, "no tags section");
	is_int((long long)p->rules.max_blob_size, 0, "no blob limit");
	is_str(p->audit_log, "audit.log", "relative audit.log kept for a name without directory");
	ok(!strncmp(p->sha256, "sha256:", 7) && strlen(p->sha256) == 71, "sha256 is sha256:<64 hex>");
	pc_policy_free(p);
}

static void test_sizes(void)
{
	static const struct { const char *text; unsigned long long want; } cases[] = {
		{ "123", 123 }, { "5KiB", 5 * 1024 }, { "5MiB", 5 * 1024 * 1024 },
		{ "5GiB", 5ULL * 1024 * 1024 * 1024 }, { "5KB", 5000 }, { "5MB", 5000000 },
		{ "5GB", 5000000000ULL }, { "0", 0 }, { "\"7MiB\"", 7 * 1024 * 1024 },
	};
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		char *yaml = pc_asprintf(HEAD "rules: {max_blob_size: %s}\n", cases[i].text);
		pc_policy *p = parse_ok(yaml, cases[i].text);

		if (p)
			is_int((long long)p->rules.max_blob_size, (long long)cases[i].want, "size %s", cases[i].text);
		pc_policy_free(p);
		free(yaml);
	}
}

static const pc_branch *find_branch(const pc_policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nbranches; i++)
		if (!strcmp(p->branches[i].name, name))
			return &p->branches[i];
	return NULL;
}

static char *joined(const pc_strlist *l)
{
	pc_buf b = PC_BUF_INIT;
	size_t i;

	for (i = 0; i < l->n; i++)
		pc_buf_printf(&b, "%s%s", i ? "," : "", l->items[i]);
	return pc_buf_detach(&b);
}

static void is_list(const pc_strlist *l, const char *want, const char *what)
{
	char *got = joined(l);

	is_str(got, want, "%s", what);
	free(got);
}

static void check_branch(const pc_policy *p, const char *name, const char *env, const char *from,
	const char *require, const char *what)
{
	const pc_branch *b = find_branch(p, name);

	if (!ok(b != NULL, "%s: branch %s exists", what, name))
		return;
	is_str(b->environment, env, "%s: %s environment", what, name);
	is_list(&b->from, from, what);
	is_list(&b->require, require, what);
}

static void test_preset_pattern1(void)
{
	pc_policy *p = parse_ok(HEAD "strategy: pattern1\n", "pattern1 preset");

	if (!p)
		return;
	is_int(p->strategy, PC_STRATEGY_PATTERN1, "strategy pattern1");
	is_int((long long)p->nbranches, 3, "pattern1: three branches");
	is_str(p->branches[0].name, "develop", "pattern1: develop first");
	is_str(p->branches[2].name, "main", "pattern1: main last");
	check_branch(p, "develop", "dev", "feature/*,hotfix/*", "", "pattern1 develop");
	check_branch(p, "staging", "stg", "feature/*,hotfix/*", "develop", "pattern1 staging");
	check_branch(p, "main", "prd", "feature/*,hotfix/*", "staging", "pattern1 main");
	is_list(&p->work_branches, "feature/*,hotfix/*", "pattern1: work_branches default");
	is_int((long long)p->nenvironments, 0, "pattern1: no environments");
	pc_policy_free(p);
}

static void test_preset_pattern2(void)
{
	pc_policy *p = parse_ok(HEAD "strategy: pattern2\n", "pattern2 preset");

	if (!p)
		return;
	is_int((long long)p->nbranches, 3, "pattern2: three branches");
	check_branch(p, "develop", "dev", "feature/*,hotfix/*", "", "pattern2 develop");
	check_branch(p, "staging", "stg", "develop", "", "pattern2 staging");
	check_branch(p, "main", "prd", "staging", "", "pattern2 main");
	is_int(p->branches[0].approvals, -1, "pattern2: approvals not set");
	is_list(&p->work_branches, "feature/*,hotfix/*", "pattern2: work_branches default");
	is_int(p->one_environment_per_push, 0, "pattern2: one_environment_per_push false");
	pc_policy_free(p);
}

static void test_preset_pattern3(void)
{
	pc_policy *p = parse_ok(HEAD "strategy: pattern3\n", "pattern3 preset");
	const pc_environment *e;

	if (!p)
		return;
	is_str(p->trunk, "main", "pattern3: trunk main");
	is_int((long long)p->nbranches, 1, "pattern3: one protected branch");
	check_branch(p, "main", NULL, "feature/*,hotfix/*", "", "pattern3 trunk");
	is_int((long long)p->nenvironments, 3, "pattern3: three environments");
	if ((e = pc_policy_environment(p, "dev"))) {
		is_str(e->path, "overlays/dev/", "pattern3: dev path");
		ok(e->after == NULL, "pattern3: dev comes first");
	}
	if ((e = pc_policy_environment(p, "stg"))) {
		is_str(e->path, "overlays/stg/", "pattern3: stg path");
		is_str(e->after, "dev", "pattern3: stg after dev");
	}
	if ((e = pc_policy_environment(p, "prd"))) {
		is_str(e->path, "overlays/prd/", "pattern3: prd path");
		is_str(e->after, "stg", "pattern3: prd after stg");
		is_int(e->approvals, -1, "pattern3: prd approvals not set");
	}
	is_list(&p->shared_paths, "base/", "pattern3: shared_paths");
	is_int(p->one_environment_per_push, 1, "pattern3: one_environment_per_push");
	is_list(&p->work_branches, "feature/*,hotfix/*", "pattern3: work_branches default");
	pc_policy_free(p);
}

static void test_overrides(void)
{
	pc_policy *p;
	const pc_environment *e;

	/* A branch named in the file takes what it gives over the preset's entry. */
	p = parse_ok(HEAD PEOPLE "strategy: pattern2\nbranches:\n"
		"  main: {environment: production, from: [staging], approvals: 2, approvers: [sre]}\n"
		"  \"release/*\": {from: [main]}\n", "pattern2 with overrides");
	if (p) {
		is_int((long long)p->nbranches, 4, "override: preset three plus one");
		is_str(p->branches[2].name, "main", "override: main keeps its preset position");
		is_str(p->branches[3].name, "release/*", "override: new branch appended");
		check_branch(p, "main", "production", "staging", "", "override main");
		is_int(find_branch(p, "main")->approvals, 2, "override: main approvals");
		is_list(&find_branch(p, "main")->approvers, "sre", "override: main approvers");
		check_branch(p, "develop", "dev", "feature/*,hotfix/*", "", "override: develop untouched");
	}
	pc_policy_free(p);

	/* What an entry leaves out comes from the preset's branch, field by field. */
	p = parse_ok(HEAD PEOPLE "strategy: pattern2\nbranches:\n  main: {approvals: 2, approvers: [sre]}\n"
		"  staging: {environment: stage}\n  develop: {from: any}\n", "pattern2 merged field by field");
	if (p) {
		is_int((long long)p->nbranches, 3, "merge: still three branches");
		check_branch(p, "main", "prd", "staging", "", "merge: main keeps from and environment");
		is_int(find_branch(p, "main")->approvals, 2, "merge: main approvals from the file");
		is_list(&find_branch(p, "main")->approvers, "sre", "merge: main approvers from the file");
		check_branch(p, "staging", "stage", "develop", "", "merge: staging's own label, preset from");
		check_branch(p, "develop", "dev", "", "", "merge: develop from any, as written");
	}
	pc_policy_free(p);

	p = parse_ok(HEAD "strategy: pattern1\nbranches:\n  staging: {approvals: 2}\n"
		"  main: {require: []}\n", "pattern1 merged field by field");
	if (p) {
		check_branch(p, "staging", "stg", "feature/*,hotfix/*", "develop", "merge: staging keeps require");
		check_branch(p, "main", "prd", "feature/*,hotfix/*", "", "merge: an explicit empty require");
	}
	pc_policy_free(p);

	p = parse_ok(HEAD "strategy: pattern3\ntrunk: trunk\nbranches:\n  trunk: {approvals: 3}\n"
		"environments:\n  prd: {approvals: 2}\n  stg: {path: deploy/stg}\n", "pattern3 merged field by field");
	if (p) {
		check_branch(p, "trunk", NULL, "feature/*,hotfix/*", "", "merge: the trunk keeps its from");
		is_int(find_branch(p, "trunk")->approvals, 3, "merge: trunk approvals");
		if ((e = pc_policy_environment(p, "prd"))) {
			is_str(e->after, "stg", "merge: prd keeps after: stg");
			is_str(e->path, "overlays/prd/", "merge: prd keeps its path");
			is_int(e->approvals, 2, "merge: prd approvals");
		}
		if ((e = pc_policy_environment(p, "stg"))) {
			is_str(e->after, "dev", "merge: stg keeps after: dev");
			is_str(e->path, "deploy/stg/", "merge: stg's own path");
		}
	}
	pc_policy_free(p);

	p = parse_ok(HEAD "strategy: pattern1\nwork_branches: [\"feature/*\", \"hotfix/*\", \"bugfix/*\"]\n",
		"pattern1 with own work_branches");
	if (p)
		is_list(&p->work_branches, "feature/*,hotfix/*,bugfix/*", "override: work_branches as written");
	pc_policy_free(p);

	p = parse_ok(HEAD PEOPLE "strategy: pattern3\ntrunk: trunk\nshared_paths: [base/, components/]\n"
		"one_environment_per_push: false\nenvironments:\n"
		"  prd: {after: stg, approvals: 2, approvers: [sre]}\n  qa: {path: overlays/qa, after: dev}\n",
		"pattern3 with overrides");
	if (p) {
		is_str(p->trunk, "trunk", "override: trunk name");
		check_branch(p, "trunk", NULL, "feature/*,hotfix/*", "", "override: trunk protected");
		ok(find_branch(p, "main") == NULL, "override: no main when the trunk is renamed");
		is_int((long long)p->nenvironments, 4, "override: three preset environments plus qa");
		if ((e = pc_policy_environment(p, "prd"))) {
			is_str(e->path, "overlays/prd/", "override: prd path defaults to overlays/prd/");
			is_int(e->approvals, 2, "override: prd approvals");
		}
		if ((e = pc_policy_environment(p, "qa")))
			is_str(e->path, "overlays/qa/", "override: qa path gains its trailing slash");
		is_list(&p->shared_paths, "base/,components/", "override: shared_paths");
		is_int(p->one_environment_per_push, 0, "override: one_environment_per_push false");
	}
	pc_policy_free(p);

	/* Environments without a preset still protect the trunk, which says its sources. */
	p = parse_ok(HEAD "environments:\n  dev: {}\n" TRUNK, "environments without strategy");
	if (p) {
		check_branch(p, "main", NULL, "", "", "no preset: trunk protected");
		is_str(p->environments[0].path, "overlays/dev/", "no preset: dev path default");
		is_int((long long)p->shared_paths.n, 0, "no preset: no shared paths");
	}
	pc_policy_free(p);
}

static void test_full_schema(void)
{
	pc_policy *p = parse_ok(HEAD_NO_IDENTITY
		"identity: {env: [REMOTE_USER]}\n"
		"users:\n"
		"  alice: {email: alice@example.com, keys: [\"ssh-ed25519 " ED25519_ALICE " alice@laptop\"]}\n"
		"  bob: {email: bob@example.com, keys: [\"ssh-ed25519 " ED25519_BOB "\"]}\n"
		"  carol: {email: Carol@Example.com}\n"
		"  dave:\n"
		"allowed_signers: /etc/policy-check/allowed_signers\n"
		"groups:\n  sre: [alice, \"@bob\"]\n  acme/web: [carol, dave]\n  empty: []\n"
		"admins: [sre, carol]\n"
		"branches:\n  main: {from: [\"feature/*\"], approvals: 0}\n"
		"work_branches: [\"feature/*\"]\n"
		"tags: {create: [\"@sre\"]}\n"
		"other_refs: allow\n"
		"approvals: {codeowners: [.github/CODEOWNERS], required: 2, self_approval: true,"
		" pusher_is_approval: false, unowned: deny}\n"
		"rules:\n  commit_message: '^(feat|fix): '\n  work_branch_name: '^feature/[a-z]+$'\n"
		"  deny_paths: ['\\.pem$']\n  signed_commits: true\n"
		"break_glass: {groups: [sre]}\n"
		"enforcement: dry-run\n"
		"limits: {max_commits: 50, max_paths: 60, max_codeowners_size: 1MB, max_refs: 70,\n"
		"  max_approvals_per_commit: 8}\n",
		"every key");

	if (!p)
		return;
	is_list(&p->identity_env, "REMOTE_USER", "identity.env");
	is_int((long long)p->nusers, 4, "four users");
	is_list(&p->users[0].keys, "ssh-ed25519 " ED25519_ALICE " alice@laptop", "alice's key as written");
	ok(p->users[3].email == NULL && p->users[3].keys.n == 0, "dave: no email, no keys");
	is_int((long long)p->users[0].line, 5, "alice defined on line 5");
	is_str(p->allowed_signers, "/etc/policy-check/allowed_signers", "allowed_signers absolute");
	is_list(&pc_policy_group(p, "sre")->members, "alice,bob", "group members without '@'");
	is_list(&p->admins, "sre,carol", "admins");
	is_int(find_branch(p, "main")->approvals, 0, "approvals 0 allowed");
	is_str(p->tag_pattern, "*", "tags without pattern match every tag");
	is_list(&p->tag_create, "sre", "tags.create");
	is_int(p->other_refs_allow, 1, "other_refs allow");
	is_list(&p->codeowners, ".github/CODEOWNERS", "approvals.codeowners");
	is_int(p->approvals_required, 2, "approvals.required");
	is_int(p->self_approval, 1, "self_approval");
	is_int(p->pusher_is_approval, 0, "pusher_is_approval");
	is_int(p->unowned_deny, 1, "unowned deny");
	is_str(p->rules.commit_message, "^(feat|fix): ", "commit_message");
	is_str(p->rules.work_branch_name, "^feature/[a-z]+$", "work_branch_name");
	is_list(&p->rules.deny_paths, "\\.pem$", "deny_paths");
	is_int(p->rules.signed_commits, 1, "signed_commits");
	is_list(&p->break_glass_groups, "sre", "break_glass.groups");
	is_int(p->dry_run, 1, "dry-run");
	is_int((long long)p->limits.max_commits, 50, "limits.max_commits");
	is_int((long long)p->limits.max_paths, 60, "limits.max_paths");
	is_int((long long)p->limits.max_codeowners_size, 1000000, "limits.max_codeowners_size");
	is_int((long long)p->limits.max_refs, 70, "limits.max_refs");
	is_int((long long)p->limits.max_approvals_per_commit, 8, "limits.max_approvals_per_commit");

	/* Queries on this policy. */
	is_str(pc_policy_user(p, "bob")->email, "bob@example.com", "user lookup");
	ok(pc_policy_user(p, "mallory") == NULL, "unknown user");
	is_str(pc_policy_user_by_email(p, "carol@example.COM")->name, "carol", "email lookup ignores case");
	ok(pc_policy_user_by_email(p, "nobody@example.com") == NULL, "unknown email");
	ok(pc_policy_group(p, "acme/web") != NULL, "group with '/'");
	ok(pc_policy_user_is(p, "alice", "sre"), "alice is in sre");
	ok(pc_policy_user_is(p, "alice", "@sre"), "alice is in @sre");
	ok(pc_policy_user_is(p, "carol", "@carol"), "carol is @carol");
	ok(!pc_policy_user_is(p, "carol", "sre"), "carol is not in sre");
	ok(!pc_policy_user_is(p, "mallory", "mallory"), "an unknown user is nobody");
	ok(pc_policy_user_in(p, "dave", &p->admins) == 0, "dave is in none of the admins");
	ok(pc_policy_user_in(p, "alice", &p->admins) == 1, "alice is in the admins through sre");
	ok(pc_policy_is_admin(p, "bob"), "bob is admin through sre");
	ok(pc_policy_is_admin(p, "carol"), "carol is admin by name");
	ok(!pc_policy_is_admin(p, "dave"), "dave is not admin");
	pc_policy_free(p);
}

static void test_resolve_owner(void)
{
	pc_policy *p = parse_ok(HEAD
		"users:\n  alice: {email: alice@example.com}\n  bob: {email: bob@example.com}\n  carol: {}\n"
		"groups:\n  acme/sre: [alice, bob]\n  web: [bob, carol]\n  nobody: []\n", "owners policy");
	pc_strlist users = PC_STRLIST_INIT;

	if (!p)
		return;
	is_int(pc_policy_resolve_owner(p, "@alice", &users), 0, "@alice resolves");
	is_list(&users, "alice", "@alice is alice");
	is_int(pc_policy_resolve_owner(p, "@acme/sre", &users), 0, "@acme/sre resolves");
	is_list(&users, "alice,bob", "@acme/sre adds bob, alice is not repeated");
	is_int(pc_policy_resolve_owner(p, "@web", &users), 0, "@web resolves");
	is_list(&users, "alice,bob,carol", "@web adds carol");
	pc_strlist_clear(&users);
	is_int(pc_policy_resolve_owner(p, "BOB@example.com", &users), 0, "an email resolves");
	is_list(&users, "bob", "the email is bob's");
	pc_strlist_clear(&users);
	is_int(pc_policy_resolve_owner(p, "@mallory", &users), PC_ENOTFOUND, "unknown @user");
	is_int(pc_policy_resolve_owner(p, "@acme/dba", &users), PC_ENOTFOUND, "unknown @org/team");
	is_int(pc_policy_resolve_owner(p, "eve@example.com", &users), PC_ENOTFOUND, "unknown email");
	is_int(pc_policy_resolve_owner(p, "alice", &users), PC_ENOTFOUND, "a bare name is not an owner token");
	is_int(pc_policy_resolve_owner(p, "@nobody", &users), 0, "an empty group is known");
	is_int((long long)users.n, 0, "an empty group adds nobody");
	pc_strlist_clear(&users);
	pc_policy_free(p);
}

/* A policy assembled in code (as other modules' tests do) has no index. */
static void test_hand_made_policy(void)
{
	pc_user users[2];
	pc_group group;
	pc_policy p;
	pc_strlist members = PC_STRLIST_INIT, out = PC_STRLIST_INIT;

	memset(&p, 0, sizeof(p));
	memset(users, 0, sizeof(users));
	memset(&group, 0, sizeof(group));
	users[0].name = "zed";
	users[0].email = "zed@example.com";
	users[1].name = "amy";
	pc_strlist_add(&members, "amy");
	group.name = "team";
	group.members = members;
	p.users = users;
	p.nusers = 2;
	p.groups = &group;
	p.ngroups = 1;
	ok(pc_policy_user(&p, "amy") == &users[1], "hand-made: user lookup");
	ok(pc_policy_user_by_email(&p, "ZED@example.com") == &users[0], "hand-made: email lookup");
	ok(pc_policy_group(&p, "team") == &group, "hand-made: group lookup");
	ok(pc_policy_user_is(&p, "amy", "@team"), "hand-made: membership");
	is_int(pc_policy_resolve_owner(&p, "@team", &out), 0, "hand-made: owner resolution");
	is_list(&out, "amy", "hand-made: team is amy");
	pc_strlist_clear(&out);
	pc_strlist_clear(&members);
}

static void test_large_policy(void)
{
	pc_buf b = PC_BUF_INIT;
	pc_diag d = PC_DIAG_INIT;
	pc_policy *p = NULL;
	const pc_user *u;
	int i, n = 5000;

	pc_buf_puts(&b, HEAD "users:\n");
	for (i = 0; i < n; i++)
		pc_buf_printf(&b, "  u%d: {email: u%d@example.com}\n", i, i);
	pc_buf_puts(&b, "groups:\n  odd: [");
	for (i = 1; i < n; i += 2)
		pc_buf_printf(&b, "%su%d", i > 1 ? ", " : "", i);
	pc_buf_puts(&b, ", u1, u3]\nadmins: [odd, u0, odd]\n");
	is_int(pc_policy_parse(&p, "t.yml", b.ptr, b.len, &d), 0, "5000 users load");
	if (p) {
		u = pc_policy_user(p, "u4321");
		is_str(u ? u->email : NULL, "u4321@example.com", "indexed user lookup");
		u = pc_policy_user_by_email(p, "U1234@EXAMPLE.COM");
		is_str(u ? u->name : NULL, "u1234", "indexed email lookup");
		ok(pc_policy_user(p, "u5000") == NULL, "indexed lookup of nobody");
		is_int((long long)pc_policy_group(p, "odd")->members.n, n / 2, "repeated members kept once");
		is_str(pc_policy_group(p, "odd")->members.items[1], "u3", "members keep their order");
		is_list(&p->admins, "odd,u0", "repeated admins kept once, in order");
		ok(pc_policy_is_admin(p, "u4999") && !pc_policy_is_admin(p, "u4998"), "admin through a large group");
	}
	pc_policy_free(p);
	pc_diag_clear(&d);
	pc_buf_release(&b);
}

static void test_branch_matching(void)
{
	pc_policy *p = parse_ok(HEAD
		"work_branches: [\"feature/*\", \"hotfix/**\"]\n"
		"branches:\n"
		"  \"release/*\": {from: [\"feature/*\"]}\n"
		"  \"release/v1.*\": {from: [\"feature/*\"]}\n"
		"  release/v1.0: {from: [\"feature/*\"]}\n"
		"  \"**\": {from: any}\n"
		"  main: {from: [\"feature/*\"]}\n", "branch patterns");
	const pc_branch *b;

	if (!p)
		return;
	b = pc_policy_branch(p, "release/v1.0");
	is_str(b ? b->name : NULL, "release/v1.0", "exact name wins over globs");
	b = pc_policy_branch(p, "release/v1.2");
	is_str(b ? b->name : NULL, "release/v1.*", "the longest glob wins");
	b = pc_policy_branch(p, "release/v2");
	is_str(b ? b->name : NULL, "release/*", "a shorter glob when the longer does not match");
	b = pc_policy_branch(p, "main");
	is_str(b ? b->name : NULL, "main", "exact main");
	b = pc_policy_branch(p, "feature/x/y");
	is_str(b ? b->name : NULL, "**", "** catches the rest");
	ok(pc_policy_is_work_branch(p, "feature/login"), "feature/login is a work branch");
	ok(!pc_policy_is_work_branch(p, "feature/a/b"), "feature/* does not cross '/'");
	ok(pc_policy_is_work_branch(p, "hotfix/a/b"), "hotfix/** crosses '/'");
	ok(!pc_policy_is_work_branch(p, "main"), "main is not a work branch");
	pc_policy_free(p);

	p = parse_ok(HEAD "strategy: pattern2\n", "pattern2 for matching");
	if (p) {
		ok(pc_policy_branch(p, "feature/x") == NULL, "a work branch is not protected");
		ok(pc_policy_branch(p, "refs/heads/main") == NULL, "names are short names");
		ok(pc_policy_environment(p, "prd") == NULL, "pattern2 has no environment objects");
	}
	pc_policy_free(p);
}

static void test_relative_paths(void)
{
	pc_policy *p;

	{
		static const char yaml[] = "version: 1\nallowed_signers: signers\nidentity: {env: [REMOTE_USER]}\n"
			"audit: {log: logs/audit.log, key: /abs/audit.key, origin: o}\n";
		pc_diag d = PC_DIAG_INIT;

		p = NULL;
		is_int(pc_policy_parse(&p, "/srv/pc/policy.yml", yaml, strlen(yaml), &d), 0, "parse with a directory");
		if (p) {
			is_str(p->audit_log, "/srv/pc/logs/audit.log", "audit.log resolved against the policy's directory");
			is_str(p->audit_key, "/abs/audit.key", "an absolute audit.key is kept");
			is_str(p->allowed_signers, "/srv/pc/signers", "allowed_signers resolved");
			is_str(p->path, "/srv/pc/policy.yml", "path recorded");
		}
		pc_policy_free(p);
		pc_diag_clear(&d);
	}
}

static char *expand(const pc_policy *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (!fp)
		return NULL;
	if (pc_policy_write_expanded(p, fp) < 0) {
		fclose(fp);
		free(text);
		return NULL;
	}
	fclose(fp);
	return text;
}

/* The expansion loads back to the same policy, and expands to the same text. */
static void test_expand_roundtrip(void)
{
	static const char *const inputs[] = {
		HEAD PEOPLE "strategy: pattern2\nbranches:\n  main: {environment: prd, from: [staging], "
		"approvals: 2, approvers: [sre]}\ntags: {pattern: \"v*\", create: [sre]}\n"
		"rules: {commit_message: '^(feat|fix)(\\([\\w./-]+\\))?!?: \\S', deny_paths: ['\\.pem$'],"
		" max_blob_size: 5MiB}\n",
		HEAD "strategy: pattern1\nusers:\n  ohara: {email: \"o'hara@example.com\", keys: [\"ssh-ed25519 "
		ED25519_ALICE " a \\\"quoted\\\" comment\"]}\n",
		HEAD PEOPLE "strategy: pattern3\nenvironments:\n  prd: {approvals: 2, approvers: [sre]}\n"
		"limits: {max_refs: 5}\nenforcement: dry-run\n",
		HEAD "rules: {commit_message: \"a\\tb\\\\\\\\c\\\"d\"}\nenvironments:\n  dev: {}\n" TRUNK,
	};
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(inputs); i++) {
		pc_policy *a = parse_ok(inputs[i], "round-trip input"), *b = NULL;
		pc_diag d = PC_DIAG_INIT;
		char *ta = NULL, *tb = NULL, *body_a, *body_b;

		if (!a)
			continue;
		ta = expand(a);
		ok(ta != NULL, "round trip %zu: expanded", i);
		if (ta && pc_policy_parse(&b, "t.yml", ta, strlen(ta), &d) < 0)
			pc_diag_print(&d, stdout);
		ok(b != NULL, "round trip %zu: the expansion loads", i);
		if (b) {
			tb = expand(b);
			/* Skip the first line, which names the file and its hash. */
			body_a = strchr(ta, '\n');
			body_b = tb ? strchr(tb, '\n') : NULL;
			is_str(body_b, body_a, "round trip %zu: same effective policy", i);
			is_int((long long)b->nbranches, (long long)a->nbranches, "round trip %zu: branches", i);
			is_int(b->strategy, a->strategy, "round trip %zu: strategy", i);
			is_str(b->trunk, a->trunk, "round trip %zu: trunk", i);
			is_str(b->rules.commit_message, a->rules.commit_message, "round trip %zu: regex", i);
			if (a->nusers && b->nusers)
				is_list(&b->users[0].keys, a->users[0].keys.items ? a->users[0].keys.items[0] : "",
					"round trip: key line with quotes");
		}
		pc_diag_clear(&d);
		free(ta);
		free(tb);
		pc_policy_free(a);
		pc_policy_free(b);
	}
}

static void test_yaml_limits(void)
{
	pc_buf b = PC_BUF_INIT;
	pc_diag d = PC_DIAG_INIT;
	pc_policy *p = NULL;
	char prev = 'a';
	int i, k;

	/* Billion laughs: nine levels of nine aliases each. */
	pc_buf_puts(&b, HEAD "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (i = 0; i < 8; i++) {
		char name = (char)('b' + i);

		pc_buf_printf(&b, "%c: &%c [", name, name);
		for (k = 0; k < 9; k++)
			pc_buf_printf(&b, "%s*%c", k ? "," : "", prev);
		pc_buf_puts(&b, "]\n");
		prev = name;
	}
	pc_buf_puts(&b, "work_branches: *i\n");
	is_int(pc_policy_parse(&p, "t.yml", b.ptr, b.len, &d), PC_EINVAL, "alias bomb refused");
	ok(d.n == 1 && strstr(d.items[0].message, "aliases expand this document to more than 1000000 nodes"),
		"alias bomb: says why");
	pc_diag_clear(&d);

	pc_buf_clear(&b);
	pc_buf_puts(&b, HEAD "x: &x a\nadmins: [");
	for (i = 0; i < 1001; i++)
		pc_buf_printf(&b, "%s*x", i ? "," : "");
	pc_buf_puts(&b, "]\n");
	is_int(pc_policy_parse(&p, "t.yml", b.ptr, b.len, &d), PC_EINVAL, "1001 aliases refused");
	ok(d.n == 1 && !strcmp(d.items[0].message, "more than 1000 YAML aliases; refusing the document"),
		"too many aliases: says why");
	pc_diag_clear(&d);

	pc_buf_clear(&b);
	pc_buf_puts(&b, HEAD "x: ");
	for (i = 0; i < 65; i++)
		pc_buf_putc(&b, '[');
	for (i = 0; i < 65; i++)
		pc_buf_putc(&b, ']');
	is_int(pc_policy_parse(&p, "t.yml", b.ptr, b.len, &d), PC_EINVAL, "nesting 65 deep refused");
	ok(d.n == 1 && d.items[0].line == 4 && d.items[0].column == 67 &&
		!strcmp(d.items[0].message, "the YAML is nested deeper than 64 levels; refusing the document"),
		"nesting: says where and why");
	pc_diag_clear(&d);

	/* Aliases of whole values are read like the value they name. */
	pc_buf_clear(&b);
	pc_buf_puts(&b, HEAD PEOPLE "branches:\n  main: {approvers: &owners [sre, alice], from: any}\n"
		"  staging: {approvers: *owners, from: [main]}\n");
	p = NULL;
	is_int(pc_policy_parse(&p, "t.yml", b.ptr, b.len, &d), 0, "aliases of a list are read");
	if (p)
		is_list(&find_branch(p, "staging")->approvers, "sre,alice", "alias value");
	pc_policy_free(p);
	pc_diag_clear(&d);

	pc_buf_clear(&b);
	pc_buf_puts(&b, HEAD);
	for (i = 0; i < PC_POLICY_MAX_SIZE; i++)
		pc_buf_putc(&b, '#');
	p = NULL;
	is_int(pc_policy_parse(&p, "t.yml", b.ptr, b.len, &d), PC_ELIMIT, "text over 1 MiB refused");
	ok(d.n == 1 && strstr(d.items[0].message, "over the limit of 1 MiB"), "size limit: says why");
	pc_diag_clear(&d);
	pc_buf_release(&b);
}

static int write_file(const char *path, const char *text, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (!fp)
		return -1;
	fwrite(text, 1, len, fp);
	return fclose(fp);
}

static void test_load_file(const char *dir)
{
	char *path = pc_asprintf("%s/sub/policy.yml", dir), *sub = pc_asprintf("%s/sub", dir);
	char *big = pc_asprintf("%s/big.yml", dir), *want, *real;
	pc_diag d = PC_DIAG_INIT;
	pc_policy *p = NULL;
	char *text;
	size_t n = PC_POLICY_MAX_SIZE + 1;

	mkdir(sub, 0755);
	real = realpath(sub, NULL);
	want = pc_asprintf("%s/audit.log", real ? real : sub);
	free(real);
	write_file(path, HEAD, strlen(HEAD));
	is_int(pc_policy_load(&p, path, &d), 0, "load from a file");
	if (p) {
		is_str(p->audit_log, want, "load: audit.log next to the policy file");
		is_str(p->path, path, "load: path");
	}
	pc_policy_free(p);
	p = NULL;

	text = malloc(n);
	memset(text, '#', n);
	write_file(big, text, n);
	free(text);
	is_int(pc_policy_load(&p, big, &d), PC_ELIMIT, "load: a file over 1 MiB is refused");
	ok(d.n == 1 && strstr(d.items[0].message, "a policy file may be at most 1 MiB"), "load: limit named");
	pc_diag_clear(&d);

	is_int(pc_policy_load(&p, "/nonexistent/policy.yml", &d), PC_ENOTFOUND, "load: missing file");
	ok(d.n == 1 && strstr(d.items[0].message, "/nonexistent/policy.yml: cannot open"), "load: names the file");
	pc_diag_clear(&d);
	free(path);
	free(sub);
	free(big);
	free(want);
}

static void test_path_for_repo(const char *dir)
{
	char *bare = pc_asprintf("%s/repo.git", dir), *want;
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	pc_error err = PC_ERROR_INIT;
	char *got = NULL;

	if (!ok(git_repository_init(&repo, bare, 1) == 0, "bare repository created")) {
		free(bare);
		return;
	}
	is_int(pc_policy_path_for_repo(&got, bare, &err), 0, "default policy path");
	want = pc_asprintf("%s/policy-check.yml", bare);
	is_str(got, want, "default is $GIT_DIR/policy-check.yml");
	free(want);
	free(got);

	git_repository_config(&cfg, repo);
	git_config_set_string(cfg, "policycheck.policy", "../policies/main.yml");
	is_int(pc_policy_path_for_repo(&got, bare, &err), 0, "configured relative path");
	want = pc_asprintf("%s/../policies/main.yml", bare);
	is_str(got, want, "relative to GIT_DIR");
	free(want);
	free(got);

	git_config_set_string(cfg, "policycheck.policy", "/etc/policy-check/policy.yml");
	is_int(pc_policy_path_for_repo(&got, bare, &err), 0, "configured absolute path");
	is_str(got, "/etc/policy-check/policy.yml", "absolute path kept");
	free(got);

	got = NULL;
	is_int(pc_policy_path_for_repo(&got, "/nonexistent/repo.git", &err), PC_ENOTFOUND, "no repository");
	ok(got == NULL && strstr(err.msg, "cannot open the repository"), "no repository: says so");
	git_config_free(cfg);
	git_repository_free(repo);
	free(bare);
}

int main(void)
{
	char tmpl[] = "/tmp/test-policy.XXXXXX", *dir, *cmd;

	git_libgit2_init();
	test_lint_table();
	test_all_errors_reported();
	test_defaults();
	test_sizes();
	test_preset_pattern1();
	test_preset_pattern2();
	test_preset_pattern3();
	test_overrides();
	test_full_schema();
	test_resolve_owner();
	test_branch_matching();
	test_hand_made_policy();
	test_large_policy();
	test_relative_paths();
	test_expand_roundtrip();
	test_yaml_limits();
	if ((dir = mkdtemp(tmpl))) {
		test_load_file(dir);
		test_path_for_repo(dir);
		if ((cmd = pc_asprintf("rm -rf '%s'", dir))) {
			if (system(cmd) != 0)
				diag("could not remove %s", dir);
			free(cmd);
		}
	} else {
		ok(0, "temporary directory");
	}
	git_libgit2_shutdown();
	return done_testing();
}
