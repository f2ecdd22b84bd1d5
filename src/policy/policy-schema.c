/*
 * policy-schema.c: the keys each section may hold (an unknown key is
 * reported with the closest known one), and the validators of names,
 * patterns, paths, key lines and regexes.
 */
#include "config.h"
#include "policy-int.h"
#include "sshsig.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* The schema */

static const struct section {
	const char *where;
	const char *keys[24];
} sections[] = {
	[S_TOP] = { "the top level", { "version", "strategy", "identity", "users", "allowed_signers",
		"groups", "admins", "branches", "work_branches", "tags", "other_refs", "approvals",
		"rules", "break_glass", "enforcement", "audit", "trunk", "environments",
		"shared_paths", "one_environment_per_push", "limits", NULL } },
	[S_IDENTITY] = { "identity", { "env", NULL } },
	[S_USER] = { "users.NAME", { "email", "keys", NULL } },
	[S_BRANCH] = { "branches.NAME", { "environment", "from", "require", "hotfix_from", "approvals",
		"approvers", NULL } },
	[S_TAGS] = { "tags", { "pattern", "create", NULL } },
	[S_APPROVALS] = { "approvals", { "codeowners", "required", "self_approval",
		"pusher_is_approval", "unowned", "keep_on_rebase", NULL } },
	[S_RULES] = { "rules", { "commit_message", "work_branch_name", "deny_paths", "max_blob_size",
		"signed_commits", NULL } },
	[S_BREAK_GLASS] = { "break_glass", { "groups", NULL } },
	[S_AUDIT] = { "audit", { "log", "key", "origin", "syslog", NULL } },
	[S_AUDIT_SYSLOG] = { "audit.syslog", { "enabled", "socket", "facility", NULL } },
	[S_ENVIRONMENT] = { "environments.NAME", { "path", "after", "approvals", "approvers", NULL } },
	[S_LIMITS] = { "limits", { "max_commits", "max_paths", "max_codeowners_size", "max_refs",
		"max_approvals_per_commit", "max_rollback_commits", "max_approval_candidates",
		"max_rebase_commits", NULL } },
};

static int section_has(int sec, const char *key)
{
	const char *const *k;

	for (k = sections[sec].keys; *k; k++)
		if (!strcmp(*k, key))
			return 1;
	return 0;
}

/* Levenshtein distance, capped: only small distances matter for a hint. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33], i, j, diag, up;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* The key of the section a misspelt key most likely meant, or NULL. */
static const char *close_key(int sec, const char *key)
{
	const char *const *k, *best = NULL;
	size_t d, best_d = 3;

	if (strlen(key) < 4)
		return NULL;
	for (k = sections[sec].keys; *k; k++)
		if ((d = edit_distance(key, *k)) < best_d) {
			best_d = d;
			best = *k;
		}
	return best;
}

/* Report unknown keys, saying where a misplaced key belongs. */
void pc_policy_check_keys(cx *c, const ynode *m, int sec, const char *path)
{
	pc_buf in = PC_BUF_INIT, hint = PC_BUF_INIT;
	const char *const *k, *close;
	size_t i, s;

	if (m->kind != Y_MAP)
		return;
	for (i = 0; i + 1 < m->n; i += 2) {
		const ynode *key = m->kids[i];

		if (key->kind != Y_SCALAR || section_has(sec, key->str) || (key->plain && !strcmp(key->str, "<<")))
			continue;
		pc_buf_clear(&in);
		pc_buf_clear(&hint);
		if (sec == S_TOP)
			pc_buf_puts(&in, "at the top level");
		else
			pc_buf_printf(&in, "in %s", path);
		for (s = 0; s < PC_ARRAY_SIZE(sections); s++)
			if ((int)s != sec && section_has((int)s, key->str))
				pc_buf_printf(&hint, "%s%s", hint.len ? ", " : "", sections[s].where);
		if (hint.len) {
			pc_policy_cx_error(c, key, "unknown key '%s' %s; '%s' may appear in: %s",
				key->str, in.ptr, key->str, hint.ptr);
			continue;
		}
		if ((close = close_key(sec, key->str))) {
			pc_policy_cx_error(c, key, "unknown key '%s' %s; did you mean '%s'?", key->str, in.ptr, close);
			continue;
		}
		for (k = sections[sec].keys; *k; k++)
			pc_buf_printf(&hint, "%s%s", hint.len ? ", " : "", *k);
		pc_policy_cx_error(c, key, "unknown key '%s' %s; expected one of: %s", key->str, in.ptr, hint.ptr);
	}
	if (pc_buf_error(&in) == PC_ENOMEM || pc_buf_error(&hint) == PC_ENOMEM)
		c->oom = 1;
	pc_buf_release(&in);
	pc_buf_release(&hint);
}

/* ------------------------------------------------------------------------ */
/* Names, patterns, paths, keys */

/* User and group names: what GitLab, Gitea and REMOTE_USER produce. */
const char *pc_policy_bad_name(const char *s, int is_group)
{
	const char *p;

	if (*s == '@')
		return "must not start with '@'; write the name without it";
	if (!isalnum((unsigned char)*s) && *s != '_')
		return "must start with a letter, digit or '_'";
	for (p = s; *p; p++) {
		if (isalnum((unsigned char)*p) || strchr("._-+@", *p))
			continue;
		if (is_group && *p == '/' && p[1] && p[1] != '/')
			continue;
		return is_group ? "may contain only letters, digits, '.', '_', '-', '+', '@' and '/' between parts" :
			"may contain only letters, digits, '.', '_', '-', '+' and '@'";
	}
	return NULL;
}

int pc_policy_email_valid(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>,;:\"()[]\\", *p))
			return 0;
	if (at[1] == '.' || s[strlen(s) - 1] == '.' || strstr(at, ".."))
		return 0;
	return 1;
}

/* Branch names and globs, written without refs/heads/. */
const char *pc_policy_bad_branch_pattern(const char *s)
{
	const char *why, *p;

	if (!strncmp(s, "refs/", 5))
		return "a full ref name; write the branch name without refs/heads/";
	if (!pc_glob_valid(s, &why))
		return why;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("~^:", *p))
			return "white space, a control character, '~', '^' or ':', which git does not allow";
	if (*s == '/' || *s == '-' || s[strlen(s) - 1] == '/' || strstr(s, "..") || strstr(s, "//"))
		return "a leading '/' or '-', a trailing '/', '..' or '//', which git does not allow";
	return NULL;
}

/* Paths inside the repository: relative, no . or .. components. */
const char *pc_policy_bad_repo_path(const char *s)
{
	const char *p = s, *end;
	size_t len;

	if (*s == '/')
		return "must be relative to the repository root (no leading '/')";
	for (; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return "contains a control character";
	for (p = s; *p; p = *end ? end + 1 : end) {
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return "must not contain '.' or '..' components";
		if (!len && *end)
			return "must not contain '//'";
	}
	return NULL;
}

static const char *const key_types[] = {
	"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"
};

/*
 * An authorized-key line "TYPE BASE64 [comment]": TYPE supported, BASE64
 * decodes, and the blob starts with the SSH string TYPE.  The base64 part is
 * returned through b64/b64len for duplicate detection.
 */
int pc_policy_check_key_line(const char *line, char *why, size_t whysz, const char **b64, size_t *b64len)
{
	const char *p = line, *t, *b;
	unsigned char *blob = NULL;
	pc_error err = PC_ERROR_INIT;
	size_t tlen, blen, bloblen, i;
	uint32_t slen;
	int r = PC_EINVAL, known = 0;

	for (t = p; *p && !isspace((unsigned char)*p); p++)
		;
	tlen = (size_t)(p - t);
	if (!tlen) {
		snprintf(why, whysz, "expected \"TYPE BASE64 [comment]\", found white space first");
		return PC_EINVAL;
	}
	for (i = 0; i < PC_ARRAY_SIZE(key_types); i++)
		if (strlen(key_types[i]) == tlen && !memcmp(key_types[i], t, tlen))
			known = 1;
	if (!known) {
		snprintf(why, whysz, "key type '%.*s' is not supported; use ssh-ed25519, "
			"ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521 or ssh-rsa",
			(int)(tlen > 64 ? 64 : tlen), t);
		return PC_EINVAL;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	for (b = p; *p && !isspace((unsigned char)*p); p++)
		;
	blen = (size_t)(p - b);
	if (!blen) {
		snprintf(why, whysz, "expected \"TYPE BASE64 [comment]\", the base64 key is missing");
		return PC_EINVAL;
	}
	if (*p && *p != ' ' && *p != '\t') {
		snprintf(why, whysz, "the key line contains a line break or control character");
		return PC_EINVAL;
	}
	r = pc_base64_decode(&blob, &bloblen, b, blen);
	if (r == PC_ENOMEM)
		return r;
	if (r < 0) {
		snprintf(why, whysz, "the key is not valid base64");
		return PC_EINVAL;
	}
	r = PC_EINVAL;
	if (bloblen < 4) {
		snprintf(why, whysz, "the key blob is truncated");
		goto done;
	}
	slen = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
	if (slen > bloblen - 4) {
		snprintf(why, whysz, "the key blob is truncated");
		goto done;
	}
	if (slen != tlen || memcmp(blob + 4, t, tlen)) {
		for (i = 0; i < slen && i < 32 && isgraph(blob[4 + i]); i++)
			;
		if (i == slen && slen)
			snprintf(why, whysz, "the key blob is an '%.*s' key, not '%.*s'",
				(int)slen, (const char *)blob + 4, (int)tlen, t);
		else
			snprintf(why, whysz, "the key blob does not start with its type '%.*s'", (int)tlen, t);
		goto done;
	}
	if (bloblen == 4 + slen) {
		snprintf(why, whysz, "the key blob holds no key after its type");
		goto done;
	}
	/*
	 * The checks above only explain the common mistakes in our words; the
	 * key itself is judged by the parser the verifier uses, so that a key
	 * the loader takes is one a signature can be checked against.
	 */
	if ((r = pc_sshkey_check(line, &err)) < 0) {
		if (r != PC_ENOMEM) {
			snprintf(why, whysz, "%s", err.msg);
			r = PC_EINVAL;
		}
		goto done;
	}
	*b64 = b;
	*b64len = blen;
	r = 0;
done:
	free(blob);
	return r;
}

/* Compile a rule's regex the way the rules module will. */
void pc_policy_check_regex(cx *c, const ynode *n, const char *path, const char *re)
{
	pcre2_code *code;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int errcode;

	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PC_POLICY_PCRE2_OPTIONS,
		&errcode, &off, NULL);
	if (code) {
		pcre2_code_free(code);
		return;
	}
	if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", errcode);
	pc_policy_cx_error(c, n, "%s: the regex does not compile: %s at offset %zu", path, (const char *)msg, (size_t)off);
}
