#ifndef INFOSTORE_DAV_XML_H
#define INFOSTORE_DAV_XML_H

/*
 * WebDAV request bodies (RFC 4918, 4791, 6352, 6578, 5689) read with
 * libxml2 into our own small structs. No I/O; everything in the pool.
 * <libxml/...> is included in dav-xml.c alone.
 *
 * Limits (a client controls every byte): the body size is bounded by the
 * HTTP layer; here at most DAV_XML_MAX_PROPS property names, at most
 * DAV_XML_MAX_HREFS hrefs in a multiget, filters nested at most
 * DAV_XML_MAX_DEPTH deep, property values at most DAV_XML_MAX_VALUE bytes;
 * no DTD, no entity expansion, no network.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct pool;

#define DAV_XML_MAX_PROPS 200
#define DAV_XML_MAX_HREFS 1000
#define DAV_XML_MAX_DEPTH 16
#define DAV_XML_MAX_FILTERS 100
#define DAV_XML_MAX_VALUE 4096

#define DAV_NS_DAV "DAV:"
#define DAV_NS_CALDAV "urn:ietf:params:xml:ns:caldav"
#define DAV_NS_CARDDAV "urn:ietf:params:xml:ns:carddav"
#define DAV_NS_CS "http://calendarserver.org/ns/"
#define DAV_NS_APPLE "http://apple.com/ns/ical/"

struct dav_prop_name {
	const char *ns;     /* "" for no namespace */
	const char *name;
};

/* A property to set or remove (PROPPATCH, MKCOL, MKCALENDAR). */
struct dav_prop_value {
	struct dav_prop_name name;
	bool remove;
	const char *text;           /* text content, trimmed; NULL for remove */
	/* resourcetype being set: which child elements it had */
	bool rt_collection, rt_calendar, rt_addressbook;
	/* supported-calendar-component-set: names listed, space-separated */
	const char *components;
};

enum dav_propfind_kind {
	DAV_PROPFIND_ALLPROP,
	DAV_PROPFIND_PROPNAME,
	DAV_PROPFIND_PROP,
};

/* time-range (RFC 4791 9.9): 0 for an open end */
struct dav_time_range {
	bool set;
	time_t start, end;
};

enum dav_match_type {
	DAV_MATCH_CONTAINS,
	DAV_MATCH_EQUALS,
	DAV_MATCH_STARTS_WITH,
	DAV_MATCH_ENDS_WITH,
};

struct dav_text_match {
	bool set;
	const char *text;
	bool negate;
	bool casemap;              /* i;ascii-casemap / i;unicode-casemap */
	enum dav_match_type match;
};

/* prop-filter (CalDAV 9.7.2, CardDAV 10.5.1) and param-filter */
struct dav_param_filter {
	const char *name;
	bool is_not_defined;
	struct dav_text_match text;
};

struct dav_prop_filter {
	const char *name;          /* upper-cased */
	bool is_not_defined;
	bool all_of;               /* CardDAV test="allof" for its matches */
	struct dav_time_range range;
	struct dav_text_match *texts;
	unsigned int text_count;
	struct dav_param_filter *params;
	unsigned int param_count;
};

/* comp-filter (CalDAV 9.7.1) */
struct dav_comp_filter {
	const char *name;          /* upper-cased: VCALENDAR, VEVENT... */
	bool is_not_defined;
	struct dav_time_range range;
	struct dav_prop_filter *props;
	unsigned int prop_count;
	struct dav_comp_filter *comps;
	unsigned int comp_count;
};

enum dav_report_kind {
	DAV_REPORT_NONE,
	DAV_REPORT_CALENDAR_MULTIGET,
	DAV_REPORT_CALENDAR_QUERY,
	DAV_REPORT_FREE_BUSY,
	DAV_REPORT_ADDRESSBOOK_MULTIGET,
	DAV_REPORT_ADDRESSBOOK_QUERY,
	DAV_REPORT_SYNC_COLLECTION,
	DAV_REPORT_OTHER,
};

struct dav_body {
	/* the document element */
	struct dav_prop_name root;

	/* PROPFIND and the <prop> of REPORTs */
	enum dav_propfind_kind propfind;
	struct dav_prop_name *props;
	unsigned int prop_count;

	/* PROPPATCH, MKCOL, MKCALENDAR: in document order */
	struct dav_prop_value *values;
	unsigned int value_count;

	/* REPORT */
	enum dav_report_kind report;
	const char **hrefs;            /* multiget, as written */
	unsigned int href_count;
	struct dav_comp_filter *comp_filter;  /* calendar-query */
	struct dav_prop_filter *card_filters; /* addressbook-query */
	unsigned int card_filter_count;
	bool card_filter_all_of;
	struct dav_time_range expand;         /* calendar-data expand */
	struct dav_time_range limit_set;      /* limit-recurrence-set */
	struct dav_time_range free_busy;      /* free-busy-query */
	const char *sync_token;               /* "" for an empty one */
	bool sync_level_infinite;
	uint32_t limit;                       /* nresults, 0: none */
};

/*
 * Parse a request body. An empty body (size 0) gives root.name "" (a
 * PROPFIND without body means allprop, RFC 4918 9.1). 0, or -1 with
 * *error_r (not well-formed, over a limit, a time that does not parse).
 */
int dav_xml_parse(struct pool *pool, const char *data, size_t size,
		  struct dav_body *body_r, const char **error_r);

/* Is name this property? */
bool dav_prop_is(const struct dav_prop_name *name, const char *ns,
		 const char *local);

/* "20261215T090000Z" -> time. 0, or -1. */
int dav_parse_utc(const char *text, time_t *time_r);

#endif
