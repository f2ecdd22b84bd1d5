/*
 * cmd-audit-report.c: policy-check audit report, the auditor's evidence:
 * per environment every change that went live in a period, who pushed it,
 * what it brought, the approvals that counted, break-glass and dry-run
 * marked, the rejected attempts, and the changes that reached a ref with
 * no accepted decision; with the proof that the log verifies and an
 * inclusion proof for every record the report cites.
 *
 * The log is read three times and never held in memory: audit verify's
 * pass, a pass that hashes every line and picks the records to cite
 * (their offsets only), and the rendering, which reads each cited line
 * again and checks it against its leaf hash.  Every string of a record is
 * hostile: HTML goes through html_text(), CSV through csv_cell(), JSON
 * through pc_json_put_cstring().
 */
#include "config.h"
#include "cmd-audit.h"
#include "audit.h"
#include "buf.h"
#include "json.h"
#include "merkle.h"
#include "note.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#define OPT(k) (CMD_LONG_ONLY + (k))

static const cmd_opt report_opts[] = {
	{ OPT(0), 0, "vkey", "FILE|KEY", "the verifier key (a file, or the key itself)" },
	{ OPT(1), 0, "checkpoint", "FILE", "the auditor's saved checkpoint the log must extend" },
	{ OPT(2), 0, "repo", "DIR", "the repository: commit subjects, authors, changed paths, reconcile" },
	{ OPT(3), 0, "since", "TIME", "only changes from TIME on (YYYY-MM-DD[THH:MM:SSZ], or 1h, 7d ago)" },
	{ OPT(4), 0, "until", "TIME", "only changes up to TIME (as --since)" },
	{ OPT(5), 0, "environment", "ENV", "a branch, ref glob or Pattern3 overlay (repeatable; default every branch)" },
	{ OPT(6), 0, "format", "F", "html (default), csv or json" },
	CMD_OPTS_END
};

const cmd_spec cmd_audit_report_spec = {
	"audit report",
	"audit report    --vkey FILE|KEY [--checkpoint FILE] [--repo DIR] [--since TIME] [--until TIME] "
	"[--environment ENV]... [--format html|csv|json] LOG",
	"write the auditor's evidence report of a verified log (HTML, CSV or JSON)", report_opts, NULL
};

enum { FMT_HTML, FMT_CSV, FMT_JSON };
enum { K_CHANGE, K_REJECT, K_NODECISION, K_NKINDS };
#define F_BREAK_GLASS 0x1u
#define F_DRY_RUN 0x2u
#define F_APPLIED 0x4u
#define F_ABORTED 0x8u
#define NO_SEQ UINT64_MAX
#define MAX_ENVS 64
#define MAX_COMMITS_SHOWN 20
#define MAX_PATHS_SHOWN 10
#define TIMELINE_MARKS 2000	/* more marks than this: a histogram */

/* A record the report cites: where its line is, and what it is. */
typedef struct cited {
	uint64_t seq, offset, tx_seq;	/* tx_seq: its committed or aborted record */
	int64_t ms;
	uint32_t len, env;
	unsigned char kind, flags;
} cited;

/*
 * The last decision on one ref of one repository ("REPO\nREF"); in the
 * map of environment names, pending is the environment's index + 1.
 */
typedef struct ref_slot {
	char *key, *push, *new_hex, *decision, *hook;
	size_t pending;		/* index in cited + 1 of an accepted change awaiting its transaction */
	char *pending_new;
	int waiting;
	int env_known;		/* the ref alone decided its environment: env */
	int env;
} ref_slot;

typedef struct slot_map {
	ref_slot *slots;
	size_t n, cap;
} slot_map;

typedef struct day_count {
	char day[11];
	uint64_t n[K_NKINDS], break_glass;
} day_count;

typedef struct report {
	const char *log, *cp_path, *old_cp_path, *repo_dir;
	int format, have_since, have_until;
	int64_t since_ms, until_ms;
	const char *envs[MAX_ENVS];
	size_t nenvs;
	pc_strlist env_names;	/* the environments that have records, by index */
	slot_map env_map;	/* their names */
	size_t *env_start;	/* after sorting: the cites of env k are [env_start[k], env_start[k + 1]) */

	pc_audit_verify_result vres;
	int verified;
	pc_checkpoint cp;	/* the log's checkpoint, when its signature verified */
	char *cp_text;

	cited *cites;
	size_t ncites, acites;
	slot_map refs;
	pc_strlist voids;
	day_count *days;
	size_t ndays, adays;

	/* the Merkle tree of the signed records, one level per row */
	unsigned char (*level[65])[PC_HASH_LEN];
	uint64_t level_len[65];
	unsigned nlevels;

	git_repository *repo;
	int fd;
	pc_buf out;
	int write_failed;
} report;

/* ---- output ------------------------------------------------------------ */

static void flush_out(report *r, int force)
{
	if (!force && r->out.len < (1u << 16))
		return;
	if (r->out.len && fwrite(r->out.ptr, 1, r->out.len, stdout) != r->out.len)
		r->write_failed = 1;
	pc_buf_clear(&r->out);
}

/* Printable ASCII without a backslash: shown as it is (the common case, no copy). */
static int plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '\\')
			return 0;
	return 1;
}

/*
 * The one HTML escaper: text as audit show shows it (control bytes,
 * invalid UTF-8 and bidi overrides as visible escapes), then & < > " ' as
 * entities, so that it is safe in element content and in quoted attributes.
 */
static void html_text(pc_buf *out, const char *s)
{
	pc_buf shown = PC_BUF_INIT;
	const char *p;

	if (!s)
		s = "";
	if (plain_ascii(s))
		p = s;
	else
		cmd_audit_put_display(&shown, s), p = shown.ptr;
	for (; *p; p++) {
		switch (*p) {
		case '&': pc_buf_puts(out, "&amp;"); break;
		case '<': pc_buf_puts(out, "&lt;"); break;
		case '>': pc_buf_puts(out, "&gt;"); break;
		case '"': pc_buf_puts(out, "&quot;"); break;
		case '\'': pc_buf_puts(out, "&#39;"); break;
		default: pc_buf_putc(out, *p);
		}
	}
	if (pc_buf_error(&shown))
		pc_buf_puts(out, "(out of memory)");
	pc_buf_release(&shown);
}

/*
 * One CSV cell (RFC 4180): always quoted, quotes doubled.  Text is shown as
 * audit show shows it, so a record cannot break the row with a newline.  A
 * cell that starts with = + - @ (or a tab or carriage return) would be a
 * formula to a spreadsheet: it gets a leading apostrophe (OWASP's advice).
 */
static void csv_cell(pc_buf *out, const char *s, int first)
{
	pc_buf shown = PC_BUF_INIT;
	const char *p;

	if (!first)
		pc_buf_putc(out, ',');
	pc_buf_putc(out, '"');
	if (!s)
		s = "";
	if (plain_ascii(s))
		p = s;
	else
		cmd_audit_put_display(&shown, s), p = shown.ptr;
	if (*p && strchr("=+-@\t\r", *p))
		pc_buf_putc(out, '\'');
	for (; *p; p++) {
		if (*p == '"')
			pc_buf_putc(out, '"');
		pc_buf_putc(out, *p);
	}
	pc_buf_putc(out, '"');
	pc_buf_release(&shown);
}

static void json_key(pc_buf *out, const char *key)
{
	pc_json_put_cstring(out, key);
	pc_buf_putc(out, ':');
}

static void json_str(pc_buf *out, const char *key, const char *value, int comma)
{
	if (comma)
		pc_buf_putc(out, ',');
	json_key(out, key);
	if (value)
		pc_json_put_cstring(out, value);
	else
		pc_buf_puts(out, "null");
}

static const char *short_hex(char buf[12], const char *hex)
{
	const char *p;

	for (p = hex; p && *p == '0'; p++)
		;
	if (!hex || !*p)
		return "0000000";
	snprintf(buf, 12, "%.10s", hex);
	return buf;
}

/* ---- the Merkle tree of the signed records ------------------------------ */

static int tree_add_leaf(report *r, const unsigned char leaf[PC_HASH_LEN], uint64_t idx)
{
	if (idx >= r->level_len[0])
		return 0;
	memcpy(r->level[0][idx], leaf, PC_HASH_LEN);
	return 0;
}

static int tree_build(report *r)
{
	unsigned k;
	uint64_t i;
	int e;

	for (k = 0; r->level_len[k] >= 2; k++) {
		r->level_len[k + 1] = r->level_len[k] / 2;
		if (!(r->level[k + 1] = pc_calloc(r->level_len[k + 1], PC_HASH_LEN)))
			return PC_ENOMEM;
		for (i = 0; i < r->level_len[k + 1]; i++)
			if ((e = pc_merkle_node_hash(r->level[k + 1][i], r->level[k][2 * i], r->level[k][2 * i + 1])) < 0)
				return e;
	}
	r->nlevels = k + 1;
	return 0;
}

/* The root of leaves [b, e) of the tree (RFC 6962 shape). */
static int tree_range_root(unsigned char out[PC_HASH_LEN], const report *r, uint64_t b, uint64_t e)
{
	unsigned char left[PC_HASH_LEN], right[PC_HASH_LEN];
	uint64_t size = e - b, split = 1;
	unsigned k = 0;
	int rc;

	while (((uint64_t)1 << k) < size)
		k++;
	if (((uint64_t)1 << k) == size && b % size == 0 && k < r->nlevels) {
		memcpy(out, r->level[k][b >> k], PC_HASH_LEN);
		return 0;
	}
	while (split * 2 < size)
		split *= 2;
	if ((rc = tree_range_root(left, r, b, b + split)) < 0 || (rc = tree_range_root(right, r, b + split, e)) < 0)
		return rc;
	return pc_merkle_node_hash(out, left, right);
}

/* The inclusion proof of record idx under the checkpoint; 1 when it verifies. */
static int tree_proof(unsigned char (*proof)[PC_HASH_LEN], size_t *n, const report *r, uint64_t idx)
{
	pc_merkle_range ranges[PC_MERKLE_MAX_PROOF];
	size_t i;

	if (!r->verified || idx >= r->level_len[0] ||
	    pc_merkle_inclusion_ranges(ranges, n, idx, r->level_len[0]) < 0)
		return 0;
	for (i = 0; i < *n; i++)
		if (tree_range_root(proof[i], r, ranges[i].begin, ranges[i].end) < 0)
			return 0;
	return pc_merkle_inclusion_verify(r->level[0][idx], idx, r->level_len[0],
		(const unsigned char (*)[PC_HASH_LEN])proof, *n, r->cp.root) == 0;
}

/* ---- choosing the records --------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static ref_slot *slot_get(slot_map *m, const char *key)
{
	size_t i, j;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		ref_slot *bigger = pc_calloc(cap, sizeof(*bigger));
		if (!bigger)
			return NULL;
		for (i = 0; i < m->cap; i++) {
			if (!m->slots[i].key)
				continue;
			for (j = hash_str(m->slots[i].key) & (cap - 1); bigger[j].key; j = (j + 1) & (cap - 1))
				;
			bigger[j] = m->slots[i];
		}
		free(m->slots);
		m->slots = bigger;
		m->cap = cap;
	}
	for (i = hash_str(key) & (m->cap - 1); m->slots[i].key; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->slots[i].key, key))
			return &m->slots[i];
	if (!(m->slots[i].key = pc_strdup(key)))
		return NULL;
	m->n++;
	return &m->slots[i];
}

static void slot_map_release(slot_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		free(m->slots[i].key);
		free(m->slots[i].push);
		free(m->slots[i].new_hex);
		free(m->slots[i].decision);
		free(m->slots[i].hook);
		free(m->slots[i].pending_new);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static int set_copy(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && !(copy = pc_strdup(src)))
		return PC_ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static int is_zero_oid(const char *hex)
{
	if (!hex)
		return 1;
	for (; *hex == '0'; hex++)
		;
	return !*hex;
}

static int same(const char *a, const char *b)
{
	if (is_zero_oid(a) || is_zero_oid(b))
		return is_zero_oid(a) && is_zero_oid(b);
	return !strcmp(a, b);
}

/* The paths a change touched (old..new in the repository); NULL repo: none. */
static int changed_paths(pc_strlist *paths, size_t *count, git_repository *repo, const char *old_hex,
	const char *new_hex, size_t keep)
{
	git_oid o, n;
	git_commit *oc = NULL, *nc = NULL;
	git_tree *ot = NULL, *nt = NULL;
	git_diff *diff = NULL;
	size_t i, nd;
	int r = 0;

	*count = 0;
	if (!repo || is_zero_oid(new_hex) || git_oid_fromstr(&n, new_hex) < 0 ||
	    git_commit_lookup(&nc, repo, &n) < 0 || git_commit_tree(&nt, nc) < 0)
		goto done;
	if (!is_zero_oid(old_hex) && (git_oid_fromstr(&o, old_hex) < 0 || git_commit_lookup(&oc, repo, &o) < 0 ||
	    git_commit_tree(&ot, oc) < 0))
		goto done;
	if (git_diff_tree_to_tree(&diff, repo, ot, nt, NULL) < 0)
		goto done;
	nd = git_diff_num_deltas(diff);
	*count = nd;
	for (i = 0; i < nd && paths->n < keep; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		if ((r = pc_strlist_add(paths, d->new_file.path ? d->new_file.path : d->old_file.path)) < 0)
			break;
	}
done:
	git_error_clear();
	git_diff_free(diff);
	git_tree_free(ot);
	git_tree_free(nt);
	git_commit_free(oc);
	git_commit_free(nc);
	return r;
}

/*
 * The environment of a record: with --environment, the first that names
 * its ref, or (with --repo) a Pattern3 overlay the change touched, a
 * path with ENV as one of its folders; without, every branch is one.
 * What the ref alone decides is kept in its slot.  Returns the index in
 * env_names, -1 for none, < -1 on error.
 */
static int env_of(report *r, ref_slot *s, const pc_audit_entry *e)
{
	pc_strlist paths = PC_STRLIST_INIT;
	const char *name = NULL;
	ref_slot *es = NULL;
	size_t i, j, count, n;
	char *pat = NULL;
	int by_ref = 1;

	if (s->env_known)
		return s->env;
	if (!r->nenvs && !strncmp(e->ref, "refs/heads/", 11))
		name = e->ref;
	for (i = 0; !name && i < r->nenvs; i++)
		if (cmd_audit_ref_matches(r->envs[i], e->ref))
			name = r->envs[i];
	if (!name && r->nenvs && r->repo) {
		by_ref = 0;	/* the next change of this ref may touch another overlay */
		if (changed_paths(&paths, &count, r->repo, e->old_hex, e->new_hex, 100000) < 0)
			return -2;
	}
	for (i = 0; !name && i < r->nenvs && paths.n; i++) {
		free(pat);
		if (!(pat = pc_asprintf("/%s/", r->envs[i]))) {
			pc_strlist_clear(&paths);
			return -2;
		}
		n = strlen(r->envs[i]);
		for (j = 0; j < paths.n; j++)
			if ((!strncmp(paths.items[j], r->envs[i], n) && paths.items[j][n] == '/') ||
			    strstr(paths.items[j], pat)) {
				name = r->envs[i];
				break;
			}
	}
	free(pat);
	pc_strlist_clear(&paths);
	if (name) {
		if (!(es = slot_get(&r->env_map, name)))
			return -2;
		if (!es->pending) {
			if (pc_strlist_add(&r->env_names, name) < 0)
				return -2;
			es->pending = r->env_names.n;
		}
	}
	if (by_ref) {
		s->env_known = 1;
		s->env = name ? (int)es->pending - 1 : -1;
	}
	return name ? (int)es->pending - 1 : -1;
}

static int count_day(report *r, const char *time, int kind, int break_glass)
{
	day_count *d = NULL;
	size_t i;

	for (i = r->ndays; i-- > 0;)
		if (!strncmp(r->days[i].day, time, 10)) {
			d = &r->days[i];
			break;
		}
	if (!d) {
		if (pc_grow((void **)&r->days, &r->adays, r->ndays + 1, sizeof(*r->days)) < 0)
			return PC_ENOMEM;
		d = &r->days[r->ndays++];
		memset(d, 0, sizeof(*d));
		snprintf(d->day, sizeof(d->day), "%.10s", time);
	}
	d->n[kind]++;
	d->break_glass += break_glass != 0;
	return 0;
}

static int cite(report *r, const pc_audit_entry *e, int kind, int64_t ms, uint64_t offset, size_t len, int env)
{
	cited *c;

	if (pc_grow((void **)&r->cites, &r->acites, r->ncites + 1, sizeof(*r->cites)) < 0)
		return PC_ENOMEM;
	c = &r->cites[r->ncites++];
	memset(c, 0, sizeof(*c));
	c->seq = e->seq;
	c->offset = offset;
	c->len = (uint32_t)len;
	c->ms = ms;
	c->env = (uint32_t)env;
	c->kind = (unsigned char)kind;
	c->tx_seq = NO_SEQ;
	c->flags = (e->break_glass ? F_BREAK_GLASS : 0) | (e->dry_run ? F_DRY_RUN : 0);
	return count_day(r, e->time, kind, kind == K_CHANGE && e->break_glass);
}

/* One record of the log: does the report cite it, and what does it settle. */
static int consider(report *r, const pc_audit_entry *e, uint64_t offset, size_t len)
{
	ref_slot *s;
	int decided, committed, aborted, in_period, env, rc;
	int64_t ms = 0;
	char *key;

	if (!e->ref || !e->hook || !e->decision)
		return 0;
	decided = !strcmp(e->hook, "pre-receive") || !strcmp(e->hook, "update");
	committed = !strcmp(e->hook, "reference-transaction") && !strcmp(e->decision, "committed");
	aborted = !strcmp(e->hook, "reference-transaction") && !strcmp(e->decision, "aborted");
	if (decided && strcmp(e->decision, "accept") && strcmp(e->decision, "reject"))
		return 0;	/* void records: is_voided() reads them */
	if (!decided && !committed && !aborted)
		return 0;
	if ((committed || aborted) && is_zero_oid(e->old_hex) && is_zero_oid(e->new_hex))
		return 0;	/* the packed-refs half of a deletion */
	if (!(key = pc_asprintf("%s\n%s", e->repo ? e->repo : "", e->ref)))
		return PC_ENOMEM;
	s = slot_get(&r->refs, key);
	free(key);
	if (!s)
		return PC_ENOMEM;
	in_period = e->time && cmd_audit_parse_time(e->time, &ms) == 0 &&
		(!r->have_since || ms >= r->since_ms) && (!r->have_until || ms <= r->until_ms);

	if (decided) {
		/* pre-receive and update both judge each ref of a push: cite the first */
		if (s->push && e->push && !strcmp(s->push, e->push) && same(s->new_hex, e->new_hex) &&
		    !strcmp(s->decision, e->decision) && strcmp(s->hook, e->hook))
			return 0;
		if (set_copy(&s->push, e->push) < 0 || set_copy(&s->new_hex, e->new_hex) < 0 ||
		    set_copy(&s->decision, e->decision) < 0 || set_copy(&s->hook, e->hook) < 0)
			return PC_ENOMEM;
		if (!strcmp(e->decision, "accept")) {
			if (cmd_audit_is_voided(&r->voids, e))
				return 0;	/* taken back: it never went live */
			s->waiting = 1;
			s->pending = 0;
			if (set_copy(&s->pending_new, e->new_hex) < 0)
				return PC_ENOMEM;
		}
		if (!in_period || (env = env_of(r, s, e)) == -1)
			return 0;
		if (env < -1)
			return PC_ENOMEM;
		if ((rc = cite(r, e, strcmp(e->decision, "accept") ? K_REJECT : K_CHANGE, ms, offset, len, env)) < 0)
			return rc;
		if (!strcmp(e->decision, "accept"))
			s->pending = r->ncites;
		return 0;
	}
	if (s->waiting && same(s->pending_new, e->new_hex)) {
		if (s->pending) {
			r->cites[s->pending - 1].tx_seq = e->seq;
			r->cites[s->pending - 1].flags |= committed ? F_APPLIED : F_ABORTED;
		}
		s->waiting = 0;
		s->pending = 0;
		return 0;
	}
	if (aborted || !in_period || (env = env_of(r, s, e)) == -1)
		return 0;
	if (env < -1)
		return PC_ENOMEM;
	return cite(r, e, K_NODECISION, ms, offset, len, env);
}

/* The order of the report: by environment, then without decision, changes, rejections; by record. */
static int cmp_cited(const void *pa, const void *pb)
{
	static const int rank[K_NKINDS] = { 1, 2, 0 };	/* K_CHANGE, K_REJECT, K_NODECISION */
	const cited *a = pa, *b = pb;

	if (a->env != b->env)
		return a->env < b->env ? -1 : 1;
	if (a->kind != b->kind)
		return rank[a->kind] < rank[b->kind] ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int sort_cites(report *r)
{
	size_t i = 0, env;

	if (r->ncites)
		qsort(r->cites, r->ncites, sizeof(*r->cites), cmp_cited);
	if (!(r->env_start = pc_calloc(r->env_names.n + 1, sizeof(*r->env_start))))
		return PC_ENOMEM;
	for (env = 0; env <= r->env_names.n; env++) {
		while (i < r->ncites && r->cites[i].env < env)
			i++;
		r->env_start[env] = i;
	}
	return 0;
}

/* Hash every line, keep the signed ones' leaves, and choose what to cite. */
static int read_log(report *r, pc_error *err)
{
	pc_audit_reader *rd = NULL;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_audit_entry e;
	pc_error lerr = PC_ERROR_INIT;
	unsigned char leaf[PC_HASH_LEN], root[PC_HASH_LEN];
	const char *line;
	size_t len;
	uint64_t idx = 0;
	int complete, rc;

	if ((rc = cmd_audit_collect_voids(&r->voids, r->log, err)) < 0)
		return rc;
	r->level_len[0] = r->verified ? r->cp.size : 0;
	if (r->level_len[0] && !(r->level[0] = pc_calloc(r->level_len[0], PC_HASH_LEN)))
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	if ((rc = pc_audit_reader_open(&rd, r->log, err)) < 0)
		return rc;
	while ((rc = pc_audit_reader_next(rd, &line, &len, &complete, err)) > 0 && complete) {
		/* lines after the signed checkpoint are no records (policy-check-audit(5)) */
		if (r->verified && idx >= r->cp.size)
			break;
		if ((rc = pc_merkle_leaf_hash(leaf, line, len)) < 0 || (rc = tree_add_leaf(r, leaf, idx)) < 0)
			break;
		idx++;
		if (pc_audit_entry_parse(&e, &doc, line, len, &lerr) < 0) {
			if (lerr.code == PC_ENOMEM) {
				rc = PC_ENOMEM;
				break;
			}
			continue;	/* audit verify reported it; the report says the log does not verify */
		}
		rc = consider(r, &e, pc_audit_reader_offset(rd), len);
		pc_audit_entry_release(&e);
		if (rc < 0)
			break;
	}
	pc_audit_reader_free(rd);
	pc_json_doc_release(&doc);
	if (rc < 0)
		return err->code ? rc : pc_error_set(err, rc, "%s: cannot read the log", r->log);
	if (r->level_len[0]) {
		if (idx < r->level_len[0] || (rc = tree_build(r)) < 0 ||
		    (rc = tree_range_root(root, r, 0, r->level_len[0])) < 0 || memcmp(root, r->cp.root, PC_HASH_LEN))
			return pc_error_set(err, PC_EVERIFY, "%s changed while the report was being made; "
				"make the report again", r->log);
	}
	return sort_cites(r) < 0 ? pc_error_set(err, PC_ENOMEM, "out of memory") : 0;
}

/* Read a cited record again, check it is the line that was hashed, and parse it. */
static int load_cited(report *r, const cited *c, pc_audit_entry *e, pc_json_doc *doc, pc_buf *line,
	pc_error *err)
{
	unsigned char leaf[PC_HASH_LEN];
	ssize_t got;

	pc_buf_clear(line);
	if (pc_buf_grow(line, c->len + 1) < 0)
		return pc_error_set(err, PC_ENOMEM, "out of memory");
	got = pread(r->fd, line->ptr, c->len, (off_t)c->offset);
	if (got != (ssize_t)c->len)
		return pc_error_set(err, PC_EIO, "%s: cannot read record %llu again", r->log,
			(unsigned long long)c->seq);
	line->len = c->len;
	line->ptr[c->len] = '\0';
	if (c->seq < r->level_len[0] && (pc_merkle_leaf_hash(leaf, line->ptr, line->len) < 0 ||
	    memcmp(leaf, r->level[0][c->seq], PC_HASH_LEN)))
		return pc_error_set(err, PC_EVERIFY, "%s changed while the report was being made; "
			"make the report again", r->log);
	return pc_audit_entry_parse(e, doc, line->ptr, line->len, err);
}

/* ---- what the repository says about a change --------------------------- */

typedef struct commit_info {
	char hex[GIT_OID_HEXSZ + 1];
	char *subject, *author;
} commit_info;

typedef struct change_info {
	int have;		/* the repository has the new commit */
	size_t ncommits;	/* commits it brought (counted up to 10000) */
	commit_info commits[MAX_COMMITS_SHOWN];
	size_t nshown;
	size_t npaths;
	pc_strlist paths;
} change_info;

static void change_info_release(change_info *ci)
{
	size_t i;

	for (i = 0; i < ci->nshown; i++) {
		free(ci->commits[i].subject);
		free(ci->commits[i].author);
	}
	pc_strlist_clear(&ci->paths);
	memset(ci, 0, sizeof(*ci));
}

static char *first_line(const char *msg)
{
	size_t n = strcspn(msg ? msg : "", "\n");

	return pc_strndup(msg ? msg : "", n);
}

static int describe_change(change_info *ci, git_repository *repo, const pc_audit_entry *e)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	git_oid id, old;
	int rc = 0;

	memset(ci, 0, sizeof(*ci));
	if (!repo || is_zero_oid(e->new_hex) || git_oid_fromstr(&id, e->new_hex) < 0 ||
	    git_commit_lookup(&c, repo, &id) < 0)
		goto done;
	git_commit_free(c);
	c = NULL;
	ci->have = 1;
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, &id) < 0)
		goto done;
	if (!is_zero_oid(e->old_hex) && git_oid_fromstr(&old, e->old_hex) == 0)
		git_revwalk_hide(walk, &old);
	git_error_clear();
	while (ci->ncommits < 10000 && git_revwalk_next(&id, walk) == 0) {
		ci->ncommits++;
		if (ci->nshown == MAX_COMMITS_SHOWN || git_commit_lookup(&c, repo, &id) < 0)
			continue;
		commit_info *ki = &ci->commits[ci->nshown++];
		git_oid_tostr(ki->hex, sizeof(ki->hex), &id);
		ki->subject = first_line(git_commit_message(c));
		ki->author = pc_asprintf("%s <%s>", git_commit_author(c)->name, git_commit_author(c)->email);
		git_commit_free(c);
		c = NULL;
		if (!ki->subject || !ki->author) {
			rc = PC_ENOMEM;
			goto done;
		}
	}
	rc = changed_paths(&ci->paths, &ci->npaths, repo, e->old_hex, e->new_hex, MAX_PATHS_SHOWN);
done:
	git_error_clear();
	git_revwalk_free(walk);
	git_commit_free(c);
	return rc;
}

/* ---- HTML --------------------------------------------------------------- */

static const char html_style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}"
	"h1{font-size:1.6em}h2{border-bottom:1px solid #999;margin-top:2em}"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}"
	"th,td{border:1px solid #bbb;padding:.25em .4em;vertical-align:top;text-align:left}"
	"th{background:#eee}code,.mono{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}"
	".status{font-weight:bold;padding:.5em;border:2px solid}"
	".ok{color:#064;border-color:#064}.bad{color:#fff;background:#b00;border-color:#b00}"
	"tr.break-glass{background:#fde0e0}.mark{font-weight:bold;padding:0 .3em;border-radius:3px}"
	".mark.break-glass{background:#b00;color:#fff}.mark.dry-run{background:#555;color:#fff}"
	".mark.aborted{background:#960;color:#fff}"
	"tr.no-decision{background:#fff0c0}table.no-decision{border:3px solid #c60}"
	"h3.no-decision{color:#c60}ul{margin:0;padding-left:1.2em}"
	"svg{width:100%;height:auto;max-width:60em}"
	"@media print{body{margin:0;font-size:10pt}a{color:inherit;text-decoration:none}"
	"tr,.proof{break-inside:avoid}h2{break-after:avoid}section.env{break-before:page}"
	".status.bad,tr.break-glass,tr.no-decision,.mark{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void html_seq(pc_buf *o, const report *r, uint64_t seq)
{
	if (seq < r->level_len[0])
		pc_buf_printf(o, "<a href=\"#proof-%llu\">%llu</a>", (unsigned long long)seq, (unsigned long long)seq);
	else
		pc_buf_printf(o, "%llu <span class=\"mark aborted\">not covered by the checkpoint</span>",
			(unsigned long long)seq);
}

static void html_change_row(report *r, const cited *c, const pc_audit_entry *e, const change_info *ci)
{
	pc_buf *o = &r->out;
	char a[12], b[12];
	size_t i;

	pc_buf_printf(o, "<tr id=\"rec-%llu\" class=\"%s%s\"><td>", (unsigned long long)c->seq,
		c->kind == K_NODECISION ? "no-decision" : "change",
		c->flags & F_BREAK_GLASS ? " break-glass" : c->flags & F_DRY_RUN ? " dry-run" : "");
	html_seq(o, r, c->seq);
	pc_buf_puts(o, "</td><td>");
	html_text(o, e->time);
	pc_buf_puts(o, "</td><td class=\"mono\">");
	html_text(o, e->ref);
	pc_buf_printf(o, "</td><td class=\"mono\">%s..%s</td><td>", short_hex(a, e->old_hex), short_hex(b, e->new_hex));
	html_text(o, e->pusher ? e->pusher : "-");
	if (e->identity) {
		pc_buf_puts(o, " <small>(");
		html_text(o, e->identity);
		pc_buf_puts(o, ")</small>");
	}
	pc_buf_puts(o, "</td><td>");
	if (c->kind != K_NODECISION) {
		if (!e->napprovals)
			pc_buf_puts(o, "none");
		pc_buf_puts(o, "<ul>");
		for (i = 0; i < e->napprovals; i++) {
			const pc_approval *ap = &e->approvals[i];
			pc_buf_puts(o, "<li>");
			html_text(o, ap->user);
			if (ap->via && !strcmp(ap->via, "signature")) {
				pc_buf_puts(o, ": signature verified, key <code>");
				html_text(o, ap->key);
				pc_buf_puts(o, "</code>");
			} else {
				pc_buf_puts(o, ": as the pusher");
			}
			pc_buf_printf(o, ", for <code>%s</code>", short_hex(a, ap->made_for ? ap->made_for : e->new_hex));
			pc_buf_puts(o, "</li>");
		}
		pc_buf_puts(o, "</ul>");
	} else {
		pc_buf_puts(o, "<strong>no accepted decision</strong>");
	}
	pc_buf_puts(o, "</td><td>");
	if (ci->have) {
		pc_buf_printf(o, "%zu commit%s<ul>", ci->ncommits, ci->ncommits == 1 ? "" : "s");
		for (i = 0; i < ci->nshown; i++) {
			pc_buf_printf(o, "<li><code>%.10s</code> <span class=\"subject\">", ci->commits[i].hex);
			html_text(o, ci->commits[i].subject);
			pc_buf_puts(o, "</span> <small>by ");
			html_text(o, ci->commits[i].author);
			pc_buf_puts(o, "</small></li>");
		}
		if (ci->ncommits > ci->nshown)
			pc_buf_printf(o, "<li>and %zu more</li>", ci->ncommits - ci->nshown);
		pc_buf_printf(o, "</ul>%zu path%s changed<ul>", ci->npaths, ci->npaths == 1 ? "" : "s");
		for (i = 0; i < ci->paths.n; i++) {
			pc_buf_puts(o, "<li><code>");
			html_text(o, ci->paths.items[i]);
			pc_buf_puts(o, "</code></li>");
		}
		if (ci->npaths > ci->paths.n)
			pc_buf_printf(o, "<li>and %zu more</li>", ci->npaths - ci->paths.n);
		pc_buf_puts(o, "</ul>");
	} else {
		pc_buf_puts(o, r->repo ? "not in the repository" : "-");
	}
	pc_buf_puts(o, "</td><td>");
	if (c->flags & F_BREAK_GLASS) {
		pc_buf_puts(o, "<span class=\"mark break-glass\">BREAK-GLASS</span> ");
		html_text(o, e->break_glass);
		pc_buf_puts(o, "<br>");
	}
	if (c->flags & F_DRY_RUN)
		pc_buf_puts(o, "<span class=\"mark dry-run\">DRY-RUN</span><br>");
	for (i = 0; c->flags & (F_DRY_RUN | F_BREAK_GLASS) && i < e->nreasons; i++) {
		pc_buf_puts(o, "overridden: ");
		html_text(o, e->reasons[i].rule);
		pc_buf_puts(o, ": ");
		html_text(o, e->reasons[i].message);
		pc_buf_puts(o, "<br>");
	}
	if (c->flags & F_APPLIED) {
		pc_buf_puts(o, "applied: ");
		html_seq(o, r, c->tx_seq);
	} else if (c->flags & F_ABORTED) {
		pc_buf_puts(o, "<span class=\"mark aborted\">ABORTED</span> by git: ");
		html_seq(o, r, c->tx_seq);
	} else if (c->kind == K_CHANGE) {
		pc_buf_puts(o, "no transaction record");
	} else {
		pc_buf_puts(o, "committed by git with no accepted decision before it");
	}
	pc_buf_puts(o, "</td></tr>\n");
}

static void html_reject_row(report *r, const cited *c, const pc_audit_entry *e)
{
	pc_buf *o = &r->out;
	char a[12], b[12];
	size_t i;

	pc_buf_printf(o, "<tr id=\"rec-%llu\" class=\"reject\"><td>", (unsigned long long)c->seq);
	html_seq(o, r, c->seq);
	pc_buf_puts(o, "</td><td>");
	html_text(o, e->time);
	pc_buf_puts(o, "</td><td class=\"mono\">");
	html_text(o, e->ref);
	pc_buf_printf(o, "</td><td class=\"mono\">%s..%s</td><td>", short_hex(a, e->old_hex), short_hex(b, e->new_hex));
	html_text(o, e->pusher ? e->pusher : "-");
	pc_buf_puts(o, "</td><td><ul>");
	for (i = 0; i < e->nreasons; i++) {
		pc_buf_puts(o, "<li>");
		html_text(o, e->reasons[i].rule);
		pc_buf_puts(o, ": <span class=\"reason\">");
		html_text(o, e->reasons[i].message);
		pc_buf_puts(o, "</span></li>");
	}
	pc_buf_puts(o, "</ul></td></tr>\n");
}

/* The timeline of one environment: a mark per change, or a histogram when there are too many. */
static void html_timeline(report *r, size_t env, int64_t t0, int64_t t1)
{
	static const char *fill[K_NKINDS] = { "#064", "#999", "#c60" };
	pc_buf *o = &r->out;
	uint64_t n = 0, bins[K_NKINDS][200], top = 1;
	const double w = 900, x0 = 40;
	size_t i, k;
	double span = t1 > t0 ? (double)(t1 - t0) : 1, x;

	for (i = r->env_start[env]; i < r->env_start[env + 1]; i++)
		n += r->cites[i].env == env;
	pc_buf_printf(o, "<svg viewBox=\"0 0 980 90\" role=\"img\" aria-label=\"timeline\" "
		"xmlns=\"http://www.w3.org/2000/svg\"><line x1=\"%g\" y1=\"45\" x2=\"%g\" y2=\"45\" stroke=\"#333\"/>",
		x0, x0 + w);
	if (n <= TIMELINE_MARKS) {
		for (i = r->env_start[env]; i < r->env_start[env + 1]; i++) {
			const cited *c = &r->cites[i];
			if (c->env != env)
				continue;
			x = x0 + w * (double)(c->ms - t0) / span;
			if (c->kind == K_REJECT)
				pc_buf_printf(o, "<path d=\"M%.1f 60l6 6m0-6l-6 6\" stroke=\"#999\" stroke-width=\"2\">",
					x - 3);
			else if (c->kind == K_NODECISION)
				pc_buf_printf(o, "<path d=\"M%.1f 22l7 12h-14z\" fill=\"#c60\">", x);
			else if (c->flags & F_BREAK_GLASS)
				pc_buf_printf(o, "<circle cx=\"%.1f\" cy=\"45\" r=\"7\" fill=\"#b00\">", x);
			else
				pc_buf_printf(o, "<circle cx=\"%.1f\" cy=\"45\" r=\"5\" fill=\"%s\" stroke=\"#064\">", x,
					c->flags & F_DRY_RUN ? "#fff" : "#064");
			pc_buf_printf(o, "<title>record %llu</title></%s>", (unsigned long long)c->seq,
				c->kind == K_CHANGE ? "circle" : "path");
		}
	} else {
		memset(bins, 0, sizeof(bins));
		for (i = r->env_start[env]; i < r->env_start[env + 1]; i++) {
			const cited *c = &r->cites[i];
			size_t bin;
			if (c->env != env)
				continue;
			bin = (size_t)(199.0 * (double)(c->ms - t0) / span);
			bins[c->kind][bin < 200 ? bin : 199]++;
		}
		for (k = 0; k < K_NKINDS; k++)
			for (i = 0; i < 200; i++)
				if (bins[k][i] > top)
					top = bins[k][i];
		for (k = 0; k < K_NKINDS; k++)
			for (i = 0; i < 200; i++)
				if (bins[k][i])
					pc_buf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"4\" height=\"%.1f\" fill=\"%s\"/>",
						x0 + w * (double)i / 200 + (double)k, 45 - 40.0 * (double)bins[k][i] / (double)top,
						40.0 * (double)bins[k][i] / (double)top, fill[k]);
	}
	pc_buf_puts(o, "</svg>\n");
}

static void fmt_ms(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "?");
}

static void html_verification(report *r)
{
	pc_buf *o = &r->out;
	char *root = NULL;
	size_t k;

	pc_buf_puts(o, "<section id=\"verification\"><h2>How this report was verified</h2><ul>");
	if (r->verified) {
		root = pc_base64_encode(r->cp.root, PC_HASH_LEN);
		pc_buf_puts(o, "<li>The checkpoint <code>");
		html_text(o, r->cp_path);
		pc_buf_puts(o, "</code> is signed by the verifier key given (origin <code>");
		html_text(o, r->cp.origin);
		pc_buf_printf(o, "</code>): tree size %llu, root <code>%s</code>.</li>",
			(unsigned long long)r->cp.size, root ? root : "?");
		pc_buf_printf(o, "<li>Every one of the %llu signed records was read, checked and hashed: "
			"the Merkle tree root matches the checkpoint.</li>", (unsigned long long)r->cp.size);
		if (r->old_cp_path) {
			pc_buf_puts(o, "<li>The log is consistent with the saved checkpoint <code>");
			html_text(o, r->old_cp_path);
			pc_buf_puts(o, "</code> (an RFC 6962 consistency proof verified): nothing it covered was changed.</li>");
		} else {
			pc_buf_puts(o, "<li>No saved checkpoint was given (--checkpoint): consistency with an "
				"earlier audit was not checked.</li>");
		}
		pc_buf_printf(o, "<li>Every record this report cites carries an RFC 6962 inclusion proof under "
			"that checkpoint, verified while the report was made: record numbers link to them "
			"(<a href=\"#proofs\">proofs</a>). <code>policy-check audit proof --index N</code> gives the "
			"same proof as a file that <code>audit check-proof</code> checks.</li>");
	}
	for (k = 0; k < r->vres.problems.n; k++) {
		pc_buf_puts(o, "<li class=\"bad\">");
		html_text(o, r->vres.problems.items[k]);
		pc_buf_puts(o, "</li>");
	}
	for (k = 0; k < r->vres.warnings.n; k++) {
		pc_buf_puts(o, "<li>warning: ");
		html_text(o, r->vres.warnings.items[k]);
		pc_buf_puts(o, "</li>");
	}
	pc_buf_puts(o, "</ul></section>\n");
	free(root);
}

static int html_report(report *r, const pc_strlist *findings, pc_error *err)
{
	static const char *titles[K_NKINDS] = { "Changes that went live", "Rejected attempts",
		"Changes without an accepted decision" };
	pc_buf *o = &r->out;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_buf line = PC_BUF_INIT;
	pc_audit_entry e;
	change_info ci;
	unsigned char proof[PC_MERKLE_MAX_PROOF][PC_HASH_LEN];
	char when0[32], when1[32], hex[PC_HASH_LEN * 2 + 1];
	int64_t t0 = INT64_MAX, t1 = INT64_MIN;
	size_t env, i, k, n, np, counts[K_NKINDS];
	int rc = 0;

	for (i = 0; i < r->ncites; i++) {
		t0 = r->cites[i].ms < t0 ? r->cites[i].ms : t0;
		t1 = r->cites[i].ms > t1 ? r->cites[i].ms : t1;
	}
	if (r->have_since)
		t0 = r->since_ms;
	if (r->have_until)
		t1 = r->until_ms;
	if (t0 > t1)
		t0 = t1 = 0;
	/* the first line says whether the log verified */
	pc_buf_printf(o, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s audit report: ",
		r->verified ? "Verified" : "NOT VERIFIED:");
	html_text(o, r->log);
	pc_buf_printf(o, "</title>\n<meta name=\"viewport\" content=\"width=device-width\">"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
		"<style>%s</style></head>\n<body>\n", html_style);
	pc_buf_puts(o, "<h1>Audit report: <code>");
	html_text(o, r->log);
	pc_buf_puts(o, "</code></h1>\n");
	if (r->verified)
		pc_buf_puts(o, "<p class=\"status ok\" id=\"status\">VERIFIED: the log and its signed checkpoint verify</p>\n");
	else
		pc_buf_puts(o, "<p class=\"status bad\" id=\"status\">NOT VERIFIED: the log does not verify; nothing "
			"in this report is evidence</p>\n");
	fmt_ms(when0, t0);
	fmt_ms(when1, t1);
	pc_buf_printf(o, "<p>Period: %s to %s%s. Environments: ", when0, when1,
		r->have_since || r->have_until ? "" : " (the first and last record cited)");
	if (!r->nenvs)
		pc_buf_puts(o, "every branch");
	for (i = 0; i < r->nenvs; i++) {
		pc_buf_puts(o, i ? ", <code>" : "<code>");
		html_text(o, r->envs[i]);
		pc_buf_puts(o, "</code>");
	}
	pc_buf_puts(o, r->repo ? ". Repository: <code>" : ". No repository given (--repo): commits and paths are not shown.");
	if (r->repo) {
		html_text(o, r->repo_dir);
		pc_buf_puts(o, "</code>.");
	}
	pc_buf_puts(o, "</p>\n");
	html_verification(r);

	pc_buf_puts(o, "<section id=\"counts\"><h2>Counts per day</h2><table><thead><tr><th>Day (UTC)</th>"
		"<th>Changes</th><th>Rejections</th><th>Break-glass</th><th>Without decision</th></tr></thead><tbody>\n");
	for (i = 0; i < r->ndays; i++)
		pc_buf_printf(o, "<tr><td>%s</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td></tr>\n",
			r->days[i].day, (unsigned long long)r->days[i].n[K_CHANGE],
			(unsigned long long)r->days[i].n[K_REJECT], (unsigned long long)r->days[i].break_glass,
			(unsigned long long)r->days[i].n[K_NODECISION]);
	pc_buf_puts(o, "</tbody></table></section>\n");
	if (!r->env_names.n)
		pc_buf_puts(o, "<p>No change, rejection or unexplained update in the period.</p>\n");

	for (env = 0; env < r->env_names.n; env++) {
		memset(counts, 0, sizeof(counts));
		for (i = r->env_start[env]; i < r->env_start[env + 1]; i++)
			if (r->cites[i].env == env)
				counts[r->cites[i].kind]++;
		pc_buf_printf(o, "<section class=\"env\" id=\"env-%zu\"><h2>Environment <code>", env);
		html_text(o, r->env_names.items[env]);
		pc_buf_printf(o, "</code></h2><p>%zu changes, %zu rejected attempts, %zu without an accepted decision."
			" Timeline %s to %s: <span style=\"color:#064\">&#9679;</span> change, "
			"<span style=\"color:#b00\">&#9679;</span> break-glass, &#9675; dry-run, "
			"<span style=\"color:#999\">&#215;</span> rejected, "
			"<span style=\"color:#c60\">&#9650;</span> without decision.</p>\n",
			counts[K_CHANGE], counts[K_REJECT], counts[K_NODECISION], when0, when1);
		html_timeline(r, env, t0, t1);
		for (k = 0; k < K_NKINDS; k++) {
			/* the unexplained changes first: they must stand out */
			static const int order[K_NKINDS] = { K_NODECISION, K_CHANGE, K_REJECT };
			int kind = order[k];
			if (kind == K_NODECISION && !counts[kind])
				continue;
			pc_buf_printf(o, "<h3 class=\"%s\">%s (%zu)</h3>\n", kind == K_NODECISION ? "no-decision" :
				kind == K_REJECT ? "rejects" : "changes", titles[kind], counts[kind]);
			if (!counts[kind])
				continue;
			if (kind == K_REJECT)
				pc_buf_puts(o, "<table class=\"rejects\"><thead><tr><th>Record</th><th>Time</th><th>Ref</th>"
					"<th>Old..new</th><th>Pusher</th><th>Reasons</th></tr></thead><tbody>\n");
			else
				pc_buf_printf(o, "<table class=\"%s\"><thead><tr><th>Record</th><th>Time</th><th>Ref</th>"
					"<th>Old..new</th><th>Verified pusher</th><th>Approvals that counted</th>"
					"<th>Commits and paths</th><th>Notes</th></tr></thead><tbody>\n",
					kind == K_NODECISION ? "no-decision" : "changes");
			for (i = r->env_start[env]; i < r->env_start[env + 1]; i++) {
				const cited *c = &r->cites[i];
				if (c->env != env || c->kind != kind)
					continue;
				if ((rc = load_cited(r, c, &e, &doc, &line, err)) < 0)
					goto done;
				if (kind == K_REJECT) {
					html_reject_row(r, c, &e);
				} else {
					rc = describe_change(&ci, r->repo, &e);
					if (rc == 0)
						html_change_row(r, c, &e, &ci);
					change_info_release(&ci);
				}
				pc_audit_entry_release(&e);
				if (rc < 0)
					goto nomem;
				flush_out(r, 0);
			}
			pc_buf_puts(o, "</tbody></table>\n");
		}
		pc_buf_puts(o, "</section>\n");
	}

	if (findings) {
		pc_buf_puts(o, "<section id=\"reconcile\"><h2>Reconciliation with the repository</h2>");
		if (!findings->n)
			pc_buf_puts(o, "<p>Every ref of the repository is explained by accepted records.</p>");
		else
			pc_buf_puts(o, "<table class=\"no-decision\"><tbody>");
		for (i = 0; i < findings->n; i++) {
			pc_buf_puts(o, "<tr class=\"no-decision\"><td>");
			html_text(o, findings->items[i]);
			pc_buf_puts(o, "</td></tr>\n");
		}
		pc_buf_puts(o, findings->n ? "</tbody></table></section>\n" : "</section>\n");
	}

	pc_buf_printf(o, "<section id=\"proofs\"><h2>Inclusion proofs</h2><p>Each proof shows that a record is leaf "
		"N of the tree of %llu records whose root the checkpoint signs (RFC 6962: leaf hash "
		"SHA-256(0x00 || line), then the listed sibling hashes, base64, from the leaf up).</p>\n",
		(unsigned long long)r->level_len[0]);
	for (i = 0; i < r->ncites; i++) {
		const cited *c = &r->cites[i];
		uint64_t seqs[2] = { c->seq, c->tx_seq };
		for (k = 0; k < 2; k++) {
			if (seqs[k] == NO_SEQ || seqs[k] >= r->level_len[0])
				continue;
			if (!tree_proof(proof, &np, r, seqs[k])) {
				rc = pc_error_set(err, PC_EVERIFY, "the inclusion proof of record %llu does not verify",
					(unsigned long long)seqs[k]);
				goto done;
			}
			pc_hex(hex, r->level[0][seqs[k]], PC_HASH_LEN);
			pc_buf_printf(o, "<div class=\"proof\" id=\"proof-%llu\"><strong>record %llu</strong> "
				"(<a href=\"#rec-%llu\">cited</a>): verified. leaf <code>%s</code>; path:",
				(unsigned long long)seqs[k], (unsigned long long)seqs[k],
				(unsigned long long)c->seq, hex);
			for (n = 0; n < np; n++) {
				char *b64 = pc_base64_encode(proof[n], PC_HASH_LEN);
				if (!b64)
					goto nomem;
				pc_buf_printf(o, " <code>%s</code>", b64);
				free(b64);
			}
			pc_buf_puts(o, "</div>\n");
			flush_out(r, 0);
		}
	}
	pc_buf_puts(o, "</section>\n<footer><p>Made by policy-check " PACKAGE_VERSION " audit report.</p></footer>\n"
		"</body></html>\n");
	rc = 0;
	goto done;
nomem:
	rc = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_buf_release(&line);
	pc_json_doc_release(&doc);
	return rc;
}

/* ---- CSV and JSON -------------------------------------------------------- */

static const char *kind_name(int kind)
{
	return kind == K_CHANGE ? "change" : kind == K_REJECT ? "rejected" : "no-decision";
}

static void approvals_text(pc_buf *b, const pc_audit_entry *e)
{
	char a[12];
	size_t i;

	for (i = 0; i < e->napprovals; i++) {
		const pc_approval *ap = &e->approvals[i];
		pc_buf_printf(b, "%s%s (%s%s%s, for %s)", i ? "; " : "", ap->user ? ap->user : "?",
			ap->via && !strcmp(ap->via, "signature") ? "signature verified, key " : "pusher",
			ap->key ? ap->key : "", "", short_hex(a, ap->made_for ? ap->made_for : e->new_hex));
	}
}

static void reasons_text(pc_buf *b, const pc_audit_entry *e)
{
	size_t i;

	for (i = 0; i < e->nreasons; i++)
		pc_buf_printf(b, "%s%s: %s", i ? "; " : "", e->reasons[i].rule ? e->reasons[i].rule : "?",
			e->reasons[i].message ? e->reasons[i].message : "");
}

static int csv_report(report *r, pc_error *err)
{
	static const char *head[] = { "environment", "kind", "record", "time", "ref", "old", "new", "pusher",
		"identity", "repo", "status", "transaction record", "dry_run", "break_glass", "approvals",
		"reasons", "commits", "subjects", "paths changed", "paths", "proof", NULL };
	pc_buf *o = &r->out, t = PC_BUF_INIT, line = PC_BUF_INIT;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_audit_entry e;
	change_info ci;
	unsigned char proof[PC_MERKLE_MAX_PROOF][PC_HASH_LEN];
	char num[32], num2[32];
	size_t i, k, np;
	int rc = 0;

	if (!r->verified) {
		pc_buf_puts(o, "NOT VERIFIED: ");
		for (k = 0; k < r->vres.problems.n; k++) {
			cmd_audit_put_display(o, r->vres.problems.items[k]);
			pc_buf_puts(o, k + 1 < r->vres.problems.n ? "; " : "");
		}
		pc_buf_puts(o, "\r\n");
	}
	for (k = 0; head[k]; k++)
		csv_cell(o, head[k], !k);
	pc_buf_puts(o, "\r\n");
	for (i = 0; i < r->ncites; i++) {
		const cited *c = &r->cites[i];
		if ((rc = load_cited(r, c, &e, &doc, &line, err)) < 0)
			goto done;
		if ((rc = describe_change(&ci, c->kind == K_REJECT ? NULL : r->repo, &e)) < 0) {
			pc_audit_entry_release(&e);
			goto nomem;
		}
		snprintf(num, sizeof(num), "%llu", (unsigned long long)c->seq);
		csv_cell(o, r->env_names.items[c->env], 1);
		csv_cell(o, kind_name(c->kind), 0);
		csv_cell(o, num, 0);
		csv_cell(o, e.time, 0);
		csv_cell(o, e.ref, 0);
		csv_cell(o, e.old_hex, 0);
		csv_cell(o, e.new_hex, 0);
		csv_cell(o, e.pusher, 0);
		csv_cell(o, e.identity, 0);
		csv_cell(o, e.repo, 0);
		csv_cell(o, c->flags & F_APPLIED ? "applied" : c->flags & F_ABORTED ? "aborted" :
			c->kind == K_REJECT ? "rejected" : c->kind == K_NODECISION ? "committed without decision" :
			"no transaction record", 0);
		snprintf(num2, sizeof(num2), "%llu", (unsigned long long)c->tx_seq);
		csv_cell(o, c->tx_seq == NO_SEQ ? "" : num2, 0);
		csv_cell(o, e.dry_run ? "yes" : "no", 0);
		csv_cell(o, e.break_glass, 0);
		pc_buf_clear(&t);
		approvals_text(&t, &e);
		csv_cell(o, t.ptr, 0);
		pc_buf_clear(&t);
		reasons_text(&t, &e);
		csv_cell(o, t.ptr, 0);
		snprintf(num2, sizeof(num2), "%zu", ci.ncommits);
		csv_cell(o, ci.have ? num2 : "", 0);
		pc_buf_clear(&t);
		for (k = 0; k < ci.nshown; k++)
			pc_buf_printf(&t, "%s%.10s %s (%s)", k ? "; " : "", ci.commits[k].hex, ci.commits[k].subject,
				ci.commits[k].author);
		csv_cell(o, t.ptr, 0);
		snprintf(num2, sizeof(num2), "%zu", ci.npaths);
		csv_cell(o, ci.have ? num2 : "", 0);
		pc_buf_clear(&t);
		for (k = 0; k < ci.paths.n; k++)
			pc_buf_printf(&t, "%s%s", k ? "; " : "", ci.paths.items[k]);
		csv_cell(o, t.ptr, 0);
		csv_cell(o, tree_proof(proof, &np, r, c->seq) ? "verified" : "none", 0);
		pc_buf_puts(o, "\r\n");
		change_info_release(&ci);
		pc_audit_entry_release(&e);
		if (pc_buf_error(&t))
			goto nomem;
		flush_out(r, 0);
	}
	goto done;
nomem:
	rc = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_buf_release(&t);
	pc_buf_release(&line);
	pc_json_doc_release(&doc);
	return rc;
}

static void json_proof(report *r, uint64_t seq)
{
	unsigned char proof[PC_MERKLE_MAX_PROOF][PC_HASH_LEN];
	pc_buf *o = &r->out;
	size_t n, i;

	if (!tree_proof(proof, &n, r, seq)) {
		pc_buf_puts(o, "null");
		return;
	}
	pc_buf_printf(o, "{\"index\":%llu,\"tree_size\":%llu,\"verified\":true,\"hashes\":[",
		(unsigned long long)seq, (unsigned long long)r->level_len[0]);
	for (i = 0; i < n; i++) {
		char *b64 = pc_base64_encode(proof[i], PC_HASH_LEN);
		pc_buf_printf(o, "%s\"%s\"", i ? "," : "", b64 ? b64 : "");
		free(b64);
	}
	pc_buf_puts(o, "]}");
}

static int json_report(report *r, const pc_strlist *findings, pc_error *err)
{
	pc_buf *o = &r->out, line = PC_BUF_INIT;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_audit_entry e;
	change_info ci;
	char *root = NULL;
	size_t i, k, env;
	int rc = 0, kind, first;

	/* "verified" is on the first line */
	pc_buf_printf(o, "{\"verified\":%s,\n\"problems\":[", r->verified ? "true" : "false");
	for (k = 0; k < r->vres.problems.n; k++) {
		pc_buf_puts(o, k ? "," : "");
		pc_json_put_cstring(o, r->vres.problems.items[k]);
	}
	pc_buf_puts(o, "],\"warnings\":[");
	for (k = 0; k < r->vres.warnings.n; k++) {
		pc_buf_puts(o, k ? "," : "");
		pc_json_put_cstring(o, r->vres.warnings.items[k]);
	}
	pc_buf_puts(o, "]");
	json_str(o, "log", r->log, 1);
	if (r->verified) {
		root = pc_base64_encode(r->cp.root, PC_HASH_LEN);
		pc_buf_puts(o, ",\"checkpoint\":{");
		json_str(o, "origin", r->cp.origin, 0);
		pc_buf_printf(o, ",\"size\":%llu", (unsigned long long)r->cp.size);
		json_str(o, "root", root, 1);
		pc_buf_puts(o, "}");
		free(root);
	}
	json_str(o, "consistent_with", r->verified ? r->old_cp_path : NULL, 1);
	pc_buf_puts(o, ",\"counts\":[");
	for (i = 0; i < r->ndays; i++)
		pc_buf_printf(o, "%s{\"day\":\"%s\",\"changes\":%llu,\"rejections\":%llu,\"break_glass\":%llu,"
			"\"without_decision\":%llu}", i ? "," : "", r->days[i].day,
			(unsigned long long)r->days[i].n[K_CHANGE], (unsigned long long)r->days[i].n[K_REJECT],
			(unsigned long long)r->days[i].break_glass, (unsigned long long)r->days[i].n[K_NODECISION]);
	pc_buf_puts(o, "],\n\"environments\":[");
	for (env = 0; env < r->env_names.n; env++) {
		pc_buf_puts(o, env ? ",\n{" : "\n{");
		json_str(o, "name", r->env_names.items[env], 0);
		for (kind = 0; kind < K_NKINDS; kind++) {
			pc_buf_printf(o, ",\"%s\":[", kind == K_CHANGE ? "changes" : kind == K_REJECT ? "rejected" :
				"without_decision");
			first = 1;
			for (i = r->env_start[env]; i < r->env_start[env + 1]; i++) {
				const cited *c = &r->cites[i];
				if (c->env != env || c->kind != kind)
					continue;
				if ((rc = load_cited(r, c, &e, &doc, &line, err)) < 0)
					goto done;
				if ((rc = describe_change(&ci, kind == K_REJECT ? NULL : r->repo, &e)) < 0) {
					pc_audit_entry_release(&e);
					goto nomem;
				}
				pc_buf_printf(o, "%s\n{\"record\":%llu", first ? "" : ",", (unsigned long long)c->seq);
				first = 0;
				json_str(o, "time", e.time, 1);
				json_str(o, "ref", e.ref, 1);
				json_str(o, "old", e.old_hex, 1);
				json_str(o, "new", e.new_hex, 1);
				json_str(o, "pusher", e.pusher, 1);
				json_str(o, "identity", e.identity, 1);
				json_str(o, "repo", e.repo, 1);
				json_str(o, "hook", e.hook, 1);
				json_str(o, "decision", e.decision, 1);
				pc_buf_printf(o, ",\"dry_run\":%s", e.dry_run ? "true" : "false");
				json_str(o, "break_glass", e.break_glass, 1);
				json_str(o, "status", c->flags & F_APPLIED ? "applied" : c->flags & F_ABORTED ? "aborted" :
					kind == K_CHANGE ? "no transaction record" : kind == K_REJECT ? "rejected" :
					"committed without decision", 1);
				if (c->tx_seq != NO_SEQ)
					pc_buf_printf(o, ",\"transaction_record\":%llu", (unsigned long long)c->tx_seq);
				pc_buf_puts(o, ",\"approvals\":[");
				for (k = 0; k < e.napprovals; k++) {
					pc_buf_puts(o, k ? ",{" : "{");
					json_str(o, "user", e.approvals[k].user, 0);
					json_str(o, "via", e.approvals[k].via, 1);
					json_str(o, "key", e.approvals[k].key, 1);
					json_str(o, "object", e.approvals[k].object, 1);
					json_str(o, "for", e.approvals[k].made_for ? e.approvals[k].made_for : e.new_hex, 1);
					pc_buf_printf(o, ",\"signature_verified\":%s}",
						e.approvals[k].via && !strcmp(e.approvals[k].via, "signature") ? "true" : "false");
				}
				pc_buf_puts(o, "],\"reasons\":[");
				for (k = 0; k < e.nreasons; k++) {
					pc_buf_puts(o, k ? ",{" : "{");
					json_str(o, "rule", e.reasons[k].rule, 0);
					json_str(o, "message", e.reasons[k].message, 1);
					pc_buf_puts(o, "}");
				}
				pc_buf_puts(o, "]");
				if (ci.have) {
					pc_buf_printf(o, ",\"commit_count\":%zu,\"commits\":[", ci.ncommits);
					for (k = 0; k < ci.nshown; k++) {
						pc_buf_puts(o, k ? ",{" : "{");
						json_str(o, "id", ci.commits[k].hex, 0);
						json_str(o, "subject", ci.commits[k].subject, 1);
						json_str(o, "author", ci.commits[k].author, 1);
						pc_buf_puts(o, "}");
					}
					pc_buf_printf(o, "],\"paths_changed\":%zu,\"paths\":[", ci.npaths);
					for (k = 0; k < ci.paths.n; k++) {
						pc_buf_puts(o, k ? "," : "");
						pc_json_put_cstring(o, ci.paths.items[k]);
					}
					pc_buf_puts(o, "]");
				}
				pc_buf_puts(o, ",\"proof\":");
				json_proof(r, c->seq);
				pc_buf_puts(o, "}");
				change_info_release(&ci);
				pc_audit_entry_release(&e);
				flush_out(r, 0);
			}
			pc_buf_puts(o, "]");
		}
		pc_buf_puts(o, "}");
	}
	pc_buf_puts(o, "],\n\"reconcile\":");
	if (!findings) {
		pc_buf_puts(o, "null");
	} else {
		pc_buf_puts(o, "[");
		for (k = 0; k < findings->n; k++) {
			pc_buf_puts(o, k ? "," : "");
			pc_json_put_cstring(o, findings->items[k]);
		}
		pc_buf_puts(o, "]");
	}
	pc_buf_puts(o, "}\n");
	goto done;
nomem:
	rc = pc_error_set(err, PC_ENOMEM, "out of memory");
done:
	pc_buf_release(&line);
	pc_json_doc_release(&doc);
	return rc;
}

/* ---- the command ----------------------------------------------------------- */

static int load_signed_checkpoint(report *r, const pc_note_verifier *v)
{
	pc_error err = PC_ERROR_INIT;
	size_t len;

	if (pc_read_file(&r->cp_text, &len, r->cp_path, PC_NOTE_MAX, &err) < 0 ||
	    pc_checkpoint_open(&r->cp, v, r->cp_text, len, &err) < 0)
		return -1;
	return 0;
}

static void report_release(report *r)
{
	size_t i;

	pc_audit_verify_result_release(&r->vres);
	pc_checkpoint_release(&r->cp);
	free(r->cp_text);
	free(r->cites);
	slot_map_release(&r->refs);
	slot_map_release(&r->env_map);
	free(r->env_start);
	pc_strlist_clear(&r->voids);
	pc_strlist_clear(&r->env_names);
	free(r->days);
	for (i = 0; i < PC_ARRAY_SIZE(r->level); i++)
		free(r->level[i]);
	git_repository_free(r->repo);
	if (r->fd >= 0)
		close(r->fd);
	pc_buf_release(&r->out);
}

int cmd_audit_report(int argc, char **argv)
{
	report r;
	pc_audit_verify_opts vo;
	pc_note_verifier v;
	pc_error err = PC_ERROR_INIT;
	pc_strlist findings = PC_STRLIST_INIT;
	cmd_parser p;
	const char *vkey = NULL, *since = NULL, *until = NULL, *format = "html";
	char *cp_path = NULL;
	int c, rc, status = 2, have_v = 0;

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	cmd_parse_init(&p, &cmd_audit_report_spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		switch (c - CMD_LONG_ONLY) {
		case 0: vkey = optarg; break;
		case 1: r.old_cp_path = optarg; break;
		case 2: r.repo_dir = optarg; break;
		case 3: since = optarg; break;
		case 4: until = optarg; break;
		case 5:
			if (r.nenvs == MAX_ENVS)
				cmd_usage_error("at most %d --environment options", MAX_ENVS);
			r.envs[r.nenvs++] = optarg;
			break;
		case 6: format = optarg; break;
		}
	}
	if (optind == argc)
		cmd_usage_error("name the LOG");
	if (optind + 1 != argc)
		cmd_usage_error("unexpected argument '%s'", argv[optind + 1]);
	r.log = argv[optind];
	if (!vkey)
		cmd_usage_error("--vkey FILE|KEY is required");
	if (!strcmp(format, "html"))
		r.format = FMT_HTML;
	else if (!strcmp(format, "csv"))
		r.format = FMT_CSV;
	else if (!strcmp(format, "json"))
		r.format = FMT_JSON;
	else
		cmd_usage_error("--format: '%s' is not html, csv or json", format);
	if ((since && cmd_audit_parse_when(since, &r.since_ms) < 0) ||
	    (until && cmd_audit_parse_when(until, &r.until_ms) < 0)) {
		cmd_error("--%s: '%s' is not a time; use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or an age such as "
			"30m, 1h, 7d, 2w", since && cmd_audit_parse_when(since, &r.since_ms) < 0 ? "since" : "until",
			since && cmd_audit_parse_when(since, &r.since_ms) < 0 ? since : until);
		return 2;
	}
	r.have_since = since != NULL;
	r.have_until = until != NULL;
	if (cmd_audit_load_vkey(&v, vkey) < 0)
		return 2;
	have_v = 1;
	if (r.repo_dir && git_repository_open_ext(&r.repo, r.repo_dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		cmd_error("audit report: --repo %s: not a git repository; name the repository the records "
			"are about", r.repo_dir);
		goto done;
	}
	if (!(cp_path = pc_asprintf("%s.checkpoint", r.log))) {
		cmd_error("audit report: out of memory");
		goto done;
	}
	r.cp_path = cp_path;

	memset(&vo, 0, sizeof(vo));
	vo.log_path = r.log;
	vo.old_checkpoint_path = r.old_cp_path;
	vo.vkey = &v;
	rc = pc_audit_verify(&r.vres, &vo, &err);
	if (rc < 0 && rc != PC_EVERIFY) {
		cmd_error("audit report: %s", err.msg);
		goto done;
	}
	r.verified = rc == 0 && load_signed_checkpoint(&r, &v) == 0;
	if (rc == 0 && !r.verified)
		pc_strlist_add(&r.vres.problems, "the checkpoint changed while the report was being made");
	if ((rc = read_log(&r, &err)) < 0) {
		cmd_error("audit report: %s", err.msg);
		status = rc == PC_EVERIFY ? 1 : 2;
		goto done;
	}
	if (r.repo_dir && pc_audit_reconcile(&findings, r.repo_dir, r.log, &err) < 0) {
		cmd_error("audit report: %s", err.msg);
		goto done;
	}
	if ((r.fd = open(r.log, O_RDONLY | O_CLOEXEC)) < 0) {
		cmd_error("audit report: %s: %s", r.log, strerror(errno));
		goto done;
	}
	rc = r.format == FMT_HTML ? html_report(&r, r.repo_dir ? &findings : NULL, &err) :
		r.format == FMT_CSV ? csv_report(&r, &err) : json_report(&r, r.repo_dir ? &findings : NULL, &err);
	if (rc < 0 || pc_buf_error(&r.out)) {
		cmd_error("audit report: %s", rc < 0 ? err.msg : "out of memory");
		status = rc == PC_EVERIFY ? 1 : 2;
		goto done;
	}
	flush_out(&r, 1);
	if (r.write_failed || fflush(stdout) != 0) {
		cmd_error("audit report: cannot write the report: %s", strerror(errno));
		goto done;
	}
	if (!r.verified) {
		size_t k;
		for (k = 0; k < r.vres.problems.n; k++)
			cmd_error("%s", r.vres.problems.items[k]);
		cmd_error("audit report: the log does not verify; the report says so on its first line");
	}
	status = r.verified ? 0 : 1;
done:
	if (have_v)
		pc_note_verifier_release(&v);
	pc_strlist_clear(&findings);
	report_release(&r);
	free(cp_path);
	return status;
}
