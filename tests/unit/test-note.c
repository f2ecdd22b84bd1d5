/*
 * Unit tests for signed notes, verifier keys, key files and checkpoints.
 *
 * The PeterNeumann key and note are the example of Go's
 * golang.org/x/mod/sumdb/note package documentation; that its key id and
 * signature are right was checked independently with Python's hashlib and
 * `openssl pkeyutl -verify -rawin` before they were written here.
 */
#include "note.h"
#include "merkle.h"
#include "buf.h"
#include "util.h"
#include "tap.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char go_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char go_text[] =
	"If you think cryptography is the answer to your problem,\n"
	"then you don't know what your problem is.\n";
static const char go_sig[] =
	"\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static char dir[64];

static char *path(const char *name)
{
	static char buf[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static char *go_note(void)
{
	return pc_asprintf("%s\n%s", go_text, go_sig);
}

static void test_go_vector(void)
{
	pc_note_verifier v;
	pc_error err = PC_ERROR_INIT;
	char *note = go_note(), *bad;
	size_t tlen = 0;

	is_int(pc_note_verifier_parse(&v, go_vkey, strlen(go_vkey), &err), 0, "Go's example verifier key parses");
	is_int(v.id, 0xc74f20a3, "its key id is SHA-256(name || 0x0A || 0x01 || key)[:4]");
	is_str(v.name, "PeterNeumann", "and its name is the part before the first +");
	is_int(pc_note_verify(&tlen, &v, note, strlen(note), &err), 0, "Go's example signed note verifies (%s)", err.msg);
	is_int((long long)tlen, (long long)strlen(go_text), "the signed text ends before the blank line");

	bad = pc_strdup(note);
	bad[3] ^= 0x20;
	is_int(pc_note_verify(&tlen, &v, bad, strlen(bad), &err), PC_EVERIFY, "a changed letter breaks the signature");
	ok(strstr(err.msg, "does not verify") != NULL, "and the message says so: %s", err.msg);
	free(bad);
	pc_note_verifier_release(&v);

	is_int(pc_note_verifier_parse(&v, "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", 66, &err),
		PC_EINVAL, "a verifier key whose id does not match its key is refused");
	ok(strstr(err.msg, "does not match") != NULL, "with a message naming the mismatch: %s", err.msg);
	is_int(pc_note_verifier_parse(&v, "Other+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", 59, &err),
		PC_EINVAL, "a verifier key renamed without its id is refused");
	is_int(pc_note_verifier_parse(&v, "PeterNeumann+c74f20a3+AhpczQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", 66, &err),
		PC_EINVAL, "a key with another algorithm byte is refused");
	is_int(pc_note_verifier_parse(&v, "PeterNeumann+c74f20a3", 21, &err), PC_EINVAL, "a key without its key part is refused");
	is_int(pc_note_verifier_parse(&v, "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", 64, &err),
		PC_EINVAL, "a short key id is refused");
	free(note);
}

static void test_note_format(void)
{
	pc_note_verifier v;
	pc_error err = PC_ERROR_INIT;
	size_t tlen, i;
	char *note;
	static const struct { const char *note; const char *why; } bad[] = {
		{ "text\n", "a note without signatures" },
		{ "text\n\n", "a blank line and no signature lines" },
		{ "text\n\n- PeterNeumann x08go/ZJkuBS9UG=\n", "a signature line with a hyphen instead of an em dash" },
		{ "text\n\n\xe2\x80\x94 PeterNeumann\n", "a signature line without a signature" },
		{ "text\n\n\xe2\x80\x94 PeterNeumann !!!!\n", "a signature that is not base64" },
		{ "te\x01xt\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ\n", "a control character" },
		{ "te\xffxt\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ\n", "invalid UTF-8" },
		{ "text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG", "a note without a final newline" },
	};

	pc_note_verifier_parse(&v, go_vkey, strlen(go_vkey), &err);
	for (i = 0; i < PC_ARRAY_SIZE(bad); i++)
		is_int(pc_note_verify(&tlen, &v, bad[i].note, strlen(bad[i].note), &err), PC_EINVAL,
			"refused: %s (%s)", bad[i].why, err.msg);
	note = pc_asprintf("%s\n\xe2\x80\x94 someone.example AAAAAAAA\n", go_text);
	is_int(pc_note_verify(&tlen, &v, note, strlen(note), &err), PC_EVERIFY, "a note signed only by others is refused");
	ok(strstr(err.msg, "not signed by PeterNeumann") && strstr(err.msg, "someone.example"),
		"naming the signers: %s", err.msg);
	free(note);
	/* A note with an unknown signature first and ours second verifies: unknown ones are ignored. */
	note = pc_asprintf("%s\n\xe2\x80\x94 someone.example AAAAAAAA\n%s", go_text, go_sig);
	is_int(pc_note_verify(&tlen, &v, note, strlen(note), &err), 0, "signatures by unknown keys are ignored");
	free(note);
	pc_note_verifier_release(&v);

	ok(pc_note_name_valid("git.example.com/policy-check"), "a URL-like origin is a valid key name");
	ok(pc_note_name_valid("caf\xc3\xa9"), "a non-ASCII name is valid");
	ok(!pc_note_name_valid(""), "an empty name is not");
	ok(!pc_note_name_valid("a b"), "a name with a space is not");
	ok(!pc_note_name_valid("a+b"), "a name with a plus is not");
	ok(!pc_note_name_valid("a\tb"), "a name with a tab is not");
	ok(!pc_note_name_valid("a\xc2\xa0" "b"), "a name with a no-break space is not");
	ok(!pc_note_name_valid("a\xe3\x80\x80" "b"), "a name with an ideographic space is not");
	ok(!pc_note_name_valid("a\xff"), "a name with invalid UTF-8 is not");
}

static int file_mode(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void test_keygen_and_sign(void)
{
	pc_note_signer *s = NULL, *s2 = NULL;
	pc_note_verifier v, other;
	pc_checkpoint cp;
	pc_error err = PC_ERROR_INIT;
	pc_buf text = PC_BUF_INIT, note = PC_BUF_INIT, note2 = PC_BUF_INIT;
	unsigned char root[32], h[32], pre[128];
	char *vkey = NULL, *file = NULL, *mine = NULL, *bad;
	size_t len, tlen;
	uint32_t id;

	is_int(pc_note_keygen(&vkey, path("k"), "log.example/audit", &err), 0, "keygen writes a key pair (%s)", err.msg);
	is_int(file_mode(path("k.key")), 0600, "the private key is mode 0600");
	is_int(file_mode(path("k.vkey")), 0644, "the verifier key is mode 0644");
	pc_read_file(&file, &len, path("k.key"), 4096, NULL);
	ok(file && strstr(file, "-----BEGIN PRIVATE KEY-----"), "the private key is PKCS#8 PEM");
	free(file);
	pc_read_file(&file, &len, path("k.vkey"), 4096, NULL);
	ok(file && len == strlen(vkey) + 1 && !strncmp(file, vkey, strlen(vkey)), "the .vkey file holds the verifier key line");
	free(file);
	is_int(pc_note_keygen(NULL, path("k"), "log.example/audit", &err), PC_EINVAL, "keygen refuses to overwrite a key");
	ok(strstr(err.msg, "already exists") != NULL, "saying so: %s", err.msg);
	is_int(pc_note_keygen(NULL, path("bad"), "has space", &err), PC_EINVAL, "keygen refuses an invalid origin");
	ok(access(path("bad.key"), F_OK) != 0, "and writes nothing");

	is_int(pc_note_signer_load(&s, path("k.key"), "log.example/audit", &err), 0, "the key loads for signing");
	pc_note_signer_vkey(&mine, s);
	is_str(mine, vkey, "its verifier key is the one keygen printed");
	is_int(pc_note_verifier_parse(&v, vkey, strlen(vkey), &err), 0, "which parses");
	/* The key id, recomputed here without the library. */
	len = (size_t)snprintf((char *)pre, sizeof(pre), "log.example/audit\n\x01");
	memcpy(pre + len, v.pub, 32);
	EVP_Digest(pre, len + 32, h, NULL, EVP_sha256(), NULL);
	id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	is_int(v.id, id, "the key id matches SHA-256 computed directly");

	memset(root, 0xab, sizeof(root));
	pc_checkpoint_format(&text, "log.example/audit", 42, root);
	is_str(text.ptr, "log.example/audit\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n", "the checkpoint text");
	is_int(pc_note_sign(&note, s, text.ptr, text.len, &err), 0, "signing it works");
	ok(strstr(note.ptr, "\n\n\xe2\x80\x94 log.example/audit ") != NULL, "the signature line follows a blank line");
	is_int(pc_checkpoint_open(&cp, &v, note.ptr, note.len, &err), 0, "the signed checkpoint opens (%s)", err.msg);
	ok(cp.size == 42 && !memcmp(cp.root, root, 32) && !strcmp(cp.origin, "log.example/audit"),
		"with its origin, size and root");
	pc_checkpoint_release(&cp);
	is_int(pc_note_verify(&tlen, &v, note.ptr, note.len, &err), 0, "the note verifies");

	bad = pc_strndup(note.ptr, note.len);
	bad[note.len - 10] = bad[note.len - 10] == 'A' ? 'B' : 'A';
	is_int(pc_checkpoint_open(&cp, &v, bad, note.len, &err), PC_EVERIFY, "a changed signature is refused");
	free(bad);
	bad = pc_strndup(note.ptr, note.len);
	bad[strlen("log.example/audit\n")] = '5';
	is_int(pc_checkpoint_open(&cp, &v, bad, note.len, &err), PC_EVERIFY, "a changed tree size is refused");
	free(bad);

	/* Another key under the same name: the "wrong key" case. */
	pc_note_keygen(NULL, path("k2"), "log.example/audit", &err);
	pc_note_signer_load(&s2, path("k2.key"), "log.example/audit", &err);
	pc_note_sign(&note2, s2, text.ptr, text.len, &err);
	is_int(pc_checkpoint_open(&cp, &v, note2.ptr, note2.len, &err), PC_EVERIFY,
		"a checkpoint signed by another key of the same name is refused");
	ok(strstr(err.msg, "signed by another key named log.example/audit") != NULL, "as another key: %s", err.msg);
	pc_note_verifier_parse(&other, go_vkey, strlen(go_vkey), &err);
	is_int(pc_checkpoint_open(&cp, &other, note.ptr, note.len, &err), PC_EVERIFY,
		"a verifier with another name finds no signature");
	pc_note_verifier_release(&other);

	pc_buf_clear(&text);
	pc_buf_clear(&note2);
	pc_checkpoint_format(&text, "other.origin", 1, root);
	pc_note_sign(&note2, s, text.ptr, text.len, &err);
	is_int(pc_checkpoint_open(&cp, &v, note2.ptr, note2.len, &err), PC_EVERIFY,
		"a checkpoint whose origin is not the key name is refused");

	pc_note_signer_free(s);
	pc_note_signer_free(s2);
	pc_note_verifier_release(&v);
	pc_buf_release(&text);
	pc_buf_release(&note);
	pc_buf_release(&note2);
	free(vkey);
	free(mine);
}

static void write_pem(const char *p, EVP_PKEY *key, const char *pass)
{
	FILE *f = fopen(p, "w");

	if (pass)
		PEM_write_PrivateKey(f, key, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)pass);
	else
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	chmod(p, 0600);
}

static void test_key_files(void)
{
	pc_note_signer *s = NULL;
	pc_error err = PC_ERROR_INIT;
	EVP_PKEY *key;

	chmod(path("k.key"), 0644);
	is_int(pc_note_signer_load(&s, path("k.key"), "log.example/audit", &err), PC_EUNSAFE,
		"a private key readable by others is refused");
	ok(strstr(err.msg, "chmod o-rwx") != NULL, "with the fix: %s", err.msg);
	chmod(path("k.key"), 0620);
	is_int(pc_note_signer_load(&s, path("k.key"), "log.example/audit", &err), PC_EUNSAFE,
		"a private key writable by the group is refused");
	chmod(path("k.key"), 0640);
	is_int(pc_note_signer_load(&s, path("k.key"), "log.example/audit", &err), 0,
		"a key readable by its group (the hook users) is accepted");
	pc_note_signer_free(s);
	s = NULL;
	is_int(pc_note_signer_load(&s, path("missing.key"), "log.example/audit", &err), PC_ENOTFOUND,
		"a missing key is refused");
	ok(strstr(err.msg, "audit keygen") != NULL, "and the message says how to make one: %s", err.msg);
	is_int(pc_note_signer_load(&s, path("k.key"), "bad origin", &err), PC_EINVAL, "an invalid origin is refused");

	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	write_pem(path("ec.key"), key, NULL);
	EVP_PKEY_free(key);
	is_int(pc_note_signer_load(&s, path("ec.key"), "log.example/audit", &err), PC_EINVAL, "an ECDSA key is refused");
	ok(strstr(err.msg, "Ed25519") != NULL, "because the key must be Ed25519: %s", err.msg);

	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	write_pem(path("enc.key"), key, "secret");
	EVP_PKEY_free(key);
	is_int(pc_note_signer_load(&s, path("enc.key"), "log.example/audit", &err), PC_EINVAL,
		"an encrypted key is refused");
	ok(strstr(err.msg, "encrypted") != NULL, "saying it is encrypted: %s", err.msg);

	{
		FILE *f = fopen(path("junk.key"), "w");
		fputs("not a key\n", f);
		fclose(f);
		chmod(path("junk.key"), 0600);
	}
	is_int(pc_note_signer_load(&s, path("junk.key"), "log.example/audit", &err), PC_EINVAL, "a file that is no key is refused");
}

static void test_checkpoint_parse(void)
{
	pc_checkpoint cp;
	pc_error err = PC_ERROR_INIT;
	size_t i;
	static const char root[] = "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=";
	static const char *bad[] = {
		"origin\n42\n",
		"\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
		"origin\n042\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
		"origin\n-1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
		"origin\n\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
		"origin\n99999999999999999999\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",
		"origin\n1\nq6urq6urq6ur\n",
		"origin\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
	};
	char *text;

	for (i = 0; i < PC_ARRAY_SIZE(bad); i++)
		is_int(pc_checkpoint_parse(&cp, bad[i], strlen(bad[i]), &err), PC_EINVAL, "bad checkpoint %zu refused (%s)",
			i + 1, err.msg);
	text = pc_asprintf("origin\n0\n%s\nextension line\n", root);
	is_int(pc_checkpoint_parse(&cp, text, strlen(text), &err), 0, "extension lines are allowed");
	ok(cp.size == 0, "size 0 is allowed");
	pc_checkpoint_release(&cp);
	free(text);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pc-test-note.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_go_vector();
	test_note_format();
	test_keygen_and_sign();
	test_key_files();
	test_checkpoint_parse();
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
