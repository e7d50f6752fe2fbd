/*
 * pcap_write.c - an evidence pcap written frame by frame (pcap_write.h):
 * the classic file format with nanosecond time stamps, in this host's
 * byte order (readers take either from the magic).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exfild/evidence/pcap_write.h"
#include "exfild/util/log.h"
#include "exfild/util/util.h"

#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_SNAPLEN PKTRING_SNAP
#define PCAP_FILE_MODE 0640

struct pcap_file_header {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_record_header {
	uint32_t ts_sec, ts_nsec;
	uint32_t caplen, wirelen;
};

/* A record's DLT_RAW (12, 14 on OpenBSD) is LINKTYPE_RAW (101) in a file;
 * the other link types exfild decodes are the same number either way. */
static uint32_t
file_linktype(int linktype)
{
	return linktype == 12 || linktype == 14 ? 101u : (uint32_t)linktype;
}

bool
pcap_writer_open(struct pcap_writer *w, const char *path)
{
	int fd;

	memset(w, 0, sizeof(*w));
	w->linktype = -1;
	if (str_copy(w->path, path, sizeof(w->path)) >= sizeof(w->path)) {
		log_warnx("evidence: %s: path too long", path);
		return false;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    PCAP_FILE_MODE);
	if (fd < 0) {
		log_warn("evidence: %s", path);
		return false;
	}
	/* the mode asked, whatever the umask (the unit's is 0077) */
	if (fchmod(fd, PCAP_FILE_MODE) < 0 || (w->fp = fdopen(fd, "wb")) == NULL) {
		log_warn("evidence: %s", path);
		close(fd);
		(void)unlink(path);
		return false;
	}
	return true;
}

static void
write_failed(struct pcap_writer *w)
{
	log_warn("evidence: %s: write failed after %llu bytes; the file stops here",
	    w->path, (unsigned long long)w->bytes);
	w->failed = true;
	(void)fclose(w->fp);
	w->fp = NULL;
}

static bool
write_bytes(struct pcap_writer *w, const void *p, size_t n)
{
	if (fwrite(p, 1, n, w->fp) != n) {
		write_failed(w);
		return false;
	}
	w->bytes += n;
	return true;
}

static bool
write_file_header(struct pcap_writer *w, int linktype)
{
	struct pcap_file_header h = {
		.magic = PCAP_MAGIC_NS, .version_major = 2, .version_minor = 4,
		.snaplen = PCAP_SNAPLEN, .linktype = file_linktype(linktype),
	};

	w->linktype = linktype;
	return write_bytes(w, &h, sizeof(h));
}

/* The bytes of fr a record keeps. */
static uint32_t
kept_bytes(const struct pktring_frame *fr)
{
	return fr->caplen < PCAP_SNAPLEN ? fr->caplen : PCAP_SNAPLEN;
}

uint64_t
pcap_writer_need(const struct pcap_writer *w, const struct pktring_frame *fr)
{
	uint32_t keep = kept_bytes(fr);

	return sizeof(struct pcap_record_header) + keep +
	    (w->linktype < 0 ? sizeof(struct pcap_file_header) : 0);
}

bool
pcap_writer_put(struct pcap_writer *w, const struct pktring_frame *fr)
{
	struct pcap_record_header h;
	uint32_t keep = kept_bytes(fr);

	if (w->fp == NULL)
		return false;
	if (w->linktype < 0 && !write_file_header(w, fr->linktype))
		return false;
	if (fr->linktype != w->linktype) {
		w->other_link++;
		return false;
	}
	h.ts_sec = (uint32_t)(fr->ts_ns / 1000000000u);
	h.ts_nsec = (uint32_t)(fr->ts_ns % 1000000000u);
	h.caplen = keep;
	h.wirelen = fr->wirelen > keep ? fr->wirelen : keep;
	if (!write_bytes(w, &h, sizeof(h)) || !write_bytes(w, fr->data, keep))
		return false;
	w->frames++;
	return true;
}

bool
pcap_writer_close(struct pcap_writer *w)
{
	bool ok = !w->failed;

	if (w->fp != NULL && fclose(w->fp) != 0) {
		log_warn("evidence: %s: close", w->path);
		ok = false;
	}
	w->fp = NULL;
	return ok;
}
