/*
 * reference-transaction: the policy-check reference-transaction hook
 * program.  git runs it twice for every ref it updates: "prepared", which
 * policy-check lets through (pre-receive or update decided), and
 * "committed" or "aborted", which are recorded.  This program links
 * nothing but the C library, so that "prepared" costs a process start and
 * no more; for the other two it becomes record-transaction, from the
 * directory it was itself run from (see policy-check(1), HOOKS).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RECORDER "record-transaction"

int main(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + sizeof(RECORDER) + 1], *slash;
	char buf[4096];
	ssize_t n;

	if (argc < 2 || (strcmp(argv[1], "committed") && strcmp(argv[1], "aborted"))) {
		/* drain stdin so git does not get SIGPIPE */
		while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			;
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0 && (self[n] = '\0', slash = strrchr(self, '/')) != NULL) {
		*slash = '\0';
		snprintf(path, sizeof(path), "%s/" RECORDER, self);
	} else {
		snprintf(path, sizeof(path), "%s/" RECORDER, PKGLIBEXECDIR);
	}
	execv(path, argv);
	/* git ignores this hook's exit code now: say it, for the operator */
	fprintf(stderr, "policy-check: reference-transaction: cannot run %s: %s; this update is not "
		"recorded (policy-check audit reconcile reports it); reinstall policy-check\n",
		path, strerror(errno));
	return 1;
}
