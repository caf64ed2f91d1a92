/* The SMTP transport (SPEC §4), on libcurl.
 *
 * - smtp:// always upgrades with STARTTLS (CURLUSESSL_ALL: no STARTTLS, no mail, never
 *   clear text); smtps:// starts with TLS.  Certificate and host name are verified unless
 *   mail.tls_verify is explicitly false (the daemon logs that).
 * - One connection for all mails of a check: the easy handle and a multi handle holding
 *   curl's connection cache live until transport_flush, which closes the connection.
 * - Envelope addresses are checked here (libcurl 7.88.1 copies CR/LF into MAIL FROM and
 *   RCPT TO), and the message must use CRLF only: curl sends the bytes as they are, and
 *   servers reject bare LF (curl issue #15942).
 * - The transfer is driven through the multi interface so that hooks->tick runs at least
 *   once a second in every phase (the progress callback alone is silent while curl waits
 *   for the greeting or a reply to MAIL, RCPT or DATA).
 * - Every wait is bounded by mail.timeout: perform() gives up when nothing at all moved
 *   (no byte in or out: the TCP connect, a TLS handshake, the reply to any command, a
 *   stalled upload) for that long.  curl's own limits would not do: its connect timeout
 *   covers the whole handshake (greeting, EHLO, STARTTLS, AUTH), so a server answering
 *   each command in 1.5 s failed a 5 s timeout forever (issue 10, D6), and libcurl 7.88's
 *   response timeout also spans several answers of the handshake.  Those and the
 *   low-speed limit stay as fuses: TRANSFER_FUSE timeouts bound one whole message.  RFC 5321 §4.5.3.2.6 gives the server 10 minutes for the reply
 *   to the final dot; waiting less risks a second copy when the server was merely slow,
 *   which the retry (same Message-ID) makes recognisable.  mail.timeout is the operator's
 *   choice of that trade-off.
 * - When the server proves unusable (no connection, TLS refused, a timeout, 421), the rest
 *   of the check is deferred at once instead of paying a timeout per message. */
#include "io/transport_impl.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/textcheck.h"

#define TICK_NS 250000000L /* hooks->tick at most this often (it is called >= 1/s) */
/* One message on a fresh connection waits for about a dozen answers (greeting, EHLO,
 * STARTTLS, the TLS handshake, EHLO, up to three for AUTH, MAIL, RCPT, DATA, the dot),
 * each bounded by mail.timeout: the whole, connect included, by this many. */
#define TRANSFER_FUSE 16
#define ADDR_MAX 260 /* "<" + a 254-octet address + ">" */
#define QUIT_WAIT 2L /* seconds to wait for the reply to QUIT */

struct smtp_transport {
	struct transport_hooks hooks;
	char *password;
	long timeout; /* mail.timeout, seconds */
	CURL *curl;   /* options that never change are set once */
	CURLM *multi; /* holds the open connection; NULL between checks */
	/* The message being sent. */
	const char *msg;
	size_t len, off;
	/* What the server said, from the debug callback. */
	char errbuf[CURL_ERROR_SIZE];
	char cmd[12];    /* verb of the last command; "" the greeting, "." the end of data */
	char reply[160]; /* the last reply line to it, made printable */
	int code;        /* its code; 0 while the last command has no final reply */
	int quitting;    /* QUIT was sent: later replies say nothing about the message */
	int stall;       /* the transfer was stopped: nothing moved for mail.timeout */
	struct timespec last_tick;
	struct timespec last_io; /* the last byte in or out of the current transfer */
	/* A failure that says the server cannot be used now: the rest of the check is
	 * deferred without trying again (a dead server would otherwise cost one timeout per
	 * message).  Cleared by transport_flush. */
	int down;
	char down_err[256];
};

static int smtp_send(void *impl, const char *from, const char *to, const char *id, const char *msg,
    size_t len, char *err, size_t errlen);
static void smtp_flush(void *impl);
static void smtp_close(void *impl);

static const struct transport_ops smtp_ops = { smtp_send, smtp_flush, smtp_close, NULL, NULL };

static void
tick(struct smtp_transport *t)
{
	struct timespec now;
	long ns;

	if (t->hooks.tick == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long)(now.tv_sec - t->last_tick.tv_sec) * 1000000000L +
	    (now.tv_nsec - t->last_tick.tv_nsec);
	if (ns < TICK_NS)
		return;
	t->last_tick = now;
	t->hooks.tick(t->hooks.ctx);
}

/* 1 when nothing moved on the connection for mail.timeout: the answer (or the connect)
 * that is awaited is late. */
static int
stalled(const struct smtp_transport *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - t->last_io.tv_sec > t->timeout ||
	    (now.tv_sec - t->last_io.tv_sec == t->timeout && now.tv_nsec >= t->last_io.tv_nsec);
}

static int
on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct smtp_transport *t = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	tick(t);
	/* libcurl 7.88 waits for the reply to the final dot inside one call, where only
	 * this callback runs: the bound on each answer is enforced here too. */
	if (t->msg != NULL && !t->quitting && stalled(t)) {
		t->stall = 1;
		return 1;
	}
	/* After a failure curl says QUIT and waits for the reply; nothing depends on it, so
	 * a server that stopped answering does not cost a second timeout. */
	return t->quitting;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *ctx)
{
	struct smtp_transport *t = ctx;
	size_t n = size * nitems;

	if (n > t->len - t->off)
		n = t->len - t->off;
	memcpy(buf, t->msg + t->off, n);
	t->off += n;
	if (t->off == t->len && strcmp(t->cmd, ".") != 0) {
		/* curl sends the final dot next; what comes then answers the message.  (With
		 * the size known, curl may not ask again for the end of the data.) */
		snprintf(t->cmd, sizeof(t->cmd), ".");
		t->code = 0;
		t->reply[0] = '\0';
	}
	return n;
}

/* The verb of a command line; any other line is part of a SASL exchange (RFC 4954 §4),
 * whose lines are credentials and must never be copied anywhere. */
static const char *
command_verb(const char *line, size_t size)
{
	static const char *const verbs[] = { "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT",
		"DATA", "QUIT", "RSET", "NOOP", "VRFY" };
	size_t i, n;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		n = strlen(verbs[i]);
		if (size > n && memcmp(line, verbs[i], n) == 0 &&
		    (line[n] == ' ' || line[n] == '\r'))
			return verbs[i];
	}
	return "AUTH";
}

/* Keeps the verb of each command (never its arguments: AUTH lines carry the credentials)
 * and the server's reply lines (RFC 5321 §4.2: "NNN-" continues, "NNN " ends a reply). */
static int
on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *ctx)
{
	struct smtp_transport *t = ctx;
	size_t i;

	(void)c;
	if (type != CURLINFO_TEXT)
		clock_gettime(CLOCK_MONOTONIC, &t->last_io);
	if (t->quitting)
		return 0;
	if (type == CURLINFO_HEADER_OUT) {
		/* curl says QUIT after a failure too: its reply must not hide the failure. */
		if (strcmp(command_verb(data, size), "QUIT") == 0) {
			t->quitting = 1;
			return 0;
		}
		snprintf(t->cmd, sizeof(t->cmd), "%s", command_verb(data, size));
		t->code = 0;
		t->reply[0] = '\0';
	} else if (type == CURLINFO_HEADER_IN && size >= 3 && data[0] >= '1' && data[0] <= '5' &&
	    data[1] >= '0' && data[1] <= '9' && data[2] >= '0' && data[2] <= '9') {
		if (size == 3 || data[3] != '-')
			t->code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
		for (i = 0;
		     i < size && i + 1 < sizeof(t->reply) && data[i] != '\r' && data[i] != '\n';
		     i++)
			t->reply[i] = data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?';
		t->reply[i] = '\0';
	}
	return 0;
}

/* The options that stay the same for every message.  The password is not logged: curl
 * reports its commands only to on_debug, which keeps the verb. */
static CURLcode
setup(struct smtp_transport *t, const struct kapd_config *cfg)
{
	long to = cfg->mail.timeout;
	CURL *c = t->curl;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(c, opt, val);                                        \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, t->errbuf);
	SET(CURLOPT_URL, cfg->mail.url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	SET(CURLOPT_SSL_VERIFYPEER, cfg->mail.tls_verify ? 1L : 0L);
	SET(CURLOPT_SSL_VERIFYHOST, cfg->mail.tls_verify ? 2L : 0L);
	if (cfg->mail.ca_file != NULL)
		SET(CURLOPT_CAINFO, cfg->mail.ca_file);
	if (cfg->mail.user != NULL) {
		SET(CURLOPT_USERNAME, cfg->mail.user);
		SET(CURLOPT_PASSWORD, t->password);
	}
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, TRANSFER_FUSE * to);
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, TRANSFER_FUSE * to);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SET(CURLOPT_LOW_SPEED_TIME, to);
	SET(CURLOPT_TIMEOUT, TRANSFER_FUSE * to);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, t);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, t);
	SET(CURLOPT_VERBOSE, 1L); /* feeds on_debug; nothing is printed */
	SET(CURLOPT_DEBUGFUNCTION, on_debug);
	SET(CURLOPT_DEBUGDATA, t);
#undef SET
	return rc;
}

int
transport_smtp_new(const struct kapd_config *cfg, const struct transport_hooks *hooks,
    const struct transport_ops **ops, void **impl, char *err, size_t errlen)
{
	struct smtp_transport *t;
	char *password = NULL;
	CURLcode rc;
	int r;

	if (cfg->mail.url == NULL) {
		snprintf(err, errlen, "mail.url is not set");
		return -EINVAL;
	}
	if ((r = config_read_password(cfg, &password, err, errlen)) < 0)
		return r;
	if (cfg->mail.user != NULL && password == NULL) {
		snprintf(err, errlen,
		    "mail.user is set but no password is configured "
		    "(mail.password_file or the credential smtp-password)");
		return -EINVAL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise libcurl");
		r = -ENOMEM;
		goto fail;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->curl = curl_easy_init()) == NULL) {
		free(t);
		curl_global_cleanup();
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	t->password = password;
	t->timeout = cfg->mail.timeout;
	if (hooks != NULL)
		t->hooks = *hooks;
	if ((rc = setup(t, cfg)) != CURLE_OK) {
		snprintf(err, errlen, "libcurl refuses an SMTP option: %s", curl_easy_strerror(rc));
		smtp_close(t);
		return -EINVAL;
	}
	*ops = &smtp_ops;
	*impl = t;
	return 0;
fail:
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return r;
}

/* Runs one transfer; the connection stays in the multi handle's cache afterwards.  A
 * stalled transfer is removed unfinished, which makes curl close its connection. */
static CURLcode
perform(struct smtp_transport *t)
{
	CURLcode rc = CURLE_FAILED_INIT;
	CURLMcode mc;
	CURLMsg *m;
	int running = 1, left;

	if (curl_multi_add_handle(t->multi, t->curl) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	clock_gettime(CLOCK_MONOTONIC, &t->last_io);
	while (running) {
		mc = curl_multi_perform(t->multi, &running);
		if (mc == CURLM_OK && running)
			mc = curl_multi_poll(t->multi, NULL, 0, 250, NULL);
		tick(t);
		if (mc != CURLM_OK)
			break;
		if (running && stalled(t)) {
			t->stall = 1;
			break;
		}
	}
	while ((m = curl_multi_info_read(t->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE && m->easy_handle == t->curl)
			rc = m->data.result;
	if (t->stall) {
		snprintf(t->errbuf, sizeof(t->errbuf), "timed out: nothing received within %ld s",
		    t->timeout);
		rc = CURLE_OPERATION_TIMEDOUT;
	}
	if (running) {
		/* Removing the unfinished transfer closes the connection, and curl says QUIT
		 * and waits for its reply first: briefly, the server stopped answering. */
		curl_easy_setopt(t->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, QUIT_WAIT);
		curl_easy_setopt(t->curl, CURLOPT_TIMEOUT, QUIT_WAIT);
	}
	curl_multi_remove_handle(t->multi, t->curl);
	curl_easy_setopt(t->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, TRANSFER_FUSE * t->timeout);
	curl_easy_setopt(t->curl, CURLOPT_TIMEOUT, TRANSFER_FUSE * t->timeout);
	return rc;
}

/* What a failed transfer means (RFC 5321 §4.2.1: 4yz transient, 5yz permanent).
 *
 * A reply from the server decides for this message: 535 (credentials refused, RFC 4954
 * §6) is -EACCES, a configuration problem that retrying does not fix, so it is failed
 * and reported; any other 5yz is -EIO; 4yz is -EAGAIN.
 *
 * Everything else is temporary: refused, reset or dropped connections, timeouts, no
 * STARTTLS offered (CURLE_USE_SSL_FAILED), a TLS handshake or certificate that fails
 * verification.  A wrong certificate or a missing STARTTLS is usually a configuration
 * error the operator must fix, but it may also be an attacker on the path or a server
 * being repaired; deferring keeps the mail, logs every attempt with curl's reason, and
 * delivers once it is fixed, until delivery.give_up_after reports it as failed.
 * Failing at once would lose mail to a passing problem.
 *
 * Such failures, a 421 (the server closes the channel) and a 4yz before the mail
 * transaction began mean the server is unusable now: *down tells the caller to defer
 * the rest of the check.  A 4yz to MAIL, RCPT or DATA concerns this message only
 * (greylisting, a full mailbox). */
static int
classify(const struct smtp_transport *t, CURLcode rc, int *down)
{
	int in_transaction = strcmp(t->cmd, "MAIL") == 0 || strcmp(t->cmd, "RCPT") == 0 ||
	    strcmp(t->cmd, "DATA") == 0 || strcmp(t->cmd, ".") == 0;

	*down = 1;
	if (t->code >= 400 && t->code < 500) {
		/* curl reports any refused AUTH as CURLE_LOGIN_DENIED, 454 too (RFC 4954 §6) */
		*down = t->code == 421 || !in_transaction;
		return -EAGAIN;
	}
	if (rc == CURLE_LOGIN_DENIED || t->code == 535) {
		*down = 0;
		return -EACCES;
	}
	if (t->code >= 500) {
		*down = 0;
		return -EIO;
	}
	return -EAGAIN;
}

static const char *
phase(const char *cmd)
{
	static const struct {
		const char *cmd, *name;
	} names[] = { { "", "the greeting" }, { "MAIL", "MAIL FROM" }, { "RCPT", "RCPT TO" },
		{ ".", "the end of the message" } };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(cmd, names[i].cmd) == 0)
			return names[i].name;
	return cmd;
}

static void
describe(const struct smtp_transport *t, CURLcode rc, char *err, size_t errlen)
{
	const char *what = t->errbuf[0] != '\0' ? t->errbuf : curl_easy_strerror(rc);

	if (t->code != 0)
		snprintf(err, errlen, "%s; the server answered %s with \"%s\"", what, phase(t->cmd),
		    t->reply);
	else
		snprintf(err, errlen, "%s (no answer to %s)", what, phase(t->cmd));
}

/* RFC 5322 §2.1 / RFC 5321 §2.3.8: CR and LF only as CRLF. */
static int
crlf_only(const char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((msg[i] == '\r' && (i + 1 == len || msg[i + 1] != '\n')) ||
		    (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r')))
			return 0;
	return 1;
}

/* One mail transaction on the kept connection (curl opens one when there is none). */
static CURLcode
transfer(struct smtp_transport *t, const char *from, const char *to, const char *msg, size_t len)
{
	char mail_from[ADDR_MAX], rcpt_to[ADDR_MAX];
	struct curl_slist *rcpt;
	CURLcode rc;

	t->errbuf[0] = t->cmd[0] = t->reply[0] = '\0';
	t->code = t->quitting = t->stall = 0;
	snprintf(mail_from, sizeof(mail_from), "<%s>", from);
	snprintf(rcpt_to, sizeof(rcpt_to), "<%s>", to);
	if ((t->multi == NULL && (t->multi = curl_multi_init()) == NULL) ||
	    (rcpt = curl_slist_append(NULL, rcpt_to)) == NULL)
		return CURLE_OUT_OF_MEMORY;
	if ((rc = curl_easy_setopt(t->curl, CURLOPT_MAIL_FROM, mail_from)) == CURLE_OK &&
	    (rc = curl_easy_setopt(t->curl, CURLOPT_MAIL_RCPT, rcpt)) == CURLE_OK &&
	    (rc = curl_easy_setopt(t->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len)) ==
	        CURLE_OK) {
		t->msg = msg;
		t->len = len;
		t->off = 0;
		rc = perform(t);
	}
	curl_easy_setopt(t->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	t->msg = NULL;
	return rc;
}

static int
smtp_send(void *impl, const char *from, const char *to, const char *id, const char *msg, size_t len,
    char *err, size_t errlen)
{
	struct smtp_transport *t = impl;
	CURLcode rc;
	int r, down;

	(void)id;
	if (!text_is_email(from) || !text_is_email(to) || !crlf_only(msg, len)) {
		snprintf(err, errlen,
		    "refusing to send: invalid envelope address or a bare CR "
		    "or LF in the message");
		return -EINVAL;
	}
	if (t->down) {
		snprintf(err, errlen, "%s (not tried again in this check)", t->down_err);
		return -EAGAIN;
	}
	if ((rc = transfer(t, from, to, msg, len)) == CURLE_OK)
		return 0;
	r = classify(t, rc, &down);
	describe(t, rc, err, errlen);
	if (down) {
		t->down = 1;
		snprintf(t->down_err, sizeof(t->down_err), "%s", err);
	}
	return r;
}

/* Closes the connection.  curl says QUIT and waits for the reply through an internal
 * handle that takes its timeouts from the easy handle added last (libcurl's
 * curl_multi_add_handle copies them), and which runs no progress callback: so a handle
 * with a short wait is added and removed first.  A healthy server answers QUIT at once;
 * one that stopped answering (a timeout leaves the connection in curl's cache) costs
 * QUIT_WAIT, not another mail.timeout without ticks.  Were the copying to go away in a
 * later libcurl, the wait would still end after mail.timeout. */
static void
smtp_flush(void *impl)
{
	struct smtp_transport *t = impl;

	if (t->multi != NULL) {
		curl_easy_setopt(t->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, QUIT_WAIT);
		curl_easy_setopt(t->curl, CURLOPT_TIMEOUT, QUIT_WAIT);
		if (curl_multi_add_handle(t->multi, t->curl) == CURLM_OK)
			curl_multi_remove_handle(t->multi, t->curl);
		curl_multi_cleanup(t->multi);
		t->multi = NULL;
		curl_easy_setopt(
		    t->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, TRANSFER_FUSE * t->timeout);
		curl_easy_setopt(t->curl, CURLOPT_TIMEOUT, TRANSFER_FUSE * t->timeout);
	}
	t->down = 0;
	t->down_err[0] = '\0';
}

static void
smtp_close(void *impl)
{
	struct smtp_transport *t = impl;

	smtp_flush(t);
	curl_easy_cleanup(t->curl);
	if (t->password != NULL) {
		explicit_bzero(t->password, strlen(t->password));
		free(t->password);
	}
	free(t);
	curl_global_cleanup();
}
