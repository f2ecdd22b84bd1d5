/*
 * pc-raw-push: a push client that sends whatever command lines it is
 * given, for the shell tests of what a hand-written client can do (stock
 * git only ever sends OLD values it read from the advertisement).
 *
 *   pc-raw-push [-C DIR] [--atomic] [--no-report-status] [--side-band]
 *       [-o OPTION]... [--rev REV]... REPO  <commands
 *
 * Runs `git receive-pack REPO` on pipes (the environment, REMOTE_USER
 * included, passes through), reads the ref advertisement, and sends each
 * line of stdin ("OLD NEW REF", without its newline) as one command,
 * exactly as given; the first one carries the capabilities.  Push
 * options follow when -o is given.  Unless every command deletes, a pack
 * follows: `git pack-objects --revs --stdout` run in DIR (default: the
 * current directory), fed the --rev lines ("C", "^develop"); with no
 * --rev it is an empty pack.
 *
 * stdout: the report-status lines ("unpack ok", "ok REF", "ng REF why").
 * stderr: receive-pack's and the hooks' messages (with --side-band taken
 * from bands 2 and 3, written as they come, without git's "remote: ").
 * Exit: 0 when the pack unpacked and every command is ok, 1 when the
 * report says otherwise, 2 on usage, system or protocol errors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PKT_MAX 65520

static void usage(void)
{
	fprintf(stderr, "usage: pc-raw-push [-C DIR] [--atomic] [--no-report-status] [--side-band] "
		"[-o OPTION]... [--rev REV]... REPO <commands\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "pc-raw-push: %s\n", what);
	exit(2);
}

static void *xrealloc(void *p, size_t n)
{
	if (!(p = realloc(p, n)))
		die("out of memory");
	return p;
}

static int read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* 0 on success; -1 when the reader went away (EPIPE), which the caller tolerates. */
static int write_full(int fd, const char *buf, size_t n)
{
	ssize_t r;

	while (n) {
		r = write(fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * One pkt-line from fd into buf (PKT_MAX + 1 bytes): its payload length,
 * 0 for a flush packet, -1 at end of input or on a malformed header.
 */
static int read_pkt(int fd, char *buf)
{
	char hdr[5];
	unsigned int len;
	char *end;

	if (read_full(fd, hdr, 4) < 0)
		return -1;
	hdr[4] = '\0';
	len = (unsigned int)strtoul(hdr, &end, 16);
	if (end != hdr + 4)
		die("malformed pkt-line header from receive-pack");
	if (len == 0)
		return 0;
	if (len < 4 || len - 4 > PKT_MAX)
		die("bad pkt-line length from receive-pack");
	if (read_full(fd, buf, len - 4) < 0)
		die("receive-pack ended in the middle of a pkt-line");
	buf[len - 4] = '\0';
	return (int)(len - 4);
}

static int write_pkt(int fd, const char *data, size_t len)
{
	char hdr[5];

	if (len > PKT_MAX)
		die("a command line is longer than a pkt-line can hold");
	snprintf(hdr, sizeof(hdr), "%04x", (unsigned int)(len + 4));
	if (write_full(fd, hdr, 4) < 0)
		return -1;
	return write_full(fd, data, len);
}

static pid_t spawn(char *const argv[], int in, int out, const char *dir)
{
	pid_t pid = fork();

	if (pid < 0)
		die("cannot fork");
	if (pid == 0) {
		if (dir && chdir(dir) < 0) {
			perror(dir);
			_exit(127);
		}
		if (in != 0 && (dup2(in, 0) < 0 || close(in) < 0))
			_exit(127);
		if (out != 1 && (dup2(out, 1) < 0 || close(out) < 0))
			_exit(127);
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	return pid;
}

static int wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Write the pack of the given revisions to fd. */
static void send_pack(int fd, const char *dir, char **revs, size_t nrevs)
{
	char *argv[] = { "git", "pack-objects", "--revs", "--stdout", "-q", NULL };
	int in[2];
	pid_t pid;
	size_t i;

	if (pipe2(in, O_CLOEXEC) < 0)
		die("cannot make a pipe");
	pid = spawn(argv, in[0], fd, dir);
	close(in[0]);
	for (i = 0; i < nrevs; i++)
		if (write_full(in[1], revs[i], strlen(revs[i])) < 0 || write_full(in[1], "\n", 1) < 0)
			die("cannot feed git pack-objects");
	close(in[1]);
	if (wait_for(pid) != 0)
		die("git pack-objects failed");
}

/* Print the pkt-lines of a report-status held in buf; 1 when all is ok. */
static int print_report(const char *buf, size_t len)
{
	int ok = 1, lines = 0;
	size_t pos = 0;

	while (pos + 4 <= len) {
		char hdr[5], *end;
		unsigned int n;

		memcpy(hdr, buf + pos, 4);
		hdr[4] = '\0';
		n = (unsigned int)strtoul(hdr, &end, 16);
		if (end != hdr + 4)
			die("malformed pkt-line in the report");
		pos += 4;
		if (n == 0)
			break;
		if (n < 4 || n - 4 > len - pos)
			die("truncated report");
		n -= 4;
		lines++;
		if (n && buf[pos + n - 1] == '\n')
			fwrite(buf + pos, 1, n, stdout);
		else {
			fwrite(buf + pos, 1, n, stdout);
			putchar('\n');
		}
		if (!strncmp(buf + pos, "unpack ", 7) ? strncmp(buf + pos, "unpack ok", 9) :
		    strncmp(buf + pos, "ok ", 3))
			ok = 0;
		pos += n;
	}
	return lines && ok;
}

int main(int argc, char **argv)
{
	char **revs = NULL, **options = NULL, **cmds = NULL;
	size_t nrevs = 0, noptions = 0, ncmds = 0, i, rlen = 0;
	int atomic = 0, report = 1, sideband = 0, only_deletes = 1, all_ok = 0, n;
	const char *dir = NULL, *repo;
	char *line = NULL, *buf, *rbuf = NULL;
	size_t linecap = 0;
	ssize_t len;
	int to[2], from[2];
	pid_t rp;

	for (i = 1; i < (size_t)argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--atomic"))
			atomic = 1;
		else if (!strcmp(a, "--no-report-status"))
			report = 0;
		else if (!strcmp(a, "--side-band"))
			sideband = 1;
		else if (!strcmp(a, "-o") && i + 1 < (size_t)argc) {
			options = xrealloc(options, (noptions + 1) * sizeof(*options));
			options[noptions++] = argv[++i];
		} else if (!strcmp(a, "--rev") && i + 1 < (size_t)argc) {
			revs = xrealloc(revs, (nrevs + 1) * sizeof(*revs));
			revs[nrevs++] = argv[++i];
		} else if (!strcmp(a, "-C") && i + 1 < (size_t)argc)
			dir = argv[++i];
		else
			usage();
	}
	if (i + 1 != (size_t)argc)
		usage();
	repo = argv[i];

	while ((len = getline(&line, &linecap, stdin)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		cmds = xrealloc(cmds, (ncmds + 1) * sizeof(*cmds));
		if (!(cmds[ncmds++] = strdup(line)))
			die("out of memory");
		/* "OLD NEW REF": a delete has a NEW of zeros */
		if (len < 82 || strspn(line + 41, "0") < 40)
			only_deletes = 0;
	}
	free(line);

	signal(SIGPIPE, SIG_IGN);
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
		die("cannot make a pipe");
	{
		char *rp_argv[] = { "git", "receive-pack", (char *)repo, NULL };
		rp = spawn(rp_argv, to[0], from[1], NULL);
	}
	close(to[0]);
	close(from[1]);
	buf = xrealloc(NULL, PKT_MAX + 1);

	/* The advertisement ends with a flush packet. */
	while ((n = read_pkt(from[0], buf)) > 0)
		;
	if (n < 0)
		die("receive-pack ended before its advertisement was complete");

	for (i = 0; i < ncmds; i++) {
		if (i == 0) {
			char caps[256];
			size_t clen = strlen(cmds[0]);
			int c = snprintf(caps, sizeof(caps), "%s%s%s%s quiet",
				report ? " report-status" : "", atomic ? " atomic" : "",
				noptions ? " push-options" : "", sideband ? " side-band-64k" : "");
			char *first = xrealloc(NULL, clen + 1 + (size_t)c);

			memcpy(first, cmds[0], clen);
			first[clen] = '\0';
			/* the capability list starts after the NUL, without its leading space */
			memcpy(first + clen + 1, caps + 1, (size_t)c - 1);
			n = write_pkt(to[1], first, clen + (size_t)c);
			free(first);
			if (n < 0)
				break;
		} else if (write_pkt(to[1], cmds[i], strlen(cmds[i])) < 0)
			break;
	}
	write_full(to[1], "0000", 4);
	if (ncmds && noptions) {
		for (i = 0; i < noptions; i++)
			write_pkt(to[1], options[i], strlen(options[i]));
		write_full(to[1], "0000", 4);
	}
	if (ncmds && !only_deletes)
		send_pack(to[1], dir, revs, nrevs);
	close(to[1]);

	/* The report, multiplexed on band 1 with --side-band. */
	while ((n = read_pkt(from[0], buf)) > 0) {
		if (!sideband) {
			rbuf = xrealloc(rbuf, rlen + 4 + (size_t)n);
			snprintf(rbuf + rlen, 5, "%04x", (unsigned int)n + 4);
			memcpy(rbuf + rlen + 4, buf, (size_t)n);
			rlen += 4 + (size_t)n;
			continue;
		}
		if (buf[0] == 1) {
			rbuf = xrealloc(rbuf, rlen + (size_t)n - 1);
			memcpy(rbuf + rlen, buf + 1, (size_t)n - 1);
			rlen += (size_t)n - 1;
		} else if (buf[0] == 2 || buf[0] == 3) {
			/* raw, so that a line split over two packets still greps */
			fwrite(buf + 1, 1, (size_t)n - 1, stderr);
		} else
			die("unknown side-band channel");
	}
	fflush(stderr);
	if (report && rlen)
		all_ok = print_report(rbuf, rlen);
	fflush(stdout);
	close(from[0]);
	if (wait_for(rp) != 0 && report && !rlen)
		die("receive-pack failed");
	if (report && !rlen)
		die("no report from receive-pack");
	for (i = 0; i < ncmds; i++)
		free(cmds[i]);
	free(cmds);
	free(revs);
	free(options);
	free(buf);
	free(rbuf);
	return report ? !all_ok : 0;
}
