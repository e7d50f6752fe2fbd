/*
 * attack.h - the MITRE ATT&CK (Enterprise) techniques exfild's rules name
 * (rule_def.attack), with each one's name and the tactic it stands for in
 * an exfild alert, so that every output format can write them
 * (ECS threat.*, CEF/LEEF custom fields, JSON "attack").
 */
#ifndef EXFILD_DETECT_ATTACK_H
#define EXFILD_DETECT_ATTACK_H

#include <stddef.h>

struct attack_technique {
	const char *id;        /* "T1041" */
	const char *name;      /* "Exfiltration Over C2 Channel" */
	const char *tactic_id; /* "TA0010" */
	const char *tactic;    /* "Exfiltration" */
};

/* The technique with this id; NULL when the catalogue lacks it. */
const struct attack_technique *attack_technique(const char *id);

/* The distinct tactics of the NULL-terminated ids (NULL: none), in the
 * order they first appear: up to max written to out, the count returned. */
#define ATTACK_TACTICS_MAX 4
size_t attack_tactics(const char *const *ids, const struct attack_technique **out,
    size_t max);

#endif
