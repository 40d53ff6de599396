#ifndef INFOSTORE_IMAP_SUBSCRIBE_H
#define INFOSTORE_IMAP_SUBSCRIBE_H

#include <stdbool.h>

struct imap_command;

/* SUBSCRIBE or UNSUBSCRIBE: the whole command (cmd-subscribe.c). */
bool imap_subscribe_run(struct imap_command *cmd, bool subscribe);

#endif
