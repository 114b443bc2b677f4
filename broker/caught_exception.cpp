#include "broker/caught_exception.hpp"

#include <boost/core/demangle.hpp>

#include <exception>
#include <typeinfo>

namespace jit::broker {
namespace {

constexpr std::size_t kMaxWhat = 200;

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxWhat)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  }
  if (text.size() > kMaxWhat) out.append("...");
  return out;
}

}  // namespace

std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return boost::core::demangle(typeid(e).name()) + ": " + printable(e.what());
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace jit::broker
