/* SPDX-License-Identifier: MIT */
/*
 * hello.cc - tscope in C++: functions of namespaces and classes recorded by
 * -finstrument-functions and shown with their demangled names, RAII scopes
 * (TSCOPE_SCOPE) that close on return and when an exception passes through them.
 *
 *	c++ -O2 -finstrument-functions hello.cc $(pkg-config --cflags --libs tscope) -o hello
 *	TSCOPE_OUTPUT=hello.trace ./hello
 *	tscope report hello.trace
 *
 * With g++, add -finstrument-functions-exclude-file-list=/usr/include to keep the
 * standard library's inline functions out of the trace; with clang++, add
 * -finstrument-functions-after-inlining.
 */
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <tscope.h>

namespace greet {

class Greeter {
public:
	explicit Greeter(std::string who) : who_(std::move(who))
	{
	}

	std::string message(int times) const
	{
		TSCOPE_SCOPE("build message");
		std::string s;

		for (int i = 0; i < times; i++)
			s += word(i);
		return s + who_;
	}

private:
	static std::string word(int i)
	{
		return i % 2 ? "hello " : "hi ";
	}

	std::string who_;
};

/* Throws for odd n: the scope below is closed by its destructor during unwinding. */
int checked_half(int n)
{
	TSCOPE_SCOPE("checked_half");
	if (n % 2)
		throw std::invalid_argument("odd");
	return n / 2;
}

} /* namespace greet */

namespace {

template <typename T> T sum(const std::vector<T> &v)
{
	TSCOPE_FUNC();
	T total = T();

	for (const T &x : v)
		total += x;
	return total;
}

} /* namespace */

int main()
{
	tscope_thread_name("main");
	greet::Greeter g("world");
	std::printf("%s\n", g.message(3).c_str());

	std::vector<int> halves;
	int failures = 0;
	for (int n = 0; n < 10; n++) {
		try {
			halves.push_back(greet::checked_half(n));
		} catch (const std::invalid_argument &) {
			tscope_instant("odd number");
			failures++;
		}
	}
	tscope_counter("failures", failures);
	std::printf("sum of halves %d, %d odd numbers\n", sum(halves), failures);
	return 0;
}
