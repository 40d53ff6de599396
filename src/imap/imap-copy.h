#ifndef INFOSTORE_IMAP_COPY_H
#define INFOSTORE_IMAP_COPY_H

#include <stdbool.h>

struct imap_command;

/* COPY (move false) or MOVE: the whole command (cmd-copy.c). */
bool imap_copy_run(struct imap_command *cmd, bool move);

#endif
