/*
 * cmd-opt.c: the one option parser of the policy-check commands.
 *
 * Each command describes its options once, in a cmd_spec table; the same
 * table drives getopt_long, answers -h/--help (synopsis, then one line per
 * option) and words every usage error the same way:
 *
 *   policy-check check: unknown option '--foo'
 *   usage: policy-check check [--repo DIR] ...
 *
 * on standard error, exit 2.  Help goes to standard output, exit 0.
 */
#include "cmd.h"
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cmd_spec *current_spec;

void cmd_error(const char *fmt, ...)
{
	va_list ap;

	fputs("policy-check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cmd_print_synopsis(FILE *fp, const cmd_spec *spec, const char *first)
{
	const char *s, *nl;
	size_t k;

	if (spec->subs) {
		for (k = 0; spec->subs[k]; k++) {
			cmd_print_synopsis(fp, spec->subs[k], first);
			first = "       ";
		}
		return;
	}
	for (s = spec->synopsis; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		if (!nl)
			nl = s + strlen(s);
		fprintf(fp, "%spolicy-check %.*s\n", first, (int)(nl - s), s);
		first = "       ";
		if (!*nl)
			break;
	}
}

void cmd_print_help(FILE *fp, const cmd_spec *spec)
{
	const cmd_opt *o;
	size_t k;
	char left[64];

	cmd_print_synopsis(fp, spec, "usage: ");
	if (spec->subs) {
		fprintf(fp, "\nsubcommands (policy-check help %s SUBCOMMAND for their options):\n", spec->name);
		for (k = 0; spec->subs[k]; k++)
			fprintf(fp, "    %-28s  %s\n", spec->subs[k]->name + strlen(spec->name) + 1,
				spec->subs[k]->summary);
		return;
	}
	fprintf(fp, "\n%s\n", spec->summary);
	if (!spec->opts || !spec->opts[0].name)
		return;
	fputc('\n', fp);
	for (o = spec->opts; o->name; o++) {
		if (o->has_short)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->id, o->name,
				o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(fp, "    %-28s  %s\n", left, o->help);
	}
}

void cmd_set_spec(const cmd_spec *spec)
{
	current_spec = spec;
}

void cmd_die_usage(const char *usage)
{
	if (usage)
		fprintf(stderr, "usage: %s\n", usage);
	else if (current_spec)
		cmd_print_synopsis(stderr, current_spec, "usage: ");
	exit(2);
}

void cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "policy-check %s: ", current_spec ? current_spec->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_die_usage(NULL);
}

static const cmd_opt *find_opt(const cmd_spec *spec, int id)
{
	const cmd_opt *o;

	for (o = spec->opts; o && o->name; o++)
		if (o->id == id)
			return o;
	return NULL;
}

void cmd_parse_init(cmd_parser *p, const cmd_spec *spec, int argc, char **argv)
{
	const cmd_opt *o;
	size_t n = 0, s = 0;

	memset(p, 0, sizeof(*p));
	p->spec = spec;
	p->argc = argc;
	p->argv = argv;
	cmd_set_spec(spec);
	/* ':' first: a missing value is reported as ':', not '?' */
	p->shortopts[s++] = ':';
	for (o = spec->opts; o && o->name && n + 2 < PC_ARRAY_SIZE(p->longopts); o++, n++) {
		p->longopts[n].name = o->name;
		p->longopts[n].has_arg = o->arg ? required_argument : no_argument;
		p->longopts[n].flag = NULL;
		p->longopts[n].val = o->id;
		if (o->has_short && s + 3 < sizeof(p->shortopts)) {
			p->shortopts[s++] = (char)o->id;
			if (o->arg)
				p->shortopts[s++] = ':';
		}
	}
	p->longopts[n].name = "help";
	p->longopts[n].has_arg = no_argument;
	p->longopts[n].val = 'h';
	p->shortopts[s++] = 'h';
	p->shortopts[s] = '\0';
	opterr = 0;
	optind = 0;	/* glibc: start over, from argv[1] */
}

/* How many options of spec start with s (up to a '='). */
static int prefix_of(const cmd_spec *spec, const char *s)
{
	const cmd_opt *o;
	size_t n = strcspn(s, "=");
	int count = 0;

	for (o = spec->opts; o && o->name; o++)
		count += !strncmp(o->name, s, n);
	return count + !strncmp("help", s, n);
}

/* Name the option getopt stopped at, as the user typed it. */
static void print_bad(const cmd_parser *p, int c) __attribute__((noreturn));
static void print_bad(const cmd_parser *p, int c)
{
	const char *arg = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "";
	const cmd_opt *o = optopt ? find_opt(p->spec, optopt) : NULL;
	int is_long = !strncmp(arg, "--", 2);

	fprintf(stderr, "policy-check %s: ", p->spec->name);
	if (c == ':' && o && is_long)
		fprintf(stderr, "option '--%s' needs a value\n", o->name);
	else if (c == ':')
		fprintf(stderr, "option '-%c' needs a value\n", optopt);
	else if (o && is_long)
		fprintf(stderr, "option '--%s' takes no value\n", o->name);
	else if (optopt > 0 && optopt < 256)
		fprintf(stderr, "unknown option '-%c'\n", optopt);
	else
		fprintf(stderr, "%s option '%.*s'\n", is_long && prefix_of(p->spec, arg + 2) > 1 ?
			"ambiguous" : "unknown", (int)strcspn(arg, "="), arg);
	cmd_die_usage(NULL);
}

int cmd_parse_next(cmd_parser *p)
{
	int c = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);

	switch (c) {
	case -1:
		return -1;
	case 'h':
		cmd_print_help(stdout, p->spec);
		exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : 2);
	case ':':
	case '?':
		print_bad(p, c);
	default:
		return c;
	}
}

/* For commands not described by a cmd_spec yet: --repo and --policy into *where. */
int cmd_getopt(cmd_where *where, int argc, char **argv, const char *shortopts,
	const struct option *longopts)
{
	const char *name = current_spec ? current_spec->name : argv[0];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'r': where->repo = optarg; break;
		case 'p': where->policy = optarg; break;
		case '?': case ':':
			fprintf(stderr, "policy-check %s: %s '%s'\n", name,
				c == ':' ? "missing value for" : "unknown option",
				optind > 0 ? argv[optind - 1] : "");
			cmd_die_usage(NULL);
		default: return c;
		}
	}
	return -1;
}
