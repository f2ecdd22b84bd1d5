/*
 * chain.c: the repository's own hooks after policy-check's; see chain.h.
 */
#include "chain.h"
#include "buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int pc_chain_skipped(const char *file)
{
	size_t n = strlen(file);

	return file[0] == '.' || (n && file[n - 1] == '~') ||
		(n >= 7 && !strcmp(file + n - 7, ".sample")) ||
		(n >= 7 && !strcmp(file + n - 7, ".pc-tmp"));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The executable regular files of dir, sorted; *n = 0 when dir does not exist. */
static int list_hooks(pc_strlist *out, const char *dir, pc_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char *path;
	int r = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
			pc_error_set(err, PC_EIO, "cannot read %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (pc_chain_skipped(e->d_name))
			continue;
		if (!(path = pc_asprintf("%s/%s", dir, e->d_name))) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			break;
		}
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0 &&
		    pc_strlist_add(out, e->d_name) < 0)
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
		free(path);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r == 0 && out->n)
		qsort(out->items, out->n, sizeof(*out->items), cmp_names);
	return r;
}

/* Write all of buf to fd; a hook that does not read its input is no error. */
static void feed(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* Run one hook; its exit status (128 + N for signal N), or < 0 with err. */
static int run_one(const char *path, char *const argv[], const pc_buf *input, pc_error *err)
{
	int fds[2] = { -1, -1 }, status;
	pid_t pid;
	struct sigaction ign, old;

	if (pipe(fds) < 0)
		return pc_error_set(err, PC_EIO, "pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return pc_error_set(err, PC_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* git gives a hook its stdout as the pusher's stderr too */
		if (dup2(fds[0], 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		close(fds[0]);
		close(fds[1]);
		execv(path, argv);
		fprintf(stderr, "policy-check: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	if (input->len)
		feed(fds[1], input->ptr, input->len);
	close(fds[1]);
	sigaction(SIGPIPE, &old, NULL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pc_error_set(err, PC_EIO, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int pc_chain_run(pc_session *s, const char *name, char *why, size_t whysize, pc_error *err)
{
	pc_strlist hooks = PC_STRLIST_INIT;
	pc_buf input = PC_BUF_INIT;
	char *dir = NULL, *path = NULL, old[PC_HEX_MAX], new[PC_HEX_MAX];
	char *argv[5];
	size_t i;
	int r, update = !strcmp(name, "update");

	if (!(dir = pc_asprintf("%shooks/%s.d", git_repository_path(s->repo), name))) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	if ((r = list_hooks(&hooks, dir, err)) < 0 || !hooks.n)
		goto done;
	for (i = 0; i < s->nupdates; i++) {
		git_oid_tostr(old, sizeof(old), &s->updates[i].old_id);
		git_oid_tostr(new, sizeof(new), &s->updates[i].new_id);
		if (!update)
			pc_buf_printf(&input, "%s %s %s\n", old, new, s->updates[i].ref);
	}
	if (update && s->nupdates != 1) {
		r = pc_error_set(err, PC_EINVAL, "the update hook chains one ref at a time");
		goto done;
	}
	if (pc_buf_error(&input)) {
		r = pc_error_set(err, PC_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < hooks.n; i++) {
		free(path);
		if (!(path = pc_asprintf("%s/%s", dir, hooks.items[i]))) {
			r = pc_error_set(err, PC_ENOMEM, "out of memory");
			goto done;
		}
		argv[0] = path;
		argv[1] = update ? s->updates[0].ref : NULL;
		argv[2] = update ? old : NULL;
		argv[3] = update ? new : NULL;
		argv[4] = NULL;
		if ((r = run_one(path, argv, &input, err)) < 0) {
			pc_error_prefix(err, "cannot run hooks/%s.d/%s", name, hooks.items[i]);
			goto done;
		}
		if (r) {
			snprintf(why, whysize, "hooks/%s.d/%s exited with status %d", name, hooks.items[i], r);
			r = 1;
			goto done;
		}
	}
	r = 0;
done:
	free(path);
	free(dir);
	pc_buf_release(&input);
	pc_strlist_clear(&hooks);
	return r;
}
