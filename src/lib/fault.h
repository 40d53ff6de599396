#ifndef INFOSTORE_FAULT_H
#define INFOSTORE_FAULT_H

/*
 * Fault injection for tests (SQLite's test_malloc, Dovecot's failure-at
 * streams): INFOSTORE_FAULT="write:3,fsync:1" makes the 3rd blob write and
 * the 1st fsync report an I/O error, so that tests can check that nothing
 * acknowledged is lost when the disk fails. Points: write, fsync, rename,
 * commit. Without the variable this costs one branch per call.
 */

#include <stdbool.h>

/* Count a call at point; true when this call must fail. */
bool fault_hit(const char *point);

#endif
