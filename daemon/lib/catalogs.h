/* catalogs: the compiled gettext catalogs of po/, embedded by po/embed.sh. */
#ifndef KAPD_CATALOGS_H
#define KAPD_CATALOGS_H

#include <stddef.h>

struct catalog {
	const char *lang;
	const unsigned char *mo;
	size_t size;
};

extern const struct catalog i18n_catalogs[];
extern const int i18n_ncatalogs;

#endif
