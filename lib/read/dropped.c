/* SPDX-License-Identifier: MIT */
/*
 * dropped.c - the DROP chunks of traces, by function name (dropped.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "tscope.h"
#include "dropped.h"
#include "reader.h"

int dropped_add(struct dropped *d, struct spans *sp)
{
	struct reader *r = spans_reader(sp);

	if (reader_info(r)->drop_reasons)
		d->any = 1;
	if (reader_info(r)->drop_reasons & TSF_DROP_HOOKS)
		d->hooks = 1;
	for (size_t i = 0; i < reader_drop_count(r); i++) {
		const struct tsf_drop_fn *e = reader_drop(r, i);
		uint32_t id = spans_name(sp, e->addr & TSF_ADDR_MASK);
		struct dropped_row *row;

		if (id >= d->cap) {
			size_t cap = d->cap ? d->cap : 256;
			struct dropped_row *nw;

			while (cap <= id)
				cap *= 2;
			nw = realloc(d->rows, cap * sizeof(*nw));
			if (!nw)
				return TSCOPE_ENOMEM;
			memset(nw + d->cap, 0, (cap - d->cap) * sizeof(*nw));
			d->rows = nw;
			d->cap = cap;
		}
		row = &d->rows[id];
		row->calls += e->calls;
		row->incl += reader_span_ns(r, e->incl);
		row->self += reader_span_ns(r, e->self);
		row->hidden += reader_span_ns(r, e->hidden);
		d->calls += e->calls;
	}
	return 0;
}

const struct dropped_row *dropped_row(const struct dropped *d, uint32_t name)
{
	const struct dropped_row *row = name < d->cap ? &d->rows[name] : NULL;

	return row && (row->calls || row->hidden) ? row : NULL;
}

uint64_t dropped_self(uint64_t self, const struct dropped_row *dr)
{
	if (!dr)
		return self;
	self += dr->self;
	return self > dr->hidden ? self - dr->hidden : 0;
}

void dropped_fini(struct dropped *d)
{
	free(d->rows);
	memset(d, 0, sizeof(*d));
}
