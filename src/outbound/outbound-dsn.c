#include "outbound-dsn.h"
#include "buffer.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

void outbound_dsn_status(const char *reply, char status_r[16])
{
	size_t i = 4, start;

	strcpy(status_r, "5.4.7");
	if (strlen(reply) < 3 || reply[0] != '5' || reply[1] < '0' || reply[1] > '5' ||
	    reply[2] < '0' || reply[2] > '9' || (reply[3] != ' ' && reply[3] != '\0'))
		return;
	strcpy(status_r, "5.0.0");
	if (reply[3] == '\0' || reply[4] != '5' || reply[5] != '.')
		return;
	/* 5.subject.detail, each 1-3 digits (RFC 3463 2) */
	i = 6;
	for (int part = 0; part < 2; part++) {
		start = i;
		while (reply[i] >= '0' && reply[i] <= '9' && i - start < 3)
			i++;
		if (i == start)
			return;
		if (part == 0) {
			if (reply[i] != '.')
				return;
			i++;
		}
	}
	if (reply[i] != ' ' && reply[i] != '\0')
		return;
	memcpy(status_r, reply + 4, i - 4);
	status_r[i - 4] = '\0';
}

static void outbound_dsn_date(struct buffer *out, time_t t)
{
	char date[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	buffer_append_str(out, date);
}

/* The original's header, up to the blank line (at most 64 KiB). */
static size_t outbound_dsn_header_len(const unsigned char *data, size_t size)
{
	const size_t max = 64 * 1024;

	for (size_t i = 0; i < size && i < max; i++) {
		if (data[i] != '\n')
			continue;
		if (i + 1 < size && data[i + 1] == '\n')
			return i + 1;
		if (i + 2 < size && data[i + 1] == '\r' && data[i + 2] == '\n')
			return i + 1;
	}
	return size < max ? size : max;
}

/* Copy with CRLF line ends, whatever the original used. */
static void outbound_dsn_append_crlf(struct buffer *out, const unsigned char *data,
				     size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			buffer_append_c(out, '\r');
		buffer_append_c(out, (char)data[i]);
	}
	if (size > 0 && data[size - 1] != '\n')
		buffer_append(out, "\r\n", 2);
}

void outbound_dsn_build(const struct outbound_dsn *dsn, struct buffer *out)
{
	buffer_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
		      dsn->reporting_mta);
	buffer_printf(out, "To: <%s>\r\n", dsn->sender);
	buffer_append_str(out, "Subject: Undelivered Mail Returned to Sender\r\nDate: ");
	outbound_dsn_date(out, dsn->now);
	buffer_printf(out, "\r\nMessage-ID: %s\r\n", dsn->message_id);
	/* RFC 3834 5: nobody should answer this automatically */
	buffer_append_str(out, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
	buffer_printf(out, "Content-Type: multipart/report; report-type=delivery-status;\r\n"
		      "\tboundary=\"%s\"\r\n\r\n", dsn->boundary);
	buffer_append_str(out, "This is a MIME-encapsulated message.\r\n\r\n");

	/* 1. for people */
	buffer_printf(out, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		      "Content-Description: Notification\r\n\r\n", dsn->boundary);
	buffer_printf(out, "This is the mail system at %s.\r\n\r\n"
		      "Your message could not be delivered to %s:\r\n\r\n",
		      dsn->reporting_mta,
		      dsn->rcpt_count == 1 ? "this recipient" : "these recipients");
	for (unsigned int i = 0; i < dsn->rcpt_count; i++)
		buffer_printf(out, "<%s>: %.900s\r\n", dsn->rcpts[i].address,
			      dsn->rcpts[i].diagnostic);
	buffer_append_str(out, "\r\n");

	/* 2. for programs (RFC 3464 2.2, 2.3) */
	buffer_printf(out, "--%s\r\nContent-Type: message/delivery-status\r\n"
		      "Content-Description: Delivery report\r\n\r\n", dsn->boundary);
	buffer_printf(out, "Reporting-MTA: dns; %s\r\nArrival-Date: ",
		      dsn->reporting_mta);
	outbound_dsn_date(out, dsn->arrival);
	buffer_append_str(out, "\r\n");
	for (unsigned int i = 0; i < dsn->rcpt_count; i++) {
		const struct outbound_dsn_rcpt *rcpt = &dsn->rcpts[i];
		bool is_reply = rcpt->diagnostic[0] >= '2' && rcpt->diagnostic[0] <= '5' &&
			rcpt->diagnostic[1] >= '0' && rcpt->diagnostic[1] <= '9';

		buffer_printf(out, "\r\nFinal-Recipient: rfc822; %s\r\n"
			      "Action: failed\r\nStatus: %s\r\n", rcpt->address,
			      rcpt->status);
		if (rcpt->remote_mta != NULL)
			buffer_printf(out, "Remote-MTA: dns; %s\r\n", rcpt->remote_mta);
		buffer_printf(out, "Diagnostic-Code: %s; %.900s\r\nLast-Attempt-Date: ",
			      is_reply ? "smtp" : "x-infostore", rcpt->diagnostic);
		outbound_dsn_date(out, dsn->now);
		buffer_append_str(out, "\r\n");
	}
	buffer_append_str(out, "\r\n");

	/* 3. what was sent (RFC 6522 3: the header is enough) */
	buffer_printf(out, "--%s\r\nContent-Type: text/rfc822-headers\r\n"
		      "Content-Description: Undelivered message headers\r\n\r\n",
		      dsn->boundary);
	if (dsn->original != NULL)
		outbound_dsn_append_crlf(out, dsn->original,
					 outbound_dsn_header_len(dsn->original,
								 dsn->original_size));
	buffer_printf(out, "\r\n--%s--\r\n", dsn->boundary);
}
