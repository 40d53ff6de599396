#ifndef INFOSTORE_IMAP_LIST_H
#define INFOSTORE_IMAP_LIST_H

#include <stdbool.h>

struct imap_command;

/* LIST (lsub false) or LSUB: the whole command (cmd-list.c). */
bool imap_list_run(struct imap_command *cmd, bool lsub);

#endif
