# TS_CHECK_CFLAGS(VARIABLE, FLAGS): append to VARIABLE each flag that $CC accepts
# under -Werror, so that flags a compiler does not know drop out.
AC_DEFUN([TS_CHECK_CFLAGS], [
  for ts_flag in $2; do
    AC_MSG_CHECKING([whether $CC accepts $ts_flag])
    ts_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -Werror $ts_flag"
    AC_COMPILE_IFELSE([AC_LANG_SOURCE([[int ts_probe(void); int ts_probe(void) { return 0; }]])],
      [AC_MSG_RESULT([yes]); $1="$$1 $ts_flag"], [AC_MSG_RESULT([no])])
    CFLAGS=$ts_save_CFLAGS
  done])
