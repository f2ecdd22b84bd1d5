/*
 * cmd-audit.c: policy-check audit keygen | verify | show | proof |
 * check-proof | reconcile, the auditor's side of the audit log, and
 * resign, the administrator's recovery.
 */
#include "config.h"
#include "cmd.h"
#include "cmd-audit.h"
#include "audit.h"
#include "buf.h"
#include "json.h"
#include "note.h"
#include "tiles.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OPT(k) (CMD_LONG_ONLY + (k))

static const cmd_opt keygen_opts[] = {
	{ OPT(0), 0, "origin", "NAME", "the log's origin, the first line of its checkpoints" },
	CMD_OPTS_END
};
static const cmd_opt verify_opts[] = {
	{ OPT(0), 0, "vkey", "FILE|KEY", "the verifier key (a file, or the key itself)" },
	{ OPT(1), 0, "checkpoint", "FILE", "an earlier checkpoint the log must extend" },
	{ OPT(2), 0, "strict", NULL, "also fail on warnings (an unfinished last line, ...)" },
	{ OPT(3), 0, "consistency-only", NULL, "only prove the log extends --checkpoint FILE (from the tiles)" },
	CMD_OPTS_END
};
static const cmd_opt tiles_opts[] = {
	{ OPT(0), 0, "rebuild", NULL, "rewrite LOG.tiles from the log instead of checking it" },
	CMD_OPTS_END
};
static const cmd_opt show_opts[] = {
	{ OPT(0), 0, "ref", "REF", "only records of this ref (a glob; main means refs/heads/main)" },
	{ OPT(1), 0, "decision", "D", "only records with this decision (accept, reject, ...)" },
	{ OPT(2), 0, "since", "TIME", "only records from TIME on (YYYY-MM-DD[THH:MM:SSZ], or 1h, 7d ago)" },
	{ OPT(3), 0, "json", NULL, "print the records as they are in the log, one JSON object a line" },
	{ OPT(4), 0, "break-glass", NULL, "only break-glass records: accepted with it, or refused it" },
	{ OPT(5), 0, "until", "TIME", "only records up to TIME (as --since)" },
	{ OPT(6), 0, "pusher", "USER", "only records of this pusher" },
	{ OPT(7), 0, "repo", "DIR", "only records of this repository (its path, or a glob)" },
	CMD_OPTS_END
};
static const cmd_opt proof_opts[] = {
	{ OPT(0), 0, "index", "N", "the record number (0 is the first)" },
	CMD_OPTS_END
};
static const cmd_opt check_proof_opts[] = {
	{ OPT(0), 0, "vkey", "FILE|KEY", "the verifier key (a file, or the key itself)" },
	{ OPT(1), 0, "checkpoint", "FILE", "a trusted checkpoint the proof's one must be consistent with" },
	{ OPT(2), 0, "record", "FILE", "the record the proof must be about" },
	CMD_OPTS_END
};
static const cmd_opt reconcile_opts[] = {
	{ OPT(0), 0, "repo", "DIR", "the bare repository whose refs are compared with the log" },
	CMD_OPTS_END
};
static const cmd_opt resign_opts[] = {
	{ OPT(0), 0, "key", "FILE", "the audit key (audit.key of the policy)" },
	{ OPT(1), 0, "origin", "NAME", "the log's origin (audit.origin of the policy)" },
	{ OPT(2), 0, "reason", "TEXT", "why the log is re-signed, for its record" },
	CMD_OPTS_END
};

static const cmd_spec keygen_spec = {
	"audit keygen", "audit keygen    --origin NAME PREFIX",
	"write a checkpoint signing key PREFIX.key and its verifier key PREFIX.vkey", keygen_opts, NULL
};
static const cmd_spec verify_spec = {
	"audit verify", "audit verify    --vkey FILE|KEY [--checkpoint FILE [--consistency-only]] [--strict] LOG",
	"verify every record, the hash chain and the signed checkpoint of a log", verify_opts, NULL
};
static const cmd_spec show_spec = {
	"audit show",
	"audit show      [--json] [--ref REF] [--decision D] [--since TIME] [--until TIME] [--pusher USER] "
	"[--repo DIR] [--break-glass] LOG",
	"list the records of a log, as a table or as JSON", show_opts, NULL
};
static const cmd_spec proof_spec = {
	"audit proof", "audit proof     --index N LOG",
	"print a proof that record N is in the log, for a third party", proof_opts, NULL
};
static const cmd_spec check_proof_spec = {
	"audit check-proof",
	"audit check-proof --vkey FILE|KEY [--checkpoint FILE] [--record FILE] PROOF",
	"check a proof made by audit proof", check_proof_opts, NULL
};
static const cmd_spec reconcile_spec = {
	"audit reconcile", "audit reconcile --repo DIR LOG",
	"find ref values of a repository that no accepted record explains", reconcile_opts, NULL
};
static const cmd_spec tiles_spec = {
	"audit tiles", "audit tiles     [--rebuild] LOG",
	"check the tree's tiles (LOG.tiles) against the log, or rebuild them", tiles_opts, NULL
};
static const cmd_spec resign_spec = {
	"audit resign", "audit resign    --key FILE --origin NAME [--reason TEXT] LOG",
	"sign a log that lost its checkpoint and anchor, as it is, after a record saying so", resign_opts, NULL
};
static const cmd_spec *const audit_subs[] = {
	&keygen_spec, &verify_spec, &show_spec, &proof_spec, &check_proof_spec, &reconcile_spec,
	&cmd_audit_report_spec, &tiles_spec, &resign_spec, NULL
};
const cmd_spec cmd_audit_spec = {
	"audit", NULL, "keep and check the signed audit log", NULL, audit_subs
};

/*
 * The options of a subcommand, in any order, and its one operand (the log,
 * the proof or the key prefix), which it returns; anything else is a usage
 * error.  bind[k] receives option k of the spec: a const char ** for an
 * option with a value, an int * (set to 1) for a flag.  A lone "-" is an
 * operand: standard input.
 */
static const char *parse_args(const cmd_spec *spec, int argc, char **argv, void *const *bind)
{
	cmd_parser p;
	int c, k;

	cmd_parse_init(&p, spec, argc, argv);
	while ((c = cmd_parse_next(&p)) != -1) {
		k = c - CMD_LONG_ONLY;
		if (spec->opts[k].arg)
			*(const char **)bind[k] = optarg;
		else
			*(int *)bind[k] = 1;
	}
	if (optind == argc)
		cmd_usage_error("name the %s", spec == &keygen_spec ? "PREFIX" :
			spec == &check_proof_spec ? "PROOF" : "LOG");
	if (optind + 1 != argc)
		cmd_usage_error("unexpected argument '%s'", argv[optind + 1]);
	return argv[optind];
}

/* A verifier key given inline, or the first line of a file holding one. */
static int load_vkey(pc_note_verifier *v, const char *arg)
{
	pc_error err = PC_ERROR_INIT;
	char *text = NULL, *nl;
	size_t len;

	if (strchr(arg, '+') && access(arg, F_OK) != 0) {
		if (pc_note_verifier_parse(v, arg, strlen(arg), &err) == 0)
			return 0;
		cmd_error("--vkey %s: %s", arg, err.msg);
		return -1;
	}
	if (pc_read_file(&text, &len, arg, 4096, &err) < 0) {
		cmd_error("--vkey: %s", err.msg);
		return -1;
	}
	if ((nl = strchr(text, '\n')))
		len = (size_t)(nl - text);
	if (pc_note_verifier_parse(v, text, len, &err) < 0) {
		cmd_error("%s: %s", arg, err.msg);
		free(text);
		return -1;
	}
	free(text);
	return 0;
}

static int audit_keygen(int argc, char **argv)
{
	pc_error err = PC_ERROR_INIT;
	const char *origin = NULL, *prefix;
	void *const bind[] = { &origin };
	char *vkey = NULL;

	prefix = parse_args(&keygen_spec, argc, argv, bind);
	if (!origin)
		cmd_usage_error("--origin NAME is required");
	if (pc_note_keygen(&vkey, prefix, origin, &err) < 0) {
		cmd_error("audit keygen: %s", err.msg);
		return 2;
	}
	printf("%s\n", vkey);
	fprintf(stderr, "policy-check: wrote %s.key (private, mode 0600) and %s.vkey (give it to auditors)\n",
		prefix, prefix);
	free(vkey);
	return 0;
}

static int audit_verify(int argc, char **argv)
{
	pc_audit_verify_opts o;
	pc_audit_verify_result res;
	pc_note_verifier v;
	pc_error err = PC_ERROR_INIT;
	const char *vkey = NULL;
	void *const bind[] = { &vkey, &o.old_checkpoint_path, &o.strict, &o.consistency_only };
	char *root = NULL;
	size_t k;
	int r;

	memset(&o, 0, sizeof(o));
	o.log_path = parse_args(&verify_spec, argc, argv, bind);
	if (!vkey)
		cmd_usage_error("--vkey FILE|KEY is required");
	if (o.consistency_only && !o.old_checkpoint_path)
		cmd_usage_error("--consistency-only needs --checkpoint FILE");
	if (load_vkey(&v, vkey) < 0)
		return 2;
	o.vkey = &v;
	r = pc_audit_verify(&res, &o, &err);
	for (k = 0; k < res.warnings.n; k++)
		cmd_error("warning: %s", res.warnings.items[k]);
	for (k = 0; k < res.problems.n; k++)
		cmd_error("%s", res.problems.items[k]);
	if (r == 0) {
		root = pc_base64_encode(res.root, sizeof(res.root));
		if (o.consistency_only)
			printf("checkpoint of %llu records, root %s\n", (unsigned long long)res.signed_size,
				root ? root : "");
		else
			printf("%llu records verified, root %s\n", (unsigned long long)res.signed_size, root ? root : "");
		if (o.old_checkpoint_path)
			printf("consistent with %s\n", o.old_checkpoint_path);
		free(root);
	} else if (r != PC_EVERIFY) {
		cmd_error("audit verify: %s", err.msg);
	}
	pc_audit_verify_result_release(&res);
	pc_note_verifier_release(&v);
	return r == 0 ? 0 : r == PC_EVERIFY ? 1 : 2;
}

static int parse_u64_arg(uint64_t *out, const char *s)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int audit_proof(int argc, char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_buf out = PC_BUF_INIT;
	const char *index_arg = NULL, *log;
	void *const bind[] = { &index_arg };
	pc_strlist notes = PC_STRLIST_INIT;
	uint64_t index;
	size_t k;
	int r;

	log = parse_args(&proof_spec, argc, argv, bind);
	if (!index_arg)
		cmd_usage_error("--index N is required");
	if (parse_u64_arg(&index, index_arg) < 0) {
		cmd_error("--index: '%s' is not a record number (0, 1, ...)", index_arg);
		return 2;
	}
	r = pc_audit_proof(&out, log, index, &notes, &err);
	for (k = 0; k < notes.n; k++)
		cmd_error("warning: %s", notes.items[k]);
	pc_strlist_clear(&notes);
	if (r < 0) {
		cmd_error("audit proof: %s", err.msg);
		pc_buf_release(&out);
		return r == PC_EVERIFY ? 1 : 2;
	}
	fwrite(out.ptr, 1, out.len, stdout);
	pc_buf_release(&out);
	return 0;
}

static int audit_tiles(int argc, char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_tile_builder *b = NULL;
	pc_audit_reader *rd = NULL;
	pc_strlist bad = PC_STRLIST_INIT;
	unsigned char leaf[PC_HASH_LEN];
	const char *log, *line;
	int rebuild = 0, complete, r, status = 2;
	void *const bind[] = { &rebuild };
	uint64_t size = 0, count = 0, missing = 0;
	size_t len, k;

	log = parse_args(&tiles_spec, argc, argv, bind);
	/* the tiles of the signed records (no key: the size is read, not verified), else of every line */
	if ((r = pc_audit_signed_size(&size, log, &err)) < 0)
		goto fail;
	if (!r)
		size = UINT64_MAX;
	if (rebuild) {
		if (size == UINT64_MAX && (r = pc_audit_reader_open(&rd, log, &err)) == 0) {
			for (size = 0; (r = pc_audit_reader_next(rd, &line, &len, &complete, &err)) > 0 && complete;)
				size++;
		}
		if (r < 0 || (r = pc_tiles_rebuild(log, size, &err)) < 0)
			goto fail;
		printf("rebuilt the tiles of %llu records in %s.tiles\n", (unsigned long long)size, log);
		status = 0;
		goto done;
	}
	if ((r = pc_tile_builder_new(&b, log, PC_TILES_CHECK, &err)) < 0 ||
	    (r = pc_audit_reader_open(&rd, log, &err)) < 0)
		goto fail;
	while (count < size && (r = pc_audit_reader_next(rd, &line, &len, &complete, &err)) > 0 && complete) {
		if ((r = pc_merkle_leaf_hash(leaf, line, len)) < 0) {
			pc_error_set(&err, r, "hashing failed");
			goto fail;
		}
		if ((r = pc_tile_builder_add(b, leaf, &err)) < 0)
			goto fail;
		count++;
	}
	if (r < 0 || (r = pc_tile_builder_finish(b, &bad, &missing, &err)) < 0)
		goto fail;
	for (k = 0; k < bad.n; k++)
		cmd_error("%s.tiles/%s: does not match the log; run policy-check audit tiles --rebuild %s", log,
			bad.items[k], log);
	if (missing)
		cmd_error("%s.tiles: %llu tile%s missing; run policy-check audit tiles --rebuild %s", log,
			(unsigned long long)missing, missing == 1 ? " is" : "s are", log);
	if (!bad.n && !missing)
		printf("the tiles of %llu records match the log\n", (unsigned long long)count);
	status = bad.n || missing ? 1 : 0;
	goto done;
fail:
	cmd_error("audit tiles: %s", err.msg);
done:
	pc_tile_builder_free(b);
	pc_audit_reader_free(rd);
	pc_strlist_clear(&bad);
	return status;
}

/* Read a file, or stdin for "-". */
static int read_input(char **out, size_t *len, const char *path, size_t limit)
{
	pc_error err = PC_ERROR_INIT;
	pc_buf b = PC_BUF_INIT;
	char chunk[65536];
	size_t n;

	if (strcmp(path, "-")) {
		if (pc_read_file(out, len, path, limit, &err) < 0) {
			cmd_error("%s", err.msg);
			return -1;
		}
		return 0;
	}
	pc_buf_init(&b, limit);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		pc_buf_put(&b, chunk, n);
	if (ferror(stdin) || pc_buf_error(&b)) {
		cmd_error("cannot read standard input%s", pc_buf_error(&b) == PC_ELIMIT ? ": too large" : "");
		pc_buf_release(&b);
		return -1;
	}
	*len = b.len;
	*out = pc_buf_detach(&b);
	return *out ? 0 : -1;
}

static int audit_check_proof(int argc, char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_note_verifier v;
	pc_checkpoint cp;
	pc_buf rec = PC_BUF_INIT;
	const char *vkey = NULL, *cp_path = NULL, *rec_path = NULL, *proof_path;
	void *const bind[] = { &vkey, &cp_path, &rec_path };
	char *proof = NULL, *trusted = NULL, *record = NULL, *root = NULL;
	size_t proof_len = 0, trusted_len = 0, record_len = 0;
	uint64_t index;
	int r, status = 2;

	proof_path = parse_args(&check_proof_spec, argc, argv, bind);
	if (!vkey)
		cmd_usage_error("--vkey FILE|KEY is required");
	if (rec_path && !strcmp(rec_path, "-") && !strcmp(proof_path, "-")) {
		cmd_error("the proof and the record cannot both come from standard input");
		return 2;
	}
	if (load_vkey(&v, vkey) < 0)
		return 2;
	if (read_input(&proof, &proof_len, proof_path, PC_NOTE_MAX + 2 * PC_AUDIT_LINE_MAX + 8192) < 0 ||
	    (cp_path && read_input(&trusted, &trusted_len, cp_path, PC_NOTE_MAX) < 0) ||
	    (rec_path && read_input(&record, &record_len, rec_path, PC_AUDIT_LINE_MAX + 1) < 0))
		goto done;
	r = pc_audit_check_proof(&index, &cp, &rec, &v, proof, proof_len, record, record_len,
		trusted, trusted_len, &err);
	if (r < 0) {
		cmd_error("audit check-proof: %s", err.msg);
		status = r == PC_EVERIFY ? 1 : 2;
		goto done;
	}
	root = pc_base64_encode(cp.root, sizeof(cp.root));
	printf("record %llu is in %s at tree size %llu, root %s\n", (unsigned long long)index, cp.origin,
		(unsigned long long)cp.size, root ? root : "");
	if (!rec_path) {
		fwrite(rec.ptr, 1, rec.len, stdout);
		putchar('\n');
	}
	pc_checkpoint_release(&cp);
	status = 0;
done:
	pc_note_verifier_release(&v);
	pc_buf_release(&rec);
	free(proof);
	free(trusted);
	free(record);
	free(root);
	return status;
}

/* show */

/*
 * Text from the log for a terminal: pushers choose ref names, so control
 * characters, invalid UTF-8 and bidirectional overrides are shown as
 * escapes instead of reaching the auditor's terminal.
 */
static size_t put_display(pc_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = strlen(s), seq, width = 0;

	while (i < n) {
		if (p[i] == '\\') {
			pc_buf_puts(out, "\\\\");
			width += 2;
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			pc_buf_printf(out, "\\x%02x", p[i]);
			width += 4;
			i++;
		} else if (!(seq = pc_utf8_seq_len(p + i, n - i))) {
			pc_buf_printf(out, "\\x%02x", p[i]);
			width += 4;
			i++;
		} else if (seq == 3 && p[i] == 0xe2 && ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
			(p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))) {
			pc_buf_printf(out, "\\u%04x", ((p[i] & 0x0f) << 12) | ((p[i + 1] & 0x3f) << 6) | (p[i + 2] & 0x3f));
			width += 6;
			i += 3;
		} else {
			pc_buf_put(out, p + i, seq);
			width++;
			i += seq;
		}
	}
	return width;
}

typedef struct show_filter {
	const char *ref, *decision, *pusher, *repo;
	char *repo_real;	/* realpath of --repo, when it exists here */
	int have_since, have_until, break_glass;
	int64_t since_ms, until_ms;
} show_filter;

/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm needed). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * RFC 3339 and its shorter forms: YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM];
 * without a zone the time is UTC.
 */
static int parse_time(const char *s, int64_t *ms);

/* "30m", "1h", "7d", "2w", "45s": that long before now.  1 when s is one. */
static int parse_ago(const char *s, int64_t *ms)
{
	static const struct { char unit; int64_t seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
	};
	struct timespec now;
	int64_t n = 0;
	size_t i, k;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		if (i >= 9 || (n = n * 10 + (s[i] - '0')) < 0)
			return 0;
	if (!i || !s[i] || s[i + 1])
		return 0;
	for (k = 0; k < PC_ARRAY_SIZE(units) && units[k].unit != s[i]; k++)
		;
	if (k == PC_ARRAY_SIZE(units) || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	*ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - n * units[k].seconds * 1000;
	return 1;
}

/* An absolute time, or a relative one before now. */
static int parse_when(const char *s, int64_t *ms)
{
	return parse_ago(s, ms) ? 0 : parse_time(s, ms);
}

static int parse_time(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, scale = 1000, zh, zm, sign;
	const char *p = s + 10;

	if (strlen(s) < 10 || digits(s, 4, &y) < 0 || s[4] != '-' || digits(s + 5, 2, &mo) < 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (digits(p + 1, 2, &h) < 0 || p[3] != ':' || digits(p + 4, 2, &mi) < 0 || h > 23 || mi > 59)
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec) < 0 || sec > 60)
				return -1;
			p += 3;
			if (*p == '.') {
				if (p[1] < '0' || p[1] > '9')
					return -1;
				for (p++; *p >= '0' && *p <= '9'; p++) {
					if (scale > 1) {
						scale /= 10;
						frac += (*p - '0') * scale;
					}
				}
			}
		}
	}
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) * 1000) + frac;
	if (!*p || ((*p == 'Z' || *p == 'z') && !p[1]))
		return 0;
	if ((*p != '+' && *p != '-') || digits(p + 1, 2, &zh) < 0 || p[3] != ':' || digits(p + 4, 2, &zm) < 0 || p[6])
		return -1;
	sign = *p == '+' ? 1 : -1;
	*ms -= sign * ((int64_t)zh * 3600 + zm * 60) * 1000;
	return 0;
}

static int ref_matches(const char *pattern, const char *ref)
{
	char *full;
	int yes;

	if (!ref)
		return 0;
	if (!strcmp(pattern, ref) || pc_glob_match(pattern, ref))
		return 1;
	if (!strncmp(pattern, "refs/", 5))
		return 0;
	if (!(full = pc_asprintf("refs/heads/%s", pattern)))
		return 0;
	yes = pc_glob_match(full, ref);
	free(full);
	if (yes || !(full = pc_asprintf("refs/tags/%s", pattern)))
		return yes;
	yes = pc_glob_match(full, ref);
	free(full);
	return yes;
}

/*
 * An accept record of pre-receive or update is voided by a later "void"
 * record of the same hook kind, push, ref and new value: "PUSH\nREF\nNEW".
 */
static char *void_key(const pc_audit_entry *e)
{
	if (!e->hook || (strcmp(e->hook, "pre-receive") && strcmp(e->hook, "update")) ||
	    !e->push || !e->ref || !e->decision)
		return NULL;
	return pc_asprintf("%s\n%s\n%s", e->push, e->ref, e->new_hex ? e->new_hex : "");
}

/* The keys of the log's void records; only lines that can be one are parsed. */
static int collect_voids(pc_strlist *voids, const char *log, int have_signed, uint64_t signed_size,
	pc_error *err)
{
	static const char mark[] = "\"decision\":\"void\"";
	pc_audit_reader *rd = NULL;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_audit_entry e;
	pc_error lerr = PC_ERROR_INIT;
	const char *line;
	char *key;
	size_t len;
	int complete, r;

	uint64_t n = 0;

	if ((r = pc_audit_reader_open(&rd, log, err)) < 0)
		return r;
	while ((!have_signed || n++ < signed_size) &&
	       (r = pc_audit_reader_next(rd, &line, &len, &complete, err)) > 0 && complete) {
		if (!memmem(line, len, mark, sizeof(mark) - 1) ||
		    pc_audit_entry_parse(&e, &doc, line, len, &lerr) < 0)
			continue;	/* an invalid line is reported by the main pass */
		key = strcmp(e.decision, "void") ? NULL : void_key(&e);
		pc_audit_entry_release(&e);
		if (key && pc_strlist_add(voids, key) < 0)
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
		free(key);
		if (r < 0)
			break;
	}
	pc_json_doc_release(&doc);
	pc_audit_reader_free(rd);
	return r < 0 ? r : 0;
}

/* An accept record that a void record took back. */
static int is_voided(const pc_strlist *voids, const pc_audit_entry *e)
{
	char *key;
	int yes;

	if (!voids->n || !e->decision || strcmp(e->decision, "accept") || !(key = void_key(e)))
		return 0;
	yes = pc_strlist_has(voids, key);
	free(key);
	return yes;
}

/* A break-glass the policy refused (not a member, no reason): a reason of rule break-glass. */
static int refused_break_glass(const pc_audit_entry *e)
{
	size_t i;

	for (i = 0; i < e->nreasons; i++)
		if (e->reasons[i].rule && !strcmp(e->reasons[i].rule, "break-glass"))
			return 1;
	return 0;
}

static int show_matches(const show_filter *f, const pc_audit_entry *e, int voided)
{
	int64_t t;

	if (f->ref && !ref_matches(f->ref, e->ref))
		return 0;
	/* a voided accept is no acceptance: --decision voided finds it, accept does not */
	if (f->decision && (!e->decision || strcmp(f->decision, voided ? "voided" : e->decision)))
		return 0;
	if (f->break_glass && !e->break_glass && !refused_break_glass(e))
		return 0;
	if (f->pusher && (!e->pusher || strcmp(f->pusher, e->pusher)))
		return 0;
	if (f->repo && (!e->repo || (strcmp(f->repo, e->repo) && !pc_glob_match(f->repo, e->repo) &&
	    (!f->repo_real || strcmp(f->repo_real, e->repo)))))
		return 0;
	if ((f->have_since || f->have_until) && (!e->time || parse_time(e->time, &t) < 0 ||
	    (f->have_since && t < f->since_ms) || (f->have_until && t > f->until_ms)))
		return 0;
	return 1;
}

#define NCOLS 8

typedef struct show_row {
	char *cell[NCOLS];
	size_t width[NCOLS];
	char *details;		/* reason lines, already indented */
} show_row;

static const char *short_hex(char buf[8], const char *hex)
{
	if (!hex)
		return "0000000";
	snprintf(buf, 8, "%.7s", hex);
	return buf;
}

/*
 * An approval ref refs/approvals/<40 or 64 hex>/NAME as refs/approvals/<7 hex>\u2026/NAME
 * (an ellipsis), so that the table fits 100 columns; other refs as they are.
 */
static const char *short_ref(char *buf, size_t size, const char *ref)
{
	static const char prefix[] = "refs/approvals/";
	const char *id = ref + sizeof(prefix) - 1;
	size_t n;

	if (strncmp(ref, prefix, sizeof(prefix) - 1))
		return ref;
	n = strspn(id, "0123456789abcdef");
	if ((n != 40 && n != 64) || id[n] != '/' || strlen(ref) >= size)
		return ref;
	snprintf(buf, size, "%s%.7s\xe2\x80\xa6%s", prefix, id, id + n);
	return buf;
}

static int make_row(show_row *row, const pc_audit_entry *e, int voided)
{
	pc_buf b = PC_BUF_INIT;
	char o[8], n[8], seq[24], when[32], ref[1024];
	const char *text[NCOLS];
	size_t i;

	memset(row, 0, sizeof(*row));
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)e->seq);
	/* 2026-11-26T01:02:03.456Z -> 2026-11-26 01:02 (the seconds are in --json) */
	snprintf(when, sizeof(when), "%.10s %.5s", e->time, e->time + 11);
	text[0] = seq;
	text[1] = when;
	text[2] = e->pusher ? e->pusher : "-";
	text[3] = e->repo ? e->repo : "-";
	text[4] = e->ref ? short_ref(ref, sizeof(ref), e->ref) : "-";
	text[5] = NULL;
	text[6] = NULL;
	text[7] = NULL;
	for (i = 0; i < NCOLS; i++) {
		pc_buf_clear(&b);
		if (i == 5) {
			pc_buf_printf(&b, "%s..%s", short_hex(o, e->old_hex), short_hex(n, e->new_hex));
			row->width[i] = b.len;
		} else if (i == 6) {
			row->width[i] = put_display(&b, e->decision ? e->decision : "-");
			if (e->dry_run) {
				pc_buf_puts(&b, " (dry-run)");
				row->width[i] += 10;
			}
			if (voided) {
				pc_buf_puts(&b, " (voided)");
				row->width[i] += 9;
			}
		} else if (i == 7) {
			size_t k;
			for (k = 0; k < e->napprovals; k++) {
				if (k) {
					pc_buf_putc(&b, ',');
					row->width[i]++;
				}
				row->width[i] += put_display(&b, e->approvals[k].user ? e->approvals[k].user : "?");
				/* An approval kept over a rebase names the commit it was made for. */
				if (e->approvals[k].made_for && e->new_hex && strcmp(e->approvals[k].made_for, e->new_hex)) {
					pc_buf_puts(&b, " (made for ");
					row->width[i] += 12 + put_display(&b, short_hex(o, e->approvals[k].made_for));
					pc_buf_putc(&b, ')');
				}
			}
			if (!e->napprovals) {
				pc_buf_putc(&b, '-');
				row->width[i] = 1;
			}
		} else {
			row->width[i] = put_display(&b, text[i]);
		}
		if (pc_buf_error(&b) || !(row->cell[i] = pc_strdup(b.ptr)))
			goto nomem;
	}
	pc_buf_clear(&b);
	if (e->break_glass) {
		pc_buf_puts(&b, "    break-glass: ");
		put_display(&b, e->break_glass);
		pc_buf_putc(&b, '\n');
	}
	for (i = 0; i < e->nreasons; i++) {
		pc_buf_puts(&b, "    ");
		put_display(&b, e->reasons[i].rule ? e->reasons[i].rule : "?");
		pc_buf_puts(&b, ": ");
		put_display(&b, e->reasons[i].message ? e->reasons[i].message : "");
		pc_buf_putc(&b, '\n');
	}
	if (pc_buf_error(&b) || !(row->details = pc_buf_detach(&b)))
		goto nomem;
	return 0;
nomem:
	pc_buf_release(&b);
	for (i = 0; i < NCOLS; i++)
		free(row->cell[i]);
	return PC_ENOMEM;
}

static void print_table(show_row *rows, size_t n)
{
	static const char *head[NCOLS] = { "SEQ", "TIME", "PUSHER", "REPO", "REF", "CHANGE", "DECISION", "APPROVERS" };
	size_t w[NCOLS], i, c, pad;
	int one_repo = 1;

	/* the REPO column only when the rows come from more than one repository */
	for (i = 1; i < n; i++)
		one_repo &= !strcmp(rows[i].cell[3], rows[0].cell[3]);
	for (c = 0; c < NCOLS; c++)
		w[c] = strlen(head[c]);
	for (i = 0; i < n; i++)
		for (c = 0; c < NCOLS; c++)
			if (rows[i].width[c] > w[c])
				w[c] = rows[i].width[c];
	for (c = 0; c < NCOLS; c++)
		if (c != 3 || !one_repo)
			printf("%s%-*s", c ? "  " : "", c == NCOLS - 1 ? 0 : (int)w[c], head[c]);
	putchar('\n');
	for (i = 0; i < n; i++) {
		for (c = 0; c < NCOLS; c++) {
			if (c == 3 && one_repo)
				continue;
			fputs(c ? "  " : "", stdout);
			fputs(rows[i].cell[c], stdout);
			if (c < NCOLS - 1)
				for (pad = rows[i].width[c]; pad < w[c]; pad++)
					putchar(' ');
		}
		putchar('\n');
		fputs(rows[i].details, stdout);
	}
}

static int audit_show(int argc, char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_audit_reader *rd = NULL;
	pc_json_doc doc = PC_JSON_DOC_INIT;
	pc_audit_entry e;
	show_filter f;
	pc_strlist voids = PC_STRLIST_INIT;
	show_row *rows = NULL;
	size_t nrows = 0, arows = 0, len, i, c;
	const char *since = NULL, *log, *line;
	uint64_t lineno = 0, signed_size = 0, unsigned_lines = 0;
	int json = 0, complete, r, status = 0, voided, have_signed;
	const char *until = NULL;
	void *const bind[] = { &f.ref, &f.decision, &since, &json, &f.break_glass, &until, &f.pusher,
		&f.repo };
	char real[PATH_MAX];
	size_t n;

	memset(&f, 0, sizeof(f));
	log = parse_args(&show_spec, argc, argv, bind);
	if (since) {
		if (parse_when(since, &f.since_ms) < 0) {
			cmd_error("--since: '%s' is not a time; use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or "
				"an age such as 30m, 1h, 7d, 2w", since);
			return 2;
		}
		f.have_since = 1;
	}
	if (until) {
		if (parse_when(until, &f.until_ms) < 0) {
			cmd_error("--until: '%s' is not a time; use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or "
				"an age such as 30m, 1h, 7d, 2w", until);
			return 2;
		}
		f.have_until = 1;
	}
	/* records name the repository by its absolute path, without a trailing slash */
	if (f.repo && realpath(f.repo, real)) {
		for (n = strlen(real); n > 1 && real[n - 1] == '/'; n--)
			real[n - 1] = '\0';
		if (!(f.repo_real = pc_strdup(real))) {
			cmd_error("audit show: out of memory");
			return 2;
		}
	}
	/* only the records a checkpoint covers: what follows may be lines added without the key */
	if ((have_signed = pc_audit_signed_size(&signed_size, log, &err)) < 0 ||
	    collect_voids(&voids, log, have_signed, signed_size, &err) < 0 ||
	    pc_audit_reader_open(&rd, log, &err) < 0) {
		cmd_error("audit show: %s", err.msg);
		pc_strlist_clear(&voids);
		free(f.repo_real);
		return 2;
	}
	while ((r = pc_audit_reader_next(rd, &line, &len, &complete, &err)) > 0) {
		lineno++;
		if (have_signed && lineno > signed_size) {
			unsigned_lines++;
			continue;
		}
		if (!complete) {
			cmd_error("warning: %s:%llu: the final line has no newline (an append did not finish); skipped",
				log, (unsigned long long)lineno);
			break;
		}
		if (pc_audit_entry_parse(&e, &doc, line, len, &err) < 0) {
			cmd_error("%s:%llu: not a valid record: %s", log, (unsigned long long)lineno, err.msg);
			status = 1;
			continue;
		}
		voided = is_voided(&voids, &e);
		if (show_matches(&f, &e, voided)) {
			if (json) {
				fwrite(line, 1, len, stdout);
				putchar('\n');
			} else if (pc_grow((void **)&rows, &arows, nrows + 1, sizeof(*rows)) < 0 ||
				   make_row(&rows[nrows], &e, voided) < 0) {
				pc_audit_entry_release(&e);
				cmd_error("audit show: out of memory");
				r = PC_ENOMEM;
				break;
			} else {
				nrows++;
			}
		}
		pc_audit_entry_release(&e);
	}
	if (!have_signed)
		cmd_error("warning: %s.checkpoint: no checkpoint: no record shown is covered by a signature", log);
	if (unsigned_lines)
		cmd_error("warning: %s: %llu lines after the signed size %llu are not records (no signature "
			"covers them): not shown; run policy-check audit verify", log,
			(unsigned long long)unsigned_lines, (unsigned long long)signed_size);
	if (r < 0) {
		cmd_error("audit show: %s", err.msg);
		status = 2;
	} else if (!json) {
		print_table(rows, nrows);
	}
	for (i = 0; i < nrows; i++) {
		for (c = 0; c < NCOLS; c++)
			free(rows[i].cell[c]);
		free(rows[i].details);
	}
	free(rows);
	free(f.repo_real);
	pc_strlist_clear(&voids);
	pc_json_doc_release(&doc);
	pc_audit_reader_free(rd);
	if (fflush(stdout) != 0 && status == 0)
		status = 2;
	return status;
}

static int audit_reconcile(int argc, char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_strlist findings = PC_STRLIST_INIT, notes = PC_STRLIST_INIT;
	const char *repo = NULL, *log;
	void *const bind[] = { &repo };
	size_t k;
	int status;

	log = parse_args(&reconcile_spec, argc, argv, bind);
	if (!repo)
		cmd_usage_error("--repo DIR is required");
	if (pc_audit_reconcile_notes(&findings, &notes, repo, log, &err) < 0) {
		cmd_error("audit reconcile: %s", err.msg);
		pc_strlist_clear(&findings);
		pc_strlist_clear(&notes);
		return 2;
	}
	/* accepted, not applied: explained, said first, and no finding */
	for (k = 0; k < notes.n; k++) {
		pc_buf b = PC_BUF_INIT;
		put_display(&b, notes.items[k]);
		printf("%s\n", b.ptr);
		pc_buf_release(&b);
	}
	for (k = 0; k < findings.n; k++) {
		pc_buf b = PC_BUF_INIT;
		put_display(&b, findings.items[k]);
		printf("%s\n", b.ptr);
		pc_buf_release(&b);
	}
	if (!findings.n)
		printf("every ref of %s is explained by accepted records in %s\n", repo, log);
	status = findings.n ? 1 : 0;
	pc_strlist_clear(&findings);
	pc_strlist_clear(&notes);
	return status;
}

static int audit_resign(int argc, char **argv)
{
	pc_error err = PC_ERROR_INIT;
	pc_audit_config cfg;
	const char *key = NULL, *origin = NULL, *reason = NULL;
	void *const bind[] = { &key, &origin, &reason };
	struct passwd *pw;
	char *by;
	uint64_t size = 0;
	int r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.log_path = parse_args(&resign_spec, argc, argv, bind);
	if (!key || !origin)
		cmd_usage_error("--key FILE and --origin NAME are required");
	cfg.key_path = key;
	cfg.origin = origin;
	pw = getpwuid(geteuid());
	if (!(by = pc_asprintf("run by %s%s%s", pw ? pw->pw_name : "an unknown user", reason ? ": " : "",
		reason ? reason : ""))) {
		cmd_error("audit resign: out of memory");
		return 2;
	}
	r = pc_audit_resign(&cfg, 0, by, &size, &err);
	free(by);
	if (r < 0) {
		cmd_error("audit resign: %s", err.msg);
		return r == PC_EINVAL || r == PC_EVERIFY ? 1 : 2;
	}
	printf("%s: %llu records signed; save the new checkpoint %s.checkpoint\n", cfg.log_path,
		(unsigned long long)size, cfg.log_path);
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
		{ "keygen", audit_keygen }, { "verify", audit_verify }, { "show", audit_show },
		{ "proof", audit_proof }, { "check-proof", audit_check_proof }, { "reconcile", audit_reconcile },
		{ "report", cmd_audit_report },
		{ "tiles", audit_tiles },
		{ "resign", audit_resign },
	};
	size_t i;

	if (argc < 2)
		cmd_usage_error("name a subcommand");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cmd_print_help(stdout, &cmd_audit_spec);
		return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 2;
	}
	for (i = 0; i < PC_ARRAY_SIZE(subs); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	cmd_usage_error("unknown subcommand '%s'", argv[1]);
}

/* For cmd-audit-report.c (cmd-audit.h). */
int cmd_audit_load_vkey(pc_note_verifier *v, const char *arg)
{
	return load_vkey(v, arg);
}

int cmd_audit_parse_when(const char *s, int64_t *ms)
{
	return parse_when(s, ms);
}

int cmd_audit_parse_time(const char *s, int64_t *ms)
{
	return parse_time(s, ms);
}

int cmd_audit_ref_matches(const char *pattern, const char *ref)
{
	return ref_matches(pattern, ref);
}

size_t cmd_audit_put_display(pc_buf *out, const char *s)
{
	return put_display(out, s);
}

int cmd_audit_collect_voids(pc_strlist *voids, const char *log, pc_error *err)
{
	uint64_t signed_size = 0;
	int have_signed;

	if ((have_signed = pc_audit_signed_size(&signed_size, log, err)) < 0)
		return have_signed;
	return collect_voids(voids, log, have_signed, signed_size, err);
}

int cmd_audit_is_voided(const pc_strlist *voids, const pc_audit_entry *e)
{
	return is_voided(voids, e);
}
