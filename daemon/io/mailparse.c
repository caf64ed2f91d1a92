/* mailparse: incoming mail through GMime 3 (see mailparse.h), loaded on demand. */
#include "io/mailparse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "core/htmltext.h"

#define MAX_DEPTH 16 /* nesting of multiparts and attached messages followed */

static int gmime_up;

/* Header names of struct reply_auto_headers, in its order. */
static const char *const auto_names[REPLY_AUTO_HEADERS] = { "Auto-Submitted", "Precedence",
	"Return-Path", "Content-Type", "List-Id", "X-Autoreply", NULL };

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Adds the mailbox addresses of one header (an address list) to m->rcpts. */
static void
add_addresses(struct inmail *m, InternetAddressList *list)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n && m->n_rcpts < MAILPARSE_MAX_RCPTS; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);
		const char *a;

		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		if (a != NULL && (m->rcpts[m->n_rcpts] = strdup(a)) != NULL)
			m->n_rcpts++;
	}
}

/* Delivered-To and X-Original-To name the address the mail was delivered for, which is
 * the reply address even when the client put another in To. */
static void
add_header_addresses(struct inmail *m, GMimeObject *o, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	int n = g_mime_header_list_get_count(hl);

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		InternetAddressList *l;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
			continue;
		l = internet_address_list_parse(NULL, g_mime_header_get_value(h));
		add_addresses(m, l);
		if (l != NULL)
			g_object_unref(l);
	}
}

static void
read_headers(struct inmail *m, GMimeMessage *msg)
{
	GMimeObject *o = GMIME_OBJECT(msg);
	InternetAddressList *from = g_mime_message_get_from(msg);
	const char **slots[REPLY_AUTO_HEADERS] = { &m->autoh.auto_submitted, &m->autoh.precedence,
		&m->autoh.return_path, &m->autoh.content_type, &m->autoh.list_id,
		&m->autoh.x_autoreply, &m->autoh.from };

	m->message_id = dup_or_null(g_mime_message_get_message_id(msg));
	m->subject = dup_or_null(g_mime_message_get_subject(msg));
	m->in_reply_to = dup_or_null(g_mime_object_get_header(o, "In-Reply-To"));
	m->references = dup_or_null(g_mime_object_get_header(o, "References"));
	if (from != NULL && internet_address_list_length(from) > 0) {
		InternetAddress *ia = internet_address_list_get_address(from, 0);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			snprintf(m->from, sizeof(m->from), "%s",
			    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
	}
	for (int i = 0; i < REPLY_AUTO_HEADERS - 1; i++) {
		m->hdr[i] = dup_or_null(g_mime_object_get_header(o, auto_names[i]));
		*slots[i] = m->hdr[i];
	}
	if (m->autoh.x_autoreply == NULL)
		m->autoh.x_autoreply = m->hdr[5] =
		    dup_or_null(g_mime_object_get_header(o, "X-Autorespond"));
	m->autoh.from = m->from;
	add_addresses(m, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO));
	add_addresses(m, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_CC));
	add_header_addresses(m, o, "Delivered-To");
	add_header_addresses(m, o, "X-Original-To");
}

/* The first part of type text/subtype that is not an attachment, depth first. */
static GMimeObject *
find_part(GMimeObject *o, const char *subtype, int depth)
{
	if (depth > MAX_DEPTH || o == NULL)
		return NULL;
	if (GMIME_IS_MULTIPART(o)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));

		for (int i = 0; i < n; i++) {
			GMimeObject *f = find_part(
			    g_mime_multipart_get_part(GMIME_MULTIPART(o), i), subtype, depth + 1);
			if (f != NULL)
				return f;
		}
		return NULL;
	}
	if (GMIME_IS_TEXT_PART(o) && !g_mime_part_is_attachment(GMIME_PART(o)) &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(o), "text", subtype))
		return o;
	return NULL;
}

static int
read_body(struct inmail *m, GMimeMessage *msg)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg), *part;
	char *t = NULL;
	int r = 0;

	if ((part = find_part(top, "plain", 0)) != NULL) {
		t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
		m->text = t != NULL ? strdup(t) : strdup("");
		m->text_len = m->text != NULL ? strlen(m->text) : 0;
	} else if ((part = find_part(top, "html", 0)) != NULL) {
		t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
		r = htmltext(t != NULL ? t : "", t != NULL ? strlen(t) : 0, &m->text, &m->text_len);
	} else {
		m->text = strdup("");
	}
	g_free(t);
	return r < 0 || m->text == NULL ? -ENOMEM : 0;
}

int
mailparse_ready(char *err, size_t errlen)
{
	if (gmime_up)
		return 0;
	if (!g_mime_check_version(3, 0, 0)) {
		snprintf(err, errlen, "GMime 3 (libgmime-3.0.so.0) cannot be loaded");
		return -ENOSYS;
	}
	g_mime_init();
	gmime_up = 1;
	return 0;
}

int
mailparse(const char *raw, size_t len, struct inmail *m, char *err, size_t errlen)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = mailparse_ready(err, errlen)) < 0)
		return r;
	stream = g_mime_stream_mem_new_with_buffer(raw, len);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL) {
		snprintf(err, errlen, "not a mail message");
		return -EINVAL;
	}
	read_headers(m, msg);
	r = read_body(m, msg);
	g_object_unref(msg);
	if (r < 0)
		snprintf(err, errlen, "out of memory");
	return r;
}

void
mailparse_free(struct inmail *m)
{
	if (m == NULL)
		return;
	free(m->message_id);
	free(m->subject);
	free(m->in_reply_to);
	free(m->references);
	for (size_t i = 0; i < m->n_rcpts; i++)
		free(m->rcpts[i]);
	for (int i = 0; i < REPLY_AUTO_HEADERS; i++)
		free(m->hdr[i]);
	free(m->text);
	memset(m, 0, sizeof(*m));
}

void
mailparse_shutdown(void)
{
	if (gmime_up)
		g_mime_shutdown();
	gmime_up = 0;
}
