# Precompiled headers for the targets that include Asio, Beast and Boost.JSON. Those headers cost
# several seconds per translation unit; compiled once per target they keep ./tests/run.sh (two
# presets on two cores) within its time budget.

# JIT_PCH=OFF builds the libraries without them: slower from scratch, but ccache can then share
# their objects between checkouts of the same sources (a PCH differs per build folder, so every file
# including one misses). Test files cannot be shared anyway (their data folder is an absolute path
# in a define), so they keep their precompiled headers.
option(JIT_PCH "Precompile the Boost, OpenSSL and GoogleTest headers of the libraries" ON)

# Clang records the modification time of each header in a PCH and refuses a PCH whose headers look
# newer, so one that ccache restores (built in another worktree or an earlier run, with the same
# content) would break the build. Without the timestamps, ccache's content hashing decides alone.
function(jit_pch_for_ccache target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${target} PRIVATE "SHELL:-Xclang -fno-pch-timestamp")
  endif()
endfunction()

function(jit_precompile_boost target)
  get_target_property(type ${target} TYPE)
  if(NOT JIT_PCH AND type STREQUAL "STATIC_LIBRARY")
    return()
  endif()
  jit_pch_for_ccache(${target})
  target_precompile_headers(${target} PRIVATE
    <boost/asio.hpp>
    <boost/asio/ssl.hpp>
    <boost/beast/core.hpp>
    <boost/beast/http.hpp>
    <boost/beast/ssl.hpp>
    <boost/json.hpp>
    <boost/system/result.hpp>
    <openssl/evp.h>
    <openssl/x509.h>
    <filesystem>
    <functional>
    <map>
    <memory>
    <string>
    <vector>)
endfunction()

function(jit_precompile_tests target)
  jit_pch_for_ccache(${target})
  target_precompile_headers(${target} PRIVATE <gtest/gtest.h> <filesystem> <map> <memory> <string>
                            <vector> <boost/system/result.hpp> <openssl/evp.h>)
endfunction()

# jit_precompile_boost_like(target owner): the same precompiled header as owner, built once. A PCH
# of the Boost headers costs about 20 s of GCC time per target; targets compiled with the same
# flags (the broker tests and the test support library; the daemon and the client library) can
# share one. Where owner has none (JIT_PCH=OFF skips the libraries' own), target builds its own.
function(jit_precompile_boost_like target owner)
  get_target_property(owner_source ${owner} PRECOMPILE_HEADERS_REUSE_FROM)
  if(owner_source)
    set(owner ${owner_source})
  endif()
  get_target_property(owner_headers ${owner} PRECOMPILE_HEADERS)
  if(owner_headers)
    jit_pch_for_ccache(${target})
    target_precompile_headers(${target} REUSE_FROM ${owner})
  else()
    jit_precompile_boost(${target})
  endif()
endfunction()
