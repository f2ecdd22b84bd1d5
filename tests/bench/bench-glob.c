/*
 * bench-glob: the glob matcher (src/core/glob.c) on patterns that make a
 * backtracking matcher try every way to split a name among its stars,
 * against 4 KiB names, next to glibc's fnmatch(3) on a benign pattern that
 * scans the same name once ("*b", no match), measured in the same run.
 *
 *   bench-glob
 *
 * Prints one line per case: "NAME OURS_US FNMATCH_US", medians of 31 runs
 * of 20 matches each, in microseconds per match.  tests/bench/run.sh turns
 * them into rows of the table.
 */
#include "glob.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 31
#define REPS 20

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static volatile int sink;

/* Median time of one match, in microseconds. */
static double time_ours(const char *pattern, const char *name, unsigned flags)
{
	double t[RUNS], t0;
	size_t plen = strlen(pattern), nlen = strlen(name);
	int i, j;

	for (i = 0; i < RUNS; i++) {
		t0 = now_us();
		for (j = 0; j < REPS; j++)
			sink += pc_glob_matchn(pattern, plen, name, nlen, flags);
		t[i] = (now_us() - t0) / REPS;
	}
	qsort(t, RUNS, sizeof(*t), cmp);
	return t[RUNS / 2];
}

static double time_fnmatch(const char *pattern, const char *name)
{
	double t[RUNS], t0;
	int i, j;

	for (i = 0; i < RUNS; i++) {
		t0 = now_us();
		for (j = 0; j < REPS; j++)
			sink += fnmatch(pattern, name, 0) == 0;
		t[i] = (now_us() - t0) / REPS;
	}
	qsort(t, RUNS, sizeof(*t), cmp);
	return t[RUNS / 2];
}

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t h = strlen(head), u = strlen(unit), t = strlen(tail), i;
	char *s = malloc(h + u * times + t + 1);

	if (!s) {
		perror("bench-glob");
		exit(1);
	}
	memcpy(s, head, h);
	for (i = 0; i < times; i++)
		memcpy(s + h + i * u, unit, u);
	memcpy(s + h + u * times, tail, t + 1);
	return s;
}

int main(void)
{
	/* 4 KiB names: one long ref component, and a deep path */
	char *dashes = repeat("feature/", "-", 4088, "");
	char *as = repeat("", "a", 4096, "");
	char *deep = repeat("", "a/", 2048, "");
	char *stars = repeat("", "*a", 64, "b");
	char *dstars = repeat("", "**a", 64, "b");
	char *list = repeat("", "*a", 500, "b");
	const struct {
		const char *name, *pattern, *subject, *benign;
		unsigned flags;
	} c[] = {
		{ "ref:feature/*-*-*-*z", "feature/*-*-*-*z", dashes, "feature/*z", PC_GLOB_REF },
		{ "ref:(*a)x64+b", stars, as, "*b", PC_GLOB_REF },
		{ "ref:(**a)x64+b", dstars, as, "*b", PC_GLOB_REF },
		{ "ref:**/*a/**/*b,deep", "**/*a/**/*b", deep, "*b", PC_GLOB_REF },
		{ "ssh:(*a)x500+b", list, as, "*b", PC_GLOB_SSH },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		printf("%s %.2f %.2f\n", c[i].name, time_ours(c[i].pattern, c[i].subject, c[i].flags),
			time_fnmatch(c[i].benign, c[i].subject));
	free(dashes);
	free(as);
	free(deep);
	free(stars);
	free(dstars);
	free(list);
	return 0;
}
