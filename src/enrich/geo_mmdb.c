/*
 * geo_mmdb.c - MaxMind DB files through libmaxminddb (the MaxMind DB File
 * Format Specification 2.0): opened memory-mapped, their metadata's type
 * checked against what they are for, and each value read only when it has
 * the type the layout gives it (a database is hostile input like any file).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <maxminddb.h>

#include "exfild/enrich/geo_mmdb.h"
#include "exfild/util/cursor.h"
#include "exfild/util/util.h"

/* The spec's metadata marker, and how far from the end it may start (as
 * libmaxminddb searches). */
#define META_MARKER "\xab\xcd\xefMaxMind.com"
#define META_SEARCH (128 * 1024)
#define HEAD_BYTES 4096

struct geo_mmdb {
	MMDB_s db;
	bool v6; /* an IPv6 tree (else IPv6 addresses are not in it) */
};

/* ---- telling a database from text ---- */

static bool
has_marker(int fd, off_t size)
{
	size_t n = size < META_SEARCH ? (size_t)size : META_SEARCH;
	uint8_t *buf = xmalloc(n > 0 ? n : 1);
	bool found;

	found = pread(fd, buf, n, size - (off_t)n) == (ssize_t)n &&
	    memmem(buf, n, META_MARKER, sizeof(META_MARKER) - 1) != NULL;
	free(buf);
	return found;
}

static bool
has_binary_head(int fd)
{
	uint8_t buf[HEAD_BYTES];
	ssize_t n = pread(fd, buf, sizeof(buf), 0), i;

	for (i = 0; i < n; i++)
		if (buf[i] < 0x20 && buf[i] != '\t' && buf[i] != '\n' &&
		    buf[i] != '\r')
			return true;
	return false;
}

bool
geo_mmdb_sniff(const char *path)
{
	struct stat st;
	bool binary;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	binary = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (has_marker(fd, st.st_size) || has_binary_head(fd));
	close(fd);
	return binary;
}

/* ---- opening ---- */

static bool
type_fits(const char *type, enum geo_mmdb_kind kind)
{
	if (type == NULL)
		return false;
	if (kind == GEO_MMDB_ASN)
		return strstr(type, "ASN") != NULL || strstr(type, "ISP") != NULL;
	return strstr(type, "Country") != NULL || strstr(type, "City") != NULL ||
	    strstr(type, "Enterprise") != NULL;
}

/* libmaxminddb before 1.9 sizes the search tree in 32 bits: a node count
 * that overflows it passes the library's check, and look-ups then read
 * past the file. Sized again here in 64. */
static bool
tree_fits(const MMDB_s *db)
{
	uint64_t tree = (uint64_t)db->metadata.node_count *
	    db->full_record_byte_size;

	return db->file_size > 0 &&
	    tree + 16 + 3 <= (uint64_t)db->file_size; /* separator, data */
}

static void
open_failed(const char *path, int rc, char *err, size_t errlen)
{
	int saved = errno;

	if (rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR)
		snprintf(err, errlen, "%s: %s: %s", path, MMDB_strerror(rc),
		    strerror(saved));
	else
		snprintf(err, errlen, "%s: %s", path, MMDB_strerror(rc));
}

struct geo_mmdb *
geo_mmdb_open(const char *path, enum geo_mmdb_kind kind, char *err,
    size_t errlen)
{
	struct geo_mmdb *m = xcalloc(1, sizeof(*m));
	const char *type;
	char quoted[QUOTE_BUF];
	struct cursor c;
	int rc;

	rc = MMDB_open(path, MMDB_MODE_MMAP, &m->db);
	if (rc != MMDB_SUCCESS) { /* (MMDB_open has freed what it held) */
		open_failed(path, rc, err, errlen);
		free(m);
		return NULL;
	}
	if (!tree_fits(&m->db)) {
		snprintf(err, errlen, "%s: %s (a search tree of %lu nodes does not "
		    "fit in the file)", path, MMDB_strerror(MMDB_INVALID_METADATA_ERROR),
		    (unsigned long)m->db.metadata.node_count);
		geo_mmdb_close(m);
		return NULL;
	}
	type = m->db.metadata.database_type;
	if (!type_fits(type, kind)) {
		type = type != NULL ? type : "";
		cur_init(&c, (const uint8_t *)type, strlen(type));
		quote_bytes(&c, quoted, sizeof(quoted));
		snprintf(err, errlen, "%s: database type %s is not %s", path,
		    quoted, kind == GEO_MMDB_ASN ? "an ASN or ISP database" :
		    "a Country, City or Enterprise database");
		geo_mmdb_close(m);
		return NULL;
	}
	m->v6 = m->db.metadata.ip_version == 6;
	return m;
}

void
geo_mmdb_close(struct geo_mmdb *m)
{
	if (m == NULL)
		return;
	MMDB_close(&m->db);
	free(m);
}

/* ---- look-ups ---- */

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is looked up as the IPv4
 * address, as the CSV tables hold IPv4 (not every database aliases it). */
static bool
find(const struct geo_mmdb *m, const struct netaddr *a, MMDB_entry_s *out)
{
	struct sockaddr_storage ss;
	MMDB_lookup_result_s r;
	struct netaddr v4;
	socklen_t len;
	int rc;

	if (a->family == 6) {
		netaddr_from_v4(&v4, a->a + 12);
		if (memcmp(v4.a, a->a, 12) == 0)
			a = &v4;
	}
	if (!netaddr_is_set(a) || (a->family == 6 && !m->v6))
		return false;
	netaddr_to_sockaddr(a, 0, &ss, &len);
	r = MMDB_lookup_sockaddr(&m->db, (const struct sockaddr *)&ss, &rc);
	if (rc != MMDB_SUCCESS || !r.found_entry)
		return false;
	*out = r.entry;
	return true;
}

/* The value at path, only when it is there with the expected type. */
static bool
value_of(MMDB_entry_s *e, const char *const *path, uint32_t type,
    MMDB_entry_data_s *out)
{
	return MMDB_aget_value(e, out, path) == MMDB_SUCCESS && out->has_data &&
	    out->type == type;
}

static country_t
iso_code(MMDB_entry_s *e, const char *where)
{
	const char *const path[] = { where, "iso_code", NULL };
	MMDB_entry_data_s v;
	char cc[3];

	if (!value_of(e, path, MMDB_DATA_TYPE_UTF8_STRING, &v) ||
	    v.data_size != 2)
		return COUNTRY_UNKNOWN;
	memcpy(cc, v.utf8_string, 2);
	cc[2] = '\0';
	return country_parse(cc);
}

country_t
geo_mmdb_country(const struct geo_mmdb *m, const struct netaddr *a)
{
	MMDB_entry_s e;
	country_t cc;

	if (!find(m, a, &e))
		return COUNTRY_UNKNOWN;
	cc = iso_code(&e, "country");
	return cc != COUNTRY_UNKNOWN ? cc : iso_code(&e, "registered_country");
}

/* n bytes of s into out, cut at a NUL and, when too long, at a character
 * boundary (what is left is the outputs' to escape). */
static void
copy_text(char *out, size_t outlen, const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);

	if (nul != NULL)
		n = (size_t)(nul - s);
	if (n > outlen - 1) {
		n = outlen - 1;
		while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

uint32_t
geo_mmdb_asn(const struct geo_mmdb *m, const struct netaddr *a, char *org,
    size_t orglen)
{
	static const char *const number[] = { "autonomous_system_number", NULL };
	static const char *const name[] = { "autonomous_system_organization",
		NULL };
	MMDB_entry_data_s v;
	MMDB_entry_s e;
	uint32_t asn;

	if (org != NULL && orglen > 0)
		org[0] = '\0';
	if (!find(m, a, &e))
		return 0;
	if (value_of(&e, number, MMDB_DATA_TYPE_UINT32, &v))
		asn = v.uint32;
	else if (value_of(&e, number, MMDB_DATA_TYPE_UINT16, &v))
		asn = v.uint16;
	else
		return 0;
	if (asn != 0 && org != NULL && orglen > 0 &&
	    value_of(&e, name, MMDB_DATA_TYPE_UTF8_STRING, &v))
		copy_text(org, orglen, v.utf8_string, v.data_size);
	return asn;
}
