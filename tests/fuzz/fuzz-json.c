/*
 * fuzz-json.c: libFuzzer entry for what `audit verify`, `show` and
 * `reconcile` read back from an audit log: each line goes through the
 * JSON parser (pc_json_parse, every string decoded) and the record checks
 * (pc_audit_line_check, pc_audit_entry_parse).
 */
#include "audit.h"
#include "json.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(pc_json_doc *doc, const char *line, size_t len)
{
	pc_error err = PC_ERROR_INIT;
	pc_buf b = PC_BUF_INIT;
	pc_audit_entry e;
	uint64_t u;
	size_t i;

	if (pc_json_parse(doc, line, len, &err) == 0) {
		for (i = 0; i < doc->n; i++) {
			if (doc->nodes[i].type == PC_JSON_STRING) {
				pc_buf_clear(&b);
				pc_json_string_decode(&b, doc, i);
				pc_json_string_equals(doc, i, "seq");
			} else if (doc->nodes[i].type == PC_JSON_NUMBER) {
				pc_json_u64(&u, doc, i);
			}
		}
	}
	pc_buf_release(&b);
	pc_audit_line_check(&u, doc, line, len, &err);
	memset(&e, 0, sizeof(e));
	if (pc_audit_entry_parse(&e, doc, line, len, &err) == 0)
		pc_audit_entry_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_json_doc doc = PC_JSON_DOC_INIT;
	const char *p = (const char *)data, *end = p + size, *nl;

	/* The whole input as one line, then line by line as the reader splits a log. */
	one_line(&doc, p, size);
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		one_line(&doc, p, (size_t)(nl - p));
		p = nl + 1;
	}
	pc_json_doc_release(&doc);
	return 0;
}
