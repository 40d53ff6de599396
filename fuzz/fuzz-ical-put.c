/* The iCalendar side of a CalDAV PUT (RFC 4791, RFC 6638), on arbitrary
   bytes: imip_parse() of the object, imip_sched_clean() of what is stored,
   the organizer's REQUEST and CANCEL (to everyone and to one attendee),
   SEQUENCE and SCHEDULE-STATUS updates, the attendee's answers and the
   significant-change test, checking that whatever the server sends reads
   back as iTIP. */
#include "imip.h"
#include "imip-sched.h"
#include "pool.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static const time_t fuzz_now = 1795515000;

/* What the server sends must read back as iTIP of that method. */
static void fuzz_check_itip(struct pool *pool, const char *text,
			    enum imip_method method, const char *uid)
{
	struct imip_calendar *cal;
	const char *error;

	CHECK(imip_parse(pool, text, strlen(text), &cal, &error) == 0);
	CHECK(cal->method == method);
	CHECK(strcmp(cal->uid, uid) == 0);
	for (unsigned int i = 0; i < cal->event_count; i++) {
		CHECK(cal->events[i].dtstamp == fuzz_now);
		CHECK(cal->events[i].organizer != NULL);
		if (method == IMIP_METHOD_CANCEL)
			CHECK(cal->events[i].status != NULL &&
			      strcmp(cal->events[i].status, "CANCELLED") == 0);
	}
}

static void fuzz_organizer(struct pool *pool, const char *stored,
			   const struct imip_calendar *cal)
{
	const struct imip_event *first = &cal->events[0];
	const char *attendee = first->attendee_count > 0 ? first->attendees[0].address : NULL;
	const char *out, *error;

	if (imip_sched_itip(pool, stored, IMIP_METHOD_REQUEST, NULL, fuzz_now,
			    &out, &error) == 0)
		fuzz_check_itip(pool, out, IMIP_METHOD_REQUEST, cal->uid);
	if (imip_sched_itip(pool, stored, IMIP_METHOD_CANCEL, NULL, fuzz_now,
			    &out, &error) == 0)
		fuzz_check_itip(pool, out, IMIP_METHOD_CANCEL, cal->uid);
	if (attendee != NULL && *attendee != '\0') {
		if (imip_sched_itip(pool, stored, IMIP_METHOD_REQUEST, attendee, fuzz_now,
				    &out, &error) == 0)
			fuzz_check_itip(pool, out, IMIP_METHOD_REQUEST, cal->uid);
		if (imip_sched_itip(pool, stored, IMIP_METHOD_CANCEL, attendee, fuzz_now,
				    &out, &error) == 0) {
			struct imip_calendar *cancel;

			fuzz_check_itip(pool, out, IMIP_METHOD_CANCEL, cal->uid);
			CHECK(imip_parse(pool, out, strlen(out), &cancel, &error) == 0);
			for (unsigned int i = 0; i < cancel->event_count; i++)
				CHECK(cancel->events[i].attendee_count <= 1);
		}
	}
	for (unsigned int i = 0; i < cal->event_count && i < 3; i++) {
		const struct imip_event *ev = &cal->events[i];
		const struct imip_time *rid = ev->recurrence_id.set ? &ev->recurrence_id :
			(ev->start.set ? &ev->start : NULL);

		if (rid != NULL && imip_sched_cancel_occurrence(pool, stored, rid, NULL, fuzz_now,
								&out, &error) == 0)
			fuzz_check_itip(pool, out, IMIP_METHOD_CANCEL, cal->uid);
	}
}

static void fuzz_updates(struct pool *pool, const char *stored,
			 const struct imip_calendar *cal)
{
	const struct imip_event *first = &cal->events[0];
	const char *addrs[2], *statuses[2] = { "1.2", "3.7" };
	unsigned int count = 0;
	struct imip_calendar *updated;
	const char *out, *error;

	if (imip_sched_sequence(pool, stored, first->sequence + 1, &out, &error) == 0) {
		CHECK(imip_parse(pool, out, strlen(out), &updated, &error) == 0);
		for (unsigned int i = 0; i < updated->event_count; i++)
			CHECK(updated->events[i].sequence == first->sequence + 1);
		/* a new SEQUENCE alone is no reason to write to anyone */
		CHECK(!imip_sched_significant_change(cal, updated));
	}
	for (unsigned int i = 0; i < first->attendee_count && count < 2; i++)
		addrs[count++] = first->attendees[i].address;
	if (imip_sched_set_status(pool, stored, addrs, statuses, count, &out, &error) == 0) {
		CHECK(imip_parse(pool, out, strlen(out), &updated, &error) == 0);
		CHECK(!imip_sched_significant_change(cal, updated));
	}
}

static void fuzz_answers(struct pool *pool, const struct imip_calendar *cal)
{
	for (unsigned int i = 0; i < cal->event_count && i < 2; i++) {
		const struct imip_event *ev = &cal->events[i];
		struct imip_sched_answer *answers;
		unsigned int count;

		if (ev->attendee_count == 0)
			continue;
		CHECK(imip_sched_partstats(pool, cal, ev->attendees[0].address,
					   &answers, &count) == 1);
		CHECK(count == cal->event_count);
		CHECK(answers[i].partstat != NULL);
		CHECK(imip_sched_answer_find(answers, count, &ev->recurrence_id) != NULL ||
		      cal->master == NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	struct imip_sched_recipients recipients;
	struct imip_calendar *cal, *clean_cal;
	struct pool *pool;
	const char *error, *stored, *again;

	if (!initialised) {
		imip_init();
		initialised = 1;
	}
	if (size > 256 * 1024)
		return 0;
	pool = pool_create(16384);
	/* what is stored is the cleaned object; it must clean to itself */
	if (imip_sched_clean(pool, (const char *)data, size, &stored, &error) < 0) {
		CHECK(error != NULL && *error != '\0');
		pool_destroy(&pool);
		return 0;
	}
	CHECK(imip_sched_clean(pool, stored, strlen(stored), &again, &error) == 0);
	CHECK(strcmp(stored, again) == 0);
	CHECK(imip_sched_recipients(pool, stored, &recipients, &error) == 0);
	for (unsigned int i = 0; i < recipients.attendee_count; i++)
		CHECK(recipients.attendees[i].address != NULL);

	if (imip_parse(pool, stored, strlen(stored), &cal, &error) == 0) {
		CHECK(!imip_sched_significant_change(cal, cal));
		if (imip_parse(pool, again, strlen(again), &clean_cal, &error) == 0)
			CHECK(!imip_sched_significant_change(cal, clean_cal));
		fuzz_organizer(pool, stored, cal);
		fuzz_updates(pool, stored, cal);
		fuzz_answers(pool, cal);
	}
	pool_destroy(&pool);
	return 0;
}
