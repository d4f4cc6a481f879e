// SPDX-License-Identifier: MIT
//
// prog-cxx.cc - a traced C++ program for the converter tests (test-convert-progs.c): names
// in namespaces, templates, methods and operators must come out demangled, and an
// exception thrown through several instrumented frames must leave spans that nest.
// Built with -finstrument-functions.  It includes no standard header, so that no library
// template is instantiated (and instrumented) here: the set of names is exactly the one
// below, with any compiler.
//
// Spans: geo::run() 1; geo::Box<int>::area() const 3; geo::Box<double>::area() const 2;
// geo::Box<int>::operator+(geo::Box<int> const&) const 1; geo::thrower(int) 12 (4 per
// call of catcher, the innermost throws); geo::catcher() 3; geo::(anonymous
// namespace)::hidden(int) 2.

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#define NOINSTR __attribute__((no_instrument_function))

namespace geo
{

static volatile int sink;

struct bottom {
	int depth;
};

template <typename T> struct Box {
	T w, h;
	__attribute__((noinline)) T area() const
	{
		return w * h;
	}
	__attribute__((noinline)) Box operator+(const Box &o) const
	{
		return Box{ w + o.w, h + o.h };
	}
};

namespace
{
__attribute__((noinline)) int hidden(int x)
{
	return x * 3;
}
} // namespace

__attribute__((noinline)) int thrower(int n)
{
	if (n == 0)
		throw bottom{ n };
	return thrower(n - 1) + 1;
}

__attribute__((noinline)) int catcher()
{
	try {
		return thrower(3);
	} catch (const bottom &) {
		return -1;
	}
}

__attribute__((noinline)) void run()
{
	Box<int> a{ 2, 3 }, b{ 4, 5 };
	Box<double> c{ 1.5, 2.0 };

	sink = a.area() + b.area();
	sink = (a + b).area();
	sink = (int)(c.area() + c.area());
	for (int i = 0; i < 3; i++)
		sink = catcher();
	sink = hidden(1) + hidden(2);
}

} // namespace geo

NOINSTR int main()
{
	geo::run();
	return geo::sink == 9 ? 0 : 1;
}
