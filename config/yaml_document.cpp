// Turning text into the one YAML document a config file holds, and reading the file itself.
#include "config/config_error.hpp"
#include "config/yaml_reader.hpp"

#include <yaml-cpp/eventhandler.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace jit::config::detail {
namespace {

constexpr std::uintmax_t kMaxFileBytes = 1024 * 1024;

// Sees only where documents start; used to notice a second document without building it.
class DocumentStarts : public YAML::EventHandler {
 public:
  int last_line = 0;  // 1-based line of the latest document start

  void OnDocumentStart(const YAML::Mark& mark) override { last_line = mark.line + 1; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Line of the second document's start, or 0 when there is none. Asks the parser for exactly two
// documents: yaml-cpp 0.7's LoadAll loops forever, allocating, on a stray ',' (an endless series
// of empty documents; fixed upstream in jbeder/yaml-cpp#1319, not in Debian 12's 0.7.0).
int second_document_line(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  if (!parser.HandleNextDocument(starts)) return 0;
  if (!parser.HandleNextDocument(starts)) return 0;
  return starts.last_line > 0 ? starts.last_line : 1;
}

}  // namespace

YamlValue load_document(std::string_view text, const std::string& file) {
  const std::string copy(text);
  YAML::Node root;
  int second_line = 0;
  try {
    root = YAML::Load(copy);  // the first document only
    second_line = second_document_line(copy);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file, e.mark.is_null() ? 0 : e.mark.line + 1, "", "invalid YAML: " + e.msg,
                      "well-formed YAML");
  }
  if (root.IsNull()) {
    throw ConfigError(file, 1, "", "the file holds no settings", "a map of settings");
  }
  if (second_line > 0) {
    throw ConfigError(file, second_line, "", "the file holds more than one document",
                      "a single YAML document");
  }
  if (!root.IsMap()) {
    throw ConfigError(file, 1, "", "the file holds " + describe_node(root), "a map of settings");
  }
  return YamlValue(file, root, "", 1);
}

std::string read_config_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw ConfigError(name, 0, "", "cannot read the file: no such file", "a readable YAML file");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw ConfigError(name, 0, "", "cannot read the file: not a regular file",
                      "a readable YAML file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(name, 0, "", std::string("cannot read the file: ") + std::strerror(errno),
                      "a readable YAML file");
  }
  std::string text;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) {
      throw ConfigError(name, 0, "", "the file is larger than 1 MiB", "a config file under 1 MiB");
    }
  }
  if (in.bad()) {
    throw ConfigError(name, 0, "", "cannot read the file: read error", "a readable YAML file");
  }
  return text;
}

}  // namespace jit::config::detail
