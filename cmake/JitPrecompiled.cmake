# Precompiled headers for the targets that include Asio, Beast and Boost.JSON. Those headers cost
# several seconds per translation unit; compiled once per target they keep ./tests/run.sh (two
# presets on two cores) within its time budget.
function(jit_precompile_boost target)
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
  target_precompile_headers(${target} PRIVATE <gtest/gtest.h> <filesystem> <map> <memory> <string>
                            <vector> <boost/system/result.hpp> <openssl/evp.h>)
endfunction()
