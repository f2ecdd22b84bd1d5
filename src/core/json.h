/*
 * json.h: writing JSON strings for the audit log, and a small strict
 * parser to read its records back.
 *
 * Escaping.  pc_json_put_string() writes valid UTF-8 unchanged except for
 * `"`, `\` and the control characters U+0000..U+001F and U+007F, which are
 * escaped (\" \\ \b \f \n \r \t or \u00XX).  A byte that is not part of a
 * valid UTF-8 sequence (always 0x80..0xFF) is written as the lone low
 * surrogate escape \udcXX, i.e. byte 0x80 + k becomes \udc80 + k (the
 * "surrogateescape" mapping of Python's PEP 383).  Valid UTF-8 never
 * contains a surrogate, so the mapping is reversible: pc_json_string_decode()
 * turns a lone \udc80..\udcff back into the byte, and Python's
 * json.loads(s).encode("utf-8", "surrogateescape") gives the same bytes.
 * Output never contains a raw newline or control byte, so no input can
 * break a line or forge a key.
 *
 * Parsing.  pc_json_parse() accepts exactly RFC 8259 JSON (one value, no
 * trailing bytes, no comments, no leading zeros, valid UTF-8, no raw
 * control characters in strings), plus the lone \udc80..\udcff escapes
 * above; any other lone surrogate is refused.  It does not allocate per
 * value: it fills a flat array of nodes in document order that the caller
 * reuses from one line to the next.  Duplicate keys are not detected here;
 * the audit record check requires every key in a fixed order, which
 * excludes them.
 */
#ifndef PC_JSON_H
#define PC_JSON_H

#include "common.h"
#include "buf.h"

#include <stdint.h>

/* Append `len` bytes of s as a quoted, escaped JSON string. */
int pc_json_put_string(pc_buf *out, const char *s, size_t len);
/* The same for a C string; NULL is written as null. */
int pc_json_put_cstring(pc_buf *out, const char *s);

typedef enum {
	PC_JSON_NULL,
	PC_JSON_FALSE,
	PC_JSON_TRUE,
	PC_JSON_NUMBER,
	PC_JSON_STRING,
	PC_JSON_ARRAY,
	PC_JSON_OBJECT
} pc_json_type;

typedef struct pc_json_node {
	pc_json_type type;
	int escaped;		/* strings: contains a backslash escape */
	size_t start, len;	/* strings: the bytes between the quotes; others: the token */
	size_t end;		/* index of the first node after this value */
	size_t count;		/* arrays: elements; objects: members (key, value pairs) */
} pc_json_node;

/*
 * Nodes in document order: an array's elements follow it, an object's
 * members follow it as key node, value node, key node, ...  The next
 * sibling of node i is node nodes[i].end.
 */
typedef struct pc_json_doc {
	const char *text;	/* borrowed from the caller of pc_json_parse */
	size_t textlen;
	pc_json_node *nodes;
	size_t n, alloc;
	size_t max_nodes;	/* 0: 1,000,000 */
	unsigned max_depth;	/* 0: 64 */
} pc_json_doc;

#define PC_JSON_DOC_INIT { NULL, 0, NULL, 0, 0, 0, 0 }

/*
 * Parse text (which must stay alive while doc is used).  On error the
 * message gives the byte column (1-based) and what is wrong.
 */
int pc_json_parse(pc_json_doc *doc, const char *text, size_t len, pc_error *err);
void pc_json_doc_release(pc_json_doc *doc);

/* Append the decoded bytes of string node idx to out. */
int pc_json_string_decode(pc_buf *out, const pc_json_doc *doc, size_t idx);
/* 1 when string node idx decodes to exactly s (a C string). */
int pc_json_string_equals(const pc_json_doc *doc, size_t idx, const char *s);
/* A number node that is a non-negative integer without fraction or exponent. */
int pc_json_u64(uint64_t *out, const pc_json_doc *doc, size_t idx);

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes
 * there are not valid UTF-8 (overlong, surrogate, above U+10FFFF, cut).
 */
size_t pc_utf8_seq_len(const unsigned char *s, size_t n);

#endif
