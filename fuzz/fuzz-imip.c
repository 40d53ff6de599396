/* iMIP / iCalendar ingestion, on arbitrary bytes:

   1. the input as iCalendar through lib-ical: imip_parse(), and when that
      succeeds everything delivery and the web access do with it (the item
      text, its columns, recurrence expansion, a REPLY, a per-occurrence
      answer and cancel);
   2. the input as a whole MIME message, and the input wrapped as the
      text/calendar part of an iMIP message, through the calendar's
      delivery hook for an attendee (both, in a time zone of her own, and
      url: the rendering that keeps the organizer's parts) and an
      organizer, with the commit callback run inside a transaction that
      is rolled back.

   The store (in a temporary directory) holds two users and items with
   the UID "fuzz-uid@example.test" (the dictionary has it), so updates,
   cancels and replies reach the paths that need an existing item. */
#include "cal.h"
#include "cal-private.h"
#include "conf.h"
#include "deliver.h"
#include "imip.h"
#include "imip-item.h"
#include "imip-itip.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "secret.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static struct store *fuzz_store;
static struct conf fuzz_conf;
static struct store_user fuzz_users[2];
static struct pool *fuzz_init_pool;

static const char fuzz_seed_item[] =
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:fuzz\r\nMETHOD:REQUEST\r\n"
	"BEGIN:VEVENT\r\nUID:fuzz-uid@example.test\r\nSEQUENCE:1\r\n"
	"DTSTAMP:20261124T090000Z\r\nDTSTART:20261207T083000Z\r\n"
	"DTEND:20261207T084500Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:seed\r\n"
	"ORGANIZER:mailto:bob@example.test\r\n"
	"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.test\r\n"
	"END:VEVENT\r\nEND:VCALENDAR\r\n";

static void fuzz_init(void)
{
	char dir[] = "/tmp/fuzz-imip-XXXXXX";
	const char *error;

	log_set_level(LOG_LEVEL_ERROR);
	secret_init();
	mime_init();
	imip_init();
	CHECK(mkdtemp(dir) != NULL);
	CHECK(store_open(dir, &fuzz_store, &error) == 0);
	/* store_user_add hashes with Argon2id: done once */
	CHECK(store_user_add(fuzz_store, "alice@example.test", "x") == 0);
	CHECK(store_user_add(fuzz_store, "bob@example.test", "x") == 0);
	fuzz_init_pool = pool_create(4096);
	CHECK(store_user_lookup(fuzz_store, "alice@example.test", fuzz_init_pool,
				&fuzz_users[0]) == 1);
	CHECK(store_user_lookup(fuzz_store, "bob@example.test", fuzz_init_pool,
				&fuzz_users[1]) == 1);
	fuzz_conf.hostname = (char *)"mail.example.test";
	fuzz_conf.link_base = (char *)"https://mail.example.test:8443";
	fuzz_conf.imap_pop3_format = CONF_CALENDAR_FORMAT_BOTH;
	fuzz_conf.max_message_size = 1024 * 1024;
	/* an attendee's item and the organizer's */
	for (unsigned int i = 0; i < 2; i++) {
		struct store_cal_item item;
		const char *ical;

		memset(&item, 0, sizeof(item));
		item.user_id = fuzz_users[i].id;
		CHECK(imip_item_from_request(fuzz_init_pool, fuzz_seed_item,
					     strlen(fuzz_seed_item), NULL, &ical, &error) == 0);
		CHECK(cal_item_fill(fuzz_init_pool, &item, ical, fuzz_users[i].address,
				    &error) == 0);
		CHECK(store_cal_item_save(fuzz_store, &item, fuzz_init_pool) == 0);
	}
	cal_init(&fuzz_conf);
}

static void fuzz_occurrence(void *context, const struct imip_occurrence *occ)
{
	unsigned int *count = context;

	CHECK(occ->end >= occ->start);
	(*count)++;
}

/* Part 1: lib-ical on the bytes as iCalendar. */
static void fuzz_ical(struct pool *pool, const uint8_t *data, size_t size)
{
	struct imip_calendar *cal;
	struct imip_item_info info;
	const char *error, *ical, *out;
	unsigned int count = 0;

	if (imip_parse(pool, data, size, &cal, &error) < 0) {
		CHECK(error != NULL && *error != '\0');
		return;
	}
	CHECK(cal->event_count >= 1 && cal->uid != NULL);
	for (unsigned int i = 0; i < cal->event_count; i++) {
		CHECK(strcmp(cal->events[i].uid, cal->uid) == 0);
		CHECK(!cal->events[i].start.set || cal->events[i].end.utc >= cal->events[i].start.utc);
	}
	if (imip_item_from_request(pool, data, size, NULL, &ical, &error) < 0)
		return;
	if (imip_item_info(pool, ical, "alice@example.test", &info, &error) < 0)
		return;
	CHECK(info.dtend == 0 || info.dtend >= info.dtstart);
	CHECK(imip_item_expand(pool, ical, info.dtstart, info.dtstart + 400 * 86400, 500,
			       fuzz_occurrence, &count, &error) >= 0);
	CHECK(count <= 500);
	for (unsigned int i = 0; i < cal->event_count && i < 4; i++) {
		const struct imip_event *ev = &cal->events[i];
		struct imip_reply_params params = {
			.partstat = "ACCEPTED", .now = 1795515000, .comment = "fuzz",
			.rid = ev->recurrence_id.set ? &ev->recurrence_id : NULL,
		};

		if (ev->attendee_count == 0)
			continue;
		params.attendee = ev->attendees[0].address;
		if (imip_reply_build(pool, ical, &params, &out, &error) == 0) {
			struct imip_calendar *reply;

			CHECK(imip_parse(pool, out, strlen(out), &reply, &error) == 0);
			CHECK(reply->method == IMIP_METHOD_REPLY);
			CHECK(reply->events[0].attendee_count == 1);
		}
		(void)imip_item_set_partstat(pool, ical, params.attendee, "DECLINED",
					     ev->start.set ? &ev->start : NULL, &out, &error);
	}
	if (cal->master != NULL && cal->master->start.set)
		(void)imip_item_cancel(pool, ical, &cal->master->start, 1, &out, &error);
	{
		struct cal_summary summary = {
			.intro = "Meeting request",
			.link = "https://x/item/t",
			.zone = "Europe/Berlin",
			.description = true,
		};
		const char *text, *html;

		/* whatever the organizer wrote is escaped in the HTML */
		cal_render_bodies(pool, cal, &summary, &text, &html);
		CHECK(strstr(html, "<script") == NULL && strstr(html, "<img") == NULL);
	}
}

/* Part 2: the delivery hook on one message: for alice as `both` with a
   time zone of her own and as `url` (the organizer's parts kept beside
   our summary), and for bob. */
static void fuzz_hook(struct pool *pool, const unsigned char *msg, size_t size,
		      const char *sender)
{
	for (unsigned int i = 0; i < 3; i++) {
		struct store_user user = fuzz_users[i == 2 ? 1 : 0];
		struct deliver_request req;
		struct deliver_hook_result result;
		const char *rcpt = user.address;

		if (i == 0)
			user.timezone = "Europe/Berlin";
		if (i == 1)
			user.calendar_format = "url";

		memset(&req, 0, sizeof(req));
		req.sender = sender;
		req.data = msg;
		req.size = size;
		req.rcpt_count = 1;
		req.recipients = &rcpt;
		memset(&result, 0, sizeof(result));
		result.data = msg;
		result.size = size;
		cal_deliver_hook(NULL, pool, fuzz_store, &fuzz_conf, &user,
				 &req, &result);
		CHECK(result.data != NULL && (result.size > 0 || size == 0));
		if (result.commit != NULL) {
			CHECK(store_begin(fuzz_store) == 0);
			(void)result.commit(result.commit_context, fuzz_store, 1, 1);
			store_rollback(fuzz_store);
		}
		if (result.data != msg) {
			/* a rendered request is a message lib-mime can read */
			struct mime_summary sum;

			mime_summarize(pool, result.data, result.size, &sum);
			CHECK(sum.size == result.size);
			/* the original once (less its calendar parts), a summary
			   and the iCalendar object: bounded, never a multiple */
			CHECK(result.size <= size + 4 * IMIP_MAX_SIZE);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] =
		"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\n"
		"Subject: fuzz\r\nMessage-ID: <fuzz@example.test>\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
		"--b\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n";
	static const char tail[] = "\r\n--b--\r\n";
	struct pool *pool;
	unsigned char *wrapped;
	size_t wsize;

	if (fuzz_store == NULL)
		fuzz_init();
	if (size > 256 * 1024)
		return 0;
	pool = pool_create(16384);
	fuzz_ical(pool, data, size);
	fuzz_hook(pool, data, size, NULL);

	wsize = sizeof(head) - 1 + size + sizeof(tail) - 1;
	wrapped = p_malloc(pool, wsize);
	memcpy(wrapped, head, sizeof(head) - 1);
	memcpy(wrapped + sizeof(head) - 1, data, size);
	memcpy(wrapped + sizeof(head) - 1 + size, tail, sizeof(tail) - 1);
	fuzz_hook(pool, wrapped, wsize, "bob@example.test");
	pool_destroy(&pool);
	return 0;
}
