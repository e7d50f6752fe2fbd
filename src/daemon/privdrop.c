/*
 * privdrop.c - drop root to the service user after the capture is open:
 * groups, then gid, then uid, each real/effective/saved, then check that
 * every id took, no capability is left (but CAP_NET_ADMIN when
 * containment adds nftables elements) and root cannot be regained.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exfild/daemon/privdrop.h"

/* Looks user up; its uid and gid, or -1 with err set. */
static int
lookup_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw;

	if (user == NULL || *user == '\0') {
		snprintf(err, errlen, "privdrop: no user name given");
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		/* getpwnam(3): these mean "not found", not a failure. */
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM)
			snprintf(err, errlen, "privdrop: no such user '%s'", user);
		else
			snprintf(err, errlen, "privdrop: looking up user '%s': %s",
			    user, strerror(errno));
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (*uid == 0) {
		snprintf(err, errlen, "privdrop: user '%s' has uid 0, refusing "
		    "to keep running as root", user);
		return -1;
	}
	if (*gid == 0) {
		snprintf(err, errlen, "privdrop: user '%s' has gid 0, refusing "
		    "to keep running in the root group", user);
		return -1;
	}
	return 0;
}

static int
set_ids(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (setgroups(1, &gid) == -1) {
		snprintf(err, errlen, "privdrop: setgroups([%u]) for '%s': %s",
		    (unsigned)gid, user, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		snprintf(err, errlen, "privdrop: setresgid(%u) for '%s': %s",
		    (unsigned)gid, user, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "privdrop: setresuid(%u) for '%s': %s",
		    (unsigned)uid, user, strerror(errno));
		return -1;
	}
	return 0;
}

static int
verify_ids(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid, groups[2];
	int ngroups;

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1) {
		snprintf(err, errlen, "privdrop: reading ids: %s", strerror(errno));
		return -1;
	}
	if (ruid != uid || euid != uid || suid != uid) {
		snprintf(err, errlen, "privdrop: uids are %u/%u/%u after dropping "
		    "to '%s' (uid %u)", (unsigned)ruid, (unsigned)euid,
		    (unsigned)suid, user, (unsigned)uid);
		return -1;
	}
	if (rgid != gid || egid != gid || sgid != gid) {
		snprintf(err, errlen, "privdrop: gids are %u/%u/%u after dropping "
		    "to '%s' (gid %u)", (unsigned)rgid, (unsigned)egid,
		    (unsigned)sgid, user, (unsigned)gid);
		return -1;
	}
	/* More than one group makes getgroups fail with EINVAL: also wrong. */
	ngroups = getgroups((int)(sizeof(groups) / sizeof(groups[0])), groups);
	if (ngroups != 1 || groups[0] != gid) {
		snprintf(err, errlen, "privdrop: supplementary groups are not "
		    "exactly [%u] after dropping to '%s'", (unsigned)gid, user);
		return -1;
	}
	return 0;
}

/* The capability sets after the drop: exactly `want` (bits of the first
 * 32 capabilities) permitted and effective, none of the others. */
static int
verify_capabilities(const char *user, uint32_t want, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	size_t i;

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == -1) {
		snprintf(err, errlen, "privdrop: capget: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		uint32_t w = i == 0 ? want : 0;

		if (data[i].permitted != w || data[i].effective != w) {
			snprintf(err, errlen, "privdrop: capabilities %s after "
			    "dropping to '%s'", want != 0 ? "other than "
			    "CAP_NET_ADMIN remain, or it is lost," : "remain", user);
			return -1;
		}
	}
	return 0;
}

/*
 * CAP_NET_ADMIN alone, kept across the uid change (PR_SET_KEEPCAPS) and
 * made effective, inheritable and ambient: nf_tables netlink needs it in
 * the process, and a contain.exec hook gets it as under systemd's
 * AmbientCapabilities=.
 */
static int
keep_net_admin(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = 1u << CAP_NET_ADMIN;

	memset(data, 0, sizeof(data));
	data[0].permitted = data[0].effective = data[0].inheritable = bit;
	if (syscall(SYS_capset, &hdr, data) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) == -1 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1) {
		snprintf(err, errlen, "privdrop: keeping CAP_NET_ADMIN "
		    "(contain:): %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
verify_no_way_back(char *err, size_t errlen)
{
	if (setuid(0) != -1 || seteuid(0) != -1) {
		snprintf(err, errlen, "privdrop: could regain root");
		return -1;
	}
	if (setgid(0) != -1 || setegid(0) != -1) {
		snprintf(err, errlen, "privdrop: could regain gid 0");
		return -1;
	}
	return 0;
}

int
privdrop_to_user_caps(const char *user, bool net_admin, char *err,
    size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (lookup_user(user, &uid, &gid, err, errlen) == -1)
		return -1;
	if (net_admin && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "privdrop: PR_SET_KEEPCAPS: %s",
		    strerror(errno));
		return -1;
	}
	if (set_ids(user, uid, gid, err, errlen) == -1)
		return -1;
	if (verify_ids(user, uid, gid, err, errlen) == -1)
		return -1;
	if (net_admin && keep_net_admin(err, errlen) == -1)
		return -1;
	if (verify_capabilities(user, net_admin ? 1u << CAP_NET_ADMIN : 0, err,
	    errlen) == -1)
		return -1;
	return verify_no_way_back(err, errlen);
}

int
privdrop_to_user(const char *user, char *err, size_t errlen)
{
	return privdrop_to_user_caps(user, false, err, errlen);
}
