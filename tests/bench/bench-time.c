/*
 * bench-time: run commands repeatedly and print medians, for
 * tests/bench/run.sh.  Several cases are measured in the same loop, one
 * run of each in turn, so that a busy machine slows them alike and their
 * ratio stays meaningful.
 *
 *   bench-time [-n RUNS] [-w WARMUP] [-i STDIN] CASE [--vs CASE]...
 *   CASE:  [--before SH-COMMAND] [--stdin FILE] [--env NAME=VALUE]...
 *          CMD [ARG]... [--then CMD [ARG]...]...
 *
 * One run of a case runs its commands one after the other, each with its
 * standard input from the case's --stdin, else -i, else /dev/null, with
 * the case's --env settings and its output discarded, and is timed from
 * the first fork to the last exit; --before runs (through /bin/sh,
 * untimed) ahead of every run of its case.  A command that exits
 * non-zero stops everything with its status: a benchmark of a failing
 * command measures nothing.
 *
 * For each case one line: median wall ms, median CPU ms (user + system of
 * the commands), peak RSS in KiB (the largest of any command), minimum
 * and maximum wall ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CASES 8
#define MAX_CMDS 8
#define MAX_ENV 8

typedef struct bench_case {
	const char *before, *stdin_path;
	char *env[MAX_ENV];
	int nenv;
	char **cmds[MAX_CMDS];
	int ncmds;
	double *wall, *cpu;
	long rss;
} bench_case;

static const char *stdin_path;

static void usage(void)
{
	fprintf(stderr, "usage: bench-time [-n RUNS] [-w WARMUP] [-i STDIN] [--before SH] [--stdin FILE] [--env N=V]...\n"
		"                  CMD... [--then CMD...]... [--vs ...]...\n");
	exit(2);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e3 + (double)tv->tv_usec / 1e3;
}

static int redirect(const char *path, int fd, int flags)
{
	int f = open(path, flags);

	if (f < 0 || dup2(f, fd) < 0)
		return -1;
	if (f != fd)
		close(f);
	return 0;
}

/* Run argv to completion; add its CPU time and peak RSS; exit on failure. */
static void run_one(const bench_case *bc, char **argv, double *cpu, long *rss)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("bench-time: fork");
		exit(1);
	}
	if (pid == 0) {
		const char *in = bc->stdin_path ? bc->stdin_path : stdin_path ? stdin_path : "/dev/null";
		int e;

		for (e = 0; e < bc->nenv; e++)
			if (putenv(bc->env[e]) != 0)
				_exit(126);
		if (redirect(in, 0, O_RDONLY) < 0 ||
		    redirect("/dev/null", 1, O_WRONLY) < 0 || redirect("/dev/null", 2, O_WRONLY) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("bench-time: wait4");
			exit(1);
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		int i;
		fprintf(stderr, "bench-time: command failed (%s %d):", WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		for (i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
		exit(1);
	}
	*cpu += tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
	if (ru.ru_maxrss > *rss)
		*rss = ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	bench_case cases[MAX_CASES];
	int ncases = 1, runs = 5, warmup = 1, start, i, r, c, k;
	bench_case *bc;

	memset(cases, 0, sizeof(cases));
	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "-n"))
			runs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-w"))
			warmup = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-i"))
			stdin_path = argv[i + 1];
		else if (!strcmp(argv[i], "--before") || !strcmp(argv[i], "--stdin") || !strcmp(argv[i], "--env"))
			break;
		else
			usage();
	}
	if (runs < 1 || warmup < 0 || i >= argc)
		usage();
	/* Split the rest in place: "--vs" and "--then" become NULL terminators. */
	bc = &cases[0];
	for (start = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vs") || !strcmp(argv[i], "--then")) {
			if (argv[i][2] == 'v') {
				if (ncases == MAX_CASES)
					usage();
				bc = &cases[ncases++];
			}
			argv[i] = NULL;
			start = 1;
			continue;
		}
		if (start && !bc->ncmds && i + 1 < argc) {
			if (!strcmp(argv[i], "--before")) {
				bc->before = argv[++i];
				continue;
			}
			if (!strcmp(argv[i], "--stdin")) {
				bc->stdin_path = argv[++i];
				continue;
			}
			if (!strcmp(argv[i], "--env")) {
				if (bc->nenv == MAX_ENV || !strchr(argv[i + 1], '='))
					usage();
				bc->env[bc->nenv++] = argv[++i];
				continue;
			}
		}
		if (start) {
			if (bc->ncmds == MAX_CMDS)
				usage();
			bc->cmds[bc->ncmds++] = &argv[i];
			start = 0;
		}
	}
	for (c = 0; c < ncases; c++) {
		if (!cases[c].ncmds)
			usage();
		cases[c].wall = calloc((size_t)runs, sizeof(double));
		cases[c].cpu = calloc((size_t)runs, sizeof(double));
		if (!cases[c].wall || !cases[c].cpu)
			return 1;
	}
	for (r = -warmup; r < runs; r++) {
		for (c = 0; c < ncases; c++) {
			double t0, cpu = 0;

			bc = &cases[c];
			if (bc->before && system(bc->before) != 0) {
				fprintf(stderr, "bench-time: --before failed: %s\n", bc->before);
				return 1;
			}
			t0 = now_ms();
			for (k = 0; k < bc->ncmds; k++)
				run_one(bc, bc->cmds[k], &cpu, &bc->rss);
			if (r >= 0) {
				bc->wall[r] = now_ms() - t0;
				bc->cpu[r] = cpu;
			}
		}
	}
	for (c = 0; c < ncases; c++) {
		double lo, hi;

		bc = &cases[c];
		lo = hi = bc->wall[0];
		for (r = 1; r < runs; r++) {
			if (bc->wall[r] < lo)
				lo = bc->wall[r];
			if (bc->wall[r] > hi)
				hi = bc->wall[r];
		}
		printf("%.3f %.3f %ld %.3f %.3f\n", median(bc->wall, runs), median(bc->cpu, runs), bc->rss, lo, hi);
	}
	return 0;
}
