/* page_impl: what the files of the plan page (page.c, page_status.c) share.  Internal. */
#ifndef KAPD_PAGE_IMPL_H
#define KAPD_PAGE_IMPL_H

#include "core/page.h"
#include "lib/i18n.h"
#include "lib/sbuf.h"

struct ctx {
	struct sbuf *out;
	const struct page_plan *p;
	const struct page_options *o;
	const char *lang; /* catalog language */
};

static inline void
put(struct ctx *c, const char *s)
{
	sbuf_puts(c->out, s);
}

static inline void
esc(struct ctx *c, const char *s)
{
	page_escape(c->out, s);
}

static inline const char *__attribute__((format_arg(2))) tr(struct ctx *c, const char *msgid)
{
	return i18n_tr(c->lang, msgid);
}

/* Formats, then escapes the result: translated formats with plan text in them. */
void page_esc_printf(struct sbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A date in the language's short form, "–" for PAGE_NO_DATE. */
const char *page_date(const char *lang, kdate_t d, char *buf, size_t len);
/* Opens <section id=ID> with its <h2>. */
void page_h2(struct ctx *c, const char *id, const char *msgid);
/* A <td> with s escaped, "–" for NULL. */
void page_cell(struct ctx *c, const char *s);
/* <div class="scroll"><table>, an optional caption, the column heads (the ones with
 * their bit (1 << index) set in num hold figures), <tbody>. */
void page_table_head(
    struct ctx *c, const char *const *msgids, size_t n, const char *caption, unsigned num);
void page_table_end(struct ctx *c);
/* A muted paragraph: the section is empty. */
void page_none(struct ctx *c, const char *msgid);

/* The sections after the timeline (page_status.c). */
void page_sec_overdue(struct ctx *c);
void page_sec_moves(struct ctx *c);
void page_sec_since(struct ctx *c);
void page_sec_currency(struct ctx *c);

#endif
