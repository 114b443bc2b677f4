#include "config/yaml_reader.hpp"

#include "config/config_error.hpp"
#include "config/names.hpp"
#include "config/syntax.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace jit::config::detail {
namespace {

constexpr std::size_t kMaxListItems = 10000;

// yaml-cpp counts lines from 0 and marks some nodes (nulls) with no position at all.
int line_of(const YAML::Node& node, int fallback) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() || mark.line < 0 ? fallback : mark.line + 1;
}

std::string child_key(const std::string& parent, std::string_view name) {
  return parent.empty() ? std::string(name) : parent + "." + std::string(name);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

}  // namespace

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return syntax::quoted(node.Scalar());
    default:
      return "nothing";
  }
}

YamlValue::YamlValue(const std::string& file, YAML::Node node, std::string key, int line)
    : file_(&file), node_(std::move(node)), key_(std::move(key)), line_(line) {}

void YamlValue::fail(std::string message, std::string expected) const {
  throw ConfigError(*file_, line_, key_, std::move(message), std::move(expected));
}

const std::string& YamlValue::scalar(std::string_view expected) const {
  if (!node_.IsScalar()) fail("got " + describe_node(node_), std::string(expected));
  return node_.Scalar();
}

std::string YamlValue::string(std::string_view expected) const {
  const std::string& text = scalar(expected);
  if (text.empty()) fail("the value is empty", std::string(expected));
  if (!syntax::is_printable(text))
    fail("the value contains a control character", std::string(expected));
  return text;
}

std::string YamlValue::name(std::string_view what) const {
  const std::string expected =
      std::string(what) + ": 1 to 64 of A-Z a-z 0-9 . _ - , not starting with . or -";
  const std::string& text = scalar(expected);
  if (!is_safe_name(text)) fail(syntax::quoted(text) + " is not a valid name", expected);
  return text;
}

bool YamlValue::boolean() const {
  const std::string& text = scalar("true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  fail("got " + syntax::quoted(text), "true or false");
}

std::int64_t YamlValue::integer(std::int64_t min, std::int64_t max) const {
  const std::string expected =
      "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  const std::string& text = scalar(expected);
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  // from_chars takes no '+', spaces, hex prefix or exponent: "+5" fails, "0x1f" and "1e3" stop
  // early. Only plain decimal integers get through.
  if (text.empty() || ec != std::errc{} || stop != end) {
    fail(syntax::quoted(text) + " is not a whole number", expected);
  }
  if (value < min || value > max) fail(std::to_string(value) + " is out of range", expected);
  return value;
}

Seconds YamlValue::duration(Seconds min, Seconds max) const {
  const std::string expected = "a duration from " + format_duration(min) + " to " +
                               format_duration(max) + ", such as 30s, 15m, 8h, 1h30m or 2d";
  const std::string& text = scalar(expected);
  const auto value = parse_duration(text);
  if (!value) fail(syntax::quoted(text) + " is not a duration", expected);
  if (*value < min || *value > max)
    fail(text + " is out of range", expected);  // a valid duration: plain text
  return *value;
}

std::filesystem::path YamlValue::path(const std::filesystem::path& base) const {
  const std::filesystem::path value(string("a file or folder path"));
  if (value.is_absolute()) return value.lexically_normal();
  return (base / value).lexically_normal();
}

std::vector<YamlValue> YamlValue::list(std::string_view expected) const {
  if (!node_.IsSequence()) fail("got " + describe_node(node_), std::string(expected));
  if (node_.size() > kMaxListItems) {
    fail("the list has more than " + std::to_string(kMaxListItems) + " items",
         std::string(expected));
  }
  std::vector<YamlValue> items;
  std::size_t index = 0;
  for (const YAML::Node& item : node_) {
    items.emplace_back(*file_, item, key_ + "[" + std::to_string(index++) + "]",
                       line_of(item, line_));
  }
  return items;
}

std::vector<std::string> YamlValue::string_list(std::string_view expected) const {
  std::vector<std::string> out;
  for (const YamlValue& item : list(std::string("a list of ") + std::string(expected))) {
    out.push_back(item.string(expected));
  }
  return out;
}

std::vector<std::string> YamlValue::name_list(std::string_view what) const {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  for (const YamlValue& item : list(std::string("a list of ") + std::string(what) + " names")) {
    std::string value = item.name(std::string(what) + " name");
    if (!seen.insert(value).second) {
      item.fail("'" + value + "' is listed twice", "each " + std::string(what) + " once");
    }
    out.push_back(std::move(value));
  }
  return out;
}

YamlMap YamlValue::entries(std::string_view expected) const {
  if (!node_.IsMap()) fail("got " + describe_node(node_), std::string(expected));
  std::vector<YamlMap::Entry> out;
  std::set<std::string, std::less<>> seen;
  // Iterating the pairs, not looking keys up: yaml-cpp keeps every pair of a repeated key, and
  // a lookup would silently return one of them.
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    // Copies: the iterator's operator-> returns a temporary pair of handles.
    const YAML::Node key_node = it->first;
    const YAML::Node value_node = it->second;
    const int key_line = line_of(key_node, line_);
    if (!key_node.IsScalar() || key_node.Scalar().empty() ||
        !syntax::is_printable(key_node.Scalar())) {
      throw ConfigError(*file_, key_line, key_, "a key is " + describe_node(key_node),
                        "plain text keys");
    }
    const std::string& name = key_node.Scalar();
    if (!seen.insert(name).second) {
      throw ConfigError(*file_, key_line, child_key(key_, name), "the key is given twice",
                        "each key once per map");
    }
    out.push_back({name, YamlValue(*file_, value_node, child_key(key_, name), key_line)});
  }
  return YamlMap(*this, std::move(out));
}

YamlMap YamlValue::map(std::initializer_list<std::string_view> allowed) const {
  YamlMap result = entries("a map with keys " + join(allowed));
  for (const YamlMap::Entry& entry : result.entries()) {
    if (std::find(allowed.begin(), allowed.end(), entry.name) != allowed.end()) continue;
    std::string message = "unknown key";
    std::string_view nearest;
    std::size_t best = entry.name.size() / 3 + 2;  // suggest only close spellings
    for (std::string_view known : allowed) {
      const std::size_t distance = edit_distance(entry.name, known);
      if (distance < best) {
        best = distance;
        nearest = known;
      }
    }
    if (!nearest.empty()) message += ", did you mean '" + std::string(nearest) + "'?";
    entry.value.fail(std::move(message), "one of " + join(allowed));
  }
  return result;
}

YamlMap YamlValue::open_map(std::string_view expected) const { return entries(expected); }

YamlMap::YamlMap(const YamlValue& self, std::vector<Entry> entries)
    : self_(self), entries_(std::move(entries)) {}

const YamlValue* YamlMap::find(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (entry.name == name) return &entry.value;
  }
  return nullptr;
}

const YamlValue& YamlMap::require(std::string_view name, std::string_view expected) const {
  if (const YamlValue* value = find(name)) return *value;
  fail_missing(name, expected);
}

void YamlMap::fail_missing(std::string_view name, std::string_view expected) const {
  throw ConfigError(self_.file(), self_.line(), child_key(self_.key(), name),
                    "a required key is missing", std::string(expected));
}

}  // namespace jit::config::detail
