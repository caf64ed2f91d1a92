/* token: unguessable random identifiers (feed tokens, Message-ID local parts) and the
 * fixed-width hex form of 64-bit hashes.  The one place that reads getrandom(). */
#ifndef KAPD_TOKEN_H
#define KAPD_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_FEED_LEN 32 /* hex digits of a feed's token: 128 bits */

/* Writes ndigits random lowercase hex digits (4 random bits each) and a NUL into out,
 * which holds ndigits + 1 bytes.  0, or a negative errno with err filled. */
int token_random_hex(char *out, size_t ndigits, char *err, size_t errlen);
/* Writes v as 16 lowercase hex digits and a NUL. */
void token_hex64(uint64_t v, char out[17]);

#endif
