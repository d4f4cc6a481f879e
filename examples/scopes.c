/* SPDX-License-Identifier: MIT */
/*
 * scopes.c - marking code up by hand: scopes, explicit begin/end pairs, dynamic names,
 * instants, counters and thread names, from several threads, with the recording
 * started and stopped explicitly.  No -finstrument-functions here: only what the code
 * marks is recorded.
 *
 *	cc -O2 -pthread scopes.c $(pkg-config --cflags --libs tscope) -o scopes
 *	./scopes scopes.trace
 *	tscope report scopes.trace
 *
 * Built with -DTSCOPE_DISABLE, the macros compile to nothing (the functions stay
 * callable, so the start/stop calls below still link against -ltscope).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <tscope.h>

#define WORKERS 3
#define ITEMS	200

struct worker {
	pthread_t thread;
	int index;
	uint64_t checksum;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* One unit of work: a scope that ends when the function returns. */
static uint64_t process_item(int item)
{
	TSCOPE_FUNC(); /* named "process_item" */
	uint64_t h = (uint64_t)item;

	for (int i = 0; i < 200; i++)
		h = mix(h + (uint64_t)i);
	if (item % 50 == 0) {
		TSCOPE_SCOPE("slow path");
		for (int i = 0; i < 5000; i++)
			h = mix(h);
	}
	return h;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[32];

	snprintf(name, sizeof(name), "worker-%d", w->index);
	tscope_thread_name(name);

	/* A name built at run time must be copied: tscope_begin_copy(). */
	snprintf(name, sizeof(name), "batch of worker %d", w->index);
	tscope_begin_copy(name);
	for (int item = 0; item < ITEMS; item++) {
		w->checksum += process_item(item + w->index * ITEMS);
		if (item % 20 == 0)
			tscope_counter("items done", item);
	}
	tscope_end();
	tscope_instant("worker finished");
	return NULL;
}

int main(int argc, char **argv)
{
	struct tscope_config cfg = TSCOPE_CONFIG_INIT;
	struct worker w[WORKERS];
	uint64_t total = 0;
	int rc;

	/* Without this, recording would start anyway, into $TSCOPE_OUTPUT or tscope.trace. */
	cfg.path = argc > 1 ? argv[1] : "scopes.trace";
	rc = tscope_start(&cfg);
	if (rc != 0)
		fprintf(stderr, "scopes: cannot record into %s: %s\n", cfg.path,
			tscope_strerror(rc));

	tscope_thread_name("main");
	tscope_begin("setup"); /* an explicit pair: tscope_end() closes it */
	memset(w, 0, sizeof(w));
	tscope_end();

	{
		TSCOPE_SCOPE("run workers");
		for (int i = 0; i < WORKERS; i++) {
			w[i].index = i;
			if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
				fprintf(stderr, "scopes: cannot create a thread\n");
				return 1;
			}
		}
		for (int i = 0; i < WORKERS; i++) {
			pthread_join(w[i].thread, NULL);
			total += w[i].checksum;
			tscope_counter("workers joined", i + 1);
		}
	}
	tscope_instant("all joined");

	rc = tscope_stop(); /* the file is complete when this returns */
	if (rc != 0)
		fprintf(stderr, "scopes: %s: %s\n", cfg.path, tscope_strerror(rc));
	printf("checksum %016llx\n", (unsigned long long)total);
	return rc != 0;
}
