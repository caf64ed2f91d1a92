/* Runs a command and reports its own wall time and peak RSS, for `make bench`.
 *
 *     measure RESULT_FILE PROGRAM [ARG...]
 *
 * writes "wall_seconds maxrss_kib user_seconds sys_seconds exit_status" to RESULT_FILE
 * and exits with the command's status (128 + signal if it was killed).
 *
 * Why not os.wait4() from Python directly: Linux carries the RSS high-water mark of the
 * address space a process had before execve() into its ru_maxrss, so a program started
 * from Python would report at least the Python interpreter's RSS (~25 MiB) whatever it
 * really used.  Started from this small program, it inherits only this one's (~1 MiB). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	double t0, wall;
	int status = 0, code;
	pid_t pid;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: measure RESULT_FILE PROGRAM [ARG...]\n");
		return 64;
	}
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 71;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "measure: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("measure: wait4");
			return 71;
		}
	}
	wall = now() - t0;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	f = fopen(argv[1], "w");
	if (f == NULL) {
		perror(argv[1]);
		return 73;
	}
	fprintf(f, "%.6f %ld %.6f %.6f %d\n", wall, ru.ru_maxrss,
	    (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, code);
	if (fclose(f) != 0) {
		perror(argv[1]);
		return 74;
	}
	return code;
}
