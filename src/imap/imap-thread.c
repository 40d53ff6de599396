/*
 * THREAD (RFC 5256 4 and 5), step by step as the RFC numbers them.
 *
 * The REFERENCES algorithm works on containers: one per message, plus
 * "dummy" ones for messages that are referred to but not here. They are
 * kept in an array and linked by index (parent, first child, next
 * sibling); a virtual root holds the root set.
 */
#include "imap-thread.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

#define NONE (-1)
/* Levels a thread may have; deeper replies start threads of their own. */
#define THREAD_MAX_DEPTH 1000

struct node {
	int msg;                  /* index into msgs, NONE for a dummy */
	int parent;               /* NONE: none */
	int child, last;          /* first and last child */
	int prev, next;           /* siblings */
	time_t date;              /* for step 6 */
	unsigned int order;       /* tie-break: the message's mailbox order */
};

struct thread_ctx {
	struct pool *pool;
	const struct imap_thread_msg *msgs;
	struct node *nodes;
	unsigned int count, alloc;
	/* msg-id -> node, open addressing */
	const char **keys;
	int *values;
	unsigned int table_size;
};

/* i;ascii-casemap folding (as str_casemap_cmp()), for hashing subjects */
static unsigned char casemap(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

static unsigned int str_hash(const char *s, bool fold)
{
	unsigned int h = 5381;

	for (; *s != '\0'; s++)
		h = h * 33 + (fold ? casemap((unsigned char)*s) : (unsigned char)*s);
	return h;
}

static int node_new(struct thread_ctx *ctx, int msg)
{
	struct node *n;

	ctx->nodes = p_grow(ctx->pool, ctx->nodes, sizeof(*ctx->nodes),
			    ctx->count, &ctx->alloc, 64);
	n = &ctx->nodes[ctx->count];
	n->msg = msg;
	n->parent = n->child = n->last = n->prev = n->next = NONE;
	n->date = 0;
	n->order = 0;
	return (int)ctx->count++;
}

/* The container of a msg-id, made (as a dummy) if it is new. */
static int id_node(struct thread_ctx *ctx, const char *id)
{
	unsigned int i = str_hash(id, false) & (ctx->table_size - 1);

	for (; ctx->keys[i] != NULL; i = (i + 1) & (ctx->table_size - 1)) {
		if (strcmp(ctx->keys[i], id) == 0)
			return ctx->values[i];
	}
	ctx->keys[i] = id;
	ctx->values[i] = node_new(ctx, NONE);
	return ctx->values[i];
}

static void node_unlink(struct thread_ctx *ctx, int n)
{
	struct node *node = &ctx->nodes[n];
	struct node *parent;

	if (node->parent == NONE)
		return;
	parent = &ctx->nodes[node->parent];
	if (node->prev != NONE)
		ctx->nodes[node->prev].next = node->next;
	else
		parent->child = node->next;
	if (node->next != NONE)
		ctx->nodes[node->next].prev = node->prev;
	else
		parent->last = node->prev;
	node->parent = node->prev = node->next = NONE;
}

/* Make child the last child of parent, from wherever it was. */
static void node_add_child(struct thread_ctx *ctx, int parent, int child)
{
	struct node *p, *c;

	node_unlink(ctx, child);
	p = &ctx->nodes[parent];
	c = &ctx->nodes[child];
	c->parent = parent;
	c->prev = p->last;
	if (p->last != NONE)
		ctx->nodes[p->last].next = child;
	else
		p->child = child;
	p->last = child;
}

/* The children of n, in order, into an array from pool; their count. */
static unsigned int node_children(struct thread_ctx *ctx, int n, int **kids_r)
{
	unsigned int count = 0, i = 0;
	int *kids;

	for (int c = ctx->nodes[n].child; c != NONE; c = ctx->nodes[c].next)
		count++;
	kids = p_new(ctx->pool, int, count > 0 ? count : 1);
	for (int c = ctx->nodes[n].child; c != NONE; c = ctx->nodes[c].next)
		kids[i++] = c;
	*kids_r = kids;
	return count;
}

/* May child become a child of parent? Not if child is parent or above
   it (a loop, RFC 5256 4 (1)(A)), nor deeper than THREAD_MAX_DEPTH: a
   mailbox of messages that each answer the one before would otherwise
   make a tree whose walks run the stack out. */
static bool node_link_allowed(const struct thread_ctx *ctx, int parent, int child)
{
	unsigned int depth = 0;

	for (int n = parent; n != NONE; n = ctx->nodes[n].parent) {
		if (n == child || ++depth >= THREAD_MAX_DEPTH)
			return false;
	}
	return true;
}

/* (4) Prune dummies under parent, children first. */
static void thread_prune(struct thread_ctx *ctx, int parent, int root)
{
	int *kids, *grandkids;
	unsigned int n = node_children(ctx, parent, &kids), gn;

	for (unsigned int i = 0; i < n; i++)
		node_unlink(ctx, kids[i]);
	for (unsigned int i = 0; i < n; i++) {
		int c = kids[i];

		thread_prune(ctx, c, root);
		if (ctx->nodes[c].msg == NONE) {
			/* A: an empty dummy goes */
			if (ctx->nodes[c].child == NONE)
				continue;
			/* B: one with children gives them to this level, in
			   its place, but not to the root unless it is just one */
			gn = node_children(ctx, c, &grandkids);
			if (parent != root || gn == 1) {
				for (unsigned int g = 0; g < gn; g++)
					node_add_child(ctx, parent, grandkids[g]);
				continue;
			}
		}
		node_add_child(ctx, parent, c);
	}
}

static const struct imap_thread_msg *node_subject_msg(const struct thread_ctx *ctx, int n)
{
	if (ctx->nodes[n].msg == NONE)
		n = ctx->nodes[n].child;
	return n == NONE || ctx->nodes[n].msg == NONE ? NULL :
		&ctx->msgs[ctx->nodes[n].msg];
}

/* (5) Threads of the root set with the same base subject come together. */
static void thread_group_subjects(struct thread_ctx *ctx, int root)
{
	unsigned int size = 16, n;
	const char **keys;
	int *values, *roots;

	n = node_children(ctx, root, &roots);
	while (size < n * 2)
		size *= 2;
	keys = p_new(ctx->pool, const char *, size);
	values = p_new(ctx->pool, int, size);
	/* B: one container per subject; dummies win, then non-replies */
	for (unsigned int i = 0; i < n; i++) {
		const struct imap_thread_msg *m = node_subject_msg(ctx, roots[i]);
		unsigned int h;

		if (m == NULL || *m->base_subject == '\0')
			continue;
		h = str_hash(m->base_subject, true) & (size - 1);
		for (; keys[h] != NULL; h = (h + 1) & (size - 1)) {
			if (str_casemap_cmp(keys[h], m->base_subject) == 0)
				break;
		}
		if (keys[h] == NULL) {
			keys[h] = m->base_subject;
			values[h] = roots[i];
		} else {
			int t = values[h];
			const struct imap_thread_msg *tm = node_subject_msg(ctx, t);

			if ((ctx->nodes[roots[i]].msg == NONE && ctx->nodes[t].msg != NONE) ||
			    (tm->reply && !m->reply))
				values[h] = roots[i];
		}
	}
	/* C: merge each into the one in the table */
	for (unsigned int i = 0; i < n; i++) {
		int c = roots[i], t;
		const struct imap_thread_msg *m = node_subject_msg(ctx, c), *tm;
		unsigned int h;
		bool c_dummy, t_dummy;

		if (m == NULL || *m->base_subject == '\0' || ctx->nodes[c].parent != root)
			continue;
		h = str_hash(m->base_subject, true) & (size - 1);
		while (str_casemap_cmp(keys[h], m->base_subject) != 0)
			h = (h + 1) & (size - 1);
		t = values[h];
		if (t == c)
			continue;
		tm = node_subject_msg(ctx, t);
		c_dummy = ctx->nodes[c].msg == NONE;
		t_dummy = ctx->nodes[t].msg == NONE;
		if (c_dummy && t_dummy) {
			/* a: the children of one go to the other */
			while (ctx->nodes[c].child != NONE)
				node_add_child(ctx, t, ctx->nodes[c].child);
			node_unlink(ctx, c);
		} else if (t_dummy) {
			/* b: the message goes under the dummy */
			node_add_child(ctx, t, c);
		} else if (c_dummy) {
			node_add_child(ctx, c, t);
			values[h] = c;
		} else if (!tm->reply && m->reply) {
			/* c: a reply goes under the original */
			node_add_child(ctx, t, c);
		} else {
			/* d: both under a new dummy (where among the root
			   set does not matter: step 6 sorts it) */
			int d = node_new(ctx, NONE);

			node_add_child(ctx, root, d);
			node_add_child(ctx, d, t);
			node_add_child(ctx, d, c);
			values[h] = d;
		}
	}
}

static int node_date_cmp(const void *a, const void *b, void *context)
{
	const struct thread_ctx *ctx = context;
	const struct node *na = &ctx->nodes[*(const int *)a];
	const struct node *nb = &ctx->nodes[*(const int *)b];

	if (na->date != nb->date)
		return na->date < nb->date ? -1 : 1;
	return na->order < nb->order ? -1 : na->order > nb->order ? 1 : 0;
}

/* (6) Siblings by date, a dummy dated by its first child once sorted. */
static void thread_sort(struct thread_ctx *ctx, int parent)
{
	int *kids;
	unsigned int n = node_children(ctx, parent, &kids);

	if (n == 0)
		return;
	for (unsigned int i = 0; i < n; i++) {
		thread_sort(ctx, kids[i]);
		node_unlink(ctx, kids[i]);
	}
	qsort_r(kids, n, sizeof(*kids), node_date_cmp, ctx);
	for (unsigned int i = 0; i < n; i++)
		node_add_child(ctx, parent, kids[i]);
	if (ctx->nodes[parent].msg == NONE) {
		ctx->nodes[parent].date = ctx->nodes[kids[0]].date;
		ctx->nodes[parent].order = ctx->nodes[kids[0]].order;
	}
}

/* thread-list: "(" members, then the nested lists of a fork ")" */
static void thread_write_list(const struct thread_ctx *ctx, int n, struct buffer *out)
{
	bool first = true;

	buffer_append_c(out, '(');
	for (;;) {
		const struct node *node = &ctx->nodes[n];

		if (node->msg != NONE) {
			buffer_printf(out, first ? "%u" : " %u", ctx->msgs[node->msg].number);
			first = false;
		}
		if (node->child == NONE)
			break;
		if (node->msg != NONE && ctx->nodes[node->child].next == NONE) {
			n = node->child;
			continue;
		}
		if (!first)
			buffer_append_c(out, ' ');
		for (int c = node->child; c != NONE; c = ctx->nodes[c].next)
			thread_write_list(ctx, c, out);
		break;
	}
	buffer_append_c(out, ')');
}

static void thread_references(struct thread_ctx *ctx, unsigned int count, int root)
{
	unsigned int ids = count;

	for (unsigned int i = 0; i < count; i++)
		ids += ctx->msgs[i].ref_count;
	ctx->table_size = 16;
	while (ctx->table_size < ids * 2)
		ctx->table_size *= 2;
	ctx->keys = p_new(ctx->pool, const char *, ctx->table_size);
	ctx->values = p_new(ctx->pool, int, ctx->table_size);
	/* (1) */
	for (unsigned int i = 0; i < count; i++) {
		const struct imap_thread_msg *m = &ctx->msgs[i];
		int prev = NONE, self;

		/* A: link the references to each other, oldest first, without
		   changing a link made before or closing a loop */
		for (unsigned int r = 0; r < m->ref_count; r++) {
			int n = id_node(ctx, m->refs[r]);

			if (prev != NONE && n != prev && ctx->nodes[n].parent == NONE &&
			    node_link_allowed(ctx, prev, n))
				node_add_child(ctx, prev, n);
			prev = n;
		}
		/* B: the message's own container; a missing or repeated
		   Message-ID makes one of its own */
		self = m->message_id != NULL ? id_node(ctx, m->message_id) : NONE;
		if (self == NONE || ctx->nodes[self].msg != NONE)
			self = node_new(ctx, NONE);
		ctx->nodes[self].msg = (int)i;
		ctx->nodes[self].date = m->date;
		ctx->nodes[self].order = i;
		node_unlink(ctx, self);
		if (prev != NONE && node_link_allowed(ctx, prev, self))
			node_add_child(ctx, prev, self);
	}
	/* (2) the root set */
	for (unsigned int i = 0; i < ctx->count; i++) {
		if ((int)i != root && ctx->nodes[i].parent == NONE)
			node_add_child(ctx, root, (int)i);
	}
	thread_prune(ctx, root, root);
	thread_group_subjects(ctx, root);
}

static int ordered_cmp(const void *a, const void *b, void *context)
{
	const struct thread_ctx *ctx = context;
	const struct imap_thread_msg *ma = &ctx->msgs[*(const int *)a];
	const struct imap_thread_msg *mb = &ctx->msgs[*(const int *)b];
	int ret = str_casemap_cmp(ma->base_subject, mb->base_subject);

	if (ret != 0)
		return ret;
	if (ma->date != mb->date)
		return ma->date < mb->date ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

/* RFC 5256 4 ORDEREDSUBJECT: one thread per base subject, its first
   message the parent of the others. */
static void thread_ordered_subject(struct thread_ctx *ctx, unsigned int count, int root)
{
	int *order = p_new(ctx->pool, int, count);
	int thread = NONE;

	for (unsigned int i = 0; i < count; i++)
		order[i] = (int)i;
	qsort_r(order, count, sizeof(*order), ordered_cmp, ctx);
	for (unsigned int i = 0; i < count; i++) {
		int n = node_new(ctx, order[i]);

		ctx->nodes[n].date = ctx->msgs[order[i]].date;
		ctx->nodes[n].order = (unsigned int)order[i];
		if (thread != NONE && str_casemap_cmp(ctx->msgs[ctx->nodes[thread].msg].base_subject,
						  ctx->msgs[order[i]].base_subject) == 0) {
			node_add_child(ctx, thread, n);
		} else {
			node_add_child(ctx, root, n);
			thread = n;
		}
	}
}

void imap_thread_write(struct pool *pool, enum imap_thread_algorithm alg,
		       const struct imap_thread_msg *msgs, unsigned int count,
		       struct buffer *out)
{
	struct thread_ctx ctx = { .pool = pool, .msgs = msgs };
	int root = node_new(&ctx, NONE);

	if (count == 0)
		return;
	if (alg == IMAP_THREAD_REFERENCES) {
		thread_references(&ctx, count, root);
		thread_sort(&ctx, root);
	} else {
		/* children stay in subject-then-date order; threads go by the
		   date of their first message */
		thread_ordered_subject(&ctx, count, root);
		thread_sort(&ctx, root);
	}
	for (int c = ctx.nodes[root].child; c != NONE; c = ctx.nodes[c].next)
		thread_write_list(&ctx, c, out);
}

unsigned int imap_thread_parse_ids(struct pool *pool, const char *value,
				   const char ***ids_r)
{
	const char **ids = NULL;
	unsigned int count = 0, alloc = 0;

	for (const char *p = value; p != NULL && (p = strchr(p, '<')) != NULL; ) {
		const char *end = strchr(p + 1, '>');

		if (end == NULL)
			break;
		/* a msg-id has an "@" and no spaces (RFC 5322 3.6.4) */
		if (end > p + 1 && memchr(p + 1, '@', (size_t)(end - p - 1)) != NULL &&
		    memchr(p + 1, ' ', (size_t)(end - p - 1)) == NULL) {
			ids = p_grow(pool, ids, sizeof(*ids), count, &alloc, 8);
			ids[count++] = p_strndup(pool, p + 1, (size_t)(end - p - 1));
		}
		p = end + 1;
	}
	*ids_r = ids;
	return count;
}
