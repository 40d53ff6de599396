/* Recurrence and time zones on arbitrary iCalendar text: the RRULEs,
   RDATEs, EXDATEs and exceptions of a series and the VTIMEZONEs its times
   are in, expanded as the web agenda, CalDAV and delivery do it
   (imip_item_expand() over a month, a far one and the widest window, the
   span imip_item_info() walks, CalDAV's expand), on the input and (a
   month) on the item delivery would store from it. Each call must stay within a bound
   of time (libFuzzer's -timeout=1 catches worse; FUZZ_RECUR_MSEC, default
   300, sets ours, in CPU time), and what it gives must be in order and in
   its window. Run with:
     build-fuzz/fuzz/fuzz-recur -timeout=1 -max_len=4096 \
         -dict=fuzz/fuzz-recur.dict fuzz/corpus/fuzz-recur */
#include "imip.h"
#include "imip-instances.h"
#include "imip-item.h"
#include "log.h"
#include "pool.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* 1900-01-01, 2026-11-01, 2026-12-01, 2400-01-01, 2400-02-01, 2583-01-01 UTC */
#define T_1900 ((time_t)-2208988800LL)
#define T_2026_11 ((time_t)1793491200LL)
#define T_2026_12 ((time_t)1796083200LL)
#define T_2400 ((time_t)13569465600LL)
#define T_2400_02 ((time_t)13572144000LL)
#define T_2583 ((time_t)19344441600LL)

#define FUZZ_MAX_OCC 1000

static double fuzz_msec_max = 300;

struct fuzz_window {
	time_t from, to;
	time_t last_start;
	unsigned int count;
};

static void fuzz_occ_cb(void *context, const struct imip_occurrence *occ)
{
	struct fuzz_window *w = context;

	/* in order of start, in the window (an event without duration at
	   from counts), an end no earlier than the start */
	CHECK(w->count == 0 || occ->start >= w->last_start);
	CHECK(w->to == 0 || occ->start < w->to);
	CHECK(occ->end > w->from || occ->start >= w->from);
	CHECK(occ->end >= occ->start);
	w->last_start = occ->start;
	w->count++;
}

static double fuzz_cpu_msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void fuzz_timed_end(double start, const char *what, double factor)
{
	double ms = fuzz_cpu_msec() - start;

	if (ms > fuzz_msec_max * factor) {
		fprintf(stderr, "fuzz-recur: %s took %.0f ms of CPU\n", what, ms);
		__builtin_trap();
	}
}

static void fuzz_expand(struct pool *pool, const char *ical, time_t from, time_t to,
			const char *what)
{
	struct fuzz_window w = { .from = from, .to = to };
	const char *error;
	double start = fuzz_cpu_msec();
	int n = imip_item_expand(pool, ical, from, to, FUZZ_MAX_OCC, fuzz_occ_cb, &w, &error);

	fuzz_timed_end(start, what, 1);
	CHECK(n < 0 || (unsigned int)n == w.count);
	CHECK(w.count <= FUZZ_MAX_OCC);
}

/* Each call may take IMIP_EXPAND_MSEC (50 ms) and a little: few enough
   of them that an input stays well within a second. */
static void fuzz_item(struct pool *pool, const char *ical, bool all)
{
	struct imip_item_info info;
	const char *error, *out;
	double start;

	fuzz_expand(pool, ical, T_2026_11, T_2026_12, "a month");
	if (!all)
		return;
	fuzz_expand(pool, ical, T_1900, T_2583, "a wide window");
	fuzz_expand(pool, ical, T_2400, T_2400_02, "a month in 2400");
	start = fuzz_cpu_msec();
	if (imip_item_info(pool, ical, "alice@example.test", &info, &error) == 0)
		CHECK(info.dtend == 0 || info.dtend >= info.dtstart);
	fuzz_timed_end(start, "the span", 1);
	start = fuzz_cpu_msec();
	(void)imip_instances_expand(pool, ical, T_2026_11, T_2026_12 + 365 * 86400L,
				    &out, &error);
	/* and then makes (up to IMIP_INSTANCES_MAX) VEVENTs of them */
	fuzz_timed_end(start, "CalDAV expand", 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized = false;
	struct pool *pool;
	struct imip_calendar *cal;
	const char *text, *item, *error;
	double start;

	if (!initialized) {
		const char *msec = getenv("FUZZ_RECUR_MSEC");

		log_set_level(LOG_LEVEL_ERROR);
		imip_init();
		if (msec != NULL && atof(msec) > 0)
			fuzz_msec_max = atof(msec);
		initialized = true;
	}
	pool = pool_create(4096);
	text = p_strndup(pool, data, size);

	/* the times of each event, in their zones */
	start = fuzz_cpu_msec();
	(void)imip_parse(pool, text, strlen(text), &cal, &error);
	fuzz_timed_end(start, "parsing", 1);

	fuzz_item(pool, text, true);
	/* what delivery would store: the zones kept, made safe */
	start = fuzz_cpu_msec();
	if (imip_item_from_request(pool, text, strlen(text), NULL, &item, &error) == 0) {
		fuzz_timed_end(start, "the item", 1);
		fuzz_item(pool, item, false);
	}
	pool_destroy(&pool);
	return 0;
}
