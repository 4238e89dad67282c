// CONFAB_API marks what libconfab exports: the public classes and functions declared in
// these headers. The library is compiled with hidden visibility, so everything else in it
// (the core, the adapters, and the static libraries it is linked with) stays private to
// it, and the shared library's ABI is this API alone.
//
// The same mark serves the static library, where it changes nothing for the program that
// links it. (A Windows DLL would need __declspec(dllexport/dllimport) here; the SDK is
// not built as one.)
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define CONFAB_API __attribute__((visibility("default")))
#else
#define CONFAB_API
#endif
