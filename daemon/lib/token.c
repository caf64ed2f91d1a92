#include "lib/token.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static const char hex[] = "0123456789abcdef";

int
token_random_hex(char *out, size_t ndigits, char *err, size_t errlen)
{
	unsigned char b[64];
	size_t got = 0, need = (ndigits + 1) / 2, i;
	ssize_t n;

	if (need > sizeof(b)) {
		snprintf(err, errlen, "token of %zu digits: too long", ndigits);
		return -EINVAL;
	}
	while (got < need) {
		n = getrandom(b + got, need - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "getrandom: %s", strerror(errno));
			return -errno;
		}
		got += (size_t)n;
	}
	for (i = 0; i < ndigits; i++)
		out[i] = hex[i % 2 == 0 ? b[i / 2] >> 4 : b[i / 2] & 15];
	out[ndigits] = '\0';
	return 0;
}

void
token_hex64(uint64_t v, char out[17])
{
	int i;

	for (i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[16] = '\0';
}
