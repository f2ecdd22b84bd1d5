/*
 * report.c: verdicts as text for the pusher.
 */
#include "report.h"
#include "hotfix.h"
#include "json.h"

#include <string.h>

/*
 * Pusher-controlled text is printed as it is, quotes and UTF-8 included,
 * except what a terminal could obey: control bytes and DEL, C1 controls
 * (U+0080..U+009F in UTF-8) and stray bytes 0x80..0x9F (C1 controls to an
 * 8-bit terminal) are printed as '?'.  Other bytes that are not valid
 * UTF-8 are passed on, so that a ref name reads as git sent it.
 */
static void put_clean(FILE *fp, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), len;

	while (n) {
		len = pc_utf8_seq_len(s, n);
		if (len ? *s < 0x20 || *s == 0x7f || (s[0] == 0xc2 && s[1] < 0xa0) :
			  *s >= 0x80 && *s < 0xa0) {
			fputc('?', fp);
			len = len ? len : 1;
		} else {
			len = len ? len : 1;
			fwrite(s, 1, len, fp);
		}
		s += len;
		n -= len;
	}
}

void pc_report_reasons(FILE *fp, const pc_verdict *v, const char *indent)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++) {
		fprintf(fp, "%s  %s: ", indent, v->reasons[i].rule);
		put_clean(fp, v->reasons[i].message);
		fputc('\n', fp);
		if (v->reasons[i].hint) {
			fprintf(fp, "%s    hint: ", indent);
			put_clean(fp, v->reasons[i].hint);
			fputc('\n', fp);
		}
	}
}

static void write_reasons(FILE *fp, const pc_verdict *v)
{
	pc_report_reasons(fp, v, "");
}

static void write_approvals(FILE *fp, const pc_verdict *v)
{
	size_t i;

	if (!v->napprovals)
		return;
	fputs("  approved by: ", fp);
	for (i = 0; i < v->napprovals; i++) {
		fprintf(fp, "%s", i ? ", " : "");
		put_clean(fp, v->approvals[i].user);
		fprintf(fp, " (%s", v->approvals[i].via);
		/* approvals.keep_on_rebase: an approval of the commit before a rebase */
		if (v->approvals[i].made_for && strcmp(v->approvals[i].made_for, v->new_hex))
			fprintf(fp, ", made for %.7s", v->approvals[i].made_for);
		fputc(')', fp);
	}
	fputc('\n', fp);
}

/* An accepted hotfix: the back-merges it leaves to do. */
static void write_follow_up(FILE *fp, const pc_verdict *v)
{
	pc_buf b = PC_BUF_INIT;

	if (!v->hotfix_commits.n)
		return;
	pc_hotfix_text(&b, &v->hotfix_branches, v->hotfix_commits.n, v->ref, &v->hotfix_follow_up);
	if (!pc_buf_error(&b)) {
		fputs("  follow-up: ", fp);
		put_clean(fp, b.ptr);
		fputc('\n', fp);
	}
	pc_buf_release(&b);
}

void pc_report_write(FILE *fp, const pc_verdict *verdicts, size_t n, long long first_seq)
{
	const pc_verdict *v;
	size_t i;

	for (i = 0; i < n; i++) {
		v = &verdicts[i];
		fputs("policy-check: ", fp);
		if (!v->accept)
			fputs("rejected ", fp);
		else if (v->violations && v->break_glass)
			fputs("accepted with break-glass ", fp);
		else if (v->violations && v->dry_run)
			fputs("dry-run, would reject ", fp);
		else
			fputs("accepted ", fp);
		put_clean(fp, v->ref);
		fprintf(fp, " %.7s..%.7s\n", v->old_hex, v->new_hex);
		if (v->accept && v->break_glass && v->violations) {
			fputs("  break-glass: ", fp);
			put_clean(fp, v->break_glass);
			fputc('\n', fp);
		}
		write_reasons(fp, v);
		if (v->accept) {
			write_approvals(fp, v);
			write_follow_up(fp, v);
		}
	}
	if (first_seq >= 0) {
		if (n > 1)
			fprintf(fp, "policy-check: audit records %lld-%lld\n", first_seq,
				first_seq + (long long)n - 1);
		else
			fprintf(fp, "policy-check: audit record %lld\n", first_seq);
	}
	fflush(fp);
}
