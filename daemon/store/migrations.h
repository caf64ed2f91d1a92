/* migrations: the numbered files of sql/, embedded at build time by sql/embed.sh. */
#ifndef KAPD_MIGRATIONS_H
#define KAPD_MIGRATIONS_H

struct migration {
	int version;      /* the file's number; versions are 1, 2, 3... without gaps */
	const char *name; /* file name without .sql */
	const char *sql;
};

extern const struct migration db_migrations[];
extern const int db_migrations_count;

#endif
