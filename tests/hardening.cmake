# Sanitizer and fuzzing builds. add_compile_options/add_link_options apply to every target
# defined after this file is included, so the project libraries, the CLI, the tests and the fuzz
# targets are all instrumented alike: a bug in a library is caught whichever binary reaches it.

# -fno-sanitize-recover=all: UBSan would otherwise print and carry on, and a test (or a fuzz run)
# that "passes" with a report in its log would hide the bug. Frame pointers keep stacks readable.
set(llmpo_sanitizer_flags -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=all)

if(LLMPO_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LLMPO_FUZZ=ON needs clang (libFuzzer ships with it): "
                        "configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # fuzzer-no-link adds libFuzzer's coverage instrumentation to the libraries without linking its
  # main(); only the fuzz executables (tests/fuzz/CMakeLists.txt) link -fsanitize=fuzzer.
  add_compile_options(-fsanitize=fuzzer-no-link ${llmpo_sanitizer_flags})
  add_link_options(-fsanitize=address,undefined)
elseif(LLMPO_SANITIZE)
  add_compile_options(${llmpo_sanitizer_flags})
  add_link_options(-fsanitize=address,undefined)
endif()

if((LLMPO_FUZZ OR LLMPO_SANITIZE) AND CMAKE_INTERPROCEDURAL_OPTIMIZATION)
  message(FATAL_ERROR "sanitizer builds need -DLLMPO_LTO=OFF (or a non-Release build type)")
endif()
