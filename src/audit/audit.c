/*
 * audit.c: writing the audit log (records, lock, tail repair, append,
 * checkpoint, right-edge cache) and reading its lines back.
 * Verification, proofs and reconciliation are in audit-verify.c.
 */
#include "config.h"
#include "audit.h"
#include "buf.h"
#include "tiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define STATE_MAGIC "policy-check audit state 1\n"
#define READ_CHUNK (1u << 20)

/* An injected fault looks like an I/O error to the code and the messages. */
static int fault(const char *point)
{
	if (!pc_fault(point))
		return 0;
	errno = EIO;
	return 1;
}

/* Records */

static int put_key(pc_buf *b, const char *key, int first)
{
	if (!first)
		pc_buf_putc(b, ',');
	pc_buf_putc(b, '"');
	pc_buf_puts(b, key);
	return pc_buf_put(b, "\":", 2);
}

static void put_str_field(pc_buf *b, const char *key, const char *value)
{
	put_key(b, key, 0);
	pc_json_put_cstring(b, value);
}

static void put_str_list(pc_buf *b, const char *key, const pc_strlist *l, int first)
{
	size_t i;

	put_key(b, key, first);
	pc_buf_putc(b, '[');
	for (i = 0; i < l->n; i++) {
		if (i)
			pc_buf_putc(b, ',');
		pc_json_put_cstring(b, l->items[i]);
	}
	pc_buf_putc(b, ']');
}

int pc_audit_format_record(pc_buf *b, uint64_t seq, const char *time, const pc_audit_record *rec)
{
	const pc_verdict *v = rec->verdict;
	const char *decision = rec->decision;
	size_t i;

	if (!decision && v)
		decision = v->accept ? "accept" : "reject";
	pc_buf_printf(b, "{\"v\":1,\"seq\":%llu", (unsigned long long)seq);
	put_str_field(b, "time", time);
	put_str_field(b, "hook", rec->hook);
	put_str_field(b, "repo", rec->repo);
	put_str_field(b, "push", rec->push);
	put_str_field(b, "pusher", rec->pusher);
	put_str_field(b, "identity", rec->identity);
	if (v) {
		put_str_field(b, "ref", v->ref);
		put_str_field(b, "old", v->old_hex[0] ? v->old_hex : NULL);
		put_str_field(b, "new", v->new_hex[0] ? v->new_hex : NULL);
		put_str_field(b, "op", pc_op_name(v->op));
	} else {
		put_str_field(b, "ref", rec->ref);
		put_str_field(b, "old", rec->old_hex);
		put_str_field(b, "new", rec->new_hex);
		put_str_field(b, "op", rec->op);
	}
	put_str_field(b, "decision", decision);
	put_key(b, "dry_run", 0);
	pc_buf_puts(b, v && v->dry_run ? "true" : "false");
	put_str_field(b, "break_glass", v ? v->break_glass : NULL);
	put_key(b, "reasons", 0);
	pc_buf_putc(b, '[');
	for (i = 0; v && i < v->nreasons; i++) {
		if (i)
			pc_buf_putc(b, ',');
		pc_buf_puts(b, "{\"rule\":");
		pc_json_put_cstring(b, v->reasons[i].rule);
		pc_buf_puts(b, ",\"message\":");
		pc_json_put_cstring(b, v->reasons[i].message);
		pc_buf_putc(b, '}');
	}
	pc_buf_putc(b, ']');
	put_key(b, "approvals", 0);
	pc_buf_putc(b, '[');
	for (i = 0; v && i < v->napprovals; i++) {
		if (i)
			pc_buf_putc(b, ',');
		pc_buf_puts(b, "{\"user\":");
		pc_json_put_cstring(b, v->approvals[i].user);
		pc_buf_puts(b, ",\"via\":");
		pc_json_put_cstring(b, v->approvals[i].via);
		pc_buf_puts(b, ",\"key\":");
		pc_json_put_cstring(b, v->approvals[i].key);
		pc_buf_puts(b, ",\"object\":");
		pc_json_put_cstring(b, v->approvals[i].object);
		if (v->approvals[i].made_for) {
			/* Added later: records without it stay as they were. */
			pc_buf_puts(b, ",\"for\":");
			pc_json_put_cstring(b, v->approvals[i].made_for);
		}
		pc_buf_putc(b, '}');
	}
	pc_buf_putc(b, ']');
	put_str_field(b, "policy", rec->policy);
	put_str_field(b, "codeowners", v ? v->codeowners : NULL);
	if (v && v->hotfix_commits.n) {
		/* only in the records of hotfixes, so that every other record keeps its bytes */
		put_key(b, "hotfix", 0);
		pc_buf_putc(b, '{');
		put_str_list(b, "branches", &v->hotfix_branches, 1);
		put_str_list(b, "commits", &v->hotfix_commits, 0);
		put_str_list(b, "follow_up", &v->hotfix_follow_up, 0);
		pc_buf_putc(b, '}');
	}
	pc_buf_putc(b, '}');
	return pc_buf_error(b);
}

void pc_audit_push_id(char out[33])
{
	unsigned char raw[16];
	struct timespec ts;
	size_t i;

	/* from the kernel: OpenSSL's generator would first have to seed itself */
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw) && RAND_bytes(raw, sizeof(raw)) != 1) {
		/* An identifier, not a secret: time and pid keep it unique enough. */
		clock_gettime(CLOCK_REALTIME, &ts);
		for (i = 0; i < sizeof(raw); i++)
			raw[i] = (unsigned char)(((uint64_t)ts.tv_nsec >> (i % 4 * 8)) ^
				((uint64_t)ts.tv_sec >> (i % 8 * 8)) ^ ((unsigned)getpid() >> (i % 2 * 8)));
	}
	pc_hex(out, raw, sizeof(raw));
}

/* Checking records read back */

enum { T_NULL = 1, T_BOOL = 2, T_NUM = 4, T_STR = 8, T_ARR = 16, T_OBJ = 32 };

typedef struct key_spec {
	const char *key;
	unsigned types;
} key_spec;

static const key_spec record_keys[] = {
	{ "v", T_NUM }, { "seq", T_NUM }, { "time", T_STR }, { "hook", T_STR | T_NULL },
	{ "repo", T_STR | T_NULL }, { "push", T_STR | T_NULL }, { "pusher", T_STR | T_NULL },
	{ "identity", T_STR | T_NULL }, { "ref", T_STR | T_NULL }, { "old", T_STR | T_NULL },
	{ "new", T_STR | T_NULL }, { "op", T_STR | T_NULL }, { "decision", T_STR },
	{ "dry_run", T_BOOL }, { "break_glass", T_STR | T_NULL }, { "reasons", T_ARR },
	{ "approvals", T_ARR }, { "policy", T_STR | T_NULL }, { "codeowners", T_STR | T_NULL },
	{ "hotfix", T_OBJ },	/* optional: only records of hotfixes have it */
};
enum { K_V, K_SEQ, K_TIME, K_HOOK, K_REPO, K_PUSH, K_PUSHER, K_IDENTITY, K_REF, K_OLD, K_NEW,
	K_OP, K_DECISION, K_DRY_RUN, K_BREAK_GLASS, K_REASONS, K_APPROVALS, K_POLICY, K_CODEOWNERS,
	K_HOTFIX, K_COUNT };

static const key_spec reason_keys[] = { { "rule", T_STR }, { "message", T_STR } };
static const key_spec approval_keys[] = {
	{ "user", T_STR }, { "via", T_STR }, { "key", T_STR | T_NULL }, { "object", T_STR | T_NULL },
	{ "for", T_STR },	/* optional: the commit a signed approval was made for */
};
static const key_spec hotfix_keys[] = { { "branches", T_ARR }, { "commits", T_ARR }, { "follow_up", T_ARR } };

/* An approval has the first four keys, or all five: how many it is checked against. */
static size_t approval_nkeys(const pc_json_doc *doc, size_t obj)
{
	return doc->nodes[obj].type == PC_JSON_OBJECT && doc->nodes[obj].count == 4 ? 4 :
		PC_ARRAY_SIZE(approval_keys);
}

static unsigned type_bit(pc_json_type t)
{
	switch (t) {
	case PC_JSON_NULL: return T_NULL;
	case PC_JSON_TRUE: case PC_JSON_FALSE: return T_BOOL;
	case PC_JSON_NUMBER: return T_NUM;
	case PC_JSON_STRING: return T_STR;
	case PC_JSON_ARRAY: return T_ARR;
	case PC_JSON_OBJECT: return T_OBJ;
	}
	return 0;
}

static int no_nul(const pc_json_doc *doc, size_t idx)
{
	pc_buf b = PC_BUF_INIT;
	int ok;

	if (doc->nodes[idx].type != PC_JSON_STRING || !doc->nodes[idx].escaped)
		return 1;	/* raw bytes were validated: a NUL can only come from \u0000 */
	ok = pc_json_string_decode(&b, doc, idx) == 0 && !memchr(b.ptr, 0, b.len);
	pc_buf_release(&b);
	return ok;
}

/* "record", or the nth (1-based) "reason" or "approval". */
static const char *object_name(char buf[48], const char *kind, size_t nth)
{
	if (!nth)
		return kind;
	snprintf(buf, 48, "%s %zu", kind, nth);
	return buf;
}

/*
 * Check the members of object node obj against specs, in order; vals[i]
 * receives the value node of specs[i] (0 for an optional key left out:
 * the last `nopt` specs may be missing, from the end).  The name of what is
 * checked is only formatted for an error: this runs for every record of
 * the log.
 */
static int check_object_opt(const pc_json_doc *doc, size_t obj, const key_spec *specs, size_t nspecs,
	size_t nopt, size_t *vals, const char *kind, size_t nth, pc_error *err)
{
	size_t i, k = obj + 1, v, n;
	char buf[48];

	if (doc->nodes[obj].type != PC_JSON_OBJECT)
		return pc_error_set(err, PC_EINVAL, "%s is not a JSON object", object_name(buf, kind, nth));
	n = doc->nodes[obj].count;
	if (n > nspecs || n < nspecs - nopt)
		return pc_error_set(err, PC_EINVAL, "%s has %zu keys, expected %zu", object_name(buf, kind, nth),
			n, n > nspecs ? nspecs : nspecs - nopt);
	for (i = n; i < nspecs; i++)
		vals[i] = 0;
	for (i = 0; i < n; i++) {
		v = k + 1;
		if (!pc_json_string_equals(doc, k, specs[i].key))
			return pc_error_set(err, PC_EINVAL, "%s: key %zu must be \"%s\"", object_name(buf, kind, nth),
				i + 1, specs[i].key);
		if (!(type_bit(doc->nodes[v].type) & specs[i].types))
			return pc_error_set(err, PC_EINVAL, "%s: \"%s\" has the wrong type", object_name(buf, kind, nth),
				specs[i].key);
		if (!no_nul(doc, v))
			return pc_error_set(err, PC_EINVAL, "%s: \"%s\" contains a NUL character",
				object_name(buf, kind, nth), specs[i].key);
		vals[i] = v;
		k = doc->nodes[v].end;
	}
	return 0;
}

static int check_object(const pc_json_doc *doc, size_t obj, const key_spec *specs, size_t nspecs,
	size_t *vals, const char *kind, size_t nth, pc_error *err)
{
	return check_object_opt(doc, obj, specs, nspecs, 0, vals, kind, nth, err);
}

/* An array of strings without NUL; with `oids`, each a lower-case hex object id. */
static int check_strings(const pc_json_doc *doc, size_t arr, int oids, const char *key, pc_error *err)
{
	size_t i, el, len;
	const char *t;

	for (i = 0, el = arr + 1; i < doc->nodes[arr].count; i++, el = doc->nodes[el].end) {
		if (doc->nodes[el].type != PC_JSON_STRING || !no_nul(doc, el))
			return pc_error_set(err, PC_EINVAL, "hotfix: \"%s\" must hold strings", key);
		if (!oids)
			continue;
		t = doc->text + doc->nodes[el].start;
		len = doc->nodes[el].len;
		if (doc->nodes[el].escaped || (len != 40 && len != 64) || strspn(t, "0123456789abcdef") < len)
			return pc_error_set(err, PC_EINVAL, "hotfix: \"%s\" must hold object ids", key);
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
static int valid_time(const pc_json_doc *doc, size_t idx)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	const char *s = doc->text + doc->nodes[idx].start;
	size_t i;

	if (doc->nodes[idx].escaped || doc->nodes[idx].len != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

static int check_record(size_t *vals, uint64_t *seq, pc_json_doc *doc, const char *line, size_t len,
	pc_error *err)
{
	size_t i, el, sub[5];
	uint64_t v;
	int r;

	if ((r = pc_json_parse(doc, line, len, err)) < 0)
		return pc_error_prefix(err, "not JSON");
	if ((r = check_object_opt(doc, 0, record_keys, K_COUNT, 1, vals, "record", 0, err)) < 0)
		return r;
	if (pc_json_u64(&v, doc, vals[K_V]) < 0 || v != 1)
		return pc_error_set(err, PC_EINVAL, "record: \"v\" must be 1");
	if (pc_json_u64(seq, doc, vals[K_SEQ]) < 0)
		return pc_error_set(err, PC_EINVAL, "record: \"seq\" must be a non-negative integer");
	if (!valid_time(doc, vals[K_TIME]))
		return pc_error_set(err, PC_EINVAL, "record: \"time\" must be YYYY-MM-DDTHH:MM:SS.mmmZ");
	for (i = 0, el = vals[K_REASONS] + 1; i < doc->nodes[vals[K_REASONS]].count; i++) {
		if ((r = check_object(doc, el, reason_keys, PC_ARRAY_SIZE(reason_keys), sub, "reason", i + 1, err)) < 0)
			return r;
		el = doc->nodes[el].end;
	}
	for (i = 0, el = vals[K_APPROVALS] + 1; i < doc->nodes[vals[K_APPROVALS]].count; i++) {
		if ((r = check_object(doc, el, approval_keys, approval_nkeys(doc, el), sub, "approval", i + 1, err)) < 0)
			return r;
		el = doc->nodes[el].end;
	}
	if (vals[K_HOTFIX] &&
	    ((r = check_object(doc, vals[K_HOTFIX], hotfix_keys, PC_ARRAY_SIZE(hotfix_keys), sub, "hotfix", 0, err)) < 0 ||
	     (r = check_strings(doc, sub[0], 0, "branches", err)) < 0 ||
	     (r = check_strings(doc, sub[1], 1, "commits", err)) < 0 ||
	     (r = check_strings(doc, sub[2], 0, "follow_up", err)) < 0))
		return r;
	return 0;
}

int pc_audit_line_check(uint64_t *seq, pc_json_doc *doc, const char *line, size_t len, pc_error *err)
{
	size_t vals[K_COUNT];

	return check_record(vals, seq, doc, line, len, err);
}

/* Decode string node idx (or null) into *out. */
static int dup_value(char **out, const pc_json_doc *doc, size_t idx)
{
	pc_buf b = PC_BUF_INIT;

	*out = NULL;
	if (doc->nodes[idx].type == PC_JSON_NULL)
		return 0;
	if (pc_json_string_decode(&b, doc, idx) < 0 || !(*out = pc_buf_detach(&b))) {
		pc_buf_release(&b);
		return PC_ENOMEM;
	}
	return 0;
}

static int dup_strings(pc_strlist *out, const pc_json_doc *doc, size_t arr)
{
	size_t i, el;
	char *s;

	for (i = 0, el = arr + 1; i < doc->nodes[arr].count; i++, el = doc->nodes[el].end) {
		if (dup_value(&s, doc, el) < 0)
			return PC_ENOMEM;
		if (pc_strlist_add(out, s ? s : "") < 0) {
			free(s);
			return PC_ENOMEM;
		}
		free(s);
	}
	return 0;
}

int pc_audit_entry_parse(pc_audit_entry *e, pc_json_doc *doc, const char *line, size_t len, pc_error *err)
{
	static const int str_keys[] = { K_TIME, K_HOOK, K_REPO, K_PUSH, K_PUSHER, K_IDENTITY, K_REF,
		K_OLD, K_NEW, K_OP, K_DECISION, K_BREAK_GLASS, K_POLICY, K_CODEOWNERS };
	char **str_fields[PC_ARRAY_SIZE(str_keys)];
	size_t vals[K_COUNT], i, el, sub[5], nkeys;
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = check_record(vals, &e->seq, doc, line, len, err)) < 0)
		return r;
	str_fields[0] = &e->time;
	str_fields[1] = &e->hook;
	str_fields[2] = &e->repo;
	str_fields[3] = &e->push;
	str_fields[4] = &e->pusher;
	str_fields[5] = &e->identity;
	str_fields[6] = &e->ref;
	str_fields[7] = &e->old_hex;
	str_fields[8] = &e->new_hex;
	str_fields[9] = &e->op;
	str_fields[10] = &e->decision;
	str_fields[11] = &e->break_glass;
	str_fields[12] = &e->policy;
	str_fields[13] = &e->codeowners;
	for (i = 0; i < PC_ARRAY_SIZE(str_keys); i++)
		if (dup_value(str_fields[i], doc, vals[str_keys[i]]) < 0)
			goto nomem;
	e->dry_run = doc->nodes[vals[K_DRY_RUN]].type == PC_JSON_TRUE;
	if (doc->nodes[vals[K_REASONS]].count &&
	    !(e->reasons = pc_calloc(doc->nodes[vals[K_REASONS]].count, sizeof(*e->reasons))))
		goto nomem;
	for (i = 0, el = vals[K_REASONS] + 1; i < doc->nodes[vals[K_REASONS]].count; i++) {
		check_object(doc, el, reason_keys, PC_ARRAY_SIZE(reason_keys), sub, "reason", i + 1, NULL);
		e->nreasons++;
		if (dup_value(&e->reasons[i].rule, doc, sub[0]) < 0 ||
		    dup_value(&e->reasons[i].message, doc, sub[1]) < 0)
			goto nomem;
		el = doc->nodes[el].end;
	}
	if (doc->nodes[vals[K_APPROVALS]].count &&
	    !(e->approvals = pc_calloc(doc->nodes[vals[K_APPROVALS]].count, sizeof(*e->approvals))))
		goto nomem;
	for (i = 0, el = vals[K_APPROVALS] + 1; i < doc->nodes[vals[K_APPROVALS]].count; i++) {
		nkeys = approval_nkeys(doc, el);
		check_object(doc, el, approval_keys, nkeys, sub, "approval", i + 1, NULL);
		e->napprovals++;
		if (dup_value(&e->approvals[i].user, doc, sub[0]) < 0 ||
		    dup_value(&e->approvals[i].via, doc, sub[1]) < 0 ||
		    dup_value(&e->approvals[i].key, doc, sub[2]) < 0 ||
		    dup_value(&e->approvals[i].object, doc, sub[3]) < 0 ||
		    (nkeys > 4 && dup_value(&e->approvals[i].made_for, doc, sub[4]) < 0))
			goto nomem;
		el = doc->nodes[el].end;
	}
	if (vals[K_HOTFIX]) {
		pc_strlist *lists[] = { &e->hotfix_branches, &e->hotfix_commits, &e->hotfix_follow_up };

		check_object(doc, vals[K_HOTFIX], hotfix_keys, PC_ARRAY_SIZE(hotfix_keys), sub, "hotfix", 0, NULL);
		for (i = 0; i < PC_ARRAY_SIZE(lists); i++)
			if (dup_strings(lists[i], doc, sub[i]) < 0)
				goto nomem;
	}
	return 0;
nomem:
	pc_audit_entry_release(e);
	return pc_error_set(err, PC_ENOMEM, "out of memory");
}

void pc_audit_entry_release(pc_audit_entry *e)
{
	if (!e)
		return;
	free(e->time);
	free(e->hook);
	free(e->repo);
	free(e->push);
	free(e->pusher);
	free(e->identity);
	free(e->ref);
	free(e->old_hex);
	free(e->new_hex);
	free(e->op);
	free(e->decision);
	free(e->break_glass);
	free(e->policy);
	free(e->codeowners);
	pc_reasons_free(e->reasons, e->nreasons);
	pc_approvals_free(e->approvals, e->napprovals);
	pc_strlist_clear(&e->hotfix_branches);
	pc_strlist_clear(&e->hotfix_commits);
	pc_strlist_clear(&e->hotfix_follow_up);
	memset(e, 0, sizeof(*e));
}

/* Reading lines */

struct pc_audit_reader {
	int fd, own_fd;
	char *path;
	char *buf;
	size_t alloc, start, end;	/* unread bytes are buf[start, end) */
	uint64_t file_pos;	/* file offset of buf[end] */
	uint64_t line_offset;
	int eof;
};

static int reader_new(pc_audit_reader **out, int fd, int own_fd, const char *path, uint64_t from, pc_error *err)
{
	pc_audit_reader *r;

	*out = NULL;
	if (!(r = pc_calloc(1, sizeof(*r))) || !(r->path = pc_strdup(path)) ||
	    !(r->buf = pc_malloc(READ_CHUNK))) {
		if (r)
			free(r->path);
		free(r);
		if (own_fd)
			close(fd);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	r->fd = fd;
	r->own_fd = own_fd;
	r->alloc = READ_CHUNK;
	r->file_pos = from;
	*out = r;
	return 0;
}

int pc_audit_reader_open(pc_audit_reader **out, const char *path, pc_error *err)
{
	struct stat st;
	int fd;

	*out = NULL;
	if (fault("open") || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return pc_error_set(err, errno == ENOENT ? PC_ENOTFOUND : PC_EIO,
			"%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pc_error_set(err, PC_EINVAL, "%s: not a regular file", path);
	}
	return reader_new(out, fd, 1, path, 0, err);
}

int pc_audit_reader_next(pc_audit_reader *r, const char **line, size_t *len, int *complete, pc_error *err)
{
	char *nl, *p;
	ssize_t n;

	for (;;) {
		if ((nl = memchr(r->buf + r->start, '\n', r->end - r->start))) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			*complete = 1;
			r->line_offset = r->file_pos - (r->end - r->start);
			r->start = (size_t)(nl - r->buf) + 1;
			if (*len > PC_AUDIT_LINE_MAX)
				goto too_long;
			return 1;
		}
		if (r->eof) {
			if (r->start == r->end)
				return 0;
			*line = r->buf + r->start;
			*len = r->end - r->start;
			*complete = 0;
			r->line_offset = r->file_pos - (r->end - r->start);
			r->start = r->end;
			return 1;
		}
		if (r->end - r->start > PC_AUDIT_LINE_MAX)
			goto too_long;
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->end == r->alloc) {
			if (!(p = pc_realloc(r->buf, r->alloc * 2)))
				return pc_error_set(err, PC_ENOMEM, "out of memory");
			r->buf = p;
			r->alloc *= 2;
		}
		if (fault("read"))
			n = -1;
		else
			n = pread(r->fd, r->buf + r->end, r->alloc - r->end, (off_t)r->file_pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pc_error_set(err, PC_EIO, "%s: read failed: %s", r->path, strerror(errno));
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
		r->file_pos += (uint64_t)n;
	}
too_long:
	return pc_error_set(err, PC_ELIMIT, "%s: a line at byte %llu is longer than %u bytes",
		r->path, (unsigned long long)(r->file_pos - (r->end - r->start)), PC_AUDIT_LINE_MAX);
}

uint64_t pc_audit_reader_offset(const pc_audit_reader *r)
{
	return r->line_offset;
}

void pc_audit_reader_free(pc_audit_reader *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r->buf);
	free(r);
}

/* Writing */

typedef struct log_paths {
	char *log, *lock, *checkpoint, *checkpoint_tmp, *state, *intent, *dir;
	char *anchor, *anchor_tmp;
	int shared;		/* the directory is group-writable: shared by a group */
	gid_t share_gid;	/* then its group */
} log_paths;

static void paths_release(log_paths *p)
{
	free(p->log);
	free(p->lock);
	free(p->checkpoint);
	free(p->checkpoint_tmp);
	free(p->state);
	free(p->intent);
	free(p->dir);
	free(p->anchor);
	free(p->anchor_tmp);
}

static int paths_init(log_paths *p, const char *log)
{
	struct stat st;
	char *copy;

	memset(p, 0, sizeof(*p));
	if (!(p->log = pc_strdup(log)) || !(p->lock = pc_asprintf("%s.lock", log)) ||
	    !(p->checkpoint = pc_asprintf("%s.checkpoint", log)) ||
	    !(p->checkpoint_tmp = pc_asprintf("%s.checkpoint.tmp", log)) ||
	    !(p->state = pc_asprintf("%s.state", log)) ||
	    !(p->intent = pc_asprintf("%s.intent", log)) ||
	    !(p->anchor = pc_asprintf("%s.anchor", log)) ||
	    !(p->anchor_tmp = pc_asprintf("%s.anchor.tmp", log)) ||
	    !(copy = pc_strdup(log))) {
		paths_release(p);
		return PC_ENOMEM;
	}
	p->dir = pc_strdup(dirname(copy));
	free(copy);
	if (!p->dir) {
		paths_release(p);
		return PC_ENOMEM;
	}
	/* every writer renames the checkpoint into the directory: sharing needs it group-writable */
	if (stat(p->dir, &st) == 0 && (st.st_mode & S_IWGRP)) {
		p->shared = 1;
		p->share_gid = st.st_gid;
	}
	return 0;
}

/*
 * open(2) of a file the writers share (log, lock, state, intent), created
 * (O_CREAT in flags) group-writable in a group-shared directory whatever
 * the umask, else 0640: see pc_open_shared.
 */
static int open_shared(const char *path, int flags, const log_paths *p)
{
	pc_share s;

	s.shared = p->shared;
	s.gid = p->share_gid;
	return pc_open_shared(path, flags, &s, 0640);
}

/*
 * Refuse a log that is a symbolic link or world-writable, and a log in a
 * world-writable directory, even a sticky one: others could create the
 * lock, the checkpoint or the cache before the hooks do.  A group-writable
 * log and directory are allowed, for the accounts of one group that share
 * a log: the log is evidence, not a secret, and an edit breaks the
 * checkpoint, which only the key signs.
 */
static int check_log_safe(const log_paths *p, pc_error *err)
{
	return pc_check_safe_path(p->log, PC_SAFE_NO_SYMLINK | PC_SAFE_GROUP_WRITE |
		PC_SAFE_NO_STICKY_DIR | PC_SAFE_MISSING_OK, err);
}

/* What an append knows about the log's tail once it holds the lock. */
typedef struct tail {
	pc_merkle_edge edge;	/* over the complete lines */
	uint64_t end;		/* offset just after the last complete line */
	uint64_t file_size;
	uint64_t torn_len;	/* bytes after `end` (a final line without newline) */
	unsigned char torn_hash[PC_HASH_LEN];	/* SHA-256 of those bytes */
	unsigned char last_leaf[PC_HASH_LEN];	/* leaf hash of the last complete line */
	uint64_t last_len;
	uint64_t cp_size;	/* root at this size captured, when cp_have */
	int cp_have;
	unsigned char cp_root[PC_HASH_LEN];
	uint64_t cp_end;	/* offset just after the signed lines, when cp_have */
	/* the lines after the signed size: leaf hash and end offset of each */
	unsigned char (*extra)[PC_HASH_LEN];
	uint64_t *extra_end;
	size_t nextra, aextra, aextra_end;
	int from_cache;
} tail;

static void tail_release(tail *t)
{
	free(t->extra);
	free(t->extra_end);
	t->extra = NULL;
	t->extra_end = NULL;
	t->nextra = t->aextra = t->aextra_end = 0;
}

/* Remember the line just hashed into t->edge, when it is after the signed size. */
static int note_extra(tail *t)
{
	if (!t->cp_have || t->edge.size <= t->cp_size)
		return 0;
	if (pc_grow((void **)&t->extra, &t->aextra, t->nextra + 1, sizeof(*t->extra)) < 0 ||
	    pc_grow((void **)&t->extra_end, &t->aextra_end, t->nextra + 1, sizeof(*t->extra_end)) < 0)
		return PC_ENOMEM;
	memcpy(t->extra[t->nextra], t->last_leaf, PC_HASH_LEN);
	t->extra_end[t->nextra++] = t->end;
	return 0;
}

/* Read "<prefix><decimal><term>" at *p and move past it. */
static int take_u64(const char **p, const char *prefix, char term, uint64_t *out)
{
	const char *s = *p;
	size_t n = strlen(prefix);
	uint64_t v = 0;

	if (strncmp(s, prefix, n))
		return -1;
	s += n;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s != term)
		return -1;
	*p = s + 1;
	*out = v;
	return 0;
}

/* Read "<prefix><64 hex digits><term>" at *p and move past it. */
static int take_hash(const char **p, const char *prefix, char term, unsigned char out[PC_HASH_LEN])
{
	const char *s = *p;
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) || strnlen(s + n, 65) < 65 || s[n + 64] != term ||
	    pc_unhex(out, s + n, PC_HASH_LEN) < 0)
		return -1;
	*p = s + n + 65;
	return 0;
}

/*
 * Parse LOG.state (see doc/audit-format.md); 0 when it describes a prefix
 * of the log in fd, else < 0 and the caller rebuilds from the log.
 */
static int load_state(tail *t, int fd, const char *state_path)
{
	unsigned char hashes[64][PC_HASH_LEN], leaf[PC_HASH_LEN];
	uint64_t size, offset, last_len;
	char *text = NULL, *line = NULL;
	const char *p;
	unsigned n;
	size_t len;
	ssize_t got;
	int r = PC_EINVAL;

	if (pc_read_file(&text, &len, state_path, 16384, NULL) < 0)
		return PC_ENOTFOUND;
	if (strlen(text) != len || strncmp(text, STATE_MAGIC, strlen(STATE_MAGIC)))
		goto done;
	p = text + strlen(STATE_MAGIC);
	if (take_u64(&p, "size ", '\n', &size) < 0 || take_u64(&p, "offset ", '\n', &offset) < 0 ||
	    take_hash(&p, "last ", ' ', t->last_leaf) < 0 || take_u64(&p, "", '\n', &last_len) < 0)
		goto done;
	for (n = 0; *p; n++)
		if (n >= 64 || take_hash(&p, "edge ", '\n', hashes[n]) < 0)
			goto done;
	if (pc_merkle_edge_set(&t->edge, size, (const unsigned char (*)[PC_HASH_LEN])hashes, n) < 0 ||
	    offset > t->file_size || (size == 0) != (offset == 0) ||
	    (size && (last_len > PC_AUDIT_LINE_MAX || last_len + 1 > offset)))
		goto done;
	/* The cached last line must still be there, whole, and start a line. */
	if (size) {
		uint64_t start = offset - last_len - 1;
		size_t want = (size_t)last_len + 1 + (start > 0);
		if (!(line = pc_malloc(want)))
			goto done;
		got = pread(fd, line, want, (off_t)(start - (start > 0)));
		if (got != (ssize_t)want || line[want - 1] != '\n' || (start > 0 && line[0] != '\n'))
			goto done;
		if (pc_merkle_leaf_hash(leaf, line + (start > 0), (size_t)last_len) < 0 ||
		    memcmp(leaf, t->last_leaf, PC_HASH_LEN))
			goto done;
	}
	t->end = offset;
	t->last_len = last_len;
	r = 0;
done:
	free(line);
	free(text);
	if (r < 0)
		pc_merkle_edge_init(&t->edge);
	return r;
}

/* Scan the log in fd from t->end (with t->edge over what precedes it) to its end. */
static int scan_tail(tail *t, int fd, const char *log_path, pc_error *err)
{
	pc_audit_reader *rd = NULL;
	const char *line;
	size_t len;
	int complete, r;

	if (t->cp_size == t->edge.size && !t->cp_have) {
		if ((r = pc_merkle_edge_root(t->cp_root, &t->edge)) < 0)
			return pc_error_set(err, r, "hashing failed");
		t->cp_have = 1;
		t->cp_end = t->end;
	}
	if ((r = reader_new(&rd, fd, 0, log_path, t->end, err)) < 0)
		return r;
	while ((r = pc_audit_reader_next(rd, &line, &len, &complete, err)) > 0) {
		if (!complete) {
			t->torn_len = len;
			if ((r = pc_sha256(t->torn_hash, line, len)) < 0)
				break;
			continue;
		}
		if ((r = pc_merkle_leaf_hash(t->last_leaf, line, len)) < 0 ||
		    (r = pc_merkle_edge_append(&t->edge, t->last_leaf)) < 0)
			break;
		t->last_len = len;
		t->end += len + 1;
		if (t->edge.size == t->cp_size && (r = pc_merkle_edge_root(t->cp_root, &t->edge)) == 0) {
			t->cp_have = 1;
			t->cp_end = t->end;
		}
		if (r < 0 || (r = note_extra(t)) < 0)
			break;
	}
	pc_audit_reader_free(rd);
	if (r < 0 && err && !err->msg[0])
		pc_error_set(err, r, "%s: hashing failed", log_path);
	return r;
}

static int read_tail(tail *t, int fd, const char *log_path, const char *state_path, int use_cache, pc_error *err)
{
	uint64_t file_size = t->file_size, cp_size = t->cp_size;

	tail_release(t);
	memset(t, 0, sizeof(*t));
	t->file_size = file_size;
	t->cp_size = cp_size;
	pc_merkle_edge_init(&t->edge);
	if (use_cache && load_state(t, fd, state_path) == 0) {
		t->from_cache = 1;
		/* a cache beyond the signed size would hide the signed root: scan */
		if (t->edge.size > cp_size) {
			pc_merkle_edge_init(&t->edge);
			t->end = t->last_len = 0;
			t->from_cache = 0;
		}
	}
	return scan_tail(t, fd, log_path, err);
}

/* The "write" fault point counts writes of whole buffers. */
static int write_all(int fd, const char *p, size_t len)
{
	if (fault("write"))
		return -1;
	return pc_write_all(fd, p, len);
}

static const char *errno_hint(int e)
{
	switch (e) {
	case ENOSPC: return "; free space on the file system that holds it";
	case EDQUOT: return "; raise the disk quota of the user that runs the hooks";
	case EFBIG: return "; the file is at the size limit of this process or file system: raise the limit or rotate the log";
	case EACCES: case EPERM: case EROFS: return "; make it writable by the user that runs the hooks";
	case ENOENT: return "; create its directory";
	}
	return "";
}

static int sys_error(pc_error *err, const char *path, const char *what)
{
	int e = errno;

	if (e == EACCES || e == EPERM)
		return pc_error_set(err, PC_EIO, "%s: %s: permission denied: fix owner or mode of %s (every "
			"account that runs the hooks must be able to write it; see policy-check-audit(5))",
			path, what, path);

	return pc_error_set(err, PC_EIO, "%s: %s: %s%s", path, what, strerror(e), errno_hint(e));
}

static int do_sync(unsigned flags, int fd)
{
	if (fault("fsync"))
		return -1;
	if (flags & PC_AUDIT_NO_SYNC)
		return 0;
	return fdatasync(fd);
}

static int sync_dir(unsigned flags, const char *dir, pc_error *err)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sys_error(err, dir, "cannot open the directory of the audit log to sync it");
	if (do_sync(flags, fd) < 0 && errno != EINVAL)
		r = sys_error(err, dir, "fsync of the directory of the audit log failed");
	close(fd);
	return r;
}

/* Write data to tmp durably and rename it over path. */
static int replace_file(unsigned flags, const char *tmp, const char *path, const char *data, size_t len,
	mode_t mode, int durable, pc_error *err)
{
	int fd;

	/* a temporary file left by another account cannot be truncated, but can be replaced */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return sys_error(err, tmp, "cannot remove a stale temporary file");
	if (fault("open") || (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
		return sys_error(err, tmp, "cannot create");
	if (fchmod(fd, mode) < 0) {	/* whatever the umask of this account */
		sys_error(err, tmp, "cannot set the mode");
		goto fail;
	}
	if (write_all(fd, data, len) < 0) {
		sys_error(err, tmp, "write failed");
		goto fail;
	}
	if (durable && do_sync(flags, fd) < 0) {
		sys_error(err, tmp, "fsync failed");
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		sys_error(err, tmp, "close failed");
		goto fail;
	}
	fd = -1;
	if (fault("rename") || rename(tmp, path) < 0) {
		sys_error(err, path, "cannot rename the new file into place");
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return PC_EIO;
}

/*
 * LOG.state is a cache, checked against the log whenever it is read, so it
 * is rewritten in place: a rename would cost a data flush on ext4, and a
 * torn cache only means one rebuild from the log.
 */
static void save_state(const log_paths *p, const tail *t)
{
	pc_buf b = PC_BUF_INIT;
	char hex[65];
	unsigned i;
	int fd;

	pc_buf_puts(&b, STATE_MAGIC);
	pc_hex(hex, t->last_leaf, PC_HASH_LEN);
	pc_buf_printf(&b, "size %llu\noffset %llu\nlast %s %llu\n", (unsigned long long)t->edge.size,
		(unsigned long long)t->end, hex, (unsigned long long)t->last_len);
	for (i = 0; i < t->edge.n; i++) {
		pc_hex(hex, t->edge.hash[i], PC_HASH_LEN);
		pc_buf_printf(&b, "edge %s\n", hex);
	}
	if (!pc_buf_error(&b) && (fd = open_shared(p->state, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, p)) >= 0) {
		if (write_all(fd, b.ptr, b.len) < 0 || ftruncate(fd, (off_t)b.len) < 0)
			unlink(p->state);
		close(fd);
	}
	pc_buf_release(&b);
}

/*
 * The existing checkpoint must describe a prefix of the log: never sign a
 * tree that is not an extension of the one signed before.  It counts only
 * when the audit key signed it for this origin: anybody who can write the
 * directory can write a checkpoint's text, and a checkpoint naming lines
 * added without the key as signed would get them signed.  *state says
 * whether it is there and valid; *why what is wrong with it when not.
 */
enum { CP_MISSING, CP_VALID, CP_INVALID };

static int load_checkpoint(pc_checkpoint *cp, int *state, char why[PC_ERROR_MAX], const char *path,
	const pc_note_signer *signer, pc_error *err)
{
	pc_error e = PC_ERROR_INIT;
	char *text = NULL;
	size_t len;
	int r;

	*state = CP_MISSING;
	why[0] = '\0';
	r = pc_read_file(&text, &len, path, PC_NOTE_MAX, &e);
	if (r == PC_ENOTFOUND)
		return 0;
	if (r < 0 && access(path, R_OK) < 0 && errno == EACCES) {
		*state = CP_INVALID;
		snprintf(why, PC_ERROR_MAX, "cannot be read: permission denied: fix owner or mode of %s (mode "
			"0644: every account that runs the hooks reads it)", path);
		return 0;
	}
	if (r < 0 && r != PC_ELIMIT)
		return pc_error_set(err, r, "%s", e.msg);
	if (r == 0)
		r = pc_checkpoint_open(cp, pc_note_signer_verifier(signer), text, len, &e);
	free(text);
	if (r < 0 && r != PC_EINVAL && r != PC_EVERIFY && r != PC_ELIMIT)	/* out of memory: no verdict */
		return pc_error_set(err, r, "%s: %s", path, e.msg);
	if (r < 0) {
		*state = CP_INVALID;
		snprintf(why, PC_ERROR_MAX, "is not valid: %s", e.msg);
		return 0;
	}
	*state = CP_VALID;
	return 0;
}

static int check_against_checkpoint(tail *t, int fd, const log_paths *p, const pc_checkpoint *cp,
	const char *signed_in, uint64_t cp_end, pc_error *err)
{
	int r;

	if (!cp)
		return 0;
	if (cp->size > t->edge.size)
		return pc_error_set(err, PC_EVERIFY, "%s: has %llu records but %s covers %llu: records were "
			"removed; restore the log from a backup (run policy-check audit verify)",
			p->log, (unsigned long long)t->edge.size, signed_in, (unsigned long long)cp->size);
	if (!t->cp_have || (!memcmp(t->cp_root, cp->root, PC_HASH_LEN) && (!cp_end || t->cp_end == cp_end)))
		return 0;
	if (t->from_cache) {
		/* The cache may be what is wrong: recompute from the log itself. */
		t->cp_size = cp->size;
		if ((r = read_tail(t, fd, p->log, p->state, 0, err)) < 0)
			return r;
		if (t->cp_have && !memcmp(t->cp_root, cp->root, PC_HASH_LEN) && (!cp_end || t->cp_end == cp_end))
			return 0;
	}
	return pc_error_set(err, PC_EVERIFY, "%s: the first %llu records do not match the root signed in %s: "
		"the log was modified; run policy-check audit verify and restore the log from a backup",
		p->log, (unsigned long long)cp->size, signed_in);
}

/*
 * A record the log writes about itself: hook "audit", the given op and
 * decision, and one reason (rule "internal") saying what was done.
 */
static int self_record(pc_buf *lines, uint64_t seq, const char *time, const char *op,
	const char *decision, const char *msg)
{
	pc_buf_printf(lines, "{\"v\":1,\"seq\":%llu,\"time\":\"%s\",\"hook\":\"audit\",\"repo\":null,"
		"\"push\":null,\"pusher\":null,\"identity\":null,\"ref\":null,\"old\":null,\"new\":null,"
		"\"op\":", (unsigned long long)seq, time);
	pc_json_put_cstring(lines, op);
	pc_buf_puts(lines, ",\"decision\":");
	pc_json_put_cstring(lines, decision);
	pc_buf_puts(lines, ",\"dry_run\":false,\"break_glass\":null,\"reasons\":[{\"rule\":\"internal\",\"message\":");
	pc_json_put_cstring(lines, msg);
	pc_buf_puts(lines, "}],\"approvals\":[],\"policy\":null,\"codeowners\":null}\n");
	return pc_buf_error(lines);
}

/*
 * The record of a torn-line repair: decision "repaired", where the cut
 * was, how many bytes and their SHA-256, so the lost bytes can be matched
 * against a backup.
 */
static int repair_record(pc_buf *lines, uint64_t seq, const char *time, const tail *t)
{
	char hex[65], msg[256];

	pc_hex(hex, t->torn_hash, PC_HASH_LEN);
	snprintf(msg, sizeof(msg), "truncated a torn final line at byte %llu: %llu bytes with "
		"sha256:%s, left by an append that did not finish",
		(unsigned long long)t->end, (unsigned long long)t->torn_len, hex);
	return self_record(lines, seq, time, NULL, "repaired", msg);
}

static void anchor_save(unsigned flags, const log_paths *p, const char *origin, const pc_note_signer *signer,
	const tail *t, const unsigned char root[PC_HASH_LEN]);

/* Hash the new lines into the tree, then sign it and rename the checkpoint (and the anchor) into place. */
static int extend_and_sign(unsigned flags, const pc_audit_config *cfg, const log_paths *p, tail *t,
	pc_note_signer *signer, const pc_buf *lines, pc_error *err)
{
	pc_buf cptext = PC_BUF_INIT, note = PC_BUF_INIT;
	unsigned char root[PC_HASH_LEN], leaf[PC_HASH_LEN], (*leaves)[PC_HASH_LEN] = NULL;
	pc_merkle_edge before = t->edge;
	const char *nl;
	size_t off, len, n = 0, alloc = 0;
	int r;

	for (off = 0; off < lines->len; off += len + 1) {
		nl = memchr(lines->ptr + off, '\n', lines->len - off);
		len = (size_t)(nl - (lines->ptr + off));
		if ((r = pc_merkle_leaf_hash(leaf, lines->ptr + off, len)) < 0 ||
		    (r = pc_merkle_edge_append(&t->edge, leaf)) < 0) {
			r = pc_error_set(err, r, "hashing failed");
			goto done;
		}
		if (pc_grow((void **)&leaves, &alloc, n + 1, sizeof(*leaves)) < 0) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		memcpy(leaves[n++], leaf, PC_HASH_LEN);
		memcpy(t->last_leaf, leaf, PC_HASH_LEN);
		t->last_len = len;
	}
	t->end += lines->len;
	/*
	 * The tiles (LOG.tiles) before the checkpoint, so that a signed size
	 * always has its tiles.  They are a cache that every reader checks
	 * against a signed root: one that cannot be written leaves them
	 * stale, which audit verify reports, and does not fail the push.
	 */
	pc_tiles_append(p->log, &before, (const unsigned char (*)[PC_HASH_LEN])leaves, n,
		(flags & PC_AUDIT_NO_SYNC) != 0, NULL);
	if ((r = pc_merkle_edge_root(root, &t->edge)) < 0 ||
	    (r = pc_checkpoint_format(&cptext, cfg->origin, t->edge.size, root)) < 0) {
		r = pc_error_set(err, r, "out of memory");
		goto done;
	}
	if ((r = pc_note_sign(&note, signer, cptext.ptr, cptext.len, err)) < 0)
		goto done;
	if ((r = replace_file(flags, p->checkpoint_tmp, p->checkpoint, note.ptr, note.len, 0644, 1, err)) == 0)
		anchor_save(flags, p, cfg->origin, signer, t, root);
done:
	free(leaves);
	pc_buf_release(&cptext);
	pc_buf_release(&note);
	return r;
}

/* A batch of records another writer queued (see "Group commit" below). */
#define PENDING_NAME_LEN 33	/* "p" and 32 hex digits */

typedef struct batch_entry {
	char name[PENDING_NAME_LEN + 1];
	char *body;		/* its record lines, each with "seq":0; NULL: already in the log */
	size_t len, nlines;
	uint64_t first;		/* seq of its first line in the log */
	size_t index;		/* index of its first line among the intent's leaves */
} batch_entry;

typedef struct batch {
	batch_entry *e;
	size_t n, alloc;
} batch;

static void batch_release(batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->e[i].body);
	free(b->e);
	memset(b, 0, sizeof(*b));
}

static int valid_pending_name(const char *s, size_t len)
{
	return len == PENDING_NAME_LEN && s[0] == 'p' && strspn(s + 1, "0123456789abcdef") >= len - 1;
}

static int intent_save(const log_paths *p, uint64_t size, uint64_t offset, const tail *t,
	const pc_buf *lines, int stands, const batch *queued, const unsigned char key[32], pc_error *err);

#ifdef PC_FAULT_INJECTION
static void test_crash(const pc_audit_record *recs, size_t n);
#endif

static int is_accept(const pc_audit_record *rec)
{
	if (rec->decision)
		return !strcmp(rec->decision, "accept");
	return rec->verdict && rec->verdict->accept;
}

/*
 * The record that voids the accept record `voided` of rec: the same hook,
 * repo, push, pusher, identity, ref, old, new, op, dry_run and policy,
 * decision "void", and a reason that names the voided record.
 */
static int void_record(pc_buf *lines, uint64_t seq, const char *time, const pc_audit_record *rec,
	uint64_t voided)
{
	pc_audit_record vr = *rec;
	pc_verdict v;
	pc_reason reason;
	char rule[] = "internal", msg[192];

	snprintf(msg, sizeof(msg), "voids record %llu: the audit log could not be synced after that record "
		"was signed, so the update was rejected and git did not apply it", (unsigned long long)voided);
	memset(&reason, 0, sizeof(reason));
	reason.rule = rule;
	reason.message = msg;
	vr.decision = "void";
	if (rec->verdict) {
		memset(&v, 0, sizeof(v));
		v.ref = rec->verdict->ref;
		memcpy(v.old_hex, rec->verdict->old_hex, sizeof(v.old_hex));
		memcpy(v.new_hex, rec->verdict->new_hex, sizeof(v.new_hex));
		v.op = rec->verdict->op;
		v.dry_run = rec->verdict->dry_run;
		v.reasons = &reason;
		v.nreasons = 1;
		vr.verdict = &v;
	}
	if (pc_audit_format_record(lines, seq, time, &vr) < 0 || pc_buf_putc(lines, '\n') < 0)
		return PC_ENOMEM;
	return 0;
}

/*
 * Append a void record for each accept record of recs (the first at seq
 * `first`), signed like any append; undone when it fails before the
 * checkpoint is renamed into place.
 */
static int append_voids(unsigned flags, const pc_audit_config *cfg, const log_paths *p, tail *t,
	pc_note_signer *signer, const unsigned char *ikey, int logfd, const pc_audit_record *recs, size_t n,
	uint64_t first, const char *time, int *voids_signed, pc_error *err)
{
	pc_buf lines = PC_BUF_INIT;
	uint64_t seq = t->edge.size, from = t->end;
	size_t i;
	int r = 0, appended = 0, renamed = 0;

	pc_buf_init(&lines, 0);
	for (i = 0; i < n; i++)
		if (is_accept(&recs[i]) && (r = void_record(&lines, seq++, time, &recs[i], first + i)) < 0) {
			r = pc_error_set(err, r, "out of memory");
			goto done;
		}
	if (!lines.len)
		goto done;
	/* the void records stand even if their checkpoint is never signed */
	if (ikey && (r = intent_save(p, t->edge.size, t->end, NULL, &lines, 1, NULL, ikey, err)) < 0)
		goto done;
	appended = 1;
	if (write_all(logfd, lines.ptr, lines.len) < 0) {
		r = sys_error(err, p->log, "cannot append to the audit log");
		goto done;
	}
	if (do_sync(flags, logfd) < 0) {
		r = sys_error(err, p->log, "fdatasync failed");
		goto done;
	}
#ifdef PC_FAULT_INJECTION
	test_crash(recs, n);
#endif
	if ((r = extend_and_sign(flags, cfg, p, t, signer, &lines, err)) < 0)
		goto done;
	renamed = 1;
	if ((r = sync_dir(flags, p->dir, err)) < 0 && voids_signed)
		*voids_signed = 1;
done:
	if (r < 0 && appended && !renamed &&
	    (fault("truncate") || ftruncate(logfd, (off_t)from) < 0 || do_sync(flags, logfd) < 0))
		pc_error_prefix(err, "truncating the log back to %llu bytes failed (%s)",
			(unsigned long long)from, strerror(errno));
	pc_buf_release(&lines);
	return r;
}

/*
 * The records are signed and in place, but a later step failed (the fsync
 * of the directory), so the caller rejects the updates they accept.  The
 * log must not say that git applied them: void each accept record, under
 * the same lock, and say in err whether that worked.
 */
static void void_after_failure(unsigned flags, const pc_audit_config *cfg, const log_paths *p, tail *t,
	pc_note_signer *signer, const unsigned char *ikey, int logfd, const pc_audit_record *recs, size_t n,
	uint64_t first, const char *time, int r, pc_error *err)
{
	char msg[PC_ERROR_MAX] = "";
	pc_error verr = PC_ERROR_INIT;
	size_t i;
	int voids_signed = 0;

	for (i = 0; i < n && !is_accept(&recs[i]); i++)
		;
	if (i == n)
		return;
	if (err)
		memcpy(msg, err->msg, sizeof(msg));
	if (append_voids(flags, cfg, p, t, signer, ikey, logfd, recs, n, first, time, &voids_signed, &verr) >= 0)
		pc_error_set(err, r, "%s; its accept records are voided by the records after them", msg);
	else if (voids_signed)
		pc_error_set(err, r, "%s; its accept records are voided by the records after them, signed "
			"but perhaps not durable (%s)", msg, verr.msg);
	else
		pc_error_set(err, r, "%s; voiding its accept records failed too (%s): audit reconcile "
			"will report their refs as changed outside the hooks", msg, verr.msg);
}

/*
 * LOG.intent: what the append in progress is about to make visible, so
 * that the next append can tell its own unfinished work from lines that
 * somebody who cannot read the key added to the log.  Written before the
 * lines, it names the signed size and offset it starts from, the leaf hash
 * of every line it will add after them, whether those lines stand if the
 * checkpoint is never signed (reference-transaction: git has applied the
 * update) or not (pre-receive, update: the hook failed, so git did not),
 * and an HMAC with a key derived from the audit key.
 */
#define INTENT_MAGIC "policy-check audit intent 1\n"
#define INTENT_KEY_LABEL "policy-check audit intent v1"
#define INTENT_MAX (64u << 20)

typedef struct intent {
	uint64_t size, offset;
	int stands;		/* the lines stand without their checkpoint */
	unsigned char (*leaf)[PC_HASH_LEN];
	size_t n;
	batch queued;		/* the queued records of other writers among the leaves */
} intent;

static int intent_mac(char out[65], const unsigned char key[32], const char *body, size_t len)
{
	return pc_hmac_hex(out, key, NULL, body, len);
}

/* Read LOG.intent; 0 with *it filled when it is there and authentic, else < 0. */
static int intent_load(intent *it, const log_paths *p, const unsigned char key[32])
{
	char *text = NULL, mac[65];
	const char *q, *m;
	size_t len, n;
	uint64_t stands;
	int r = PC_EINVAL;

	memset(it, 0, sizeof(*it));
	if (pc_read_file(&text, &len, p->intent, INTENT_MAX, NULL) < 0)
		return PC_ENOTFOUND;
	if (strlen(text) != len || strncmp(text, INTENT_MAGIC, strlen(INTENT_MAGIC)) ||
	    !(m = strstr(text, "\nmac ")) || strlen(m) != 5 + 64 + 1 || m[5 + 64] != '\n' ||
	    intent_mac(mac, key, text, (size_t)(m + 1 - text)) < 0 ||
	    CRYPTO_memcmp(mac, m + 5, 64))
		goto done;
	q = text + strlen(INTENT_MAGIC);
	if (take_u64(&q, "size ", '\n', &it->size) < 0 || take_u64(&q, "offset ", '\n', &it->offset) < 0 ||
	    take_u64(&q, "stands ", '\n', &stands) < 0 || stands > 1)
		goto done;
	it->stands = (int)stands;
	while (!strncmp(q, "queued ", 7)) {
		batch_entry *e;
		uint64_t index, count;

		if (!valid_pending_name(q + 7, strcspn(q + 7, " \n")) || q[7 + PENDING_NAME_LEN] != ' ')
			goto done;
		if (pc_grow((void **)&it->queued.e, &it->queued.alloc, it->queued.n + 1, sizeof(*e)) < 0)
			goto done;
		e = &it->queued.e[it->queued.n];
		memset(e, 0, sizeof(*e));
		memcpy(e->name, q + 7, PENDING_NAME_LEN);
		q += 7 + PENDING_NAME_LEN;
		if (take_u64(&q, " ", ' ', &index) < 0 || take_u64(&q, "", '\n', &count) < 0 ||
		    index > INTENT_MAX || count > INTENT_MAX)
			goto done;
		e->index = (size_t)index;
		e->nlines = (size_t)count;
		it->queued.n++;
	}
	n = (size_t)(m + 1 - q) / (5 + 64 + 1);
	if (n && !(it->leaf = pc_calloc(n, sizeof(*it->leaf))))
		goto done;
	for (it->n = 0; q < m + 1; it->n++)
		if (it->n >= n || take_hash(&q, "leaf ", '\n', it->leaf[it->n]) < 0)
			goto done;
	r = 0;
done:
	if (r < 0) {
		free(it->leaf);
		batch_release(&it->queued);
		memset(it, 0, sizeof(*it));
	}
	free(text);
	return r;
}

/*
 * Write LOG.intent for an append that adds `lines` after the signed
 * `size` lines (ending at `offset`) and the t->nextra lines after them
 * (t may be NULL).  Not synced: lost in a crash, the
 * lines it names are moved aside by the next append rather than adopted,
 * which loses nothing and signs nothing unauthenticated.
 */
static int intent_save(const log_paths *p, uint64_t size, uint64_t offset, const tail *t,
	const pc_buf *lines, int stands, const batch *queued, const unsigned char key[32], pc_error *err)
{
	pc_buf b = PC_BUF_INIT;
	unsigned char leaf[PC_HASH_LEN];
	char hex[65];
	const char *nl;
	size_t i, off, len;
	int fd = -1, r = PC_ENOMEM;

	pc_buf_puts(&b, INTENT_MAGIC);
	pc_buf_printf(&b, "size %llu\noffset %llu\nstands %d\n", (unsigned long long)size,
		(unsigned long long)offset, stands);
	for (i = 0; queued && i < queued->n; i++)
		if (queued->e[i].body)
			pc_buf_printf(&b, "queued %s %llu %llu\n", queued->e[i].name,
				(unsigned long long)queued->e[i].index, (unsigned long long)queued->e[i].nlines);
	for (i = 0; t && i < t->nextra; i++) {
		pc_hex(hex, t->extra[i], PC_HASH_LEN);
		pc_buf_printf(&b, "leaf %s\n", hex);
	}
	for (off = 0; off < lines->len; off += len + 1) {
		nl = memchr(lines->ptr + off, '\n', lines->len - off);
		len = (size_t)(nl - (lines->ptr + off));
		if (pc_merkle_leaf_hash(leaf, lines->ptr + off, len) < 0)
			goto done;
		pc_hex(hex, leaf, PC_HASH_LEN);
		pc_buf_printf(&b, "leaf %s\n", hex);
	}
	if (pc_buf_error(&b) || intent_mac(hex, key, b.ptr, b.len) < 0)
		goto done;
	pc_buf_printf(&b, "mac %s\n", hex);
	if (pc_buf_error(&b))
		goto done;
	if (fault("open") || (fd = open_shared(p->intent, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, p)) < 0) {
		r = sys_error(err, p->intent, "cannot open the append's intent file");
		goto done;
	}
	if (write_all(fd, b.ptr, b.len) < 0 || ftruncate(fd, (off_t)b.len) < 0) {
		r = sys_error(err, p->intent, "cannot write the append's intent file");
		goto done;
	}
	r = 0;
done:
	if (r == PC_ENOMEM)
		pc_error_set(err, r, "out of memory");
	if (fd >= 0)
		close(fd);
	pc_buf_release(&b);
	return r;
}

/*
 * LOG.anchor: the last signed state (origin, size, byte offset just after
 * the signed lines, root), with an HMAC whose key is derived from the
 * audit key.  Replaced after each checkpoint, it lets an append that finds
 * LOG.checkpoint missing, unreadable or not signed by the key tell the
 * signed lines from lines added since, instead of signing them all.  Best
 * effort: an anchor left one append behind (the rename failed, or a crash
 * came between the two renames) only names fewer lines as signed.
 */
#define ANCHOR_MAGIC "policy-check audit anchor 1\n"
#define ANCHOR_KEY_LABEL "policy-check audit anchor v1"
#define ANCHOR_MAX 4096u

typedef struct anchor {
	uint64_t size, offset;
	unsigned char root[PC_HASH_LEN];
} anchor;

static void anchor_save(unsigned flags, const log_paths *p, const char *origin, const pc_note_signer *signer,
	const tail *t, const unsigned char root[PC_HASH_LEN])
{
	pc_buf b = PC_BUF_INIT;
	unsigned char key[32];
	char hex[65];
	int fd = -1;

	(void)flags;
	if (pc_note_signer_derive(key, signer, ANCHOR_KEY_LABEL, NULL) < 0)
		return;
	pc_hex(hex, root, PC_HASH_LEN);
	pc_buf_puts(&b, ANCHOR_MAGIC);
	pc_buf_printf(&b, "origin %s\nsize %llu\noffset %llu\nroot %s\n", origin,
		(unsigned long long)t->edge.size, (unsigned long long)t->end, hex);
	if (!pc_buf_error(&b) && intent_mac(hex, key, b.ptr, b.len) == 0 &&
	    pc_buf_printf(&b, "mac %s\n", hex) == 0 && !pc_buf_error(&b) &&
	    (unlink(p->anchor_tmp) == 0 || errno == ENOENT) &&
	    (fd = open(p->anchor_tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) >= 0) {
		/* no fault points here: the anchor is best effort, and the fault tests count the others */
		if (fchmod(fd, 0644) < 0 || pc_write_all(fd, b.ptr, b.len) < 0 || close(fd) < 0 ||
		    rename(p->anchor_tmp, p->anchor) < 0)
			unlink(p->anchor_tmp);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(key, sizeof(key));
	pc_buf_release(&b);
}

/* Read LOG.anchor: 0 when it is there, authentic and for this origin; else < 0 and *why says what. */
static int anchor_load(anchor *a, const log_paths *p, const char *origin, const unsigned char key[32],
	const char **why)
{
	char *text = NULL, mac[65];
	const char *q, *m;
	size_t len, olen = strlen(origin);
	int r = PC_EINVAL;

	memset(a, 0, sizeof(*a));
	if ((r = pc_read_file(&text, &len, p->anchor, ANCHOR_MAX, NULL)) < 0) {
		*why = r == PC_ENOTFOUND ? "is missing" : "cannot be read";
		return r;
	}
	r = PC_EINVAL;
	*why = "is not authentic (not written with this audit key)";
	if (strlen(text) != len || strncmp(text, ANCHOR_MAGIC, strlen(ANCHOR_MAGIC)) ||
	    !(m = strstr(text, "\nmac ")) || strlen(m) != 5 + 64 + 1 || m[5 + 64] != '\n' ||
	    intent_mac(mac, key, text, (size_t)(m + 1 - text)) < 0 || CRYPTO_memcmp(mac, m + 5, 64))
		goto done;
	q = text + strlen(ANCHOR_MAGIC);
	if (strncmp(q, "origin ", 7) || strncmp(q + 7, origin, olen) || q[7 + olen] != '\n') {
		*why = "is for another origin";
		goto done;
	}
	q += 7 + olen + 1;
	if (take_u64(&q, "size ", '\n', &a->size) < 0 || take_u64(&q, "offset ", '\n', &a->offset) < 0 ||
	    take_hash(&q, "root ", '\n', a->root) < 0 || q != m + 1)
		goto done;
	r = 0;
done:
	free(text);
	return r;
}

/* What the append moved aside, for its record. */
typedef struct moved {
	char *path;
	uint64_t lines, own, bytes;	/* own: lines of an unfinished append of ours */
	int torn;
	unsigned char hash[PC_HASH_LEN];
} moved;

/*
 * Copy the log's bytes from `from` to its end into a new file
 * LOG.unsigned.<time>, sync it, and cut them off the log.
 */
static int move_aside(moved *mv, unsigned flags, const log_paths *p, int logfd, uint64_t from,
	pc_error *err)
{
	char stamp[32], *buf = NULL;
	struct tm tm;
	time_t now = time(NULL);
	EVP_MD_CTX *md = NULL;
	uint64_t pos = from;
	ssize_t got;
	unsigned i;
	int fd = -1, r = PC_EIO;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; fd < 0; i++) {
		free(mv->path);
		if (!(mv->path = i ? pc_asprintf("%s.unsigned.%s.%u", p->log, stamp, i) :
		      pc_asprintf("%s.unsigned.%s", p->log, stamp))) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		if (fault("open") ||
		    ((fd = open(mv->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640)) < 0 &&
		     (errno != EEXIST || i >= 100))) {
			r = sys_error(err, mv->path, "cannot create the file for the unsigned lines");
			goto done;
		}
	}
	if (!(buf = pc_malloc(READ_CHUNK)) || !(md = EVP_MD_CTX_new()) ||
	    !pc_sha256_md() || EVP_DigestInit_ex(md, pc_sha256_md(), NULL) != 1) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	for (;;) {
		if (fault("read"))
			got = -1;
		else
			got = pread(logfd, buf, READ_CHUNK, (off_t)pos);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = sys_error(err, p->log, "read failed");
			goto done;
		}
		if (got == 0)
			break;
		if (write_all(fd, buf, (size_t)got) < 0) {
			r = sys_error(err, mv->path, "write failed");
			goto done;
		}
		if (EVP_DigestUpdate(md, buf, (size_t)got) != 1) {
			r = pc_error_set(err, PC_ERROR, "hashing failed");
			goto done;
		}
		pos += (uint64_t)got;
	}
	if (EVP_DigestFinal_ex(md, mv->hash, NULL) != 1) {
		r = pc_error_set(err, PC_ERROR, "hashing failed");
		goto done;
	}
	mv->bytes = pos - from;
	if (do_sync(flags, fd) < 0) {
		r = sys_error(err, mv->path, "fsync failed");
		goto done;
	}
	if (fault("truncate") || ftruncate(logfd, (off_t)from) < 0 || do_sync(flags, logfd) < 0) {
		r = sys_error(err, p->log, "cannot cut off the unsigned lines (they are copied to the file named next)");
		pc_error_prefix(err, "%s", mv->path);
		goto done;
	}
	r = 0;
done:
	if (r < 0 && fd >= 0 && mv->path && !mv->bytes)
		unlink(mv->path);
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	free(buf);
	return r;
}

/*
 * The lines after the signed size (and a final line without newline
 * after them): keep the leading ones that the last intent names and that
 * stand without their checkpoint; move the rest aside.  Afterwards t
 * describes the log as cut, and mv what was moved (mv->path NULL: nothing).
 */
static int authenticate_tail(moved *mv, batch *recovered, unsigned flags, const log_paths *p, tail *t,
	int logfd, const unsigned char key[32], pc_error *err)
{
	intent it;
	size_t i, own = 0, keep = 0;
	uint64_t from;
	int r = 0;

	memset(mv, 0, sizeof(*mv));
	if (!t->cp_have || (!t->nextra && !t->torn_len))
		return 0;
	if (intent_load(&it, p, key) == 0 && it.size == t->cp_size && it.offset == t->cp_end) {
		while (own < t->nextra && own < it.n && !memcmp(t->extra[own], it.leaf[own], PC_HASH_LEN))
			own++;
		if (it.stands)
			keep = own;
	}
	/*
	 * Records that other writers queued, carried by an append that did
	 * not finish and kept: they are in the log, so their writers must not
	 * append them again (they are told so once they are signed).
	 */
	for (i = 0; i < it.queued.n && r == 0; i++)
		if (it.queued.e[i].index + it.queued.e[i].nlines <= keep) {
			if (pc_grow((void **)&recovered->e, &recovered->alloc, recovered->n + 1,
				sizeof(*recovered->e)) < 0)
				r = pc_error_set(err, PC_ENOMEM, "out of memory");
			else {
				recovered->e[recovered->n] = it.queued.e[i];
				recovered->e[recovered->n++].first = it.size + it.queued.e[i].index;
			}
		}
	free(it.leaf);
	batch_release(&it.queued);
	if (r < 0)
		return r;
	if (keep == t->nextra)
		return 0;	/* all ours: a torn final line is cut off and recorded as before */
	from = keep ? t->extra_end[keep - 1] : t->cp_end;
	mv->lines = t->nextra - keep;
	mv->own = own - keep;
	mv->torn = t->torn_len > 0;
	if ((r = move_aside(mv, flags, p, logfd, from, err)) < 0)
		return r;
	t->file_size = from;
	return read_tail(t, logfd, p->log, p->state, 1, err);
}

static int moved_record(pc_buf *lines, uint64_t seq, const char *time, const moved *mv, uint64_t signed_size)
{
	pc_buf msg = PC_BUF_INIT;
	char hex[65];
	int r;

	pc_hex(hex, mv->hash, PC_HASH_LEN);
	pc_buf_printf(&msg, "moved %llu line%s%s after the signed size %llu (%llu bytes with sha256:%s) to %s",
		(unsigned long long)mv->lines, mv->lines == 1 ? "" : "s",
		mv->torn ? " and a final line without newline" : "",
		(unsigned long long)signed_size, (unsigned long long)mv->bytes, hex, mv->path);
	if (mv->own)
		pc_buf_printf(&msg, "; %llu of them from an append of a pre-receive or update hook that did not "
			"finish: its hook failed, so git did not apply them", (unsigned long long)mv->own);
	if (mv->lines > mv->own)
		pc_buf_printf(&msg, "; %llu not written by policy-check (no authenticated intent names them)",
			(unsigned long long)(mv->lines - mv->own));
	r = pc_buf_error(&msg) ? PC_ENOMEM : self_record(lines, seq, time, "quarantine", "quarantined", msg.ptr);
	pc_buf_release(&msg);
	return r;
}

/*
 * Group commit (doc/DESIGN.md section 11, policy-check-audit(5)).  An
 * append that finds the lock taken queues its records in LOG.pending/NAME
 * (mode 0600, with an HMAC under a key derived from the audit key, bound
 * to NAME) and holds a shared flock on that file while it waits for the
 * lock.  Whoever holds the lock appends, after its own records, the
 * records queued by the writers still waiting: one write, one fdatasync,
 * one checkpoint for all of them.  Once that checkpoint and the directory
 * are synced it writes NAME.done (the seq of the first record, with an
 * HMAC), and the writer, when it gets the lock, finds its records signed
 * and on disk.  Only queues of this account (owner of the file, one link,
 * no access for others), whose writer still waits (holds its flock), for
 * the same origin, sync mode and kind (standing or not) are taken: a
 * queue whose writer died is removed unread, as its hook failed.
 */
#define PENDING_MAGIC "policy-check audit pending 1\n"
#define PENDING_KEY_LABEL "policy-check audit pending v1"
#define PENDING_MAX (PC_AUDIT_LINE_MAX + (1u << 20))
#define BATCH_MAX 256
#define SEQ0 "{\"v\":1,\"seq\":0,"

typedef struct own_queue {
	int dirfd, fd;		/* -1: none */
	char name[PENDING_NAME_LEN + 1];
} own_queue;

static int pending_dir_open(const log_paths *p, int create)
{
	pc_share s;
	char *path;
	int fd = -1;

	if (!(path = pc_asprintf("%s.pending", p->log)))
		return -1;
	s.shared = p->shared;
	s.gid = p->share_gid;
	if (!create || pc_mkdir_shared(path, &s, 0700) == 0)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	return fd;
}

/* The kind of an append: whether its lines stand without a checkpoint, and whether it syncs. */
static void pending_kind(char out[16], const pc_audit_config *cfg, unsigned flags)
{
	snprintf(out, 16, "kind %d %d\n", !cfg->void_on_failure, !(flags & PC_AUDIT_NO_SYNC));
}

/*
 * Queue recs in LOG.pending/NAME, locked (shared) by this process until
 * pending_finish.  Best effort: on failure the append waits for the lock
 * and writes its records itself, as without group commit.
 */
static int pending_queue(own_queue *o, const log_paths *p, const pc_audit_config *cfg, unsigned flags,
	const pc_audit_record *recs, size_t n, const unsigned char pkey[32])
{
	pc_buf b = PC_BUF_INIT;
	unsigned char raw[16];
	char tmp[PENDING_NAME_LEN + 8], now[32], mac[65], kind[16];
	size_t i, before;
	int fd = -1, r = -1;

	if ((o->dirfd = pending_dir_open(p, 1)) < 0)
		return -1;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		goto done;
	o->name[0] = 'p';
	pc_hex(o->name + 1, raw, sizeof(raw));
	snprintf(tmp, sizeof(tmp), ".tmp-%s", o->name);
	pc_time_rfc3339(now);
	pending_kind(kind, cfg, flags);
	pc_buf_init(&b, 0);
	pc_buf_puts(&b, PENDING_MAGIC);
	pc_buf_printf(&b, "origin %s\n%slines %zu\n", cfg->origin, kind, n);
	for (i = 0; i < n; i++) {
		before = b.len;
		if (pc_audit_format_record(&b, 0, now, &recs[i]) < 0 || b.len - before > PC_AUDIT_LINE_MAX ||
		    pc_buf_putc(&b, '\n') < 0)
			goto done;
	}
	if (pc_buf_error(&b) || b.len > PENDING_MAX - 128 || pc_hmac_hex(mac, pkey, o->name, b.ptr, b.len) < 0)
		goto done;
	pc_buf_printf(&b, "mac %s\n", mac);
	if (pc_buf_error(&b) ||
	    (fd = openat(o->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		goto done;
	/* locked before it has its name: a queue without a lock is one whose writer died */
	if (flock(fd, LOCK_SH) < 0 || pc_write_all(fd, b.ptr, b.len) < 0 ||
	    renameat(o->dirfd, tmp, o->dirfd, o->name) < 0) {
		unlinkat(o->dirfd, tmp, 0);
		goto done;
	}
	o->fd = fd;
	fd = -1;
	r = 0;
done:
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		close(o->dirfd);
		o->dirfd = -1;
	}
	pc_buf_release(&b);
	return r;
}

/* Remove the queue and its answer, then release its lock. */
static void pending_finish(own_queue *o)
{
	char dname[PENDING_NAME_LEN + 8];

	if (o->fd >= 0) {
		snprintf(dname, sizeof(dname), "%s.done", o->name);
		unlinkat(o->dirfd, o->name, 0);
		unlinkat(o->dirfd, dname, 0);
		close(o->fd);
	}
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->fd = o->dirfd = -1;
}

/*
 * NAME.done, written by the append that carried NAME's records, once they
 * are signed and synced: "done NAME FIRST COUNT", or "failed NAME" and
 * why, then an HMAC under the pending key.
 */
static void pending_answer(int dirfd, const batch_entry *e, const char *failed, const unsigned char pkey[32])
{
	pc_buf b = PC_BUF_INIT;
	char dname[PENDING_NAME_LEN + 8], mac[65];
	size_t i;
	int fd;

	if (failed) {
		pc_buf_printf(&b, "failed %s\n", e->name);
		for (i = 0; failed[i] && i < PC_ERROR_MAX; i++)
			pc_buf_putc(&b, failed[i] == '\n' ? ' ' : failed[i]);
		pc_buf_putc(&b, '\n');
	} else {
		pc_buf_printf(&b, "done %s %llu %zu\n", e->name, (unsigned long long)e->first, e->nlines);
	}
	snprintf(dname, sizeof(dname), "%s.done", e->name);
	if (!pc_buf_error(&b) && pc_hmac_hex(mac, pkey, NULL, b.ptr, b.len) == 0 &&
	    pc_buf_printf(&b, "mac %s\n", mac) == 0 && !pc_buf_error(&b) &&
	    (fd = openat(dirfd, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) >= 0) {
		if (pc_write_all(fd, b.ptr, b.len) < 0)
			unlinkat(dirfd, dname, 0);	/* no answer: the writer appends its records itself */
		close(fd);
	}
	pc_buf_release(&b);
}

/*
 * Whether another append carried this writer's records: 1 with *first
 * when they are signed, -1 with why when that append failed after signing
 * them, 0 when not (no answer, or one that is not authentic).
 */
static int pending_answered(uint64_t *first, char why[PC_ERROR_MAX], const own_queue *o,
	const unsigned char pkey[32])
{
	char dname[PENDING_NAME_LEN + 8], buf[PC_ERROR_MAX + 256], mac[65], *m;
	const char *q;
	uint64_t count;
	ssize_t got;
	int fd;

	snprintf(dname, sizeof(dname), "%s.done", o->name);
	if ((fd = openat(o->dirfd, dname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	if (strlen(buf) != (size_t)got || !(m = strstr(buf, "\nmac ")) || strlen(m) != 5 + 64 + 1 ||
	    pc_hmac_hex(mac, pkey, NULL, buf, (size_t)(m + 1 - buf)) < 0 || CRYPTO_memcmp(mac, m + 5, 64))
		return 0;
	m[1] = '\0';
	if (!strncmp(buf, "failed ", 7) && !strncmp(buf + 7, o->name, PENDING_NAME_LEN) &&
	    buf[7 + PENDING_NAME_LEN] == '\n') {
		m[0] = '\0';
		snprintf(why, PC_ERROR_MAX, "%s", buf + 7 + PENDING_NAME_LEN + 1);
		return -1;
	}
	q = buf + 5;
	if (strncmp(buf, "done ", 5) || strncmp(q, o->name, PENDING_NAME_LEN))
		return 0;
	q += PENDING_NAME_LEN;
	if (take_u64(&q, " ", ' ', first) < 0 || take_u64(&q, "", '\n', &count) < 0 || *q)
		return 0;
	return 1;
}

static int batch_has(const batch *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->e[i].name, name))
			return 1;
	return 0;
}

/*
 * Parse and authenticate the queue NAME read into text (NUL-terminated);
 * 0 with its lines in *e when it is for this origin and kind, else < 0.
 */
static int pending_parse(batch_entry *e, const char *name, const char *text, size_t len,
	const pc_audit_config *cfg, unsigned flags, const unsigned char pkey[32])
{
	char mac[65], kind[16];
	const char *q, *m, *l, *nl;
	uint64_t nlines, i;
	size_t olen = strlen(cfg->origin);

	if (strlen(text) != len || strncmp(text, PENDING_MAGIC, strlen(PENDING_MAGIC)) ||
	    !(m = strstr(text, "\nmac ")) || strlen(m) != 5 + 64 + 1 || m[5 + 64] != '\n' ||
	    pc_hmac_hex(mac, pkey, name, text, (size_t)(m + 1 - text)) < 0 || CRYPTO_memcmp(mac, m + 5, 64))
		return PC_EINVAL;
	q = text + strlen(PENDING_MAGIC);
	pending_kind(kind, cfg, flags);
	if (strncmp(q, "origin ", 7) || strncmp(q + 7, cfg->origin, olen) || q[7 + olen] != '\n')
		return PC_EINVAL;
	q += 7 + olen + 1;
	if (strncmp(q, kind, strlen(kind)))
		return PC_EINVAL;
	q += strlen(kind);
	if (take_u64(&q, "lines ", '\n', &nlines) < 0 || !nlines)
		return PC_EINVAL;
	for (i = 0, l = q; i < nlines; i++, l = nl + 1)
		if (l > m || !(nl = memchr(l, '\n', (size_t)(m + 1 - l))) ||
		    strncmp(l, SEQ0, strlen(SEQ0)) || (size_t)(nl - l) > PC_AUDIT_LINE_MAX)
			return PC_EINVAL;
	if (l != m + 1)
		return PC_EINVAL;
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, PENDING_NAME_LEN);
	e->len = (size_t)(l - q);
	e->nlines = (size_t)nlines;
	if (!(e->body = pc_malloc(e->len + 1)))
		return PC_ENOMEM;
	memcpy(e->body, q, e->len);
	e->body[e->len] = '\0';
	return 0;
}

/*
 * Take the queues of the writers waiting for the lock (see above) into b,
 * except own's and those in skip (already in the log).  Best effort: a
 * queue that cannot be read is left to its writer.
 */
static void batch_collect(batch *b, int dirfd, const own_queue *own, const batch *skip,
	const pc_audit_config *cfg, unsigned flags, const unsigned char pkey[32])
{
	char dname[PENDING_NAME_LEN + 8], *text = NULL;
	struct dirent *de;
	struct stat st;
	size_t total = 0;
	DIR *d;
	int fd, dfd;

	if ((dfd = dup(dirfd)) < 0)
		return;
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return;
	}
	while (b->n < BATCH_MAX && total < PC_AUDIT_LINE_MAX && (de = readdir(d))) {
		const char *name = de->d_name;
		size_t nlen = strlen(name);
		batch_entry e;

		if (nlen == PENDING_NAME_LEN + 5 && valid_pending_name(name, PENDING_NAME_LEN) &&
		    !strcmp(name + PENDING_NAME_LEN, ".done")) {
			/* an answer whose writer is gone (writers remove theirs under the lock) */
			memcpy(dname, name, PENDING_NAME_LEN);
			dname[PENDING_NAME_LEN] = '\0';
			if (fstatat(dirfd, dname, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
				unlinkat(dirfd, name, 0);
			continue;
		}
		if (nlen == PENDING_NAME_LEN + 5 && !strncmp(name, ".tmp-", 5) &&
		    valid_pending_name(name + 5, PENDING_NAME_LEN)) {
			/* a queue whose writer died before naming it: its writer locked it first */
			if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) >= 0) {
				if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
				    flock(fd, LOCK_EX | LOCK_NB) == 0)
					unlinkat(dirfd, name, 0);
				close(fd);
			}
			continue;
		}
		if (!valid_pending_name(name, nlen) || (own->fd >= 0 && !strcmp(name, own->name)) ||
		    batch_has(skip, name))
			continue;
		if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
			continue;
		snprintf(dname, sizeof(dname), "%s.done", name);
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1 ||
		    (st.st_mode & 077) || st.st_size > (off_t)PENDING_MAX) {
			close(fd);
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* its writer died: its hook failed, and so did the push */
			unlinkat(dirfd, name, 0);
			unlinkat(dirfd, dname, 0);
			close(fd);
			continue;
		}
		if (errno != EWOULDBLOCK || faccessat(dirfd, dname, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
		    !(text = pc_malloc((size_t)st.st_size + 1))) {
			close(fd);	/* carried already: its writer has not read the answer yet */
			continue;
		}
		if (pread(fd, text, (size_t)st.st_size, 0) == (ssize_t)st.st_size) {
			text[st.st_size] = '\0';
			if (pending_parse(&e, name, text, (size_t)st.st_size, cfg, flags, pkey) == 0) {
				if (pc_grow((void **)&b->e, &b->alloc, b->n + 1, sizeof(*b->e)) < 0)
					free(e.body);
				else {
					b->e[b->n++] = e;
					total += e.len;
				}
			}
		}
		free(text);
		text = NULL;
		close(fd);
	}
	closedir(d);
}

/* Append the lines of e to lines, from seq on, renumbered. */
static int batch_lines(pc_buf *lines, batch_entry *e, uint64_t seq)
{
	const char *l, *nl, *end = e->body + e->len;

	e->first = seq;
	for (l = e->body; l < end; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(end - l));
		pc_buf_printf(lines, "{\"v\":1,\"seq\":%llu,", (unsigned long long)seq++);
		pc_buf_put(lines, l + strlen(SEQ0), (size_t)(nl + 1 - (l + strlen(SEQ0))));
	}
	return pc_buf_error(lines);
}

#ifdef PC_FAULT_INJECTION
/*
 * Tests only: PC_AUDIT_TEST_TEAR_MS=n writes the first half of the lines,
 * syncs, and sleeps n ms before the rest, so that a test can kill the
 * writer in the middle of a line.
 */
static int test_tear(int fd, const char *p, size_t len)
{
	const char *ms = getenv("PC_AUDIT_TEST_TEAR_MS");
	struct timespec ts;
	long n;

	if (!ms || !*ms || len < 2)
		return 0;
	n = strtol(ms, NULL, 10);
	if (write_all(fd, p, len / 2) < 0)
		return -1;
	fdatasync(fd);
	ts.tv_sec = n / 1000;
	ts.tv_nsec = n % 1000 * 1000000L;
	nanosleep(&ts, NULL);
	return (int)(len / 2);
}

/*
 * Tests only: PC_AUDIT_TEST_CRASH=HOOK[:N] kills the process with SIGKILL
 * in its N-th append (default 1) of records of hook HOOK, once the lines
 * are written and synced and before their checkpoint is signed: a crash
 * between write and checkpoint.
 */
static void test_crash(const pc_audit_record *recs, size_t n)
{
	static unsigned long count;
	const char *spec = getenv("PC_AUDIT_TEST_CRASH"), *colon;
	size_t len;

	if (!spec || !*spec || !n || !recs[0].hook)
		return;
	colon = strchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (strlen(recs[0].hook) != len || strncmp(spec, recs[0].hook, len))
		return;
	if (++count == (colon ? strtoul(colon + 1, NULL, 10) : 1))
		raise(SIGKILL);
}

/*
 * Tests only: PC_AUDIT_TEST_CRASH_BATCH=HOOK kills an append of records of
 * hook HOOK that carries records queued by other writers, once all the
 * lines are written and synced and before their checkpoint is signed.
 */
static void test_crash_batch(const pc_audit_record *recs, size_t n, const batch *b)
{
	const char *spec = getenv("PC_AUDIT_TEST_CRASH_BATCH");

	if (spec && *spec && n && b->n && recs[0].hook && !strcmp(spec, recs[0].hook))
		raise(SIGKILL);
}
#endif

/*
 * The signed state an append extends, in *cp (size, root) with *have = 1,
 * and t scanned against it; *have = 0: sign every line (a new, empty log,
 * or `resign`).  A checkpoint counts only when the key signed it; when it
 * is missing, unreadable or not valid, or older than LOG.anchor, the
 * anchor says what was signed.  With neither, a log with lines is refused:
 * they cannot be told from lines added without the key (fail closed).
 * `note` receives what a record must say about the state taken, if
 * anything.  `resign` (policy-check audit resign, a human's decision)
 * signs every line, but only when no valid state matches the log.
 */
static int find_signed_state(pc_checkpoint *cp, int *have, pc_buf *note, tail *t, int fd, const log_paths *p,
	const pc_audit_config *cfg, const pc_note_signer *signer, const char *resign, pc_error *err)
{
	char why[PC_ERROR_MAX];
	const char *awhy = "", *from = p->checkpoint;
	unsigned char akey[32];
	uint64_t cp_end = 0;
	anchor an;
	int state, have_an, r;

	*have = 0;
	if ((r = load_checkpoint(cp, &state, why, p->checkpoint, signer, err)) < 0 ||
	    (r = pc_note_signer_derive(akey, signer, ANCHOR_KEY_LABEL, err)) < 0)
		return r;
	have_an = anchor_load(&an, p, cfg->origin, akey, &awhy) == 0;
	OPENSSL_cleanse(akey, sizeof(akey));
	if (have_an && (state != CP_VALID || an.size > cp->size)) {
		if (state == CP_VALID)
			pc_buf_printf(note, "%s covers %llu records, fewer than the %llu that %s names as signed "
				"(an older checkpoint was put back): signed again from the anchor",
				p->checkpoint, (unsigned long long)cp->size, (unsigned long long)an.size, p->anchor);
		else
			pc_buf_printf(note, "%s %s: signed again the %llu records that %s names as signed",
				p->checkpoint, state == CP_MISSING ? "is missing" : why, (unsigned long long)an.size,
				p->anchor);
		pc_checkpoint_release(cp);
		cp->size = an.size;
		memcpy(cp->root, an.root, PC_HASH_LEN);
		cp_end = an.offset;
		from = p->anchor;
		state = CP_VALID;
	}
	if (state == CP_VALID) {
		t->cp_size = cp->size;
		if ((r = read_tail(t, fd, p->log, p->state, 1, err)) < 0)
			return r;
		if ((r = check_against_checkpoint(t, fd, p, cp, from, cp_end, err)) == 0 && resign)
			return pc_error_set(err, PC_EINVAL, "nothing to re-sign: %s is valid and the log extends it "
				"(lines after its %llu records are moved aside by the next append)", from,
				(unsigned long long)cp->size);
		if (r == 0) {
			*have = 1;
			return 0;
		}
		if (!resign)
			return r;
		snprintf(why, sizeof(why), "%s", err ? err->msg : "");
		pc_error_clear(err);
	} else if (!resign && t->file_size > 0) {
		return pc_error_set(err, PC_EVERIFY, "%s: no signed state to extend: %s %s, and %s %s; lines added "
			"without the audit key cannot be told from signed ones, so nothing is appended. Check the log "
			"(policy-check audit verify --vkey VKEY --checkpoint SAVED %s), then re-sign it: "
			"policy-check audit resign --key %s --origin %s %s", p->log, p->checkpoint,
			state == CP_MISSING ? "is missing" : why, p->anchor, awhy, p->log, cfg->key_path, cfg->origin,
			p->log);
	} else if (resign) {
		snprintf(why, sizeof(why), "%s %s, and %s %s", p->checkpoint,
			state == CP_MISSING ? "is missing" : why, p->anchor, awhy);
	}
	pc_buf_clear(note);
	t->cp_size = UINT64_MAX;
	if ((r = read_tail(t, fd, p->log, p->state, 1, err)) < 0)
		return r;
	if (resign)
		pc_buf_printf(note, "re-signed all %llu records as they are, by policy-check audit resign (%s), "
			"because %s", (unsigned long long)t->edge.size, resign, why);
	return 0;
}

static int append(const pc_audit_config *cfg, unsigned flags, const pc_audit_record *recs, size_t n,
	uint64_t *first_seq, const char *resign, pc_error *err);

int pc_audit_append(const pc_audit_config *cfg, const pc_audit_record *recs, size_t n,
	uint64_t *first_seq, pc_error *err)
{
	return pc_audit_append_flags(cfg, 0, recs, n, first_seq, err);
}

int pc_audit_append_flags(const pc_audit_config *cfg, unsigned flags, const pc_audit_record *recs,
	size_t n, uint64_t *first_seq, pc_error *err)
{
	return append(cfg, flags, recs, n, first_seq, NULL, err);
}

int pc_audit_resign(const pc_audit_config *cfg, unsigned flags, const char *by, uint64_t *size, pc_error *err)
{
	uint64_t first = 0;
	int r;

	if (!by || !*by)
		return pc_error_set(err, PC_EINVAL, "audit resign: say who decided to re-sign");
	if ((r = append(cfg, flags, NULL, 0, &first, by, err)) == 0 && size)
		*size = first;
	return r;
}

static int append(const pc_audit_config *cfg, unsigned flags, const pc_audit_record *recs, size_t n,
	uint64_t *first_seq, const char *resign, pc_error *err)
{
	pc_buf note = PC_BUF_INIT;
	pc_note_signer *signer = NULL;
	pc_checkpoint old_cp;
	unsigned char ikey[32], pkey[32];
	own_queue q = { -1, -1, "" };
	batch carried, recovered;
	char why[PC_ERROR_MAX];
	moved mv;
	int have_cp = 0;
	log_paths p;
	tail t;
	pc_buf lines = PC_BUF_INIT;
	struct sigaction ign, old_xfsz;
	struct stat st;
	char now[32];
	uint64_t seq, written_from = 0, own_first = 0, own_seq = 0;
	size_t i, skip = 0, own_n = n;
	int lockfd = -1, logfd = -1, r = PC_ERROR, appended = 0, renamed = 0, have_paths = 0, queued = 0;
	int batch_dirfd = -1;

	if (first_seq)
		*first_seq = 0;
	memset(&old_cp, 0, sizeof(old_cp));
	memset(&mv, 0, sizeof(mv));
	memset(&t, 0, sizeof(t));
	memset(ikey, 0, sizeof(ikey));
	memset(pkey, 0, sizeof(pkey));
	memset(&carried, 0, sizeof(carried));
	memset(&recovered, 0, sizeof(recovered));
	if (!cfg || !cfg->log_path || !*cfg->log_path || !cfg->key_path || !*cfg->key_path ||
	    !cfg->origin || !*cfg->origin)
		return pc_error_set(err, PC_EINVAL, "audit: the policy must set audit.log, audit.key and audit.origin");
	if ((r = pc_note_signer_load(&signer, cfg->key_path, cfg->origin, err)) < 0)
		return r;
	if ((r = pc_note_signer_derive(ikey, signer, INTENT_KEY_LABEL, err)) < 0 ||
	    (r = pc_note_signer_derive(pkey, signer, PENDING_KEY_LABEL, err)) < 0) {
		pc_note_signer_free(signer);
		return r;
	}
	if (paths_init(&p, cfg->log_path) < 0) {
		pc_note_signer_free(signer);
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	}
	have_paths = 1;

	/*
	 * Over RLIMIT_FSIZE a write raises SIGXFSZ, which kills by default;
	 * ignored, the write fails with EFBIG and the append is undone.
	 */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGXFSZ, &ign, &old_xfsz);

	if ((r = check_log_safe(&p, err)) < 0)
		goto done;
	if (fault("open") || (lockfd = open_shared(p.lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, &p)) < 0) {
		r = sys_error(err, p.lock, "cannot open the audit lock");
		goto done;
	}
	for (;;) {
		if (fault("lock")) {
			r = sys_error(err, p.lock, "cannot lock");
			goto done;
		}
		if (flock(lockfd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EWOULDBLOCK) {
			/* taken: queue the records for whoever holds it (group commit), and wait */
			if (!queued && !resign && n) {
				queued = 1;
				pending_queue(&q, &p, cfg, flags, recs, n, pkey);
			}
			if (flock(lockfd, LOCK_EX) == 0)
				break;
		}
		if (errno != EINTR) {
			r = sys_error(err, p.lock, "cannot lock");
			goto done;
		}
	}
	if (q.fd >= 0) {
		/* perhaps the append that held the lock carried our records */
		if ((r = pending_answered(&own_first, why, &q, pkey)) > 0) {
			if (first_seq)
				*first_seq = own_first;
			r = 0;
			goto done;
		}
		if (r < 0) {
			r = pc_error_set(err, PC_EIO, "%s: the append that carried these records failed after "
				"signing them: %s", p.log, why);
			goto done;
		}
	}
	if (fault("open") || (logfd = open_shared(p.log, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, &p)) < 0) {
		r = sys_error(err, p.log, "cannot open the audit log for appending");
		goto done;
	}
	if (fstat(logfd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = pc_error_set(err, PC_EINVAL, "%s: the audit log is not a regular file", p.log);
		goto done;
	}

	/* Know the signed size before scanning, to capture the root there. */
	t.file_size = (uint64_t)st.st_size;
	pc_buf_init(&note, 0);
	if ((r = find_signed_state(&old_cp, &have_cp, &note, &t, logfd, &p, cfg, signer, resign, err)) < 0)
		goto done;
	/* Lines after the signed size are signed only if an append of ours wrote them. */
	if (have_cp && (r = authenticate_tail(&mv, &recovered, flags, &p, &t, logfd, ikey, err)) < 0)
		goto done;
	/* an append that did not finish carried our records, and they stand */
	for (i = 0; q.fd >= 0 && i < recovered.n; i++)
		if (!strcmp(recovered.e[i].name, q.name)) {
			own_first = recovered.e[i].first;
			own_n = 0;
		}

	/* The new lines: a repair record first when a torn line is cut off. */
	pc_time_rfc3339(now);
	seq = t.edge.size;
	pc_buf_init(&lines, 0);
	if ((t.torn_len && (r = repair_record(&lines, seq++, now, &t)) < 0) ||
	    (pc_buf_error(&note) && (r = PC_ENOMEM) < 0) ||
	    (note.len && (r = self_record(&lines, seq++, now, "resign", "re-signed", note.ptr)) < 0) ||
	    (mv.path && (r = moved_record(&lines, seq++, now, &mv, old_cp.size)) < 0)) {
		r = pc_error_set(err, r, "out of memory");
		goto done;
	}
	if (first_seq)
		*first_seq = own_n < n ? own_first : seq;
	own_seq = seq;
	for (i = 0; i < own_n; i++) {
		size_t before = lines.len;
		if ((r = pc_audit_format_record(&lines, seq + i, now, &recs[i])) < 0 ||
		    (r = pc_buf_putc(&lines, '\n')) < 0) {
			r = pc_error_set(err, r, "out of memory");
			goto done;
		}
		if (lines.len - before - 1 > PC_AUDIT_LINE_MAX) {
			r = pc_error_set(err, PC_ELIMIT, "audit record of %zu bytes is over the limit of %u bytes",
				lines.len - before - 1, PC_AUDIT_LINE_MAX);
			goto done;
		}
	}

	seq += own_n;
	/* the records other writers queued while they wait for the lock */
	if (!resign && (batch_dirfd = q.dirfd >= 0 ? dup(q.dirfd) : pending_dir_open(&p, 0)) >= 0)
		batch_collect(&carried, batch_dirfd, &q, &recovered, cfg, flags, pkey);
	for (i = 0; i < carried.n; i++) {
		carried.e[i].index = t.nextra + (size_t)(seq - t.edge.size);
		if ((r = batch_lines(&lines, &carried.e[i], seq)) < 0) {
			r = pc_error_set(err, r, "out of memory");
			goto done;
		}
		seq += carried.e[i].nlines;
	}
	if (have_cp && (r = intent_save(&p, t.cp_size, t.cp_end, &t, &lines, !cfg->void_on_failure, &carried,
		ikey, err)) < 0)
		goto done;
	written_from = t.end;
	if (t.torn_len) {
		if (fault("truncate") || ftruncate(logfd, (off_t)t.end) < 0) {
			r = sys_error(err, p.log, "cannot truncate the torn final line");
			goto done;
		}
	}
	appended = 1;
#ifdef PC_FAULT_INJECTION
	if ((r = test_tear(logfd, lines.ptr, lines.len)) < 0) {
		r = sys_error(err, p.log, "write failed");
		goto done;
	}
	skip = (size_t)r;
#endif
	if (write_all(logfd, lines.ptr + skip, lines.len - skip) < 0) {
		r = sys_error(err, p.log, "cannot append to the audit log");
		goto done;
	}
	if (do_sync(flags, logfd) < 0) {
		r = sys_error(err, p.log, "fdatasync failed");
		goto done;
	}
#ifdef PC_FAULT_INJECTION
	test_crash(recs, n);
	test_crash_batch(recs, n, &carried);
#endif

	if ((r = extend_and_sign(flags, cfg, &p, &t, signer, &lines, err)) < 0)
		goto done;
	renamed = 1;
	if ((r = sync_dir(flags, p.dir, err)) < 0) {
		if (cfg->void_on_failure)
			void_after_failure(flags, cfg, &p, &t, signer, have_cp ? ikey : NULL, logfd, recs, own_n,
				own_seq, now, r, err);
		/* the writers whose records this append carried fail with it */
		for (i = 0; i < carried.n; i++)
			pending_answer(batch_dirfd, &carried.e[i], err ? err->msg : "fsync failed", pkey);
		for (i = 0; i < recovered.n; i++)
			pending_answer(batch_dirfd, &recovered.e[i], err ? err->msg : "fsync failed", pkey);
		goto done;
	}
	/* signed and synced: tell the writers whose records this append carried */
	for (i = 0; batch_dirfd >= 0 && i < carried.n; i++)
		pending_answer(batch_dirfd, &carried.e[i], NULL, pkey);
	for (i = 0; batch_dirfd >= 0 && i < recovered.n; i++)
		pending_answer(batch_dirfd, &recovered.e[i], NULL, pkey);
	save_state(&p, &t);
	r = 0;
done:
	if (r < 0 && appended && !renamed) {
		/* Undo: the records were not signed, so they must not stay. */
		char msg[PC_ERROR_MAX] = "";
		if (err)
			memcpy(msg, err->msg, sizeof(msg));
		if (fault("truncate") || ftruncate(logfd, (off_t)written_from) < 0 ||
		    do_sync(flags, logfd) < 0)
			pc_error_set(err, r, "%s; truncating the log back to %llu bytes also failed (%s): "
				"audit verify will report the unsigned lines", msg,
				(unsigned long long)written_from, strerror(errno));
	}
	if (r < 0 && first_seq)
		*first_seq = 0;
	if (logfd >= 0)
		close(logfd);
	pending_finish(&q);
	if (batch_dirfd >= 0)
		close(batch_dirfd);
	if (lockfd >= 0)
		close(lockfd);	/* releases the lock */
	sigaction(SIGXFSZ, &old_xfsz, NULL);
	pc_buf_release(&lines);
	pc_buf_release(&note);
	if (have_paths)
		paths_release(&p);
	pc_checkpoint_release(&old_cp);
	pc_note_signer_free(signer);
	OPENSSL_cleanse(ikey, sizeof(ikey));
	OPENSSL_cleanse(pkey, sizeof(pkey));
	batch_release(&carried);
	batch_release(&recovered);
	tail_release(&t);
	free(mv.path);
	return r;
}
