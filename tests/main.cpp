// Catch2 2.13's main; Debian's package ships only the single header.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
