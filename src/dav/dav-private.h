#ifndef INFOSTORE_DAV_PRIVATE_H
#define INFOSTORE_DAV_PRIVATE_H

/* Shared by the files of src/dav only. */

#include <stdbool.h>
#include <stdint.h>

#include "buffer.h"
#include "dav-path.h"
#include "dav-xml.h"
#include "server.h"
#include "store.h"
#include "store-dav.h"
#include "web-http.h"


/* The largest resource a client may PUT (also max-resource-size). */
#define DAV_MAX_RESOURCE_SIZE (1024 * 1024)
/* Tombstones kept per collection for sync-collection (RFC 6578 3.8). */
#define DAV_TOMBSTONES_KEEP STORE_DAV_TOMBSTONES_KEEP
/* Responses of one Depth: 1 PROPFIND or REPORT before 507 truncation. */
#define DAV_MAX_RESPONSES 100000

/* One DAV request being answered. */
struct dav_ctx {
	struct server *srv;
	struct web_request *req;
	struct pool *pool;
	struct buffer *out;
	struct dav_path path;
	struct store_user user;        /* the authenticated user */
	int depth;                     /* 0, 1, or -1 for infinity */
	bool brief;                    /* Brief: t / Prefer: return=minimal */
	struct dav_body body;
	const char *raw_body;
	size_t raw_size;
};

/* What a PROPFIND or REPORT response describes. */
struct dav_res {
	enum dav_path_kind kind;
	const char *href;
	const char *address;                   /* owner */
	const struct store_dav_collection *col; /* collections and resources */
	/* resources */
	const char *name;
	uint64_t modseq;
	uint64_t schedule_tag;
	const char *data;                      /* loaded on demand */
	int64_t id;
	size_t size;
};

/* --- dav-server.c --- */
/* Answer with a status and an optional DAV:error precondition
   (RFC 4918 16): ns and name of the element, or NULL. */
void dav_send_error(struct dav_ctx *ctx, int status, const char *ns,
		    const char *precondition);
void dav_send_status(struct dav_ctx *ctx, int status);
/* Send ctx->out as application/xml with status. */
void dav_send_xml(struct dav_ctx *ctx, int status);
/* The collection a path names, owned by ctx->user. 1, 0 (none: 404
   sent), -1 (error: 500 sent). */
int dav_collection_get(struct dav_ctx *ctx, enum store_dav_kind kind,
		       const char *name, struct store_dav_collection *col_r);
/* "\"<modseq>\"" */
const char *dav_etag(struct pool *pool, uint64_t modseq);
/* The sync token URI of a collection version. */
const char *dav_sync_token(struct pool *pool, const struct store_dav_collection *col,
			   uint64_t modseq);
/* Parse one back: 0, or -1 when it is not ours or names another
   collection. */
int dav_sync_token_parse(const char *token, const struct store_dav_collection *col,
			 uint64_t *modseq_r);

/* --- dav-out.c: multistatus --- */
void dav_xml_escape(struct buffer *out, const char *text);
void dav_ms_begin(struct buffer *out);
void dav_ms_end(struct buffer *out);
/* A <response> with a status only (404 for a multiget href, tombstones). */
void dav_ms_status(struct buffer *out, const char *href, int status);
/* Open/close an element for a property name, with an xmlns when its
   namespace has no fixed prefix. */
void dav_prop_open(struct buffer *out, const struct dav_prop_name *name, bool empty);
void dav_prop_close(struct buffer *out, const struct dav_prop_name *name);
const char *dav_status_line(int status);

/* --- dav-props.c --- */
/* Write the <response> for res with the properties the body asks for
   (PROPFIND or a REPORT's prop). */
void dav_props_response(struct dav_ctx *ctx, struct dav_res *res);
/* PROPPATCH on a collection; writes the multistatus. */
void dav_proppatch(struct dav_ctx *ctx, struct dav_res *res);
/* Set the properties of a new collection (MKCOL/MKCALENDAR). 0, or -1
   with the failing property's name in *bad_r. */
int dav_props_apply(struct dav_ctx *ctx, const struct store_dav_collection *col,
		    const struct dav_prop_name **bad_r);

/* --- dav-report.c --- */
void dav_report(struct dav_ctx *ctx);
/* free-busy for a user over a range, as a VFREEBUSY text (POST to the
   outbox, free-busy-query). */
const char *dav_freebusy(struct dav_ctx *ctx, const struct store_user *user,
			 const char *organizer, const char *uid,
			 time_t start, time_t end);

/* --- dav-resource.c: GET, PUT, DELETE --- */
void dav_get(struct dav_ctx *ctx);
void dav_put(struct dav_ctx *ctx);
void dav_delete(struct dav_ctx *ctx);
void dav_outbox_post(struct dav_ctx *ctx);
void dav_move_copy(struct dav_ctx *ctx, bool move);
/* The data of a calendar object or card for GET and calendar-data. */
int dav_resource_load(struct dav_ctx *ctx, struct dav_res *res);

#endif
