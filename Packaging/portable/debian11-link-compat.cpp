// Linked into the release executable by Packaging/build-binary.sh, which links against a
// Debian 11 sysroot (glibc 2.31, libstdc++ of GCC 10) so that one executable runs on
// glibc 2.28 and newer (RHEL 8, Debian 11 and later). The static Swift runtime of the
// toolchain was built on a newer system and asks for three things that sysroot does not
// give at the wanted versions; this file gives them, and nothing else. Everything here is
// hidden: the executable exports none of it.

#include <new>

// GCC 11 added std::__throw_bad_array_new_length (symbol version GLIBCXX_3.4.29), which the
// Swift runtime calls (Metadata.cpp and Remangler.cpp, from GCC 11+ headers); GCC 10's libstdc++.a has the exception class
// (GCC 4.9) but not this out-of-line thrower. It does what GCC 11's does: throw the class.
namespace std {
[[noreturn]] __attribute__((visibility("hidden"))) void __throw_bad_array_new_length()
{
    throw std::bad_array_new_length();
}
} // namespace std

// glibc 2.29 gave exp, exp2, log and log2 new symbol versions (GLIBC_2.29: the same results,
// without the old SVID error-handling wrapper), so a link against glibc 2.31 binds the Swift
// runtime's calls to versions glibc 2.28 lacks. build-binary.sh links with
// --wrap=exp (and the others): the runtime's calls come here, and these call the versions
// every x86_64 glibc has (GLIBC_2.2.5), which glibc 2.29 and later keep for old binaries.
// (libswiftCore's Swift.o refers to them for the Float and Double math of the standard library.)
extern "C" {
double exp_glibc_2_2_5(double) __asm__("exp@GLIBC_2.2.5");
double exp2_glibc_2_2_5(double) __asm__("exp2@GLIBC_2.2.5");
double log_glibc_2_2_5(double) __asm__("log@GLIBC_2.2.5");
double log2_glibc_2_2_5(double) __asm__("log2@GLIBC_2.2.5");

__attribute__((visibility("hidden"))) double __wrap_exp(double x) { return exp_glibc_2_2_5(x); }
__attribute__((visibility("hidden"))) double __wrap_exp2(double x) { return exp2_glibc_2_2_5(x); }
__attribute__((visibility("hidden"))) double __wrap_log(double x) { return log_glibc_2_2_5(x); }
__attribute__((visibility("hidden"))) double __wrap_log2(double x) { return log2_glibc_2_2_5(x); }
}
