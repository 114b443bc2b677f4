// Internal to config/ (the only place that includes yaml-cpp): a YAML node together with where it
// sits (file, dotted key, 1-based line), and typed reads that throw ConfigError naming all three.
// Maps are checked on the way in: keys are plain strings, none repeats, and none is unknown.
#pragma once

#include "config/duration.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace jit::config::detail {

class YamlMap;

class YamlValue {
 public:
  YamlValue(const std::string& file, YAML::Node node, std::string key, int line);

  const std::string& file() const { return *file_; }
  const std::string& key() const { return key_; }
  int line() const { return line_; }

  [[noreturn]] void fail(std::string message, std::string expected) const;

  // For values that take two shapes (a webhook URL, or a map with the URL and its secret).
  [[nodiscard]] bool is_map() const { return node_.IsMap(); }

  // A non-empty scalar without control characters.
  [[nodiscard]] std::string string(std::string_view expected) const;
  // A user, group, role or principal name (config/names.hpp); `what` names it in the error.
  [[nodiscard]] std::string name(std::string_view what) const;
  [[nodiscard]] bool boolean() const;
  [[nodiscard]] std::int64_t integer(std::int64_t min, std::int64_t max) const;
  [[nodiscard]] Seconds duration(Seconds min, Seconds max) const;
  // A path; a relative one is taken relative to `base` (the folder of the file being read).
  [[nodiscard]] std::filesystem::path path(const std::filesystem::path& base) const;

  // A list; each item carries the key "KEY[i]" and its own line. An empty list is allowed.
  [[nodiscard]] std::vector<YamlValue> list(std::string_view expected) const;
  [[nodiscard]] std::vector<std::string> string_list(std::string_view expected) const;
  // Names from a list, refusing repeats: "[alice, alice]" is a mistake, not a set.
  [[nodiscard]] std::vector<std::string> name_list(std::string_view what) const;

  // A map whose keys must all be among `allowed` (the error suggests the nearest one).
  [[nodiscard]] YamlMap map(std::initializer_list<std::string_view> allowed) const;
  // A map with free keys (group, user and role names), still refusing repeated keys.
  [[nodiscard]] YamlMap open_map(std::string_view expected) const;

 private:
  [[nodiscard]] const std::string& scalar(std::string_view expected) const;
  [[nodiscard]] YamlMap entries(std::string_view expected) const;

  const std::string* file_;  // owned by the caller of the parse, which outlives every value
  YAML::Node node_;
  std::string key_;
  int line_;
};

class YamlMap {
 public:
  struct Entry {
    std::string name;
    YamlValue value;
  };

  YamlMap(const YamlValue& self, std::vector<Entry> entries);

  const std::vector<Entry>& entries() const { return entries_; }
  const YamlValue& self() const { return self_; }
  [[nodiscard]] const YamlValue* find(std::string_view name) const;
  // Missing keys are reported at the line of the key that holds this map.
  [[nodiscard]] const YamlValue& require(std::string_view name, std::string_view expected) const;
  [[noreturn]] void fail_missing(std::string_view name, std::string_view expected) const;

 private:
  YamlValue self_;
  std::vector<Entry> entries_;
};

// "a map", "a list", "'text'" or "nothing": how error messages name what they found.
[[nodiscard]] std::string describe_node(const YAML::Node& node);

// Parses one YAML document whose top level is a map. Syntax errors, an empty file, more than one
// document and a top level that is not a map each throw ConfigError (the last two at line 1).
// `file` must outlive the returned value and everything read from it.
[[nodiscard]] YamlValue load_document(std::string_view text, const std::string& file);

// Reads a config file of at most 1 MiB, or throws ConfigError naming it.
[[nodiscard]] std::string read_config_file(const std::filesystem::path& file);

}  // namespace jit::config::detail
