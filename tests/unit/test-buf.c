/* Unit tests for the bounded buffer, base64, hex and ref globs. */
#include "buf.h"
#include "util.h"
#include "tap.h"

#include <stdlib.h>

static void test_buf(void)
{
	pc_buf b = PC_BUF_INIT;
	char *s;

	is_str(b.ptr, "", "an initialised buffer is an empty string");
	pc_buf_puts(&b, "hello");
	pc_buf_printf(&b, " %d", 42);
	is_str(b.ptr, "hello 42", "puts and printf append");
	pc_buf_truncate(&b, 5);
	is_str(b.ptr, "hello", "truncate shortens");
	s = pc_buf_detach(&b);
	is_str(s, "hello", "detach hands the string over");
	is_str(b.ptr, "", "the buffer is empty after detach");
	free(s);

	pc_buf_init(&b, 8);
	is_int(pc_buf_puts(&b, "12345678"), 0, "a limited buffer takes up to its limit");
	is_int(pc_buf_putc(&b, '9'), PC_ELIMIT, "and refuses one byte more");
	is_int(pc_buf_error(&b), PC_ELIMIT, "the failure is sticky");
	pc_buf_release(&b);
}

static void test_base64(void)
{
	static const struct { const char *plain, *enc; } cases[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *bad[] = { "Zg=", "Zm9v!", "Zh==", "Z===", "=Zg=", "Zg==Zg==" };
	unsigned char *out;
	size_t i, n;
	char *enc;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++) {
		enc = pc_base64_encode((const unsigned char *)cases[i].plain, strlen(cases[i].plain));
		is_str(enc, cases[i].enc, "base64 encode '%s'", cases[i].plain);
		free(enc);
		ok(pc_base64_decode(&out, &n, cases[i].enc, strlen(cases[i].enc)) == 0 &&
			n == strlen(cases[i].plain) && !memcmp(out, cases[i].plain, n),
			"base64 decode '%s'", cases[i].enc);
		free(out);
	}
	for (i = 0; i < PC_ARRAY_SIZE(bad); i++)
		is_int(pc_base64_decode(&out, &n, bad[i], strlen(bad[i])), PC_EINVAL,
			"base64 rejects '%s'", bad[i]);
}

static void test_glob(void)
{
	static const struct { const char *pat, *s; int want; } cases[] = {
		{ "feature/*", "feature/x", 1 },
		{ "feature/*", "feature/x/y", 0 },
		{ "feature/**", "feature/x/y", 1 },
		{ "feature/*", "feature", 0 },
		{ "v*", "v1.2.3", 1 },
		{ "v*", "release", 0 },
		{ "release-?", "release-1", 1 },
		{ "release-?", "release-12", 0 },
		{ "rel-[0-9]", "rel-5", 1 },
		{ "rel-[!0-9]", "rel-5", 0 },
		{ "**/x", "x", 1 },
		{ "**/x", "a/b/x", 1 },
		{ "main", "main", 1 },
		{ "main", "mainline", 0 },
	};
	const char *why;
	size_t i;
	int valid;

	for (i = 0; i < PC_ARRAY_SIZE(cases); i++)
		is_int(pc_glob_match(cases[i].pat, cases[i].s), cases[i].want,
			"glob '%s' vs '%s'", cases[i].pat, cases[i].s);
	/* why is set by the call, so it must be made before why is passed */
	why = NULL;
	valid = pc_glob_valid("feat[", &why);
	ok(!valid && why, "an unterminated class is invalid (%s)", why ? why : "no reason");
	ok(pc_glob_valid("feat/[a-z]*", &why), "a closed class is valid");
}

int main(void)
{
	test_buf();
	test_base64();
	test_glob();
	return done_testing();
}
