#ifndef INFOSTORE_FATAL_H
#define INFOSTORE_FATAL_H

/*
 * For a broken environment (cannot allocate, cannot open what must be
 * there): log and exit. Client mistakes never reach here; they get a
 * protocol reply. A broken invariant is an assert().
 */

#include <stdnoreturn.h>

noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal_oom(void);

#endif
