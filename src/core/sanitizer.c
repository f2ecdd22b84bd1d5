/*
 * sanitizer.c: default options for the sanitizer build (configure
 * --enable-sanitizers), compiled to nothing otherwise.
 *
 * The hooks also run where the environment is not ours: under sshd, as a
 * CGI of git-http-backend, from gitolite.  There ASAN_OPTIONS does not
 * reach them, so the options are built in: stop at the first error, detect
 * leaks, and write every report to the build tree's sanitizer-logs/, where
 * contrib/test.sh finds it even when the test expected the command to
 * fail.  ASAN_OPTIONS and UBSAN_OPTIONS still override each option.
 */
#include "config.h"

#if defined(PC_SANITIZER_LOG_DIR) && defined(__SANITIZE_ADDRESS__)

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "halt_on_error=1:detect_leaks=1:abort_on_error=0:log_path=" PC_SANITIZER_LOG_DIR "/asan";
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1:log_path=" PC_SANITIZER_LOG_DIR "/ubsan";
}

#endif

/* ISO C wants a translation unit to declare something. */
typedef int pc_sanitizer_unit;
