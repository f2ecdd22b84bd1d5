/*
 * pc-dgram-sink SOCKET OUT PID: bind an AF_UNIX datagram socket at SOCKET
 * and append every datagram it receives to OUT, each followed by a
 * newline, until killed or until process PID (the test) is gone.  Driven by tests/t/t8670-syslog.t as the syslog daemon the
 * hooks write their operator's line to.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[65536];
	struct sockaddr_un sa;
	struct timeval tv = { 1, 0 };
	FILE *out;
	pid_t test;
	ssize_t n;
	int fd;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: pc-dgram-sink SOCKET OUT PID\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, argv[1]);
	if (!(out = fopen(argv[2], "a"))) {
		perror(argv[2]);
		return 1;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(argv[1]);
		return 1;
	}
	test = (pid_t)atol(argv[3]);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) < 0) {
			if (kill(test, 0) < 0) {
				unlink(argv[1]);
				return 0;
			}
			continue;
		}
		fwrite(buf, 1, (size_t)n, out);
		fputc('\n', out);
		fflush(out);
	}
}
