#include "approvals/strict_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

#include <set>
#include <string>
#include <vector>

namespace jit::approvals {
namespace {

// A basic_parser handler that builds nothing and only remembers the keys of each open object.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  using error_code = boost::system::error_code;
  using string_view = boost::json::string_view;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_object_begin(error_code&) {
    open_objects_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    open_objects_.pop_back();
    return true;
  }
  bool on_key_part(string_view part, std::size_t, error_code&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(string_view part, std::size_t, error_code& ec) {
    key_.append(part.data(), part.size());
    const bool fresh = open_objects_.back().insert(std::move(key_)).second;
    key_.clear();
    if (!fresh) {
      ec = ApprovalsErrc::invalid_input;
      return false;
    }
    return true;
  }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
  bool on_double(double, string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

 private:
  std::vector<std::set<std::string>> open_objects_;
  std::string key_;
};

}  // namespace

Result<boost::json::value> parse_strict_json(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) return ApprovalsErrc::invalid_input;
  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;

  boost::system::error_code ec;
  boost::json::basic_parser<DuplicateKeyFinder> finder(options);
  const std::size_t used = finder.write_some(false, text.data(), text.size(), ec);
  if (ec || !finder.done() || used != text.size()) return ApprovalsErrc::invalid_input;

  boost::json::value value = boost::json::parse(text, ec, {}, options);
  if (ec) return ApprovalsErrc::invalid_input;
  return value;
}

}  // namespace jit::approvals
