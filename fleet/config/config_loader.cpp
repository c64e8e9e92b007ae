// Walks the YAML tree into FleetConfig, section by section as config_schema.cpp's tables
// describe them. Only types and formats are checked while reading; ranges and cross-field
// rules live in validate(), which also serves command-line overrides, and its errors are
// pointed back at the line their key was written on.
#include "fleet/config/config_loader.hpp"

#include <algorithm>
#include <optional>
#include <system_error>

#include "fleet/config/bounded_file.hpp"
#include "fleet/config/config_schema.hpp"

namespace lampi::fleet {

namespace {

using detail::Field;
using detail::Key;
using detail::Reader;

// Keys in the order the file gives them, so the first problem reported is the first one
// written; a section's keys are read by its own table.
void read_section(Reader& r, const Field& at, std::span<const Key> keys, FleetConfig& c) {
  std::vector<std::string_view> known;
  for (const auto& k : keys) known.push_back(k.name);
  detail::Section s(r, at, known);
  for (std::size_t i = 0; i < s.fields().size(); ++i) {
    // Section has refused any name not in keys.
    const Key& key = *std::find_if(keys.begin(), keys.end(),
                                   [&](const Key& k) { return k.name == s.names()[i]; });
    if (key.keys.empty())
      key.value.read(r, s.fields()[i], c);
    else
      read_section(r, s.fields()[i], key.keys, c);
  }
}

ConfigError too_large(std::string_view source_name) {
  return ConfigError(std::string(source_name), "",
                     "is larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB (" +
                         std::to_string(kMaxConfigBytes) +
                         " bytes), the limit for a config file; expected a YAML config such "
                         "as config/local.yaml");
}

void describe(std::span<const Key> keys, const std::string& parent, std::vector<KeyDoc>& out) {
  for (const auto& k : keys) {
    std::string key = detail::child_key(parent, k.name);
    if (k.keys.empty())
      out.push_back({key, k.type, k.fallback, k.doc});
    else
      describe(k.keys, key, out);
  }
}

}  // namespace

FleetConfig parse_config(std::string_view yaml_text, std::string_view source_name) {
  if (yaml_text.size() > kMaxConfigBytes) throw too_large(source_name);
  Reader r(source_name);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    auto w = detail::where_of(e.mark);
    throw ConfigError(std::string(source_name), "", "YAML syntax error: " + e.msg, w.line,
                      w.column);
  }
  if (docs.size() > 1)
    r.fail("", docs[1].Mark(),
           "holds " + std::to_string(docs.size()) + " YAML documents (\"---\"); expected one");
  FleetConfig config;
  if (!docs.empty())
    read_section(r, Field{docs[0], "", docs[0].Mark()}, detail::root_keys(), config);
  try {
    validate(config);
  } catch (const ConfigError& e) {
    auto w = r.where(e.key());
    throw e.with_context(std::string(source_name), e.key(), w.line, w.column);
  }
  return config;
}

FleetConfig load_config(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::optional<std::string> text;
  try {
    // One byte past the limit is enough for parse_config() to refuse: /dev/zero, a FIFO or
    // a huge file costs no more than that.
    text = read_at_most(path, kMaxConfigBytes);
  } catch (const std::system_error& e) {
    if (e.code().value() == EISDIR)
      throw ConfigError(name, "", "is a directory; expected a YAML file such as config/local.yaml");
    throw ConfigError(name, "", "cannot open the file: " + e.code().message());
  }
  if (!text) throw too_large(name);
  return parse_config(*text, name);
}

std::vector<KeyDoc> describe_keys() {
  std::vector<KeyDoc> out;
  describe(detail::root_keys(), "", out);
  return out;
}

}  // namespace lampi::fleet
