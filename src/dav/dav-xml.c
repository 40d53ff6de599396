/*
 * DAV request bodies through libxml2's tree API. The document is read
 * with no network, no DTD loading and no entity substitution, and one
 * with a DTD at all is refused (the billion-laughs class); then we walk
 * it by namespace and local name, ignoring what we do not know, as RFC
 * 4918 17 asks of a server.
 */
#include "dav-xml.h"
#include "pool.h"
#include "strutil.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>
#include <time.h>

struct dav_xml_ctx {
	struct pool *pool;
	struct dav_body *body;
	const char *error;
	unsigned int filters;
};

bool dav_prop_is(const struct dav_prop_name *name, const char *ns,
		 const char *local)
{
	return strcmp(name->ns, ns) == 0 && strcmp(name->name, local) == 0;
}

static bool node_is(const xmlNode *node, const char *ns, const char *local)
{
	const char *href;

	if (node == NULL || node->type != XML_ELEMENT_NODE)
		return false;
	href = node->ns != NULL && node->ns->href != NULL ?
		(const char *)node->ns->href : "";
	return strcmp(href, ns) == 0 && strcmp((const char *)node->name, local) == 0;
}

static const xmlNode *child_elem(const xmlNode *node, const char *ns,
				 const char *local)
{
	for (const xmlNode *c = node != NULL ? node->children : NULL; c != NULL;
	     c = c->next) {
		if (node_is(c, ns, local))
			return c;
	}
	return NULL;
}

static const char *attr(struct pool *pool, const xmlNode *node, const char *name)
{
	xmlChar *value = xmlGetNoNsProp(node, (const xmlChar *)name);
	const char *ret;

	if (value == NULL)
		return NULL;
	ret = p_strdup(pool, (const char *)value);
	xmlFree(value);
	return ret;
}

/* Text content, white space trimmed; NULL when over the limit. */
static const char *text_of(struct dav_xml_ctx *ctx, const xmlNode *node)
{
	xmlChar *content = xmlNodeGetContent(node);
	const char *start, *end;
	const char *ret;

	if (content == NULL)
		return "";
	start = (const char *)content;
	while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
			       end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if ((size_t)(end - start) > DAV_XML_MAX_VALUE) {
		xmlFree(content);
		ctx->error = "a value is too long";
		return NULL;
	}
	ret = p_strndup(ctx->pool, start, (size_t)(end - start));
	xmlFree(content);
	return ret;
}

static struct dav_prop_name elem_name(struct pool *pool, const xmlNode *node)
{
	struct dav_prop_name n;

	n.ns = node->ns != NULL && node->ns->href != NULL ?
		p_strdup(pool, (const char *)node->ns->href) : "";
	n.name = p_strdup(pool, (const char *)node->name);
	return n;
}

static int add_prop_names(struct dav_xml_ctx *ctx, const xmlNode *prop)
{
	struct dav_body *b = ctx->body;
	unsigned int alloc = b->prop_count;

	for (const xmlNode *c = prop->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (b->prop_count >= DAV_XML_MAX_PROPS) {
			ctx->error = "too many properties";
			return -1;
		}
		b->props = p_grow(ctx->pool, b->props, sizeof(*b->props),
				  b->prop_count, &alloc, 16);
		b->props[b->prop_count++] = elem_name(ctx->pool, c);
	}
	return 0;
}

int dav_parse_utc(const char *text, time_t *time_r)
{
	struct tm tm;
	unsigned int y, mo, d, h = 0, mi = 0, s = 0;
	size_t len = strlen(text);

	/* RFC 4791 9.9: date with UTC time, "20061104T000000Z" */
	if (len == 16 && text[8] == 'T' && text[15] == 'Z') {
		if (sscanf(text, "%4u%2u%2uT%2u%2u%2uZ", &y, &mo, &d, &h, &mi, &s) != 6)
			return -1;
	} else if (len == 8) {
		if (sscanf(text, "%4u%2u%2u", &y, &mo, &d) != 3)
			return -1;
	} else {
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (i != 8 && i != 15 && (text[i] < '0' || text[i] > '9'))
			return -1;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)s;
	*time_r = timegm(&tm);
	return 0;
}

static int parse_range(struct dav_xml_ctx *ctx, const xmlNode *node,
		       struct dav_time_range *range)
{
	const char *start = attr(ctx->pool, node, "start");
	const char *end = attr(ctx->pool, node, "end");

	range->set = true;
	range->start = 0;
	range->end = 0;
	if ((start == NULL && end == NULL) ||
	    (start != NULL && dav_parse_utc(start, &range->start) < 0) ||
	    (end != NULL && dav_parse_utc(end, &range->end) < 0)) {
		ctx->error = "a time-range is not valid";
		return -1;
	}
	if (range->end != 0 && range->end < range->start) {
		ctx->error = "a time-range ends before it starts";
		return -1;
	}
	return 0;
}

static const char *upper(struct pool *pool, const char *s)
{
	char *u = p_strdup(pool, s != NULL ? s : "");

	for (char *p = u; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	}
	return u;
}

static int parse_text_match(struct dav_xml_ctx *ctx, const xmlNode *node,
			    struct dav_text_match *tm)
{
	const char *collation = attr(ctx->pool, node, "collation");
	const char *negate = attr(ctx->pool, node, "negate-condition");
	const char *match = attr(ctx->pool, node, "match-type");

	tm->set = true;
	tm->text = text_of(ctx, node);
	if (tm->text == NULL)
		return -1;
	tm->negate = negate != NULL && strcmp(negate, "yes") == 0;
	tm->casemap = collation == NULL || strcmp(collation, "i;octet") != 0;
	if (collation != NULL && strcmp(collation, "i;octet") != 0 &&
	    strcmp(collation, "i;ascii-casemap") != 0 &&
	    strcmp(collation, "i;unicode-casemap") != 0) {
		ctx->error = "unsupported collation";
		return -1;
	}
	tm->match = DAV_MATCH_CONTAINS;
	if (match != NULL) {
		if (strcmp(match, "equals") == 0)
			tm->match = DAV_MATCH_EQUALS;
		else if (strcmp(match, "starts-with") == 0)
			tm->match = DAV_MATCH_STARTS_WITH;
		else if (strcmp(match, "ends-with") == 0)
			tm->match = DAV_MATCH_ENDS_WITH;
		else if (strcmp(match, "contains") != 0) {
			ctx->error = "unsupported match-type";
			return -1;
		}
	}
	return 0;
}

static int parse_prop_filter(struct dav_xml_ctx *ctx, const xmlNode *node,
			     const char *ns, struct dav_prop_filter *pf)
{
	const char *test = attr(ctx->pool, node, "test");
	unsigned int talloc = 0, palloc = 0;

	memset(pf, 0, sizeof(*pf));
	if (++ctx->filters > DAV_XML_MAX_FILTERS) {
		ctx->error = "too many filters";
		return -1;
	}
	pf->name = upper(ctx->pool, attr(ctx->pool, node, "name"));
	pf->all_of = test != NULL && strcmp(test, "allof") == 0;
	for (const xmlNode *c = node->children; c != NULL; c = c->next) {
		if (node_is(c, ns, "is-not-defined")) {
			pf->is_not_defined = true;
		} else if (node_is(c, ns, "time-range")) {
			if (parse_range(ctx, c, &pf->range) < 0)
				return -1;
		} else if (node_is(c, ns, "text-match")) {
			pf->texts = p_grow(ctx->pool, pf->texts, sizeof(*pf->texts),
					   pf->text_count, &talloc, 2);
			if (parse_text_match(ctx, c, &pf->texts[pf->text_count++]) < 0)
				return -1;
		} else if (node_is(c, ns, "param-filter")) {
			struct dav_param_filter *pa;
			const xmlNode *tm;

			if (++ctx->filters > DAV_XML_MAX_FILTERS) {
				ctx->error = "too many filters";
				return -1;
			}
			pf->params = p_grow(ctx->pool, pf->params, sizeof(*pf->params),
					    pf->param_count, &palloc, 2);
			pa = &pf->params[pf->param_count++];
			memset(pa, 0, sizeof(*pa));
			pa->name = upper(ctx->pool, attr(ctx->pool, c, "name"));
			pa->is_not_defined = child_elem(c, ns, "is-not-defined") != NULL;
			tm = child_elem(c, ns, "text-match");
			if (tm != NULL && parse_text_match(ctx, tm, &pa->text) < 0)
				return -1;
		}
	}
	if (*pf->name == '\0') {
		ctx->error = "a prop-filter has no name";
		return -1;
	}
	return 0;
}

static int parse_comp_filter(struct dav_xml_ctx *ctx, const xmlNode *node,
			     unsigned int depth, struct dav_comp_filter *cf)
{
	unsigned int palloc = 0, calloc_ = 0;

	memset(cf, 0, sizeof(*cf));
	if (depth > DAV_XML_MAX_DEPTH || ++ctx->filters > DAV_XML_MAX_FILTERS) {
		ctx->error = "the filter is too complex";
		return -1;
	}
	cf->name = upper(ctx->pool, attr(ctx->pool, node, "name"));
	if (*cf->name == '\0') {
		ctx->error = "a comp-filter has no name";
		return -1;
	}
	for (const xmlNode *c = node->children; c != NULL; c = c->next) {
		if (node_is(c, DAV_NS_CALDAV, "is-not-defined")) {
			cf->is_not_defined = true;
		} else if (node_is(c, DAV_NS_CALDAV, "time-range")) {
			if (parse_range(ctx, c, &cf->range) < 0)
				return -1;
		} else if (node_is(c, DAV_NS_CALDAV, "prop-filter")) {
			cf->props = p_grow(ctx->pool, cf->props, sizeof(*cf->props),
					   cf->prop_count, &palloc, 4);
			if (parse_prop_filter(ctx, c, DAV_NS_CALDAV,
					      &cf->props[cf->prop_count++]) < 0)
				return -1;
		} else if (node_is(c, DAV_NS_CALDAV, "comp-filter")) {
			cf->comps = p_grow(ctx->pool, cf->comps, sizeof(*cf->comps),
					   cf->comp_count, &calloc_, 2);
			if (parse_comp_filter(ctx, c, depth + 1,
					      &cf->comps[cf->comp_count++]) < 0)
				return -1;
		}
	}
	return 0;
}

/* <prop> of a REPORT; calendar-data's expand / limit-recurrence-set */
static int parse_report_prop(struct dav_xml_ctx *ctx, const xmlNode *root)
{
	const xmlNode *prop = child_elem(root, DAV_NS_DAV, "prop");
	const xmlNode *data;

	if (child_elem(root, DAV_NS_DAV, "allprop") != NULL) {
		ctx->body->propfind = DAV_PROPFIND_ALLPROP;
		return 0;
	}
	if (child_elem(root, DAV_NS_DAV, "propname") != NULL) {
		ctx->body->propfind = DAV_PROPFIND_PROPNAME;
		return 0;
	}
	ctx->body->propfind = DAV_PROPFIND_PROP;
	if (prop == NULL)
		return 0;
	data = child_elem(prop, DAV_NS_CALDAV, "calendar-data");
	if (data != NULL) {
		const xmlNode *e = child_elem(data, DAV_NS_CALDAV, "expand");
		const xmlNode *l = child_elem(data, DAV_NS_CALDAV, "limit-recurrence-set");

		if (e != NULL && parse_range(ctx, e, &ctx->body->expand) < 0)
			return -1;
		if (l != NULL && parse_range(ctx, l, &ctx->body->limit_set) < 0)
			return -1;
		if ((e != NULL && (ctx->body->expand.start == 0 || ctx->body->expand.end == 0)) ||
		    (l != NULL && (ctx->body->limit_set.start == 0 || ctx->body->limit_set.end == 0))) {
			ctx->error = "expand needs a start and an end";
			return -1;
		}
	}
	return add_prop_names(ctx, prop);
}

static int parse_hrefs(struct dav_xml_ctx *ctx, const xmlNode *root)
{
	struct dav_body *b = ctx->body;
	unsigned int alloc = 0;

	for (const xmlNode *c = root->children; c != NULL; c = c->next) {
		const char *href;

		if (!node_is(c, DAV_NS_DAV, "href"))
			continue;
		if (b->href_count >= DAV_XML_MAX_HREFS) {
			ctx->error = "too many hrefs";
			return -1;
		}
		href = text_of(ctx, c);
		if (href == NULL)
			return -1;
		b->hrefs = p_grow(ctx->pool, b->hrefs, sizeof(*b->hrefs),
				  b->href_count, &alloc, 16);
		b->hrefs[b->href_count++] = href;
	}
	return 0;
}

static int parse_limit(struct dav_xml_ctx *ctx, const xmlNode *root)
{
	const xmlNode *limit = child_elem(root, DAV_NS_DAV, "limit");
	const xmlNode *n;
	const char *text;
	uint64_t num;

	if (limit == NULL)
		limit = child_elem(root, DAV_NS_CARDDAV, "limit");
	if (limit == NULL)
		return 0;
	n = child_elem(limit, DAV_NS_DAV, "nresults");
	if (n == NULL)
		n = child_elem(limit, DAV_NS_CARDDAV, "nresults");
	if (n == NULL)
		return 0;
	text = text_of(ctx, n);
	if (text == NULL || str_to_u64(text, UINT32_MAX, &num) < 0 || num == 0) {
		ctx->error = "nresults is not a positive number";
		return -1;
	}
	ctx->body->limit = (uint32_t)num;
	return 0;
}

static int parse_report(struct dav_xml_ctx *ctx, const xmlNode *root)
{
	struct dav_body *b = ctx->body;

	if (node_is(root, DAV_NS_CALDAV, "calendar-multiget")) {
		b->report = DAV_REPORT_CALENDAR_MULTIGET;
		return parse_report_prop(ctx, root) < 0 ? -1 : parse_hrefs(ctx, root);
	}
	if (node_is(root, DAV_NS_CARDDAV, "addressbook-multiget")) {
		b->report = DAV_REPORT_ADDRESSBOOK_MULTIGET;
		return parse_report_prop(ctx, root) < 0 ? -1 : parse_hrefs(ctx, root);
	}
	if (node_is(root, DAV_NS_CALDAV, "calendar-query")) {
		const xmlNode *filter = child_elem(root, DAV_NS_CALDAV, "filter");
		const xmlNode *cf = child_elem(filter, DAV_NS_CALDAV, "comp-filter");

		b->report = DAV_REPORT_CALENDAR_QUERY;
		if (parse_report_prop(ctx, root) < 0)
			return -1;
		/* RFC 4791 7.8: the filter is required and names VCALENDAR */
		if (cf == NULL) {
			ctx->error = "calendar-query needs a filter";
			return -1;
		}
		b->comp_filter = p_new(ctx->pool, struct dav_comp_filter, 1);
		return parse_comp_filter(ctx, cf, 0, b->comp_filter) < 0 ? -1 :
			parse_limit(ctx, root);
	}
	if (node_is(root, DAV_NS_CARDDAV, "addressbook-query")) {
		const xmlNode *filter = child_elem(root, DAV_NS_CARDDAV, "filter");
		const char *test = filter != NULL ? attr(ctx->pool, filter, "test") : NULL;
		unsigned int alloc = 0;

		b->report = DAV_REPORT_ADDRESSBOOK_QUERY;
		if (parse_report_prop(ctx, root) < 0)
			return -1;
		b->card_filter_all_of = test != NULL && strcmp(test, "allof") == 0;
		for (const xmlNode *c = filter != NULL ? filter->children : NULL;
		     c != NULL; c = c->next) {
			if (!node_is(c, DAV_NS_CARDDAV, "prop-filter"))
				continue;
			b->card_filters = p_grow(ctx->pool, b->card_filters,
						 sizeof(*b->card_filters),
						 b->card_filter_count, &alloc, 4);
			if (parse_prop_filter(ctx, c, DAV_NS_CARDDAV,
					      &b->card_filters[b->card_filter_count++]) < 0)
				return -1;
		}
		return parse_limit(ctx, root);
	}
	if (node_is(root, DAV_NS_CALDAV, "free-busy-query")) {
		const xmlNode *tr = child_elem(root, DAV_NS_CALDAV, "time-range");

		b->report = DAV_REPORT_FREE_BUSY;
		if (tr == NULL) {
			ctx->error = "free-busy-query needs a time-range";
			return -1;
		}
		return parse_range(ctx, tr, &b->free_busy);
	}
	if (node_is(root, DAV_NS_DAV, "sync-collection")) {
		const xmlNode *tok = child_elem(root, DAV_NS_DAV, "sync-token");
		const xmlNode *lvl = child_elem(root, DAV_NS_DAV, "sync-level");

		b->report = DAV_REPORT_SYNC_COLLECTION;
		b->sync_token = tok != NULL ? text_of(ctx, tok) : "";
		if (b->sync_token == NULL)
			return -1;
		if (lvl != NULL) {
			const char *level = text_of(ctx, lvl);

			if (level == NULL)
				return -1;
			b->sync_level_infinite = strcmp(level, "infinite") == 0;
		}
		return parse_report_prop(ctx, root) < 0 ? -1 : parse_limit(ctx, root);
	}
	b->report = DAV_REPORT_OTHER;
	return 0;
}

static int parse_set_values(struct dav_xml_ctx *ctx, const xmlNode *parent,
			    bool remove, unsigned int *alloc)
{
	struct dav_body *b = ctx->body;

	for (const xmlNode *prop = parent->children; prop != NULL; prop = prop->next) {
		if (!node_is(prop, DAV_NS_DAV, "prop"))
			continue;
		for (const xmlNode *c = prop->children; c != NULL; c = c->next) {
			struct dav_prop_value *v;

			if (c->type != XML_ELEMENT_NODE)
				continue;
			if (b->value_count >= DAV_XML_MAX_PROPS) {
				ctx->error = "too many properties";
				return -1;
			}
			b->values = p_grow(ctx->pool, b->values, sizeof(*b->values),
					   b->value_count, alloc, 8);
			v = &b->values[b->value_count++];
			memset(v, 0, sizeof(*v));
			v->name = elem_name(ctx->pool, c);
			v->remove = remove;
			if (remove)
				continue;
			if (node_is(c, DAV_NS_DAV, "resourcetype")) {
				v->rt_collection = child_elem(c, DAV_NS_DAV, "collection") != NULL;
				v->rt_calendar = child_elem(c, DAV_NS_CALDAV, "calendar") != NULL;
				v->rt_addressbook = child_elem(c, DAV_NS_CARDDAV, "addressbook") != NULL;
				v->text = "";
			} else if (node_is(c, DAV_NS_CALDAV, "supported-calendar-component-set")) {
				const char *list = "";

				for (const xmlNode *comp = c->children; comp != NULL;
				     comp = comp->next) {
					if (node_is(comp, DAV_NS_CALDAV, "comp"))
						list = p_printf(ctx->pool, "%s%s%s", list,
								*list != '\0' ? " " : "",
								upper(ctx->pool, attr(ctx->pool, comp, "name")));
				}
				v->components = list;
				v->text = "";
			} else {
				v->text = text_of(ctx, c);
				if (v->text == NULL)
					return -1;
			}
		}
	}
	return 0;
}

static int parse_root(struct dav_xml_ctx *ctx, const xmlNode *root)
{
	struct dav_body *b = ctx->body;
	unsigned int alloc = 0;

	b->root = elem_name(ctx->pool, root);
	if (node_is(root, DAV_NS_DAV, "propfind")) {
		const xmlNode *prop = child_elem(root, DAV_NS_DAV, "prop");

		if (child_elem(root, DAV_NS_DAV, "propname") != NULL) {
			b->propfind = DAV_PROPFIND_PROPNAME;
		} else if (child_elem(root, DAV_NS_DAV, "allprop") != NULL) {
			const xmlNode *inc = child_elem(root, DAV_NS_DAV, "include");

			b->propfind = DAV_PROPFIND_ALLPROP;
			if (inc != NULL)
				return add_prop_names(ctx, inc);
		} else if (prop != NULL) {
			b->propfind = DAV_PROPFIND_PROP;
			return add_prop_names(ctx, prop);
		} else {
			ctx->error = "propfind needs prop, allprop or propname";
			return -1;
		}
		return 0;
	}
	if (node_is(root, DAV_NS_DAV, "propertyupdate")) {
		for (const xmlNode *c = root->children; c != NULL; c = c->next) {
			if (node_is(c, DAV_NS_DAV, "set") &&
			    parse_set_values(ctx, c, false, &alloc) < 0)
				return -1;
			if (node_is(c, DAV_NS_DAV, "remove") &&
			    parse_set_values(ctx, c, true, &alloc) < 0)
				return -1;
		}
		return 0;
	}
	if (node_is(root, DAV_NS_DAV, "mkcol") ||
	    node_is(root, DAV_NS_CALDAV, "mkcalendar")) {
		for (const xmlNode *c = root->children; c != NULL; c = c->next) {
			if (node_is(c, DAV_NS_DAV, "set") &&
			    parse_set_values(ctx, c, false, &alloc) < 0)
				return -1;
		}
		return 0;
	}
	return parse_report(ctx, root);
}

static void dav_xml_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int dav_xml_parse(struct pool *pool, const char *data, size_t size,
		  struct dav_body *body_r, const char **error_r)
{
	struct dav_xml_ctx ctx;
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	const xmlNode *root;
	int ret;

	memset(body_r, 0, sizeof(*body_r));
	body_r->root.ns = "";
	body_r->root.name = "";
	body_r->propfind = DAV_PROPFIND_ALLPROP;
	if (size == 0)
		return 0;
	if (size > INT32_MAX) {
		*error_r = "the body is too large";
		return -1;
	}
	xmlSetGenericErrorFunc(NULL, dav_xml_silent);
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	/* no XML_PARSE_NOENT (entities are not substituted), no DTD loading,
	   no network */
	doc = xmlCtxtReadMemory(ctxt, data, (int)size, "request.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	/* a namespace error (xmlns:p="", an undeclared prefix) is not fatal
	   to libxml2, but the names it leaves cannot be answered: refuse it
	   as RFC 4918 8.2 refuses any body that is not well-formed */
	if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed) {
		if (doc != NULL)
			xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		*error_r = "the body is not well-formed XML (with namespaces)";
		return -1;
	}
	xmlFreeParserCtxt(ctxt);
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		xmlFreeDoc(doc);
		*error_r = "a DTD is not allowed";
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL) {
		xmlFreeDoc(doc);
		*error_r = "the body has no document element";
		return -1;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.pool = pool;
	ctx.body = body_r;
	ret = parse_root(&ctx, root);
	xmlFreeDoc(doc);
	if (ret < 0) {
		*error_r = ctx.error != NULL ? ctx.error : "the body could not be read";
		return -1;
	}
	return 0;
}
