/*
 * bench-git-init: time git_libgit2_init() alone, for tests/bench/run.sh
 * (row 1e).  Run with and without tests/bench/no-ca-bundle.so preloaded,
 * the difference is what Debian's libgit2 spends parsing the system CA
 * bundle through mbedTLS, in every process that starts libgit2.
 *
 *   bench-git-init RUNS: prints the median of RUNS starts, in ms, each in
 *   a fresh process (the parse happens once per process).
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 11, i, fd[2], st;
	double *t;

	if (runs < 1 || runs > 10000 || !(t = calloc((size_t)runs, sizeof(*t))))
		return 2;
	for (i = 0; i < runs; i++) {
		pid_t pid;

		if (pipe(fd) < 0 || (pid = fork()) < 0)
			return 2;
		if (!pid) {
			double a = now_ms(), d;

			git_libgit2_init();
			d = now_ms() - a;
			if (write(fd[1], &d, sizeof(d)) != sizeof(d))
				_exit(1);
			_exit(0);
		}
		close(fd[1]);
		if (read(fd[0], &t[i], sizeof(t[i])) != sizeof(t[i]))
			return 2;
		close(fd[0]);
		waitpid(pid, &st, 0);
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp);
	printf("%.3f\n", t[runs / 2]);
	free(t);
	return 0;
}
