/*
 * Unit tests for JSON escaping (including the reversible \udcXX escape of
 * invalid UTF-8) and for the strict parser.
 */
#include "json.h"
#include "buf.h"
#include "util.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const char *escaped(const char *s, size_t len)
{
	static pc_buf b = PC_BUF_INIT;

	pc_buf_clear(&b);
	pc_json_put_string(&b, s, len);
	return b.ptr;
}

static const struct { const char *in; size_t len; const char *out; const char *what; } escapes[] = {
	{ "plain", 5, "\"plain\"", "plain ASCII passes through" },
	{ "a\"b", 3, "\"a\\\"b\"", "a double quote is escaped" },
	{ "a\\b", 3, "\"a\\\\b\"", "a backslash is escaped" },
	{ "\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"", "the five short escapes" },
	{ "\x01\x1f", 2, "\"\\u0001\\u001f\"", "other control bytes become \\u00XX" },
	{ "\x00x", 2, "\"\\u0000x\"", "a NUL byte is escaped, not cut" },
	{ "\x7f", 1, "\"\\u007f\"", "DEL is escaped" },
	{ "/", 1, "\"/\"", "a slash needs no escape" },
	{ "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", "valid two-byte UTF-8 passes through" },
	{ "\xe2\x82\xac", 3, "\"\xe2\x82\xac\"", "valid three-byte UTF-8 passes through" },
	{ "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"", "valid four-byte UTF-8 passes through" },
	{ "\xe2\x80\xa8", 3, "\"\xe2\x80\xa8\"", "U+2028 is valid JSON and passes through" },
	{ "\x80", 1, "\"\\udc80\"", "a lone continuation byte becomes \\udc80" },
	{ "\xff", 1, "\"\\udcff\"", "byte 0xff becomes \\udcff" },
	{ "a\xe2\x82", 3, "\"a\\udce2\\udc82\"", "a cut sequence is escaped byte by byte" },
	{ "\xc0\xaf", 2, "\"\\udcc0\\udcaf\"", "an overlong encoding is invalid" },
	{ "\xed\xa0\x80", 3, "\"\\udced\\udca0\\udc80\"", "an encoded surrogate is invalid" },
	{ "\xf4\x90\x80\x80", 4, "\"\\udcf4\\udc90\\udc80\\udc80\"", "a code point above U+10FFFF is invalid" },
	{ "\xe2\x82\xacx\x80y", 6, "\"\xe2\x82\xacx\\udc80y\"", "valid and invalid bytes mix" },
};

static void test_escape(void)
{
	pc_buf b = PC_BUF_INIT;
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(escapes); i++)
		is_str(escaped(escapes[i].in, escapes[i].len), escapes[i].out, "%s", escapes[i].what);
	pc_json_put_cstring(&b, NULL);
	is_str(b.ptr, "null", "a NULL string is written as null");
	pc_buf_release(&b);
}

/* escape -> parse -> decode must give back the exact bytes. */
static int roundtrip(const unsigned char *s, size_t len)
{
	pc_buf e = PC_BUF_INIT, d = PC_BUF_INIT;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	size_t i;
	int good;

	pc_json_put_string(&e, (const char *)s, len);
	good = pc_json_parse(&doc, e.ptr, e.len, NULL) == 0 && doc.n == 1 &&
		pc_json_string_decode(&d, &doc, 0) == 0 && d.len == len && !memcmp(d.ptr, s, len);
	/* And the escaped form never holds a byte that could end or split a line. */
	for (i = 0; i < e.len; i++)
		if ((unsigned char)e.ptr[i] < 0x20)
			good = 0;
	pc_json_doc_release(&doc);
	pc_buf_release(&e);
	pc_buf_release(&d);
	return good;
}

static void test_roundtrip(void)
{
	unsigned char s[64];
	unsigned long x = 12345;
	int all = 1, i, j, len;

	for (i = 0; i < 256; i++) {
		s[0] = (unsigned char)i;
		s[1] = 'z';
		if (!roundtrip(s, 1) || !roundtrip(s, 2))
			all = 0;
	}
	ok(all, "every single byte round-trips exactly");
	for (i = 0; i < (int)PC_ARRAY_SIZE(escapes); i++)
		if (!roundtrip((const unsigned char *)escapes[i].in, escapes[i].len))
			all = 0;
	ok(all, "every escaping case round-trips exactly");
	for (i = 0; i < 20000; i++) {
		len = (int)(x % 40);
		for (j = 0; j < len; j++) {
			x = x * 6364136223846793005ul + 1442695040888963407ul;
			/* Bias towards the interesting bytes: controls, quotes, UTF-8 lead and continuation bytes. */
			s[j] = (unsigned char)(x >> 33) % 4 == 0 ? (unsigned char)"\"\\\n\x01\x7f\x80\xbf\xc3\xe2\xf0\xf4\xff"[(x >> 40) % 12] :
				(unsigned char)(x >> 48);
		}
		x = x * 6364136223846793005ul + 1442695040888963407ul;
		if (!roundtrip(s, (size_t)len)) {
			all = 0;
			break;
		}
	}
	ok(all, "20000 random byte strings round-trip exactly");
}

static void test_decode(void)
{
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_buf b = PC_BUF_INIT;
	static const char text[] = "\"a\\u00e9\\ud83d\\ude00\\n\\/\\udc80\"";

	ok(pc_json_parse(&doc, text, strlen(text), NULL) == 0, "escapes of every kind parse");
	pc_json_string_decode(&b, &doc, 0);
	ok(b.len == 10 && !memcmp(b.ptr, "a\xc3\xa9\xf0\x9f\x98\x80\n/\x80", 10),
		"\\u00e9, a surrogate pair, \\n, \\/ and \\udc80 decode to their bytes");
	ok(pc_json_string_equals(&doc, 0, "a\xc3\xa9\xf0\x9f\x98\x80\n/\x80"), "string_equals decodes escapes");
	ok(!pc_json_string_equals(&doc, 0, "a"), "string_equals compares the whole string");
	pc_buf_release(&b);
	pc_json_doc_release(&doc);
}

static const struct { const char *text; const char *why; } invalid[] = {
	{ "", "empty input" },
	{ "{", "an unterminated object" },
	{ "[1,]", "a trailing comma in an array" },
	{ "{\"a\":1,}", "a trailing comma in an object" },
	{ "{a:1}", "an unquoted key" },
	{ "{\"a\" 1}", "a missing colon" },
	{ "[01]", "a number with a leading zero" },
	{ "[1.]", "a decimal point without digits" },
	{ "[1e]", "an exponent without digits" },
	{ "[-]", "a lone minus" },
	{ "[+1]", "a plus sign" },
	{ "[.5]", "a number starting with a point" },
	{ "[NaN]", "NaN" },
	{ "[tru]", "a cut literal" },
	{ "[True]", "a capitalised literal" },
	{ "\"a", "an unterminated string" },
	{ "\"a\nb\"", "a raw newline in a string" },
	{ "\"a\tb\"", "a raw tab in a string" },
	{ "\"\\x41\"", "an unknown escape" },
	{ "\"\\u12\"", "a short \\u escape" },
	{ "\"\\ud800\"", "a lone high surrogate" },
	{ "\"\\ud800\\u0041\"", "a high surrogate followed by a non-surrogate" },
	{ "\"\\udc00\"", "a lone low surrogate below \\udc80" },
	{ "\"\\udd00\"", "a lone low surrogate above \\udcff" },
	{ "\"\x80\"", "raw invalid UTF-8 in a string" },
	{ "\"\xc0\xaf\"", "a raw overlong encoding" },
	{ "\"\xed\xa0\x80\"", "a raw encoded surrogate" },
	{ "1 2", "two values" },
	{ "{} x", "trailing garbage" },
	{ "// c\n1", "a comment" },
	{ "'a'", "single quotes" },
};

static const char *valid[] = {
	"0", "-0", "1.5e+10", "-12.25E-3", "true", "false", "null", "\"\"", "[]", "{}",
	" [ 1 , { \"a\" : [ null ] } ] ", "\"\x7f\"", "\"\xf4\x8f\xbf\xbf\"",
};

static void test_parser(void)
{
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_error err = PC_ERROR_INIT;
	static const char nested[] = "{\"a\":[1,{\"b\":null},\"x\"],\"c\":true}";
	uint64_t v;
	char deep[200];
	size_t i;

	for (i = 0; i < PC_ARRAY_SIZE(invalid); i++)
		ok(pc_json_parse(&doc, invalid[i].text, strlen(invalid[i].text), &err) == PC_EINVAL,
			"refused: %s (%s)", invalid[i].why, err.msg);
	for (i = 0; i < PC_ARRAY_SIZE(valid); i++)
		ok(pc_json_parse(&doc, valid[i], strlen(valid[i]), &err) == 0, "accepted: %s", valid[i]);
	is_int(pc_json_parse(&doc, "\"a\0b\"", 5, &err), PC_EINVAL, "a raw NUL inside a string is refused");

	ok(pc_json_parse(&doc, nested, strlen(nested), NULL) == 0, "a nested document parses");
	is_int((long long)doc.n, 10, "into one node per key and value");
	is_int((long long)doc.nodes[0].count, 2, "the object has two members");
	is_int((long long)doc.nodes[0].end, 10, "the root's subtree covers every node");
	ok(doc.nodes[2].type == PC_JSON_ARRAY && doc.nodes[2].count == 3 && doc.nodes[2].end == 8,
		"the array has three elements and ends before the next key");
	ok(pc_json_string_equals(&doc, 8, "c") && doc.nodes[9].type == PC_JSON_TRUE,
		"the sibling after the array is the key c with true");

	ok(pc_json_parse(&doc, "18446744073709551615", 20, NULL) == 0 && pc_json_u64(&v, &doc, 0) == 0 &&
		v == UINT64_MAX, "the largest u64 is read exactly");
	ok(pc_json_parse(&doc, "18446744073709551616", 20, NULL) == 0 && pc_json_u64(&v, &doc, 0) == PC_ELIMIT,
		"one more overflows");
	ok(pc_json_parse(&doc, "-1", 2, NULL) == 0 && pc_json_u64(&v, &doc, 0) == PC_EINVAL,
		"a negative number is not a u64");
	ok(pc_json_parse(&doc, "1.0", 3, NULL) == 0 && pc_json_u64(&v, &doc, 0) == PC_EINVAL,
		"a fraction is not a u64");

	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	is_int(pc_json_parse(&doc, deep, 200, &err), PC_ELIMIT, "nesting past the depth limit is refused");
	doc.max_nodes = 3;
	is_int(pc_json_parse(&doc, "[1,2,3]", 7, &err), PC_ELIMIT, "more values than the node limit are refused");
	doc.max_nodes = 0;
	ok(pc_json_parse(&doc, "[1, 2 x", 7, &err) < 0 && strstr(err.msg, "column 7"),
		"errors give the column (%s)", err.msg);
	pc_json_doc_release(&doc);
}

int main(void)
{
	test_escape();
	test_roundtrip();
	test_decode();
	test_parser();
	return done_testing();
}
