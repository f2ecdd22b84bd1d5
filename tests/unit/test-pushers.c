/*
 * Unit tests for the first-pusher index: what is recorded is found, a
 * commit's entries are a union, and an entry changed without the audit
 * key (table below) names nobody and is reported as not authenticating,
 * while a damaged or torn line names nobody silently.
 */
#include "pushers.h"
#include "note.h"
#include "util.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ORIGIN "test.example/policy-check"

static char dir[64];

static char *path(const char *name)
{
	static char buf[4][160];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static git_oid oid(const char *hex)
{
	git_oid id;

	git_oid_fromstr(&id, hex);
	return id;
}

static const char A[] = "11aa000000000000000000000000000000000001";
static const char B[] = "11bb000000000000000000000000000000000002";
static const char C[] = "ab00000000000000000000000000000000000003";
static const char D[] = "11cc000000000000000000000000000000000004";
static const char E[] = "11cc000000000000000000000000000000000001";	/* A with one byte changed */

/* A fresh reader of the index of repo (nothing cached). */
static pc_pushers *reader(const char *repo, const char *key)
{
	pc_pushers *px = NULL;
	pc_error err = PC_ERROR_INIT;

	if (pc_pushers_open(&px, path(repo), path(key), ORIGIN, &err) < 0)
		printf("# open: %s\n", err.msg);
	return px;
}

static int lookup(pc_strlist *users, pc_strlist *bad, const char *repo, const char *key, const char *hex)
{
	pc_pushers *px = reader(repo, key);
	pc_error err = PC_ERROR_INIT;
	git_oid id = oid(hex);
	int r;

	pc_strlist_clear(users);
	pc_strlist_clear(bad);
	r = pc_pushers_lookup(px, &id, users, bad, &err);
	if (r < 0)
		printf("# lookup: %s\n", err.msg);
	pc_pushers_free(px);
	return r;
}

static int record(const char *repo, const char *key, const char *user, const char *const *hex, size_t n)
{
	pc_pushers *px = reader(repo, key);
	pc_error err = PC_ERROR_INIT;
	git_oid ids[8];
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		ids[i] = oid(hex[i]);
	r = pc_pushers_record(px, user, ids, n, &err);
	if (r < 0)
		printf("# record: %s\n", err.msg);
	pc_pushers_free(px);
	return r;
}

static char *slurp(const char *file)
{
	pc_error err = PC_ERROR_INIT;
	char *text = NULL;
	size_t len;

	if (pc_read_file(&text, &len, file, 1 << 20, &err) < 0)
		return NULL;
	return text;
}

static void spit(const char *file, const char *text)
{
	FILE *fp = fopen(file, "w");

	if (fp) {
		fputs(text, fp);
		fclose(fp);
	}
}

static void test_record_and_lookup(void)
{
	static const char *const first[] = { A, B, C, A };
	static const char *const second[] = { A };
	pc_strlist users = PC_STRLIST_INIT, bad = PC_STRLIST_INIT;
	char *text;

	is_int(record("r1.git", "k1.key", "carol", first, 4), 0, "carol's commits are recorded");
	text = slurp(path("r1.git/policy-check/pushers/11"));
	ok(text && strlen(text) == 2 * (40 + 1 + 5 + 1 + 64 + 1), "A and B share file 11, once each");
	free(text);
	is_int(lookup(&users, &bad, "r1.git", "k1.key", A), 0, "lookup of A");
	ok(users.n == 1 && !strcmp(users.items[0], "carol") && !bad.n, "A: carol, nothing bad");
	is_int(lookup(&users, &bad, "r1.git", "k1.key", C), 0, "lookup of C (file ab)");
	ok(users.n == 1 && !strcmp(users.items[0], "carol"), "C: carol");
	is_int(lookup(&users, &bad, "r1.git", "k1.key", D), 0, "lookup of D");
	ok(!users.n && !bad.n, "D was never pushed: nobody");
	is_int(record("r1.git", "k1.key", "dave", second, 1), 0, "dave pushes A again");
	lookup(&users, &bad, "r1.git", "k1.key", A);
	ok(users.n == 2 && pc_strlist_has(&users, "carol") && pc_strlist_has(&users, "dave"),
		"A: both entries count (a union)");
	ok(record("r1.git", "k1.key", "bad name", second, 1) < 0, "a user name with a space is refused");
	ok(record("r1.git", "nokey.key", "carol", second, 1) < 0, "no audit key: nothing is recorded");
	pc_strlist_clear(&users);
	pc_strlist_clear(&bad);
}

/* How an attacker without the key edits carol's entry for A in file 11. */
static const struct tamper {
	const char *what;
	const char *from, *to;	/* replace the first `from` by `to` */
	const char *look;	/* the commit looked up */
	size_t users, bad;
} tampers[] = {
	{ "unchanged", NULL, NULL, A, 1, 0 },
	{ "the user renamed", " carol ", " erin ", A, 0, 1 },
	{ "the commit changed", "11aa", "11cc", E, 0, 1 },
	{ "the MAC's first digit changed", "carol ", "carol X", A, 0, 1 },
	{ "the MAC zeroed", NULL, "zero", A, 0, 1 },
	{ "the MAC in upper case", NULL, "upper", A, 0, 1 },
	{ "the newline removed (torn)", "\n", "", A, 0, 0 },
	{ "a field added", " carol ", " carol x ", A, 0, 0 },
	{ "upper-case commit id", "11aa", "11AA", A, 0, 0 },
};

static void apply(char *line, const struct tamper *t)
{
	char *mac = strrchr(line, ' ') + 1, *p;
	char out[512];

	if (t->to && !strcmp(t->to, "zero") && !t->from) {
		memset(mac, '0', 64);
		return;
	}
	if (t->to && !strcmp(t->to, "upper") && !t->from) {
		for (p = mac; *p && *p != '\n'; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		return;
	}
	if (!t->from || !(p = strstr(line, t->from)))
		return;
	if (!strcmp(t->to, "carol X")) {
		/* keep the length: replace the MAC's first digit */
		mac[0] = mac[0] == '0' ? '1' : '0';
		return;
	}
	snprintf(out, sizeof(out), "%.*s%s%s", (int)(p - line), line, t->to, p + strlen(t->from));
	strcpy(line, out);
}

static void test_tampering(void)
{
	static const char *const one[] = { A };
	pc_strlist users = PC_STRLIST_INIT, bad = PC_STRLIST_INIT;
	char *good, line[512];
	size_t i;

	record("r2.git", "k1.key", "carol", one, 1);
	good = slurp(path("r2.git/policy-check/pushers/11"));
	ok(good && strlen(good) < sizeof(line), "an entry to tamper with");
	for (i = 0; good && i < PC_ARRAY_SIZE(tampers); i++) {
		const struct tamper *t = &tampers[i];

		strcpy(line, good);
		apply(line, t);
		spit(path("r2.git/policy-check/pushers/11"), line);
		is_int(lookup(&users, &bad, "r2.git", "k1.key", t->look), 0, "%s: lookup works", t->what);
		ok(users.n == t->users && bad.n == t->bad, "%s: %zu user(s), %zu bad (want %zu, %zu)",
			t->what, users.n, bad.n, t->users, t->bad);
	}
	/* An entry made with another audit key does not authenticate. */
	spit(path("r2.git/policy-check/pushers/11"), good);
	lookup(&users, &bad, "r2.git", "k2.key", A);
	ok(!users.n && bad.n == 1 && strstr(bad.items[0], "pushers/11 line 1"),
		"read with another audit key: nobody, reported as file and line");
	free(good);
	pc_strlist_clear(&users);
	pc_strlist_clear(&bad);
}

static void test_torn_tail(void)
{
	static const char *const one[] = { B };
	pc_strlist users = PC_STRLIST_INIT, bad = PC_STRLIST_INIT;
	FILE *fp;

	mkdir(path("r3.git"), 0700);
	mkdir(path("r3.git/policy-check"), 0700);
	mkdir(path("r3.git/policy-check/pushers"), 0700);
	if ((fp = fopen(path("r3.git/policy-check/pushers/11"), "w"))) {
		fputs("11aa000000000000000000000000000000000001 car", fp);
		fclose(fp);
	}
	is_int(record("r3.git", "k1.key", "carol", one, 1), 0, "an append after a torn line");
	lookup(&users, &bad, "r3.git", "k1.key", B);
	ok(users.n == 1 && !bad.n, "the new entry is whole");
	lookup(&users, &bad, "r3.git", "k1.key", A);
	ok(!users.n && !bad.n, "the torn fragment names nobody");
	pc_strlist_clear(&users);
	pc_strlist_clear(&bad);
}

int main(void)
{
	pc_error err = PC_ERROR_INIT;
	char *k, cmd[128];

	strcpy(dir, "/tmp/pc-pushers-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	git_libgit2_init();
	k = path("k1");
	ok(pc_note_keygen(NULL, k, ORIGIN, &err) == 0, "audit key 1 (%s)", err.msg);
	k = path("k2");
	ok(pc_note_keygen(NULL, k, ORIGIN, &err) == 0, "audit key 2 (%s)", err.msg);
	mkdir(path("r1.git"), 0700);
	mkdir(path("r2.git"), 0700);
	test_record_and_lookup();
	test_tampering();
	test_torn_tail();
	git_libgit2_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
