// What a catch-all site logs about the exception it caught (broker/http/router.cpp for a handler,
// broker/store/store.cpp for a write job): its type and its what(), cut short and with control
// characters replaced. Never the request, its body or the job's data: what() texts of the code's
// own exceptions and of the libraries (SQLite, Boost.JSON, the allocator) are fixed messages.
#pragma once

#include <string>

namespace jit::broker {

// Call only inside a catch block: describes the exception being handled.
std::string describe_current_exception();

}  // namespace jit::broker
