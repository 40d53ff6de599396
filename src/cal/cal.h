#ifndef INFOSTORE_CAL_H
#define INFOSTORE_CAL_H

/*
 * Meeting requests: iMIP processing at delivery (installed as the deliver
 * hook), the calendar items, rendering for IMAP/POP3 clients, the link,
 * and iTIP replies.
 */

#include <stdio.h>

struct conf;
struct store;

/* Install the delivery hook. */
void cal_init(const struct conf *conf);
void cal_deinit(void);

/* `infostore calendar list ADDRESS`: 0, or a sysexits code. */
int cal_list_print(struct store *store, const struct conf *conf,
		   const char *address, FILE *out);

#endif
