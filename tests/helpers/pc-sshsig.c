/*
 * pc-sshsig: a test helper over the sshsig module, driven by
 * tests/t/t1200-sshsig.t.  Exit 0 = accepted, 1 = refused (message on
 * stderr), 2 = usage or I/O error.
 *
 *   verify KEYFILE NS MSGFILE SIGFILE     verify; KEYFILE "-" takes any signer
 *   fingerprint KEYFILE                   SHA256:... as ssh-keygen -lf prints it
 *   tag RAWTAGFILE KEYFILE                split a raw tag object and verify it (namespace git)
 *   commit REPO REV KEYFILE               verify a commit's gpgsig via libgit2's extraction
 *   signers FILE KEYFILE NS TIME          principals allowed for the key (TIME: epoch seconds)
 *   allows FILE KEYFILE PRINCIPAL NS TIME exit 0 when allowed (ssh-keygen -Y verify -I)
 *   signed-data NS RESERVED HASHALG MSGFILE   the bytes an SSHSIG signature covers
 *   assemble KEYFILE NS RESERVED HASHALG SIGTYPE RAWSIGFILE   an armored SSHSIG
 *   rewrite SIGFILE FIELD VALUE           re-armor a signature with one part changed:
 *       version N | key KEYFILE | namespace S | reserved S | hashalg S | sigtype S |
 *       sig SIGFILE | trailing S | sigtrailing S |
 *       flip - (the last byte of the signature bytes)
 *   bench KEYFILE NS MSGFILE SIGFILE N    median microseconds of N verifications
 */
#include "config.h"
#include "sshsig.h"
#include "buf.h"
#include "sshwire.h"

#include <git2.h>
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage(void)
{
	fprintf(stderr, "usage: pc-sshsig verify|fingerprint|tag|commit|signers|allows|"
		"signed-data|assemble|rewrite|bench ARGS...\n");
	return 2;
}

static char *slurp(const char *path, size_t *len)
{
	pc_error err = PC_ERROR_INIT;
	char *text;

	if (pc_read_file(&text, len, path, 1 << 24, &err) < 0) {
		fprintf(stderr, "pc-sshsig: %s\n", err.msg);
		exit(2);
	}
	return text;
}

static pc_sshkey *load_key(const char *path)
{
	pc_error err = PC_ERROR_INIT;
	pc_sshkey *key;
	char *text = slurp(path, NULL), *nl;

	if ((nl = strchr(text, '\n')))
		*nl = '\0';
	if (pc_sshkey_parse(&key, text, &err) < 0) {
		fprintf(stderr, "%s: %s\n", path, err.msg);
		free(text);
		exit(1);
	}
	free(text);
	return key;
}

static int check_signer(const pc_sshkey *signer, const char *keyfile)
{
	char fp[64], want_fp[64];
	pc_sshkey *want;
	int same;

	pc_sshkey_fingerprint(signer, fp);
	if (strcmp(keyfile, "-")) {
		want = load_key(keyfile);
		same = pc_sshkey_equal(signer, want);
		pc_sshkey_fingerprint(want, want_fp);
		pc_sshkey_free(want);
		if (!same) {
			fprintf(stderr, "signed by %s, not by the expected key %s\n", fp, want_fp);
			return 1;
		}
	}
	printf("%s\n", fp);
	return 0;
}

static int cmd_verify(char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_sshkey *signer = NULL;
	size_t msg_len, sig_len;
	char *msg = slurp(argv[2], &msg_len), *sig = slurp(argv[3], &sig_len);
	int r;

	if (pc_sshsig_verify(&signer, sig, sig_len, argv[1], (unsigned char *)msg, msg_len, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		r = 1;
	} else {
		r = check_signer(signer, argv[0]);
	}
	pc_sshkey_free(signer);
	free(msg);
	free(sig);
	return r;
}

static int cmd_fingerprint(char **argv)
{
	pc_sshkey *key = load_key(argv[0]);
	char fp[64];

	pc_sshkey_fingerprint(key, fp);
	printf("%s %s\n", fp, pc_sshkey_type(key));
	pc_sshkey_free(key);
	return 0;
}

static int cmd_tag(char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_sshkey *signer = NULL;
	size_t len, payload_len, sig_len;
	const char *sig;
	char *raw = slurp(argv[0], &len);
	int r;

	if (pc_sshsig_split_tag(raw, len, &payload_len, &sig, &sig_len) < 0) {
		fprintf(stderr, "the tag has no SSH signature\n");
		r = 1;
	} else if (pc_sshsig_verify(&signer, sig, sig_len, "git", (unsigned char *)raw, payload_len,
			&err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		r = 1;
	} else {
		r = check_signer(signer, argv[1]);
	}
	pc_sshkey_free(signer);
	free(raw);
	return r;
}

static int cmd_commit(char **argv)
{
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_buf sig = { 0 }, data = { 0 };
	pc_error err = PC_ERROR_INIT;
	pc_sshkey *signer = NULL;
	git_oid id;
	int r = 2;

	git_libgit2_init();
	if (git_repository_open(&repo, argv[0]) < 0 || git_revparse_single(&obj, repo, argv[1]) < 0) {
		fprintf(stderr, "pc-sshsig: %s\n", git_error_last()->message);
		goto done;
	}
	git_oid_cpy(&id, git_object_id(obj));
	if (git_commit_extract_signature(&sig, &data, repo, &id, NULL) < 0) {
		fprintf(stderr, "the commit has no signature: %s\n", git_error_last()->message);
		r = 1;
		goto done;
	}
	if (pc_sshsig_verify(&signer, sig.ptr, sig.size, "git", (unsigned char *)data.ptr, data.size,
			&err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		r = 1;
		goto done;
	}
	r = check_signer(signer, argv[2]);
done:
	pc_sshkey_free(signer);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	git_object_free(obj);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return r;
}

static pc_signers *load_signers(const char *path)
{
	pc_diag diags = PC_DIAG_INIT;
	pc_signers *s;

	if (pc_signers_load(&s, path, &diags) < 0) {
		pc_diag_print(&diags, stderr);
		pc_diag_clear(&diags);
		exit(1);
	}
	return s;
}

static int cmd_signers(char **argv)
{
	pc_signers *s = load_signers(argv[0]);
	pc_sshkey *key = load_key(argv[1]);
	pc_strlist out = PC_STRLIST_INIT;
	size_t i;
	int r;

	r = pc_signers_lookup(s, key, argv[2], strtoll(argv[3], NULL, 10), &out);
	for (i = 0; i < out.n; i++)
		printf("%s\n", out.items[i]);
	if (r == 0 && !out.n)
		r = 1;
	pc_strlist_clear(&out);
	pc_sshkey_free(key);
	pc_signers_free(s);
	return r < 0 ? 2 : r;
}

static int cmd_allows(char **argv)
{
	pc_signers *s = load_signers(argv[0]);
	pc_sshkey *key = load_key(argv[1]);
	int ok = pc_signers_allows(s, key, argv[2], argv[3], strtoll(argv[4], NULL, 10));

	pc_sshkey_free(key);
	pc_signers_free(s);
	return ok ? 0 : 1;
}

static void write_armor(const unsigned char *blob, size_t len)
{
	char *b64 = pc_base64_encode(blob, len);
	size_t i, n = strlen(b64);

	printf("-----BEGIN SSH SIGNATURE-----\n");
	for (i = 0; i < n; i += 70)
		printf("%.*s\n", (int)(n - i < 70 ? n - i : 70), b64 + i);
	printf("-----END SSH SIGNATURE-----\n");
	free(b64);
}

static int cmd_signed_data(char **argv)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int h_len;
	size_t msg_len;
	char *msg = slurp(argv[3], &msg_len);
	pc_buf b = PC_BUF_INIT;

	EVP_Digest(msg, msg_len, h, &h_len,
		!strcmp(argv[2], "sha256") ? EVP_sha256() : EVP_sha512(), NULL);
	pc_buf_put(&b, "SSHSIG", 6);
	put_cstring(&b, argv[0]);
	put_cstring(&b, argv[1]);
	put_cstring(&b, argv[2]);
	put_string(&b, h, h_len);
	fwrite(b.ptr, 1, b.len, stdout);
	pc_buf_release(&b);
	free(msg);
	return 0;
}

static int cmd_assemble(char **argv)
{
	pc_sshkey *key = load_key(argv[0]);
	pc_buf sig = PC_BUF_INIT, b = PC_BUF_INIT;
	const unsigned char *kb;
	size_t kb_len, raw_len;
	char *raw = slurp(argv[5], &raw_len);

	kb = pc_sshkey_blob(key, &kb_len);
	put_cstring(&sig, argv[4]);
	put_string(&sig, raw, raw_len);
	pc_buf_put(&b, "SSHSIG", 6);
	put_u32(&b, 1);
	put_string(&b, kb, kb_len);
	put_cstring(&b, argv[1]);
	put_cstring(&b, argv[2]);
	put_cstring(&b, argv[3]);
	put_string(&b, sig.ptr, sig.len);
	write_armor((unsigned char *)b.ptr, b.len);
	pc_buf_release(&sig);
	pc_buf_release(&b);
	pc_sshkey_free(key);
	free(raw);
	return 0;
}

/* The parts of a well-formed signature, for rewrite. */
struct parts {
	uint32_t version;
	const unsigned char *key, *ns, *reserved, *hashalg, *sigtype, *sigbytes;
	size_t key_len, ns_len, reserved_len, hashalg_len, sigtype_len, sigbytes_len;
};

static unsigned char *split_parts(const char *path, struct parts *pt)
{
	pc_error err = PC_ERROR_INIT;
	unsigned char *blob;
	const unsigned char *sig;
	size_t len, blob_len, sig_len;
	char *armor = slurp(path, &len);
	pc_sshreader rd, srd;

	if (pc_sshsig_dearmor(&blob, &blob_len, armor, len, &err) < 0) {
		fprintf(stderr, "pc-sshsig: %s\n", err.msg);
		exit(2);
	}
	free(armor);
	pc_sshreader_init(&rd, blob, blob_len);
	if (pc_sshreader_bytes(&rd, NULL, 6) < 0 || pc_sshreader_u32(&rd, &pt->version) < 0 ||
	    pc_sshreader_string(&rd, &pt->key, &pt->key_len) < 0 ||
	    pc_sshreader_string(&rd, &pt->ns, &pt->ns_len) < 0 ||
	    pc_sshreader_string(&rd, &pt->reserved, &pt->reserved_len) < 0 ||
	    pc_sshreader_string(&rd, &pt->hashalg, &pt->hashalg_len) < 0 ||
	    pc_sshreader_string(&rd, &sig, &sig_len) < 0) {
		fprintf(stderr, "pc-sshsig: %s: cannot split the signature\n", path);
		exit(2);
	}
	pc_sshreader_init(&srd, sig, sig_len);
	if (pc_sshreader_string(&srd, &pt->sigtype, &pt->sigtype_len) < 0 ||
	    pc_sshreader_string(&srd, &pt->sigbytes, &pt->sigbytes_len) < 0) {
		fprintf(stderr, "pc-sshsig: %s: cannot split the inner signature\n", path);
		exit(2);
	}
	return blob;
}

static int cmd_rewrite(char **argv)
{
	const char *field = argv[1], *value = argv[2];
	struct parts pt, other;
	unsigned char *blob = split_parts(argv[0], &pt), *other_blob = NULL, *flipped = NULL;
	pc_sshkey *key = NULL;
	pc_buf sig = PC_BUF_INIT, b = PC_BUF_INIT;
	int r = 0;

	if (!strcmp(field, "version")) {
		pt.version = (uint32_t)strtoul(value, NULL, 10);
	} else if (!strcmp(field, "key")) {
		key = load_key(value);
		pt.key = pc_sshkey_blob(key, &pt.key_len);
	} else if (!strcmp(field, "namespace")) {
		pt.ns = (const unsigned char *)value;
		pt.ns_len = strlen(value);
	} else if (!strcmp(field, "reserved")) {
		pt.reserved = (const unsigned char *)value;
		pt.reserved_len = strlen(value);
	} else if (!strcmp(field, "hashalg")) {
		pt.hashalg = (const unsigned char *)value;
		pt.hashalg_len = strlen(value);
	} else if (!strcmp(field, "sigtype")) {
		pt.sigtype = (const unsigned char *)value;
		pt.sigtype_len = strlen(value);
	} else if (!strcmp(field, "sig")) {
		other_blob = split_parts(value, &other);
		pt.sigtype = other.sigtype;
		pt.sigtype_len = other.sigtype_len;
		pt.sigbytes = other.sigbytes;
		pt.sigbytes_len = other.sigbytes_len;
	} else if (!strcmp(field, "flip")) {
		flipped = malloc(pt.sigbytes_len);
		memcpy(flipped, pt.sigbytes, pt.sigbytes_len);
		flipped[pt.sigbytes_len - 1] ^= 0x01;
		pt.sigbytes = flipped;
	} else if (strcmp(field, "trailing") && strcmp(field, "sigtrailing")) {
		r = usage();
		goto done;
	}
	put_string(&sig, pt.sigtype, pt.sigtype_len);
	put_string(&sig, pt.sigbytes, pt.sigbytes_len);
	if (!strcmp(field, "sigtrailing"))
		pc_buf_puts(&sig, value);
	pc_buf_put(&b, "SSHSIG", 6);
	put_u32(&b, pt.version);
	put_string(&b, pt.key, pt.key_len);
	put_string(&b, pt.ns, pt.ns_len);
	put_string(&b, pt.reserved, pt.reserved_len);
	put_string(&b, pt.hashalg, pt.hashalg_len);
	put_string(&b, sig.ptr, sig.len);
	if (!strcmp(field, "trailing"))
		pc_buf_puts(&b, value);
	write_armor((unsigned char *)b.ptr, b.len);
done:
	pc_buf_release(&sig);
	pc_buf_release(&b);
	pc_sshkey_free(key);
	free(flipped);
	free(other_blob);
	free(blob);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmd_bench(char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_sshkey *want = load_key(argv[0]), *signer;
	size_t msg_len, sig_len, i, n = strtoul(argv[4], NULL, 10);
	char *msg = slurp(argv[2], &msg_len), *sig = slurp(argv[3], &sig_len);
	struct timespec t0, t1;
	double *us = calloc(n ? n : 1, sizeof(double));
	int r = 0;

	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (pc_sshsig_verify(&signer, sig, sig_len, argv[1], (unsigned char *)msg, msg_len, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			r = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (!pc_sshkey_equal(signer, want))
			r = 1;
		pc_sshkey_free(signer);
		us[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	}
	if (!r && n) {
		qsort(us, n, sizeof(double), cmp_double);
		printf("%s median %.1f us over %zu verifications (min %.1f, max %.1f)\n",
			pc_sshkey_type(want), n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2, n,
			us[0], us[n - 1]);
	}
	free(us);
	free(msg);
	free(sig);
	pc_sshkey_free(want);
	return r;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
		int (*fn)(char **);
	} cmds[] = {
		{ "verify", 4, cmd_verify },
		{ "fingerprint", 1, cmd_fingerprint },
		{ "tag", 2, cmd_tag },
		{ "commit", 3, cmd_commit },
		{ "signers", 4, cmd_signers },
		{ "allows", 5, cmd_allows },
		{ "signed-data", 4, cmd_signed_data },
		{ "assemble", 6, cmd_assemble },
		{ "rewrite", 3, cmd_rewrite },
		{ "bench", 5, cmd_bench },
	};
	size_t i;

	if (argc < 2)
		return usage();
	for (i = 0; i < PC_ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			if (argc - 2 != cmds[i].nargs)
				return usage();
			return cmds[i].fn(argv + 2);
		}
	return usage();
}
