#include "strutil.h"

#include <stdio.h>
#include <string.h>

static inline unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool str_begins(const char *str, const char *prefix)
{
	return strncmp(str, prefix, strlen(prefix)) == 0;
}

bool str_begins_icase(const char *str, const char *prefix)
{
	size_t len = strlen(prefix);

	return strlen(str) >= len && mem_iequal(str, prefix, len);
}

int str_icmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;

	while (*pa != '\0' && ascii_lower(*pa) == ascii_lower(*pb)) {
		pa++;
		pb++;
	}
	return (int)ascii_lower(*pa) - (int)ascii_lower(*pb);
}

int str_casemap_cmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)(a != NULL ? a : "");
	const unsigned char *pb = (const unsigned char *)(b != NULL ? b : "");

	for (;; pa++, pb++) {
		unsigned char ca = *pa >= 'a' && *pa <= 'z' ? (unsigned char)(*pa - 'a' + 'A') : *pa;
		unsigned char cb = *pb >= 'a' && *pb <= 'z' ? (unsigned char)(*pb - 'a' + 'A') : *pb;

		if (ca != cb || ca == '\0')
			return (int)ca - (int)cb;
	}
}

bool str_iequal(const char *a, const char *b)
{
	return str_icmp(a, b) == 0;
}

bool mem_iequal(const void *a, const void *b, size_t len)
{
	const unsigned char *pa = a, *pb = b;

	for (size_t i = 0; i < len; i++) {
		if (ascii_lower(pa[i]) != ascii_lower(pb[i]))
			return false;
	}
	return true;
}

char *str_trim(char *str)
{
	size_t len;

	while (*str == ' ' || *str == '\t' || *str == '\r' || *str == '\n')
		str++;
	len = strlen(str);
	while (len > 0 && (str[len - 1] == ' ' || str[len - 1] == '\t' ||
			   str[len - 1] == '\r' || str[len - 1] == '\n'))
		str[--len] = '\0';
	return str;
}

void str_lcase(char *str)
{
	for (; *str != '\0'; str++)
		*str = (char)ascii_lower((unsigned char)*str);
}

int mem_to_u64(const char *str, size_t len, uint64_t max, uint64_t *num_r)
{
	uint64_t n = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned int d;

		if (str[i] < '0' || str[i] > '9')
			return -1;
		d = (unsigned int)(str[i] - '0');
		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*num_r = n;
	return 0;
}

int str_to_u64(const char *str, uint64_t max, uint64_t *num_r)
{
	return mem_to_u64(str, strlen(str), max, num_r);
}

int str_to_u32(const char *str, uint32_t *num_r)
{
	uint64_t n;

	if (str_to_u64(str, UINT32_MAX, &n) < 0)
		return -1;
	*num_r = (uint32_t)n;
	return 0;
}

const void *mem_imem(const void *haystack, size_t hlen, const void *needle,
		     size_t nlen)
{
	const unsigned char *h = haystack, *n = needle;

	if (nlen == 0)
		return haystack;
	if (nlen > hlen)
		return NULL;
	for (size_t i = 0; i + nlen <= hlen; i++) {
		if (ascii_lower(h[i]) == ascii_lower(n[0]) &&
		    mem_iequal(h + i, n, nlen))
			return h + i;
	}
	return NULL;
}

bool str_is_address(const char *str)
{
	const char *at = strchr(str, '@');

	if (at == NULL || at == str || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	if (strlen(str) > 254)
		return false;
	for (const unsigned char *p = (const unsigned char *)str; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>' ||
		    *p == '(' || *p == ')' || *p == ',' || *p == ';' ||
		    *p == ':' || *p == '\\' || *p == '"' || *p == '[' ||
		    *p == ']' || *p == '/')
			return false;
	}
	return true;
}

const char *str_size_human(uint64_t bytes, bool words, char buf[STR_SIZE_MAX])
{
	static const char units[] = "KMGTPE";
	static const char *const unit_words[] = { "KB", "MB", "GB", "TB", "PB", "EB" };
	uint64_t scale = 1024;
	unsigned int u = 0;
	uint64_t tenths;
	char unit[2] = { 0, 0 };

	if (bytes < 1024) {
		snprintf(buf, STR_SIZE_MAX, "%llu%s", (unsigned long long)bytes,
			 words ? (bytes == 1 ? " byte" : " bytes") : "");
		return buf;
	}
	while (u + 1 < sizeof(units) - 1 && bytes / scale >= 1024) {
		scale *= 1024;
		u++;
	}
	/* rounded to tenths (the fraction in 1024ths first, which cannot
	   overflow); 1023.96K shows as 1024K, not 1.0M */
	tenths = (bytes / scale) * 10 +
		(((bytes % scale) / (scale / 1024)) * 10 + 512) / 1024;
	unit[0] = units[u];
	if (tenths >= 1000 || tenths % 10 == 0)
		snprintf(buf, STR_SIZE_MAX, "%llu%s%s",
			 (unsigned long long)((tenths + 5) / 10), words ? " " : "",
			 words ? unit_words[u] : unit);
	else
		snprintf(buf, STR_SIZE_MAX, "%llu.%llu%s%s",
			 (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10),
			 words ? " " : "", words ? unit_words[u] : unit);
	return buf;
}

bool str_utf8_valid(const char *str, size_t len)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		unsigned int n, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (unsigned int k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, past U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

size_t str_utf8_length(const char *str)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *) str; *p != '\0';
	     p++) {
		if ((*p & 0xc0) != 0x80)
			n++;
	}
	return n;
}

bool str_display_name_valid(const char *name)
{
	size_t len = strlen(name);
	bool visible = false;

	if (len == 0 || len > STR_DISPLAY_NAME_MAX || !str_utf8_valid(name, len))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p != ' ')
			visible = true;
	}
	return visible;
}
