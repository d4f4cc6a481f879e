#!/bin/sh
# Generate configure and Makefile.in (they are not kept in git).
exec autoreconf -fi
