#ifndef INFOSTORE_STORE_DAV_H
#define INFOSTORE_STORE_DAV_H

/*
 * Calendar and address-book collections for CalDAV and CardDAV, part of
 * the store API (the same rules as store.h: 0/-1, lookups 1/0/-1, strings
 * in the pool passed in, errors from store_last_error()).
 *
 * Every user has a default calendar ("calendar") and a default address
 * book ("contacts"); more can be made. Calendar resources are the
 * calendar items of store.h (struct store_cal_item, whose collection_id
 * and href say where they are); address-book resources are cards.
 *
 * Versions: each collection counts its changes. Every write to a
 * resource takes the collection's next modseq in the writing transaction
 * and stamps the resource with it, so
 *   - a resource's modseq is its strong ETag (it changes with every
 *     change and is never reused in the collection),
 *   - the collection's modseq is its CTag and sync token (RFC 6578),
 *   - the changes since token T are the resources and tombstones with a
 *     modseq above T, in modseq order.
 * A deleted resource leaves a tombstone (href, modseq). A collection keeps
 * at most `keep` tombstones (the caller's limit); dropping older ones
 * raises tomb_floor, and a sync token below the floor can no longer be
 * answered (403 valid-sync-token).
 *
 * Conditional writes (If-Match) are the caller's: begin a transaction
 * (store_begin), look the resource up, compare, write, commit. Nothing is
 * acknowledged before store_commit() returned 0.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pool;
struct store;

enum store_dav_kind {
	STORE_DAV_CALENDAR = 1,
	STORE_DAV_ADDRESSBOOK = 2,
};

#define STORE_DAV_NAME_MAX 128
/* Collections of one kind a user may have. */
#define STORE_DAV_COLLECTIONS_MAX 100

struct store_dav_collection {
	int64_t id;
	int64_t user_id;
	enum store_dav_kind kind;
	const char *name;         /* the URL segment */
	const char *displayname;  /* or NULL */
	const char *color;        /* or NULL */
	const char *description;  /* or NULL */
	bool is_default;
	uint64_t modseq;          /* CTag and sync token */
	uint64_t tomb_floor;      /* tokens below this are too old */
	time_t created;
};

/* Is name a valid collection segment? ([A-Za-z0-9._-]+, not "." or "..",
   at most STORE_DAV_NAME_MAX bytes) */
bool store_dav_name_valid(const char *name);
/* The same for a resource name (also '@', '+', '=', '~'). */
bool store_dav_href_valid(const char *name);

/* The user's collections of a kind, default first, then by name. */
int store_dav_collection_list(struct store *store, int64_t user_id,
			      enum store_dav_kind kind, struct pool *pool,
			      struct store_dav_collection **cols_r,
			      unsigned int *count_r);
/* 1 found, 0 not, -1. */
int store_dav_collection_lookup(struct store *store, int64_t user_id,
				enum store_dav_kind kind, const char *name,
				struct pool *pool, struct store_dav_collection *col_r);
int store_dav_collection_lookup_id(struct store *store, int64_t id,
				   struct pool *pool, struct store_dav_collection *col_r);
/* The user's default collection of a kind (made if missing). */
int store_dav_collection_default(struct store *store, int64_t user_id,
				 enum store_dav_kind kind, struct pool *pool,
				 struct store_dav_collection *col_r);
/* Create (name must be valid; EXISTS if taken, LIMIT past
   STORE_DAV_COLLECTIONS_MAX). displayname etc. may be NULL. */
int store_dav_collection_create(struct store *store, int64_t user_id,
				enum store_dav_kind kind, const char *name,
				const char *displayname, const char *color,
				const char *description, int64_t *id_r);
/* Delete with every resource in it. The default one cannot be deleted
   (STORE_ERROR_PERM). */
int store_dav_collection_delete(struct store *store, int64_t id);
/* Set the properties; NULL leaves one unchanged, "" removes it. Counts as
   a change of the collection (new modseq). */
int store_dav_collection_set_props(struct store *store, int64_t id,
				   const char *displayname, const char *color,
				   const char *description);

/* Take the collection's next modseq (inside the caller's transaction).
   0 or -1. */
int store_dav_next_modseq(struct store *store, int64_t collection_id,
			  uint64_t *modseq_r);

/* A resource as sync and listing see it. */
struct store_dav_resource {
	const char *href;    /* name within the collection */
	uint64_t modseq;     /* the ETag; 0 for a tombstone */
	bool deleted;
	const char *data;    /* with STORE_DAV_WITH_DATA, else NULL */
	/* calendars: the item's span (0 unknown) and id; cards: id */
	int64_t id;
	time_t dtstart, dtend;
};
#define STORE_DAV_WITH_DATA 0x1

typedef int store_dav_resource_cb(void *context,
				  const struct store_dav_resource *res);

/* Every resource of a collection, by href. cb returns 0 to go on, 1 to
   stop. */
int store_dav_resource_list(struct store *store,
			    const struct store_dav_collection *col,
			    unsigned int flags, struct pool *pool,
			    store_dav_resource_cb *cb, void *context);
/* One resource by name. 1, 0, -1. */
int store_dav_resource_get(struct store *store,
			   const struct store_dav_collection *col,
			   const char *href, unsigned int flags,
			   struct pool *pool, struct store_dav_resource *res_r);
/* Resources changed and tombstones left since modseq `since`, in modseq
   order (ties by href). STORE_ERROR_INVALID when since is below the
   collection's tomb_floor (too old) or above its modseq. */
int store_dav_changes(struct store *store, const struct store_dav_collection *col,
		      uint64_t since, struct pool *pool,
		      store_dav_resource_cb *cb, void *context);
/* Tombstones a collection keeps, as CardDAV and the web access delete. */
#define STORE_DAV_TOMBSTONES_KEEP 10000

/* Delete a resource, leaving a tombstone; keep at most `keep` tombstones
   in the collection. 1 deleted, 0 no such resource, -1. */
int store_dav_resource_delete(struct store *store,
			      const struct store_dav_collection *col,
			      const char *href, unsigned int keep);

/* Move a resource to dst_href in dst (another collection of the same
   kind, or the same one: a rename). It takes dst's next modseq and leaves
   a tombstone at the source; a calendar item keeps its UID, link token
   and Schedule-Tag. The caller deletes a resource at dst_href first
   (STORE_ERROR_EXISTS otherwise, and for a card whose UID dst already
   has). 1 moved, 0 no such resource, -1. */
int store_dav_resource_move(struct store *store,
			    const struct store_dav_collection *src, const char *href,
			    const struct store_dav_collection *dst,
			    const char *dst_href, unsigned int keep);

/* --- cards --- */

struct store_card {
	int64_t id;
	int64_t collection_id;
	const char *href;
	const char *uid;
	uint64_t modseq;
	const char *fn;      /* or NULL */
	const char *vcard;   /* as the client PUT it */
	time_t created, updated;
};

/* 1, 0, -1 */
int store_card_lookup(struct store *store, int64_t collection_id,
		      const char *href, struct pool *pool, struct store_card *card_r);
int store_card_lookup_uid(struct store *store, int64_t collection_id,
			  const char *uid, struct pool *pool, struct store_card *card_r);
/* The card of that store id, if it is in that collection. 1, 0, -1. */
int store_card_lookup_id(struct store *store, int64_t collection_id, int64_t id,
			 struct pool *pool, struct store_card *card_r);
/* Insert (card->id == 0) or replace by id; takes the next modseq
   (card->modseq set). EXISTS when another card has the UID or href. */
int store_card_save(struct store *store, struct store_card *card);
typedef int store_card_cb(void *context, const struct store_card *card);
/* Every card of the collection, by href; cb returns 0 to go on, 1 to stop. */
int store_card_list(struct store *store, int64_t collection_id,
		    struct pool *pool, store_card_cb *cb, void *context);
/*
 * A page of the collection's cards in name order (FN folded to lower
 * case, ASCII only, then id): those after `after` (its fn and id; NULL:
 * from the first), at most limit (1 to STORE_CARD_PAGE_MAX, else
 * STORE_ERROR_INVALID). With a needle (NULL or "": every card), only
 * those whose FN or vCard text contains it, ASCII case-insensitively: the
 * caller looks closer, since the text holds more than names and
 * addresses (a photo's base64, say). To go on, pass the last card seen
 * as `after`. cb as for store_card_list(); what it sees lives until it
 * returns.
 */
#define STORE_CARD_PAGE_MAX 500
int store_card_page(struct store *store, int64_t collection_id,
		    const char *needle, const struct store_card *after,
		    unsigned int limit, store_card_cb *cb, void *context);

#endif
