/*
 * audit-verify.c: reading the audit log as an auditor: verification
 * against signed checkpoints, inclusion proofs (c2sp.org/tlog-proof), and
 * reconciliation of a repository's refs with the records.
 */
#include "config.h"
#include "audit.h"
#include "repo.h"
#include "buf.h"
#include "hotfix.h"
#include "tiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#define PROOF_HEADER "c2sp.org/tlog-proof@v1"

static int add_problem(pc_strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add_problem(pc_strlist *l, const char *fmt, ...)
{
	pc_buf b = PC_BUF_INIT;
	va_list ap;
	int r;

	va_start(ap, fmt);
	pc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r = pc_buf_error(&b) ? PC_ENOMEM : pc_strlist_add(l, b.ptr);
	pc_buf_release(&b);
	return r;
}

/*
 * The subtree roots of a proof, computed while the log streams by: each
 * leaf goes into the range that holds it (the ranges are disjoint).
 */
typedef struct range_set {
	pc_merkle_range r[PC_MERKLE_MAX_PROOF];
	size_t order[PC_MERKLE_MAX_PROOF];	/* indexes of r sorted by begin */
	pc_merkle_edge *edges;
	size_t n, cursor;
} range_set;

static int range_set_init(range_set *s)
{
	size_t i, j, t;

	s->cursor = 0;
	s->edges = NULL;
	if (s->n && !(s->edges = pc_calloc(s->n, sizeof(*s->edges))))
		return PC_ENOMEM;
	for (i = 0; i < s->n; i++)
		s->order[i] = i;
	for (i = 1; i < s->n; i++)
		for (j = i; j > 0 && s->r[s->order[j]].begin < s->r[s->order[j - 1]].begin; j--) {
			t = s->order[j];
			s->order[j] = s->order[j - 1];
			s->order[j - 1] = t;
		}
	return 0;
}

static int range_set_feed(range_set *s, uint64_t idx, const unsigned char leaf[PC_HASH_LEN])
{
	while (s->cursor < s->n && idx >= s->r[s->order[s->cursor]].end)
		s->cursor++;
	if (s->cursor < s->n && idx >= s->r[s->order[s->cursor]].begin)
		return pc_merkle_edge_append(&s->edges[s->order[s->cursor]], leaf);
	return 0;
}

static int range_set_proof(unsigned char (*out)[PC_HASH_LEN], range_set *s)
{
	size_t i;
	int r;

	for (i = 0; i < s->n; i++) {
		if (s->edges[i].size != s->r[i].end - s->r[i].begin)
			return PC_ETRUNCATED;
		if ((r = pc_merkle_edge_root(out[i], &s->edges[i])) < 0)
			return r;
	}
	return 0;
}

static void range_set_release(range_set *s)
{
	free(s->edges);
	s->edges = NULL;
}

int pc_audit_signed_size(uint64_t *size, const char *log_path, pc_error *err)
{
	pc_checkpoint cp;
	char *path, *text = NULL;
	size_t len;
	int r;

	*size = 0;
	memset(&cp, 0, sizeof(cp));
	if (!(path = pc_asprintf("%s.checkpoint", log_path)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	r = pc_read_file(&text, &len, path, PC_NOTE_MAX, err);
	if (r == PC_ENOTFOUND) {
		pc_error_clear(err);
		r = 0;
	} else if (r == 0) {
		if ((r = pc_checkpoint_parse(&cp, text, len, err)) < 0)
			pc_error_prefix(err, "%s", path);
		else
			r = 1;
		*size = cp.size;
	}
	pc_checkpoint_release(&cp);
	free(text);
	free(path);
	return r;
}

/*
 * Read and verify a signed checkpoint.  Returns 1 when valid, 0 when not
 * (the reason added to problems), < 0 on allocation failure.
 */
static int load_checkpoint(pc_checkpoint *cp, const char *path, const pc_note_verifier *v,
	pc_strlist *problems)
{
	pc_error e = PC_ERROR_INIT;
	char *text = NULL;
	size_t len;
	int r;

	memset(cp, 0, sizeof(*cp));
	if ((r = pc_read_file(&text, &len, path, PC_NOTE_MAX, &e)) < 0) {
		if (r == PC_ENOMEM)
			return r;
		return add_problem(problems, "%s", e.msg) < 0 ? PC_ENOMEM : 0;
	}
	r = pc_checkpoint_open(cp, v, text, len, &e);
	free(text);
	if (r == PC_ENOMEM)
		return r;
	if (r < 0)
		return add_problem(problems, "%s: %s", path, e.msg) < 0 ? PC_ENOMEM : 0;
	return 1;
}

int pc_audit_verify(pc_audit_verify_result *res, const pc_audit_verify_opts *o, pc_error *err)
{
	pc_checkpoint cp, old;
	pc_audit_reader *rd = NULL;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_error lerr = PC_ERROR_INIT;
	pc_merkle_edge edge;
	range_set cons;
	unsigned char leaf[PC_HASH_LEN], root_at_cp[PC_HASH_LEN], root_at_old[PC_HASH_LEN];
	unsigned char proof[PC_MERKLE_MAX_PROOF][PC_HASH_LEN];
	char *cp_path = NULL;
	const char *line, *log = o->log_path;
	size_t len;
	pc_tile_builder *tiles = NULL;
	pc_strlist bad_tiles = PC_STRLIST_INIT;
	uint64_t seq, torn_line = 0, missing_tiles = 0;
	size_t i;
	int cp_ok = 0, old_ok = 0, have_cp_root = 0, have_old_root = 0, bad_line = 0, complete, r;

	memset(res, 0, sizeof(*res));
	memset(&cp, 0, sizeof(cp));
	memset(&old, 0, sizeof(old));
	memset(&cons, 0, sizeof(cons));
	pc_merkle_edge_init(&edge);
	if (!(cp_path = o->checkpoint_path ? pc_strdup(o->checkpoint_path) : pc_asprintf("%s.checkpoint", log))) {
		r = PC_ENOMEM;
		goto nomem;
	}
	if ((r = pc_audit_reader_open(&rd, log, err)) < 0)
		goto done;
	if ((cp_ok = load_checkpoint(&cp, cp_path, o->vkey, &res->problems)) < 0 ||
	    (o->old_checkpoint_path &&
	     (old_ok = load_checkpoint(&old, o->old_checkpoint_path, o->vkey, &res->problems)) < 0)) {
		r = PC_ENOMEM;
		goto nomem;
	}
	if (cp_ok) {
		res->signed_size = cp.size;
		memcpy(res->root, cp.root, PC_HASH_LEN);
	}
	if (cp_ok && old_ok && old.size > cp.size &&
	    add_problem(&res->problems, "%s (size %llu) is older than %s (size %llu): the checkpoint was "
		"replaced by an older one, or the log was rolled back", cp_path, (unsigned long long)cp.size,
		o->old_checkpoint_path, (unsigned long long)old.size) < 0)
		goto nomem;
	if (cp_ok && old_ok && old.size <= cp.size) {
		pc_merkle_consistency_ranges(cons.r, &cons.n, old.size, cp.size);
		/* only the consistency asked for: from the tiles, proved against both signed roots */
		if (o->consistency_only) {
			if (pc_tiles_range_hashes(proof, log, cons.r, cons.n, cp.size) == 0 &&
			    pc_merkle_consistency_verify(old.size, old.root, cp.size, cp.root,
				(const unsigned char (*)[PC_HASH_LEN])proof, cons.n) == 0) {
				res->lines = cp.size;
				r = 0;
				goto done;
			}
			if (add_problem(&res->warnings, "%s.tiles: no tiles prove the consistency of the two "
				"checkpoints: checked against the log instead (run policy-check audit tiles --rebuild %s)",
				log, log) < 0)
				goto nomem;
		}
		if (range_set_init(&cons) < 0)
			goto nomem;
	}
	if ((r = pc_tile_builder_new(&tiles, log, PC_TILES_CHECK, err)) < 0)
		goto done;

	for (;;) {
		if (cp_ok && !have_cp_root && edge.size == cp.size) {
			if ((r = pc_merkle_edge_root(root_at_cp, &edge)) < 0)
				goto hash_failed;
			have_cp_root = 1;
		}
		if (old_ok && !have_old_root && edge.size == old.size) {
			if ((r = pc_merkle_edge_root(root_at_old, &edge)) < 0)
				goto hash_failed;
			have_old_root = 1;
		}
		if ((r = pc_audit_reader_next(rd, &line, &len, &complete, err)) < 0)
			goto done;
		if (r == 0)
			break;
		if (!complete) {
			torn_line = edge.size + 1;
			break;
		}
		if ((r = pc_merkle_leaf_hash(leaf, line, len)) < 0 ||
		    (r = range_set_feed(&cons, edge.size, leaf)) < 0 ||
		    (r = pc_merkle_edge_append(&edge, leaf)) < 0)
			goto hash_failed;
		if ((r = pc_tile_builder_add(tiles, leaf, err)) < 0)
			goto done;
		if (bad_line)
			continue;
		if (pc_audit_line_check(&seq, &doc, line, len, &lerr) < 0) {
			bad_line = 1;
			if (add_problem(&res->problems, "%s:%llu: not a valid record: %s", log,
				(unsigned long long)edge.size, lerr.msg) < 0)
				goto nomem;
		} else if (seq != edge.size - 1) {
			bad_line = 1;
			if (add_problem(&res->problems, "%s:%llu: seq is %llu, expected %llu: a record was deleted, "
				"inserted or moved at or before this line", log, (unsigned long long)edge.size,
				(unsigned long long)seq, (unsigned long long)(edge.size - 1)) < 0)
				goto nomem;
		}
	}
	res->lines = edge.size;

	if (cp_ok && edge.size < cp.size) {
		if (add_problem(&res->problems, "%s: has %llu records, but the signed checkpoint covers %llu: "
			"records were deleted or the log was truncated", log, (unsigned long long)edge.size,
			(unsigned long long)cp.size) < 0)
			goto nomem;
	} else if (cp_ok && memcmp(root_at_cp, cp.root, PC_HASH_LEN)) {
		if (add_problem(&res->problems, "%s: tree root of the first %llu records does not match the "
			"signed checkpoint: a record was modified, deleted, inserted or reordered", log,
			(unsigned long long)cp.size) < 0)
			goto nomem;
	}
	if (cp_ok && edge.size > cp.size &&
	    add_problem(o->strict ? &res->problems : &res->warnings, "%s: %llu lines after the signed "
		"checkpoint (size %llu) are not records: no signature covers them (an append in progress or "
		"interrupted, or lines added without the key); the next append keeps only those its own "
		"intent names and moves the rest aside", log, (unsigned long long)(edge.size - cp.size),
		(unsigned long long)cp.size) < 0)
		goto nomem;
	if (torn_line &&
	    add_problem(o->strict ? &res->problems : &res->warnings, "%s:%llu: the final line has no "
		"newline: an append did not finish; the next append cuts it off and records the repair",
		log, (unsigned long long)torn_line) < 0)
		goto nomem;
	if (old_ok && have_old_root && memcmp(root_at_old, old.root, PC_HASH_LEN)) {
		if (add_problem(&res->problems, "the log is not consistent with %s: its first %llu records "
			"changed since that checkpoint was signed", o->old_checkpoint_path,
			(unsigned long long)old.size) < 0)
			goto nomem;
	} else if (old_ok && cp_ok && old.size <= cp.size && edge.size >= cp.size) {
		if ((r = range_set_proof(proof, &cons)) < 0)
			goto hash_failed;
		if (pc_merkle_consistency_verify(old.size, old.root, cp.size, cp.root,
			(const unsigned char (*)[PC_HASH_LEN])proof, cons.n) < 0 &&
		    add_problem(&res->problems, "the consistency proof from %s (size %llu) to %s (size %llu) "
			"does not verify: the log was rewritten", o->old_checkpoint_path,
			(unsigned long long)old.size, cp_path, (unsigned long long)cp.size) < 0)
			goto nomem;
	}
	/* the tiles are a cache, but one that disagrees with the log is named */
	if ((r = pc_tile_builder_finish(tiles, &bad_tiles, &missing_tiles, err)) < 0)
		goto done;
	for (i = 0; i < bad_tiles.n; i++)
		if (add_problem(&res->problems, "%s.tiles/%s: does not match the log (it was modified); run "
			"policy-check audit tiles --rebuild %s", log, bad_tiles.items[i], log) < 0)
			goto nomem;
	if (missing_tiles && add_problem(&res->warnings, "%s.tiles: %llu tile%s missing (tree of %llu lines): "
		"proofs read the whole log; run policy-check audit tiles --rebuild %s", log,
		(unsigned long long)missing_tiles, missing_tiles == 1 ? " is" : "s are", (unsigned long long)edge.size,
		log) < 0)
		goto nomem;
	r = res->problems.n ? PC_EVERIFY : 0;
	goto done;
hash_failed:
	r = pc_error_set(err, r, "hashing failed");
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_tile_builder_free(tiles);
	pc_strlist_clear(&bad_tiles);
	range_set_release(&cons);
	pc_json_doc_release(&doc);
	pc_audit_reader_free(rd);
	pc_checkpoint_release(&cp);
	pc_checkpoint_release(&old);
	free(cp_path);
	return r;
}

void pc_audit_verify_result_release(pc_audit_verify_result *res)
{
	if (!res)
		return;
	pc_strlist_clear(&res->problems);
	pc_strlist_clear(&res->warnings);
}

/*
 * The line of the log whose seq is `index`, found by bisecting the file on
 * the seq each record starts with ({"v":1,"seq":N,...): O(log n) reads.
 * Whatever it finds is only used once its leaf hash is proved under the
 * signed root.  0 with *line (malloc'd) or < 0.
 */
static int find_record(char **line, size_t *len, const char *log_path, uint64_t index)
{
	static const char prefix[] = "{\"v\":1,\"seq\":";
	struct stat st;
	uint64_t lo = 0, hi, start, seq;
	char *buf = NULL, *nl, *p;
	size_t alloc = 4096, have;
	ssize_t got;
	int fd, r = PC_ENOTFOUND;

	*line = NULL;
	if ((fd = open(log_path, O_RDONLY | O_CLOEXEC)) < 0)
		return PC_EIO;
	if (fstat(fd, &st) < 0 || !(buf = pc_malloc(alloc + 1)))
		goto done;
	hi = (uint64_t)st.st_size;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		/* the first line that starts at or after mid */
		start = mid;
		if (start > 0) {
			for (;;) {
				got = pread(fd, buf, alloc, (off_t)(start - 1));
				if (got <= 0)
					goto done;
				if ((nl = memchr(buf, '\n', (size_t)got))) {
					start += (uint64_t)(nl - buf);
					break;
				}
				start += (uint64_t)got;
			}
		}
		if (start >= hi) {
			hi = mid;
			continue;
		}
		/* the whole line, growing the buffer up to the longest record */
		for (have = 0;;) {
			got = pread(fd, buf + have, alloc - have, (off_t)(start + have));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				goto done;
			have += (size_t)got;
			if ((nl = memchr(buf, '\n', have)))
				break;
			if (have < alloc)
				continue;
			if (alloc > PC_AUDIT_LINE_MAX || !(p = pc_realloc(buf, alloc * 2 + 1)))
				goto done;
			buf = p;
			alloc *= 2;
		}
		have = (size_t)(nl - buf);
		buf[have] = '\0';
		if (have < sizeof(prefix) - 1 || memcmp(buf, prefix, sizeof(prefix) - 1))
			goto done;
		for (seq = 0, p = buf + sizeof(prefix) - 1; *p >= '0' && *p <= '9' && seq < UINT64_MAX / 10; p++)
			seq = seq * 10 + (uint64_t)(*p - '0');
		if (seq == index) {
			*line = buf;
			*len = have;
			buf = NULL;
			r = 0;
			break;
		}
		if (seq < index)
			lo = start + have + 1;
		else
			hi = mid;
	}
done:
	free(buf);
	close(fd);
	return r;
}

/*
 * The proof of record index under cp from the tiles: 0 with the hashes and
 * the record when they prove it under cp's root, 1 when there are no
 * tiles to use, 2 when the tiles or the line found do not match the root.
 */
static int proof_from_tiles(unsigned char (*proof)[PC_HASH_LEN], size_t *n, char **record,
	const char *log_path, uint64_t index, const pc_checkpoint *cp)
{
	pc_merkle_range ranges[PC_MERKLE_MAX_PROOF];
	unsigned char leaf[PC_HASH_LEN];
	size_t len;
	int r;

	pc_merkle_inclusion_ranges(ranges, n, index, cp->size);
	if ((r = pc_tiles_range_hashes(proof, log_path, ranges, *n, cp->size)) < 0)
		return r == PC_ENOTFOUND ? 1 : 2;
	if (find_record(record, &len, log_path, index) < 0)
		return 2;
	if (pc_merkle_leaf_hash(leaf, *record, len) < 0 ||
	    pc_merkle_inclusion_verify(leaf, index, cp->size, (const unsigned char (*)[PC_HASH_LEN])proof, *n,
		cp->root) < 0) {
		free(*record);
		*record = NULL;
		return 2;
	}
	return 0;
}

int pc_audit_proof(pc_buf *out, const char *log_path, uint64_t index, pc_strlist *notes, pc_error *err)
{
	pc_checkpoint cp;
	pc_audit_reader *rd = NULL;
	pc_merkle_edge edge;
	range_set incl;
	unsigned char leaf[PC_HASH_LEN], root[PC_HASH_LEN];
	unsigned char proof[PC_MERKLE_MAX_PROOF][PC_HASH_LEN];
	char *cp_path = NULL, *note = NULL, *b64 = NULL, *record = NULL;
	const char *line;
	size_t note_len, len, i;
	int complete, r;

	memset(&cp, 0, sizeof(cp));
	memset(&incl, 0, sizeof(incl));
	pc_merkle_edge_init(&edge);
	if (!(cp_path = pc_asprintf("%s.checkpoint", log_path))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if ((r = pc_read_file(&note, &note_len, cp_path, PC_NOTE_MAX, err)) < 0 ||
	    (r = pc_checkpoint_parse(&cp, note, note_len, err)) < 0) {
		pc_error_prefix(err, "%s", cp_path);
		goto done;
	}
	if (index >= cp.size) {
		r = pc_error_set(err, PC_EINVAL, "record %llu is not covered by the checkpoint (size %llu); "
			"records are numbered from 0", (unsigned long long)index, (unsigned long long)cp.size);
		goto done;
	}
	/* the tiles first; what they give is proved under the checkpoint's root before it is used */
	if ((r = proof_from_tiles(proof, &incl.n, &record, log_path, index, &cp)) == 0)
		goto print;
	if (r == 2 && notes && add_problem(notes, "the tiles and the record found in the log do not prove record "
		"%llu under the checkpoint: the proof is made from the whole log; run policy-check audit verify",
		(unsigned long long)index) < 0) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	pc_merkle_inclusion_ranges(incl.r, &incl.n, index, cp.size);
	if (range_set_init(&incl) < 0 || (r = pc_audit_reader_open(&rd, log_path, err)) < 0) {
		r = r < 0 ? r : pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	while (edge.size < cp.size && (r = pc_audit_reader_next(rd, &line, &len, &complete, err)) > 0 && complete) {
		if (edge.size == index && !(record = pc_strndup(line, len))) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		if ((r = pc_merkle_leaf_hash(leaf, line, len)) < 0 ||
		    (r = range_set_feed(&incl, edge.size, leaf)) < 0 ||
		    (r = pc_merkle_edge_append(&edge, leaf)) < 0) {
			r = pc_error_set(err, r, "hashing failed");
			goto done;
		}
	}
	if (r < 0)
		goto done;
	if ((r = pc_merkle_edge_root(root, &edge)) < 0) {
		r = pc_error_set(err, r, "hashing failed");
		goto done;
	}
	if (edge.size < cp.size || memcmp(root, cp.root, PC_HASH_LEN)) {
		r = pc_error_set(err, PC_EVERIFY, "%s does not match %s; run policy-check audit verify",
			log_path, cp_path);
		goto done;
	}
	if ((r = range_set_proof(proof, &incl)) < 0) {
		r = pc_error_set(err, r, "cannot build the proof");
		goto done;
	}
print:
	if (!(b64 = pc_base64_encode((unsigned char *)record, strlen(record)))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	pc_buf_printf(out, "%s\nextra %s\nindex %llu\n", PROOF_HEADER, b64, (unsigned long long)index);
	for (i = 0; i < incl.n; i++) {
		char *h = pc_base64_encode(proof[i], PC_HASH_LEN);
		if (!h) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		pc_buf_printf(out, "%s\n", h);
		free(h);
	}
	pc_buf_putc(out, '\n');
	pc_buf_put(out, note, note_len);
	r = pc_buf_error(out) ? pc_error_set(err, PC_ENOMEM, "out of memory") : 0;
done:
	range_set_release(&incl);
	pc_audit_reader_free(rd);
	pc_checkpoint_release(&cp);
	free(cp_path);
	free(note);
	free(b64);
	free(record);
	return r;
}

/* The next line of s at *pos (without newline); -1 when none is left. */
static int next_line(const char **line, size_t *len, const char *s, size_t n, size_t *pos)
{
	const char *nl;

	if (*pos >= n)
		return -1;
	*line = s + *pos;
	if (!(nl = memchr(*line, '\n', n - *pos)))
		return -1;
	*len = (size_t)(nl - *line);
	*pos += *len + 1;
	return 0;
}

int pc_audit_check_proof(uint64_t *index, pc_checkpoint *cp, pc_buf *record_out,
	const pc_note_verifier *v, const char *proof, size_t len,
	const char *record, size_t record_len, const char *trusted_cp, size_t trusted_len,
	pc_error *err)
{
	unsigned char hashes[PC_MERKLE_MAX_PROOF][PC_HASH_LEN], leaf[PC_HASH_LEN];
	unsigned char *extra = NULL, *h = NULL;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_checkpoint trusted;
	size_t extra_len = 0, hlen, pos = 0, nh = 0, l;
	const char *line;
	uint64_t idx = 0, seq;
	int r = PC_EINVAL;

	*index = 0;
	memset(cp, 0, sizeof(*cp));
	memset(&trusted, 0, sizeof(trusted));
	if (len > PC_NOTE_MAX + 64 * PC_MERKLE_MAX_PROOF + 2 * PC_AUDIT_LINE_MAX)
		return pc_error_set(err, PC_ELIMIT, "proof is too large");
	if (next_line(&line, &l, proof, len, &pos) < 0 || l != strlen(PROOF_HEADER) ||
	    memcmp(line, PROOF_HEADER, l))
		return pc_error_set(err, PC_EINVAL, "not a proof: the first line must be %s", PROOF_HEADER);
	if (next_line(&line, &l, proof, len, &pos) < 0)
		return pc_error_set(err, PC_EINVAL, "not a proof: it ends after the first line");
	if (l > 6 && !memcmp(line, "extra ", 6)) {
		if (pc_base64_decode(&extra, &extra_len, line + 6, l - 6) < 0)
			return pc_error_set(err, PC_EINVAL, "not a proof: the extra data is not base64");
		if (next_line(&line, &l, proof, len, &pos) < 0) {
			r = pc_error_set(err, PC_EINVAL, "not a proof: no index line");
			goto done;
		}
	}
	if (l < 7 || memcmp(line, "index ", 6) || (line[6] == '0' && l > 7) || l > 6 + 20) {
		r = pc_error_set(err, PC_EINVAL, "not a proof: expected \"index N\" with N in decimal");
		goto done;
	}
	for (line += 6, l -= 6; l; line++, l--) {
		if (*line < '0' || *line > '9' || idx > (UINT64_MAX - (uint64_t)(*line - '0')) / 10) {
			r = pc_error_set(err, PC_EINVAL, "not a proof: invalid index");
			goto done;
		}
		idx = idx * 10 + (uint64_t)(*line - '0');
	}
	for (;;) {
		if (next_line(&line, &l, proof, len, &pos) < 0) {
			r = pc_error_set(err, PC_EINVAL, "not a proof: no blank line before the checkpoint");
			goto done;
		}
		if (l == 0)
			break;
		if (nh == 64 || pc_base64_decode(&h, &hlen, line, l) < 0 || hlen != PC_HASH_LEN) {
			r = pc_error_set(err, PC_EINVAL, "not a proof: line %zu is not a base64 SHA-256 hash", nh + 1);
			goto done;
		}
		memcpy(hashes[nh++], h, PC_HASH_LEN);
		free(h);
		h = NULL;
	}
	if ((r = pc_checkpoint_open(cp, v, proof + pos, len - pos, err)) < 0) {
		pc_error_prefix(err, "the proof's checkpoint");
		goto done;
	}
	if (trusted_cp) {
		if ((r = pc_checkpoint_open(&trusted, v, trusted_cp, trusted_len, err)) < 0) {
			pc_error_prefix(err, "the checkpoint given");
			goto done;
		}
		if (trusted.size != cp->size || memcmp(trusted.root, cp->root, PC_HASH_LEN)) {
			r = pc_error_set(err, PC_EVERIFY, "the proof is for tree size %llu, the checkpoint given "
				"is for size %llu%s", (unsigned long long)cp->size, (unsigned long long)trusted.size,
				trusted.size == cp->size ? " with another root: the log forked" :
				"; ask for a proof against your checkpoint");
			goto done;
		}
	}
	if (record) {
		if (record_len && record[record_len - 1] == '\n')
			record_len--;
		if (extra && (extra_len != record_len || memcmp(extra, record, record_len))) {
			r = pc_error_set(err, PC_EVERIFY, "the record given is not the one the proof carries");
			goto done;
		}
	} else if (extra) {
		record = (const char *)extra;
		record_len = extra_len;
	} else {
		r = pc_error_set(err, PC_EINVAL, "the proof carries no record: give it with --record");
		goto done;
	}
	if (memchr(record, '\n', record_len)) {
		r = pc_error_set(err, PC_EINVAL, "a record is one line");
		goto done;
	}
	if ((r = pc_merkle_leaf_hash(leaf, record, record_len)) < 0) {
		r = pc_error_set(err, r, "hashing failed");
		goto done;
	}
	if (pc_merkle_inclusion_verify(leaf, idx, cp->size, (const unsigned char (*)[PC_HASH_LEN])hashes, nh,
		cp->root) < 0) {
		r = pc_error_set(err, PC_EVERIFY, "the inclusion proof does not verify: the record is not "
			"entry %llu of the tree signed at size %llu", (unsigned long long)idx,
			(unsigned long long)cp->size);
		goto done;
	}
	if (pc_audit_line_check(&seq, &doc, record, record_len, err) < 0 || seq != idx) {
		r = pc_error_set(err, PC_EVERIFY, "the logged entry %llu is not a valid record with seq %llu",
			(unsigned long long)idx, (unsigned long long)idx);
		goto done;
	}
	if (record_out && pc_buf_put(record_out, record, record_len) < 0) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	*index = idx;
	r = 0;
done:
	if (r < 0)
		pc_checkpoint_release(cp);
	pc_checkpoint_release(&trusted);
	pc_json_doc_release(&doc);
	free(extra);
	free(h);
	return r;
}

/* Reconcile */

typedef struct ref_state {
	char *ref;
	char *expect;		/* the value the records explain; NULL: deleted or never set */
	char *pending_new, *pending_old;	/* last accepted update not yet committed */
	char *pending_push;	/* its push id: only a void record of that push voids it */
	char *before;		/* what the records explained before the pending accept */
	uint64_t seq;		/* of the record that set expect */
	int known, seen, pending, before_known;
} ref_state;

typedef struct ref_map {
	ref_state *slots;
	size_t cap, n;
	int rt_seen;		/* the reference-transaction hook recorded in this repository */
} ref_map;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static ref_state *ref_map_get(ref_map *m, const char *ref, int create)
{
	size_t i, j;

	if (create && (m->n + 1) * 2 > m->cap) {
		ref_map bigger = { NULL, m->cap ? m->cap * 2 : 64, 0 };
		if (!(bigger.slots = pc_calloc(bigger.cap, sizeof(*bigger.slots))))
			return NULL;
		for (i = 0; i < m->cap; i++) {
			if (!m->slots[i].ref)
				continue;
			for (j = hash_str(m->slots[i].ref) & (bigger.cap - 1); bigger.slots[j].ref;
			     j = (j + 1) & (bigger.cap - 1))
				;
			bigger.slots[j] = m->slots[i];
		}
		free(m->slots);
		m->slots = bigger.slots;
		m->cap = bigger.cap;
	}
	if (!m->cap)
		return NULL;
	for (i = hash_str(ref) & (m->cap - 1); m->slots[i].ref; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->slots[i].ref, ref))
			return &m->slots[i];
	if (!create || !(m->slots[i].ref = pc_strdup(ref)))
		return NULL;
	m->n++;
	return &m->slots[i];
}

static void ref_map_release(ref_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		free(m->slots[i].ref);
		free(m->slots[i].expect);
		free(m->slots[i].pending_new);
		free(m->slots[i].pending_old);
		free(m->slots[i].pending_push);
		free(m->slots[i].before);
	}
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

/* Object ids as compared: NULL for absent or all zeros (a deleted ref). */
static const char *oid_or_null(const char *hex)
{
	const char *p;

	if (!hex)
		return NULL;
	for (p = hex; *p == '0'; p++)
		;
	return *p ? hex : NULL;
}

static int same_oid(const char *a, const char *b)
{
	a = oid_or_null(a);
	b = oid_or_null(b);
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int set_str(char **dst, const char *src)
{
	char *copy = NULL;

	src = oid_or_null(src);
	if (src && !(copy = pc_strdup(src)))
		return PC_ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static const char *short_oid(char buf[12], const char *hex)
{
	hex = oid_or_null(hex);
	if (!hex)
		return "(deleted)";
	snprintf(buf, 12, "%.10s", hex);
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *real_dir(const char *path)
{
	char buf[PATH_MAX];
	size_t n;

	if (!realpath(path, buf))
		return NULL;
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return pc_strdup(buf);
}

typedef struct repo_match {
	char *paths[2];
	pc_strlist others;	/* repo strings seen that are not this repository */
	pc_strlist same;	/* repo strings seen that are */
} repo_match;

static int is_this_repo(repo_match *m, const char *repo)
{
	char *real;
	int yes;

	if (!repo)
		return 0;
	if ((m->paths[0] && !strcmp(repo, m->paths[0])) || (m->paths[1] && !strcmp(repo, m->paths[1])) ||
	    pc_strlist_has(&m->same, repo))
		return 1;
	if (pc_strlist_has(&m->others, repo))
		return 0;
	/* The records may name the repository through a symlink or with a trailing slash. */
	real = real_dir(repo);
	yes = real && ((m->paths[0] && !strcmp(real, m->paths[0])) || (m->paths[1] && !strcmp(real, m->paths[1])));
	free(real);
	pc_strlist_add(yes ? &m->same : &m->others, repo);
	return yes;
}

static int reconcile_record(pc_strlist *findings, ref_map *map, const pc_audit_entry *e, const char *log)
{
	char a[12], b[12];
	ref_state *st;
	int decided, accepted, voided, committed, aborted;

	if (!e->ref || !e->hook || !e->decision)
		return 0;
	/*
	 * A baseline (policy-check install adopting a repository) explains the
	 * ref's value at that time, as an applied acceptance would.
	 */
	if (!strcmp(e->hook, "install") && !strcmp(e->decision, "baseline") && e->op &&
	    !strcmp(e->op, "baseline")) {
		if (!(st = ref_map_get(map, e->ref, 1)))
			return PC_ENOMEM;
		st->known = 1;
		st->pending = 0;
		st->seq = e->seq;
		return set_str(&st->expect, e->new_hex);
	}
	decided = !strcmp(e->hook, "pre-receive") || !strcmp(e->hook, "update");
	accepted = decided && !strcmp(e->decision, "accept");
	/* a void record: the append of the accept failed late, and the hook rejected the update */
	voided = decided && !strcmp(e->decision, "void");
	committed = !strcmp(e->hook, "reference-transaction") && !strcmp(e->decision, "committed");
	aborted = !strcmp(e->hook, "reference-transaction") && !strcmp(e->decision, "aborted");
	/*
	 * The update hook runs for each ref after pre-receive, before git
	 * writes it: its rejection of the very update pre-receive accepted
	 * (a hook of the repository's own in update.d refused it) means the
	 * ref stayed at its old value.
	 */
	if (!strcmp(e->hook, "update") && !strcmp(e->decision, "reject")) {
		st = ref_map_get(map, e->ref, 0);
		if (st && st->pending && same_oid(st->pending_new, e->new_hex) &&
		    same_oid(st->pending_old, e->old_hex)) {
			st->seq = e->seq;
			if (set_str(&st->expect, st->pending_old) < 0)
				return PC_ENOMEM;
			st->pending = 0;
		}
		return 0;
	}
	if (!accepted && !voided && !committed && !aborted)
		return 0;
	/*
	 * git deletes a loose ref in a second, packed-refs transaction that
	 * goes from nothing to nothing; older logs recorded it as aborted.
	 */
	if ((committed || aborted) && !oid_or_null(e->old_hex) && !oid_or_null(e->new_hex))
		return 0;
	if (!(st = ref_map_get(map, e->ref, 1)))
		return PC_ENOMEM;
	if (committed || aborted)
		map->rt_seen = 1;
	if (accepted) {
		/*
		 * The state before a run of accepts that git has not (yet) been
		 * seen to apply: the pre-receive and the update hook both accept
		 * the same update, and an accept git refused leaves the ref there.
		 */
		if (!st->pending) {
			st->before_known = st->known;
			if (set_str(&st->before, st->expect) < 0)
				return PC_ENOMEM;
		}
		st->known = 1;
		st->pending = 1;
		st->seq = e->seq;
		if (set_str(&st->expect, e->new_hex) < 0 || set_str(&st->pending_new, e->new_hex) < 0 ||
		    set_str(&st->pending_old, e->old_hex) < 0)
			return PC_ENOMEM;
		free(st->pending_push);
		st->pending_push = NULL;
		if (e->push && !(st->pending_push = pc_strdup(e->push)))
			return PC_ENOMEM;
		return 0;
	}
	if (voided && (!e->push || !st->pending_push || strcmp(e->push, st->pending_push)))
		return 0;
	if (st->pending && same_oid(st->pending_new, e->new_hex)) {
		/*
		 * The transaction git ran for an accepted update, or the void of
		 * that acceptance; if it failed, or was voided, the ref stayed put.
		 */
		if (aborted || voided) {
			st->seq = e->seq;
			if (set_str(&st->expect, st->pending_old) < 0)
				return PC_ENOMEM;
		}
		st->pending = 0;
		return 0;
	}
	if (aborted || voided)
		return 0;
	return add_problem(findings, "%s:%llu: %s was committed %s..%s with no accepted decision before it",
		log, (unsigned long long)e->seq + 1, e->ref, short_oid(a, e->old_hex), short_oid(b, e->new_hex));
}

/* The commit a branch of repo is at, or NULL (absent, or no commit). */
static const git_oid *branch_commit(git_oid *out, git_repository *repo, const char *ref)
{
	git_object *obj = NULL, *commit = NULL;
	git_oid id;
	int ok;

	ok = git_reference_name_to_id(&id, repo, ref) == 0 &&
		git_object_lookup(&obj, repo, &id, GIT_OBJECT_ANY) == 0 &&
		git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0;
	if (ok)
		git_oid_cpy(out, git_object_id(commit));
	git_object_free(commit);
	git_object_free(obj);
	git_error_clear();
	return ok ? out : NULL;
}

static int on_branch(git_repository *repo, const git_oid *tip, const git_oid *id)
{
	int r;

	if (!tip)
		return 0;
	if (git_oid_equal(tip, id))
		return 1;
	r = git_graph_descendant_of(repo, tip, id) == 1;
	git_error_clear();
	return r;
}

/*
 * The follow-ups an accepted hotfix record still leaves: of its commits
 * still on its branch, those not yet on every branch of its follow_up.
 * A commit that is no longer on the branch (the push was aborted or
 * voided, or the branch was rewritten since) leaves none.
 */
static int hotfix_follow_up(pc_strlist *out, pc_strlist *seen, git_repository *repo, const pc_audit_entry *e,
	const char *log)
{
	pc_strlist missing = PC_STRLIST_INIT;
	pc_buf text = PC_BUF_INIT, ref = PC_BUF_INIT;
	git_oid target_at, *tips = NULL, id;
	const git_oid *target;
	unsigned char *lacks = NULL;
	size_t i, j, n = 0;
	int r = PC_ENOMEM, any;

	/* the pre-receive and the update hook may both have accepted the same update (ref, new) */
	pc_buf_printf(&ref, "%s %s", e->ref, e->new_hex ? e->new_hex : "-");
	if (pc_buf_error(&ref))
		goto done;
	if (pc_strlist_has(seen, ref.ptr) || !(target = branch_commit(&target_at, repo, e->ref))) {
		r = 0;
		goto done;
	}
	if (pc_strlist_add(seen, ref.ptr) < 0)
		goto done;
	if (e->hotfix_follow_up.n && (!(tips = pc_calloc(e->hotfix_follow_up.n, sizeof(*tips))) ||
	    !(lacks = pc_calloc(e->hotfix_follow_up.n, 1))))
		goto done;
	for (j = 0; j < e->hotfix_follow_up.n; j++) {
		pc_buf_clear(&ref);
		pc_buf_printf(&ref, "refs/heads/%s", e->hotfix_follow_up.items[j]);
		if (pc_buf_error(&ref))
			goto done;
		branch_commit(&tips[j], repo, ref.ptr);	/* stays zero when absent */
	}
	for (i = 0; i < e->hotfix_commits.n; i++) {
		if (git_oid_fromstr(&id, e->hotfix_commits.items[i]) < 0 || !on_branch(repo, target, &id)) {
			git_error_clear();
			continue;
		}
		for (j = 0, any = 0; j < e->hotfix_follow_up.n; j++)
			if (!on_branch(repo, git_oid_is_zero(&tips[j]) ? NULL : &tips[j], &id))
				lacks[j] = any = 1;
		n += any;
	}
	for (j = 0; j < e->hotfix_follow_up.n; j++)
		if (lacks[j] && pc_strlist_add(&missing, e->hotfix_follow_up.items[j]) < 0)
			goto done;
	r = 0;
	if (!n)
		goto done;
	pc_hotfix_text(&text, &e->hotfix_branches, n, e->ref, &missing);
	r = pc_buf_error(&text) ? PC_ENOMEM :
		add_problem(out, "%s:%llu: follow-up: %s", log, (unsigned long long)e->seq + 1, text.ptr);
done:
	free(tips);
	free(lacks);
	pc_strlist_clear(&missing);
	pc_buf_release(&text);
	pc_buf_release(&ref);
	return r;
}

/*
 * An accept git has not been seen to apply, while the reference-transaction
 * hook records what git does in this repository, and the ref still at what
 * the records before that accept explain (hex: its value; NULL: it does not
 * exist): git, or a hook after policy-check (gitolite's update hook, a
 * pre-receive later in a chain), refused the update, or the hook failed
 * after the accept was written and before its void was.  Either way the
 * ref is explained.  The accept's own OLD, which the pusher chose, counts
 * for nothing here.
 */
static int not_applied(const ref_state *st, const ref_map *map, const char *hex)
{
	if (!st->pending || !map->rt_seen)
		return 0;
	if (!hex)
		return !st->before_known || !oid_or_null(st->before);
	return st->before_known && same_oid(st->before, hex);
}

int pc_audit_reconcile(pc_strlist *findings, const char *repo_dir, const char *log_path, pc_error *err)
{
	return pc_audit_reconcile_notes(findings, NULL, repo_dir, log_path, err);
}

int pc_audit_reconcile_notes(pc_strlist *findings, pc_strlist *notes, const char *repo_dir, const char *log_path,
	pc_error *err)
{
	git_repository *repo = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	pc_audit_reader *rd = NULL;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_audit_entry e;
	pc_strlist refs_out = PC_STRLIST_INIT, follow_ups = PC_STRLIST_INIT, hotfixes = PC_STRLIST_INIT;
	pc_error lerr = PC_ERROR_INIT;
	repo_match m;
	ref_map map = { NULL, 0, 0, 0 };
	ref_state *st;
	const char *line;
	char hex[GIT_OID_HEXSZ + 1], a[12], b[12];
	size_t len, i;
	uint64_t lineno = 0, signed_size = 0;
	int complete, r, have_signed;

	memset(&m, 0, sizeof(m));
	if ((r = pc_repo_open(&repo, repo_dir, &lerr)) < 0)
		return r == PC_EUNSAFE ? pc_error_set(err, r, "%s: %s", repo_dir, lerr.msg) :
			pc_error_set(err, PC_ENOTFOUND, "%s: not a git repository: %s", repo_dir, lerr.msg);
	m.paths[0] = real_dir(repo_dir);
	m.paths[1] = real_dir(git_repository_path(repo));
	/* lines after the signed size are no records: the next append moves aside what it did not write */
	if ((r = pc_audit_signed_size(&signed_size, log_path, err)) < 0)
		goto done;
	have_signed = r;
	if ((r = pc_audit_reader_open(&rd, log_path, err)) < 0)
		goto done;
	while ((!have_signed || lineno < signed_size) &&
	       (r = pc_audit_reader_next(rd, &line, &len, &complete, err)) > 0) {
		lineno++;
		if (!complete)
			break;
		if (pc_audit_entry_parse(&e, &doc, line, len, &lerr) < 0) {
			if (lerr.code == PC_ENOMEM) {
				r = pc_error_set(err, PC_ENOMEM, "out of memory");
				goto done;
			}
			if ((r = add_problem(findings, "%s:%llu: not a valid record (%s); run policy-check audit verify",
				log_path, (unsigned long long)lineno, lerr.msg)) < 0)
				goto nomem;
			continue;
		}
		r = is_this_repo(&m, e.repo) ? reconcile_record(findings, &map, &e, log_path) : 0;
		if (r == 0 && e.hotfix_commits.n && e.ref && e.hook && e.decision && !strcmp(e.decision, "accept") &&
		    (!strcmp(e.hook, "pre-receive") || !strcmp(e.hook, "update")) && is_this_repo(&m, e.repo))
			r = hotfix_follow_up(&follow_ups, &hotfixes, repo, &e, log_path);
		pc_audit_entry_release(&e);
		if (r < 0)
			goto nomem;
	}
	if (r < 0)
		goto done;

	if (git_reference_iterator_new(&it, repo) < 0) {
		r = pc_error_set(err, PC_EIO, "%s: cannot list references: %s", repo_dir,
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	while ((r = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		/*
		 * refs/meta/policy-check is the hooks' own (the published
		 * policy): no push sets it, and no decision reads it.
		 */
		if (git_reference_type(ref) != GIT_REFERENCE_DIRECT ||
		    !strcmp(name, "refs/meta/policy-check")) {
			git_reference_free(ref);
			continue;
		}
		git_oid_tostr(hex, sizeof(hex), git_reference_target(ref));
		st = ref_map_get(&map, name, 0);
		if (st)
			st->seen = 1;
		if (!st || !st->known)
			r = add_problem(&refs_out, "%s is at %s, but no accepted record sets it", name,
				short_oid(a, hex));
		else if (!same_oid(st->expect, hex) && not_applied(st, &map, hex))
			r = notes ? add_problem(notes, "%s: accepted in %s:%llu%s%s%s but not applied: the ref is still at %s; "
				"git or another hook refused it", name, log_path, (unsigned long long)st->seq + 1,
				st->pending_push ? " (push " : "", st->pending_push ? st->pending_push : "",
				st->pending_push ? ")" : "", short_oid(a, hex)) : 0;
		else if (!same_oid(st->expect, hex))
			r = add_problem(&refs_out, "%s is at %s, but its last accepted record (%s:%llu) leaves it at %s",
				name, short_oid(a, hex), log_path, (unsigned long long)st->seq + 1,
				short_oid(b, st->expect));
		else
			r = 0;
		git_reference_free(ref);
		if (r < 0)
			goto nomem;
	}
	if (r != GIT_ITEROVER) {
		r = pc_error_set(err, PC_EIO, "%s: cannot list references: %s", repo_dir,
			git_error_last() ? git_error_last()->message : "unknown error");
		goto done;
	}
	for (i = 0; i < map.cap; i++) {
		st = &map.slots[i];
		if (st->ref && st->known && !st->seen && st->expect && not_applied(st, &map, NULL)) {
			if (notes && add_problem(notes, "%s: accepted in %s:%llu%s%s%s but not applied: the ref still does "
				"not exist; git or another hook refused it", st->ref, log_path,
				(unsigned long long)st->seq + 1, st->pending_push ? " (push " : "",
				st->pending_push ? st->pending_push : "", st->pending_push ? ")" : "") < 0)
				goto nomem;
		} else if (st->ref && st->known && !st->seen && st->expect &&
		    add_problem(&refs_out, "%s does not exist, but its last accepted record (%s:%llu) leaves it at %s",
			st->ref, log_path, (unsigned long long)st->seq + 1, short_oid(a, st->expect)) < 0)
			goto nomem;
	}
	if (refs_out.n)
		qsort(refs_out.items, refs_out.n, sizeof(*refs_out.items), cmp_str);
	if (notes && notes->n)
		qsort(notes->items, notes->n, sizeof(*notes->items), cmp_str);
	for (i = 0; i < refs_out.n; i++)
		if (pc_strlist_add(findings, refs_out.items[i]) < 0)
			goto nomem;
	/* then the back-merges accepted hotfixes still wait for, in log order */
	for (i = 0; i < follow_ups.n; i++)
		if (pc_strlist_add(findings, follow_ups.items[i]) < 0)
			goto nomem;
	r = 0;
	goto done;
nomem:
	r = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	git_reference_iterator_free(it);
	git_repository_free(repo);
	pc_audit_reader_free(rd);
	pc_json_doc_release(&doc);
	pc_strlist_clear(&refs_out);
	pc_strlist_clear(&follow_ups);
	pc_strlist_clear(&hotfixes);
	pc_strlist_clear(&m.others);
	pc_strlist_clear(&m.same);
	free(m.paths[0]);
	free(m.paths[1]);
	ref_map_release(&map);
	return r;
}
