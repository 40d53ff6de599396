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

/*
 * INFOSTORE_PAUSE=point: the process stops itself (SIGSTOP) when it
 * reaches point, so that a test, its parent waiting with WUNTRACED, can
 * act inside a window it could not otherwise hit, then send SIGCONT.
 * Points: backup-bodies (store_backup() between the index snapshot and
 * the blobs). Without the variable this costs a getenv().
 */
void fault_pause(const char *point);

#endif
