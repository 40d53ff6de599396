#include "fatal.h"
#include "log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

void fatal(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	log_vmsg(LOG_LEVEL_ERROR, "fatal", fmt, args);
	va_end(args);
	exit(EX_SOFTWARE);
}

void fatal_oom(void)
{
	static const char msg[] = "fatal: out of memory\n";

	/* No allocation and no stdio here. */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more we can do */
	}
	abort();
}
