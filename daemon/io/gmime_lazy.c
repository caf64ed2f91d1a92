/* gmime_lazy: GMime (with GLib, GObject, GIO and gpgme, which it links) is loaded (dlopen)
 * the first time the reply reader calls it, not at program start: mapping and relocating
 * them costs about 3 ms of CPU at every kapd and kapctl start, and only a check that reads
 * replies needs them (README "Fast start").  io/mailparse.c stays as it is: these are the
 * GMime, GLib and GObject functions it calls (the type-check macros of GObject included),
 * with their own prototypes, each resolving its real function once; GLib's and GObject's
 * are found through GMime's handle, which has them as dependencies.  Without GMime,
 * g_mime_check_version says no (mailparse_ready reports it) and the others return
 * nothing.  A function not listed here fails the link (GMime is not linked): add it here. */
#include <gmime/gmime.h>

#include <stddef.h>

#include "lib/lazylib.h"

static struct lazylib lib = { "libgmime-3.0.so.0", NULL, 0 };

#define FORWARD(ret, name, params, args, fail) LAZY_FORWARD(lib, ret, name, params, args, fail)
#define FORWARD_VOID(name, params, args) LAZY_FORWARD_VOID(lib, name, params, args)
#define GET_TYPE(name) FORWARD(GType, name##_get_type, (void), (), 0)

/* GLib and GObject */
FORWARD(gint, g_ascii_strcasecmp, (const gchar *a, const gchar *b), (a, b), -1)
FORWARD_VOID(g_free, (gpointer p), (p))
FORWARD_VOID(g_object_unref, (gpointer o), (o))
FORWARD(GTypeInstance *, g_type_check_instance_cast, (GTypeInstance * i, GType t), (i, t), NULL)
FORWARD(gboolean, g_type_check_instance_is_a, (GTypeInstance * i, GType t), (i, t), FALSE)

/* GMime */
FORWARD_VOID(g_mime_init, (void), ())
FORWARD_VOID(g_mime_shutdown, (void), ())
FORWARD(gboolean, g_mime_check_version, (guint major, guint minor, guint micro),
    (major, minor, micro), FALSE)
FORWARD(GMimeStream *, g_mime_stream_mem_new_with_buffer, (const char *buf, size_t len), (buf, len),
    NULL)
FORWARD(GMimeParser *, g_mime_parser_new_with_stream, (GMimeStream * s), (s), NULL)
FORWARD(GMimeMessage *, g_mime_parser_construct_message, (GMimeParser * p, GMimeParserOptions *o),
    (p, o), NULL)
FORWARD(InternetAddressList *, g_mime_message_get_from, (GMimeMessage * m), (m), NULL)
FORWARD(const char *, g_mime_message_get_message_id, (GMimeMessage * m), (m), NULL)
FORWARD(const char *, g_mime_message_get_subject, (GMimeMessage * m), (m), NULL)
FORWARD(InternetAddressList *, g_mime_message_get_addresses, (GMimeMessage * m, GMimeAddressType t),
    (m, t), NULL)
FORWARD(GMimeObject *, g_mime_message_get_mime_part, (GMimeMessage * m), (m), NULL)
FORWARD(const char *, g_mime_object_get_header, (GMimeObject * o, const char *h), (o, h), NULL)
FORWARD(GMimeHeaderList *, g_mime_object_get_header_list, (GMimeObject * o), (o), NULL)
FORWARD(GMimeContentType *, g_mime_object_get_content_type, (GMimeObject * o), (o), NULL)
FORWARD(int, g_mime_header_list_get_count, (GMimeHeaderList * l), (l), 0)
FORWARD(GMimeHeader *, g_mime_header_list_get_header_at, (GMimeHeaderList * l, int i), (l, i), NULL)
FORWARD(const char *, g_mime_header_get_name, (GMimeHeader * h), (h), NULL)
FORWARD(const char *, g_mime_header_get_value, (GMimeHeader * h), (h), NULL)
FORWARD(gboolean, g_mime_content_type_is_type,
    (GMimeContentType * c, const char *type, const char *subtype), (c, type, subtype), FALSE)
FORWARD(int, g_mime_multipart_get_count, (GMimeMultipart * m), (m), 0)
FORWARD(GMimeObject *, g_mime_multipart_get_part, (GMimeMultipart * m, int i), (m, i), NULL)
FORWARD(gboolean, g_mime_part_is_attachment, (GMimePart * p), (p), FALSE)
FORWARD(char *, g_mime_text_part_get_text, (GMimeTextPart * p), (p), NULL)
FORWARD(int, internet_address_list_length, (InternetAddressList * l), (l), 0)
FORWARD(InternetAddress *, internet_address_list_get_address, (InternetAddressList * l, int i),
    (l, i), NULL)
FORWARD(InternetAddressList *, internet_address_list_parse, (GMimeParserOptions * o, const char *s),
    (o, s), NULL)
FORWARD(const char *, internet_address_mailbox_get_addr, (InternetAddressMailbox * m), (m), NULL)

/* The GObject types behind GMIME_IS_MULTIPART(), GMIME_PART() and their kin. */
GET_TYPE(g_mime_object)
GET_TYPE(g_mime_multipart)
GET_TYPE(g_mime_part)
GET_TYPE(g_mime_text_part)
GET_TYPE(internet_address_mailbox)
