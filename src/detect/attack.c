/*
 * attack.c - the ATT&CK techniques the rules declare (attack.h): ids,
 * names and tactics as MITRE ATT&CK Enterprise gives them.
 */
#include <string.h>

#include "exfild/detect/attack.h"
#include "exfild/util/util.h"

#define EXFILTRATION "TA0010", "Exfiltration"
#define COLLECTION "TA0009", "Collection"
#define COMMAND_AND_CONTROL "TA0011", "Command and Control"
#define INITIAL_ACCESS "TA0001", "Initial Access"

static const struct attack_technique techniques[] = {
	{ "T1020", "Automated Exfiltration", EXFILTRATION },
	{ "T1029", "Scheduled Transfer", EXFILTRATION },
	{ "T1030", "Data Transfer Size Limits", EXFILTRATION },
	{ "T1041", "Exfiltration Over C2 Channel", EXFILTRATION },
	{ "T1048", "Exfiltration Over Alternative Protocol", EXFILTRATION },
	{ "T1567", "Exfiltration Over Web Service", EXFILTRATION },
	{ "T1074", "Data Staged", COLLECTION },
	{ "T1560", "Archive Collected Data", COLLECTION },
	{ "T1071", "Application Layer Protocol", COMMAND_AND_CONTROL },
	{ "T1573", "Encrypted Channel", COMMAND_AND_CONTROL },
	{ "T1190", "Exploit Public-Facing Application", INITIAL_ACCESS },
};

const struct attack_technique *
attack_technique(const char *id)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(techniques); i++)
		if (strcmp(techniques[i].id, id) == 0)
			return &techniques[i];
	return NULL;
}

size_t
attack_tactics(const char *const *ids, const struct attack_technique **out,
    size_t max)
{
	const struct attack_technique *t;
	size_t n = 0, i, j;

	for (i = 0; ids != NULL && ids[i] != NULL; i++) {
		if ((t = attack_technique(ids[i])) == NULL)
			continue;
		for (j = 0; j < n && strcmp(out[j]->tactic_id, t->tactic_id) != 0; j++)
			;
		if (j == n && n < max)
			out[n++] = t;
	}
	return n;
}
