# How the binaries take yaml-cpp, fmt, spdlog and the C++ runtime: linked in (the default) or
# loaded as shared libraries.
#
# Why linked in: a 1,000-request `run` takes about 25 ms on the project's machine, and loading
# libyaml-cpp, libspdlog, libfmt and libstdc++ (mapping them, relocating them, the page
# faults of their data) was about 3.5 ms of it. With them linked in, only libc, libm and libgcc_s
# are loaded.
# Measured with `perf --requests 1` (the start-up figure), see README "Speed".
#
# Debian ships libyaml-cpp.a and libstdc++.a, but no static fmt or spdlog; their compiled parts
# (the same ones libfmt.so and libspdlog.so hold) are built here from their installed headers
# (simulator/util/fmt_spdlog_compiled.cpp). That file instantiates version-specific internals,
# so it is used only for the versions it was written for (Debian 12's fmt 9.1.0 and spdlog
# 1.10.0); any other version is loaded as a shared library, as is everything in the sanitizer
# and fuzzing builds (their runtimes replace operator new and friends).
#
# Targets for the rest of the build: llmpo_yaml_cpp, llmpo_fmt, llmpo_spdlog (link these, never
# yaml-cpp, fmt::fmt or spdlog::spdlog directly) and the function llmpo_link_runtime_statically.
option(LLMPO_STATIC_DEPS "Link yaml-cpp, fmt, spdlog and the C++ runtime into the executables" ON)

set(llmpo_static_deps OFF)
if(LLMPO_STATIC_DEPS AND NOT LLMPO_SANITIZE AND NOT LLMPO_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  find_library(LLMPO_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a)
  if(LLMPO_YAML_CPP_ARCHIVE AND fmt_VERSION VERSION_EQUAL 9.1.0 AND spdlog_VERSION VERSION_EQUAL 1.10.0)
    set(llmpo_static_deps ON)
  else()
    message(STATUS "LLMPO_STATIC_DEPS: libyaml-cpp.a, fmt 9.1.0 or spdlog 1.10.0 missing "
                   "(fmt ${fmt_VERSION}, spdlog ${spdlog_VERSION}): using the shared libraries")
  endif()
endif()

add_library(llmpo_yaml_cpp INTERFACE)
add_library(llmpo_fmt INTERFACE)
add_library(llmpo_spdlog INTERFACE)
if(llmpo_static_deps)
  target_link_libraries(llmpo_yaml_cpp INTERFACE ${LLMPO_YAML_CPP_ARCHIVE})
  target_include_directories(llmpo_yaml_cpp INTERFACE $<TARGET_PROPERTY:yaml-cpp,INTERFACE_INCLUDE_DIRECTORIES>)

  add_library(llmpo_fmt_spdlog_compiled STATIC ${PROJECT_SOURCE_DIR}/simulator/util/fmt_spdlog_compiled.cpp)
  target_include_directories(llmpo_fmt_spdlog_compiled
    PUBLIC $<TARGET_PROPERTY:fmt::fmt,INTERFACE_INCLUDE_DIRECTORIES>
           $<TARGET_PROPERTY:spdlog::spdlog,INTERFACE_INCLUDE_DIRECTORIES>)
  # spdlog as a compiled library (declarations only in its headers) over the external fmt.
  target_compile_definitions(llmpo_fmt_spdlog_compiled PUBLIC SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL)
  find_package(Threads REQUIRED)
  target_link_libraries(llmpo_fmt_spdlog_compiled PUBLIC Threads::Threads)
  target_link_libraries(llmpo_fmt INTERFACE llmpo_fmt_spdlog_compiled)
  target_link_libraries(llmpo_spdlog INTERFACE llmpo_fmt_spdlog_compiled)
else()
  target_link_libraries(llmpo_yaml_cpp INTERFACE yaml-cpp)
  target_link_libraries(llmpo_fmt INTERFACE fmt::fmt)
  target_link_libraries(llmpo_spdlog INTERFACE spdlog::spdlog)
endif()

# libstdc++ linked into `target` (an executable) when the dependencies are. Not libgcc: its
# unwinder must be the one libc's own frames use (libgcc_s.so). An exception thrown inside
# std::call_once crosses libc's pthread_once, whose clean-up goes through libgcc_s's personality
# routine; with a second, static unwinder in the binary that throw aborts the process (the lazy
# library test, a broken model file parsed under call_once, caught it).
function(llmpo_link_runtime_statically target)
  if(llmpo_static_deps)
    target_link_options(${target} PRIVATE -static-libstdc++)
  endif()
endfunction()
