/* curl_lazy: libcurl is loaded (dlopen) the first time the SMTP transport calls it, not at
 * program start.  libcurl pulls in about twenty libraries (TLS, Kerberos, LDAP, HTTP/2...)
 * whose loading and relocation cost a few milliseconds of every kapd and kapctl start,
 * although only a check that mails through SMTP needs them (README "Fast start").
 *
 * These are the libcurl functions kapd calls, with libcurl's own prototypes; each
 * resolves its real function once.  When libcurl cannot be loaded, curl_global_init
 * fails (the transport says so) and the others return their failure values.  A libcurl
 * function not listed here fails the link (libcurl is not linked): add it here. */
#define CURL_DISABLE_TYPECHECK /* the real prototypes, not the type-checking macros */
#include <curl/curl.h>

#include <stdarg.h>
#include <stddef.h>

#include "lib/lazylib.h"

static struct lazylib lib = { "libcurl.so.4", NULL, 0 };

#define FORWARD(ret, name, params, args, fail) LAZY_FORWARD(lib, ret, name, params, args, fail)
#define FORWARD_VOID(name, params, args) LAZY_FORWARD_VOID(lib, name, params, args)

FORWARD(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT)
FORWARD_VOID(curl_global_cleanup, (void), ())
FORWARD(CURL *, curl_easy_init, (void), (), NULL)
FORWARD_VOID(curl_easy_cleanup, (CURL * h), (h))
FORWARD(CURLcode, curl_easy_perform, (CURL * h), (h), CURLE_FAILED_INIT)
FORWARD(const char *, curl_easy_strerror, (CURLcode c), (c), "libcurl is not available")
FORWARD(
    struct curl_slist *, curl_slist_append, (struct curl_slist * l, const char *s), (l, s), NULL)
FORWARD_VOID(curl_slist_free_all, (struct curl_slist * l), (l))
FORWARD(CURLM *, curl_multi_init, (void), (), NULL)
FORWARD(CURLMcode, curl_multi_cleanup, (CURLM * m), (m), CURLM_INTERNAL_ERROR)
FORWARD(CURLMcode, curl_multi_add_handle, (CURLM * m, CURL *h), (m, h), CURLM_INTERNAL_ERROR)
FORWARD(CURLMcode, curl_multi_remove_handle, (CURLM * m, CURL *h), (m, h), CURLM_INTERNAL_ERROR)
FORWARD(
    CURLMcode, curl_multi_perform, (CURLM * m, int *running), (m, running), CURLM_INTERNAL_ERROR)
FORWARD(CURLMcode, curl_multi_poll,
    (CURLM * m, struct curl_waitfd fds[], unsigned int n, int timeout_ms, int *numfds),
    (m, fds, n, timeout_ms, numfds), CURLM_INTERNAL_ERROR)
FORWARD(CURLMsg *, curl_multi_info_read, (CURLM * m, int *left), (m, left), NULL)

/* The one variadic function: its third argument's type follows from the option's
 * number (CURLOPTTYPE_*, curl.h), so it is read as that type and passed on. */
CURLcode
curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	static CURLcode (*real)(CURL *, CURLoption, ...);
	CURLcode rc;
	va_list ap;

	if (real == NULL)
		*(void **)&real = lazylib_sym(&lib, "curl_easy_setopt");
	if (real == NULL)
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = real(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
		rc = real(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = real(h, opt, va_arg(ap, void (*)(void)));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = real(h, opt, va_arg(ap, curl_off_t));
	else
		rc = real(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}
