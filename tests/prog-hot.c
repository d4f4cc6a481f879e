/* SPDX-License-Identifier: MIT */
/*
 * prog-hot.c - a program whose calls are mostly to tiny helpers, as in a compressor:
 * `prog-hot hot [BLOCKS]` reads and hashes 8-byte words through two static inline
 * functions, 10000 calls of each per block (20 blocks by default), which gcc's
 * -finstrument-functions instruments although it inlines them.  mem_read64_checked (3 calls) has a hot function's name in its own.
 * `prog-hot cold` makes 150000 calls of a function that takes a few hundred ns: many
 * calls, none tiny.  Prints a checksum and exits 3, so that a test can see both pass
 * through tscope record unchanged.  Built by tests/test-exclude-list.sh with gcc.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 10000

static unsigned char buf[BLOCK + 8];

static inline uint64_t mem_read64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t hash8_ptr(uint64_t v)
{
	return (uint32_t)((v * 0x9E3779B97F4A7C15ull) >> 40);
}

__attribute__((noinline)) static uint64_t mem_read64_checked(const unsigned char *p, size_t n)
{
	return n >= 8 ? mem_read64(p) : 0;
}

__attribute__((noinline)) static uint64_t compress_block(const unsigned char *p, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += hash8_ptr(mem_read64(p + i));
	return sum;
}

__attribute__((noinline)) static uint64_t medium_work(uint64_t x)
{
	volatile uint64_t v = x;

	for (int i = 0; i < 300; i++)
		v = v * 31 + (uint64_t)i;
	return v;
}

int main(int argc, char **argv)
{
	uint64_t sum = 0;
	int blocks = argc > 2 ? atoi(argv[2]) : 20;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 1);
	if (argc > 1 && strcmp(argv[1], "cold") == 0) {
		for (uint64_t i = 0; i < 150000; i++)
			sum += medium_work(i);
	} else {
		for (int b = 0; b < blocks; b++)
			sum += compress_block(buf, BLOCK);
		for (int k = 0; k < 3; k++)
			sum += mem_read64_checked(buf + k, BLOCK);
	}
	printf("%llu\n", (unsigned long long)sum);
	return 3;
}
