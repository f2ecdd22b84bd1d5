/*
 * keyring.c: who signed, from a key: the keys of the policy's users and
 * the allowed_signers file, read once per push, and a key resolved to
 * exactly one user or to nobody (doc/DESIGN.md section 11, "Signatures are
 * read as git and OpenSSH read them").
 */
#include "keyring.h"
#include "signers.h"
#include "sshsig.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Users named in the message about an ambiguous key. */
#define MAX_LISTED 5

struct pc_keyring {
	struct keyring_entry {
		const char *user;
		pc_sshkey *key;
	} *keys;
	size_t n, alloc;
	pc_signers *signers;
};

void pc_keyring_free(struct pc_keyring *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++)
		pc_sshkey_free(k->keys[i].key);
	free(k->keys);
	pc_signers_free(k->signers);
	free(k);
}

/* The keys of the policy's users and allowed_signers; an error is the same on every call. */
static int keyring_load(pc_ctx *ctx, pc_error *err)
{
	const pc_policy *p = ctx->policy;
	struct pc_keyring *k;
	pc_diag diags = PC_DIAG_INIT;
	size_t i, j;
	int r = PC_ERROR;

	if (ctx->keyring)
		return 0;
	if (!(k = pc_calloc(1, sizeof(*k))))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	for (i = 0; i < p->nusers; i++) {
		for (j = 0; j < p->users[i].keys.n; j++) {
			pc_sshkey *key = NULL;
			if ((r = pc_sshkey_parse(&key, p->users[i].keys.items[j], err)) < 0) {
				r = pc_error_prefix(err, "users.%s.keys", p->users[i].name);
				goto done;
			}
			if (pc_grow((void **)&k->keys, &k->alloc, k->n + 1, sizeof(*k->keys)) < 0) {
				pc_sshkey_free(key);
				r = pc_error_set(err, PC_ENOMEM, "out of memory");
				goto done;
			}
			k->keys[k->n].user = p->users[i].name;
			k->keys[k->n++].key = key;
		}
	}
	if (p->allowed_signers) {
		/* Whoever can change allowed_signers can make their key an approver's. */
		if ((r = pc_check_safe_path(p->allowed_signers, PC_SAFE_NO_SYMLINK, err)) < 0 &&
		    r != PC_ENOTFOUND) {
			r = pc_error_prefix(err, "allowed_signers");
			goto done;
		}
		if ((r = pc_signers_load(&k->signers, p->allowed_signers, &diags)) < 0) {
			pc_diag_to_error(&diags, err);
			goto done;
		}
	}
	ctx->keyring = k;
	k = NULL;	/* transferred */
	r = 0;
done:
	pc_diag_clear(&diags);
	pc_keyring_free(k);
	return r;
}

int pc_keyring_user(pc_ctx *ctx, const pc_sshkey *key, int64_t when, const char **user,
	char *why, size_t why_size, pc_error *err)
{
	const pc_user *u;
	const char *first = NULL;
	pc_buf names = PC_BUF_INIT;
	char fp[64];
	size_t i, n = 0;
	int r;

	*user = NULL;
	if ((r = keyring_load(ctx, err)) < 0)
		return r;
	for (i = 0; i < ctx->keyring->n && !first; i++)
		if (pc_sshkey_equal(ctx->keyring->keys[i].key, key)) {
			first = ctx->keyring->keys[i].user;	/* a key is of one user: lint checks */
			n = 1;
			pc_buf_puts(&names, first);
		}
	/*
	 * Principals in allowed_signers are patterns (e.g. *@ops.example.com):
	 * ask for each user's email, as ssh-keygen -Y verify -I would.  Every
	 * user the key may sign for is a candidate; more than one and nobody
	 * can tell who signed, so the signature counts for nobody.
	 */
	for (i = 0; ctx->keyring->signers && i < ctx->policy->nusers; i++) {
		u = &ctx->policy->users[i];
		if (!u->email || (first && !strcmp(first, u->name)) ||
		    pc_signers_allows(ctx->keyring->signers, key, u->email, "git", when) != 1)
			continue;
		if (!first)
			first = u->name;
		if (n++ < MAX_LISTED)
			pc_buf_printf(&names, "%s%s", n > 1 ? ", " : "", u->name);
	}
	if (pc_buf_error(&names)) {
		pc_buf_release(&names);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	pc_sshkey_fingerprint(key, fp);
	if (n == 1)
		*user = first;
	else if (n == 0)
		snprintf(why, why_size, "%s, a key of no user of the policy", fp);
	else
		snprintf(why, why_size, "%s, a key that the allowed_signers file gives to %zu users of "
			"the policy (%s%s): the signer is ambiguous and counts for none of them",
			fp, n, names.ptr, n > MAX_LISTED ? ", ..." : "");
	pc_buf_release(&names);
	return 0;
}

int pc_keyring_can_sign(pc_ctx *ctx, const pc_user *u, int *yes, pc_error *err)
{
	const pc_signers *signers;
	const char *principals;
	const pc_sshkey *key;
	unsigned line, column;
	size_t i;
	int r;

	*yes = u->keys.n > 0;
	if (*yes || !u->email)
		return 0;
	if ((r = keyring_load(ctx, err)) < 0)
		return r;
	signers = ctx->keyring->signers;
	for (i = 0; signers && i < pc_signers_count(signers) && !*yes; i++)
		if (pc_signers_entry(signers, i, "git", &principals, &key, &line, &column) &&
		    pc_sshsig_match_list(u->email, principals) == 1)
			*yes = 1;
	return 0;
}

int64_t pc_signing_time(const pc_ctx *ctx, int64_t claimed)
{
	/* No time, an unreadable one, or one after the push: the signer cannot be taken at its word. */
	if (claimed <= 0 || claimed > ctx->now)
		return ctx->now;
	return claimed;
}
